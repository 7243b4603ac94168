//! The app mounted in a real headless Chromium (wasm-bindgen-test), over a
//! real IndexedDB, driven through its controls by name.

#![cfg(target_arch = "wasm32")]

mod ui;

use portal_domain::demo::{DemoConfig, DemoGenerator};
use portal_ledger::ledger::DATABASE;
use portal_store::idb::IdbStore;
use ui::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// How many events the log holds, as the page says.
async fn event_count() -> u64 {
    let status = text_of(".log-ready").await;
    status
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {status:?}"))
}

fn press(key: &str) {
    let slider = document()
        .query_selector("input.slider")
        .unwrap()
        .expect("the slider is always on the page");
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    slider.dispatch_event(&event).unwrap();
}

fn owner_choices() -> Vec<String> {
    texts("select[aria-label='Filter by owner'] option")
}

fn slider_value() -> String {
    document()
        .query_selector("input.slider")
        .unwrap()
        .unwrap()
        .unchecked_into::<web_sys::HtmlInputElement>()
        .value()
}

#[wasm_bindgen_test]
async fn every_page_is_in_the_navigation_and_has_an_address() {
    let _app = fresh_app().await;
    for (link, heading) in [
        ("Timeline", "Timeline"),
        ("Products", "API products"),
        ("Campaigns", "Offer campaigns"),
        ("Data", "Data on this device"),
        ("Applications", "Applications"),
    ] {
        click(link).await;
        until_text(heading).await;
    }
    let path = web_sys::window().unwrap().location().pathname().unwrap();
    assert_eq!(path, "/applications");
}

#[wasm_bindgen_test]
async fn creating_an_application_lists_it_and_shows_its_secret_once() {
    let _app = fresh_app().await;
    assert_eq!(event_count().await, 0);
    create_app("Weather Dashboard", "ada@example.com").await;
    assert!(
        event_count().await >= 2,
        "the command's events are in the log"
    );
    let secret: web_sys::HtmlInputElement = control("Credential secret").await.unchecked_into();
    assert!(secret.value().starts_with("plk_"), "{}", secret.value());
    assert!(page_text().contains("shown once"));
    // The secret never enters the log: only its prefix and hash do.
    click("Timeline").await;
    let insert = eventually("the credential's event", || {
        let list = document().query_selector_all("button.event").unwrap();
        (0..list.length())
            .filter_map(|i| list.item(i))
            .map(|n| n.unchecked_into::<web_sys::HtmlElement>())
            .find(|b| {
                // Named by what it shows: "Event 2 CREDENTIAL_INSERT …".
                b.text_content()
                    .is_some_and(|l| l.contains(" CREDENTIAL_INSERT "))
            })
    })
    .await;
    insert.click();
    let envelope = text_of(".event-detail pre").await;
    assert!(!envelope.contains(&secret.value()), "{envelope}");
    assert!(envelope.contains("secret_hash"), "{envelope}");
}

#[wasm_bindgen_test]
async fn an_invalid_name_shows_the_domain_error_as_you_type_and_stores_nothing() {
    let _app = fresh_app().await;
    let summary: web_sys::HtmlElement = document()
        .query_selector("details.create summary")
        .unwrap()
        .unwrap()
        .unchecked_into();
    summary.click();
    fill("Application name", &"x".repeat(101)).await;
    let error = text_of(".field-error").await;
    assert!(error.contains("100"), "the domain's message: {error}");
    click("Create application").await;
    sleep(100).await;
    assert!(listed_apps().is_empty());
    assert_eq!(event_count().await, 0);
}

#[wasm_bindgen_test]
async fn a_credential_lifetime_out_of_range_gets_the_domains_one_message() {
    let _app = fresh_app().await;
    let summary: web_sys::HtmlElement = document()
        .query_selector("details.create summary")
        .unwrap()
        .unwrap()
        .unchecked_into();
    summary.click();
    fill("Application name", "Checkout").await;
    fill("Credential expiry in days", "3651").await;
    let error = text_of(".field-error").await;
    let domain = portal_domain::ExpiryDays::parse("3651")
        .unwrap_err()
        .to_string();
    assert_eq!(error, domain);
    click("Create application").await;
    sleep(100).await;
    assert!(listed_apps().is_empty());
    assert_eq!(event_count().await, 0);
}

#[wasm_bindgen_test]
async fn filters_narrow_the_list_and_live_in_the_address() {
    let _app = fresh_app().await;
    let warnings = Warnings::capture();
    create_app("Alpha", "ada@example.com").await;
    create_app("Beta", "grace@example.com").await;
    choose("Filter by owner", "grace@example.com").await;
    eventually("one app", || (listed_apps() == ["Beta"]).then_some(())).await;
    let search = web_sys::window().unwrap().location().search().unwrap();
    assert!(search.contains("owner=grace%40example.com"), "{search}");
    fill("Search by name", "alp").await;
    eventually("no app", || listed_apps().is_empty().then_some(())).await;
    choose("Filter by owner", "").await;
    eventually("Alpha", || (listed_apps() == ["Alpha"]).then_some(())).await;
    // Nothing here reaches a server: every row says its changes wait.
    fill("Search by name", "").await;
    eventually("both apps", || (listed_apps().len() == 2).then_some(())).await;
    assert_eq!(
        texts("table.apps tr.unsent td.status"),
        ["active · not sent yet", "active · not sent yet"]
    );
    assert_eq!(text_of("p.count").await, "2 applications");
    assert_eq!(warnings.seen(), Vec::<String>::new(), "the page warned");
}

/// Deleted applications leave the list (and its count) unless asked for.
#[wasm_bindgen_test]
async fn deleted_applications_are_listed_only_when_asked_for() {
    let _app = fresh_app().await;
    create_app("Kept", "ada@example.com").await;
    create_app("Gone", "ada@example.com").await;
    click("Gone").await;
    click("Delete application…").await;
    click("Yes, delete it").await;
    until_text("deleted ·").await;
    click("Applications").await;
    eventually("only the kept one", || {
        (listed_apps() == ["Kept"]).then_some(())
    })
    .await;
    assert_eq!(text_of("p.count").await, "1 application");
    choose("Filter by status", "deleted").await;
    eventually("the deleted one", || {
        (listed_apps() == ["Gone"]).then_some(())
    })
    .await;
    choose("Filter by status", "any").await;
    eventually("both", || (listed_apps().len() == 2).then_some(())).await;
    let search = web_sys::window().unwrap().location().search().unwrap();
    assert!(search.contains("status=any"), "{search}");
}

#[wasm_bindgen_test]
async fn an_application_is_managed_from_its_page() {
    let _app = fresh_app().await;
    let warnings = Warnings::capture();
    create_app("Payments Hub", "ada@example.com").await;
    click("Payments Hub").await;
    until_text("API products").await;
    // The page arrives on demand (src/lazy.rs); the log growing under it
    // must not build it again, which would drop what is typed and shown.
    let heading = document().query_selector("#app-heading").unwrap().unwrap();

    fill("API product to add", "payments").await;
    click("Add product").await;
    control("Remove payments").await;

    fill("New owner", "grace@example.com").await;
    click("Change owner").await;
    until_text("Owned by grace@example.com").await;

    click("Move to the paid plan").await;
    until_text("on the paid plan").await;

    fill("New credential expiry in days", "3").await;
    click("Generate credential").await;
    let secret: web_sys::HtmlInputElement = control("Credential secret").await.unchecked_into();
    assert!(secret.value().starts_with("plk_"));
    until_text("expiring soon").await;

    let first_revoke = eventually("a revoke button", || {
        let list = document()
            .query_selector_all("table.credentials button")
            .unwrap();
        list.item(0)
    })
    .await
    .unchecked_into::<web_sys::HtmlElement>();
    first_revoke.click();
    until_text("revoked").await;

    click("Remove payments").await;
    fill("Reason for removal", "too expensive").await;
    click("Confirm removal").await;
    until_text("No API products yet.").await;
    let removals = text_of("ul.removals").await;
    assert!(
        removals.contains("payments") && removals.contains("\u{201c}too expensive\u{201d}"),
        "the reason is on the application's page: {removals}"
    );

    click("Delete application…").await;
    click("Yes, delete it").await;
    until_text("deleted ·").await;

    let still = document().query_selector("#app-heading").unwrap().unwrap();
    assert!(
        heading.is_same_node(Some(&still)),
        "the page was built again"
    );

    let history = text_of("ol.history").await;
    for name in [
        "APPLICATION_OWNER_CHANGED",
        "SUBSCRIPTION_PLAN_CHANGED",
        "CREDENTIAL_REVOKED",
        "REMOVE_API_PRODUCT_FROM_APPLICATION",
        "APPLICATION_DELETED",
    ] {
        assert!(history.contains(name), "{name} missing from {history}");
    }
    // The survey the removal sets off is the server's processors' to write
    // (ADR 30), not this device's.
    assert!(!history.contains("SURVEY_"), "{history}");
    assert_eq!(warnings.seen(), Vec::<String>::new(), "the page warned");
}

#[wasm_bindgen_test]
async fn a_refused_command_says_why_and_changes_nothing() {
    let _app = fresh_app().await;
    create_app("Solo", "ada@example.com").await;
    click("Solo").await;
    fill("API product to add", "maps").await;
    click("Add product").await;
    control("Remove maps").await;
    let before = event_count().await;
    // Adding the same product again is refused by the domain.
    fill("API product to add", "maps").await;
    click("Add product").await;
    let refusal = text_of(".refused").await;
    assert!(refusal.to_lowercase().contains("maps"), "{refusal}");
    assert_eq!(event_count().await, before);
}

/// A tab opened with the network gone, alone in its browser, says it is
/// offline and what waits; not that another tab syncs.
#[wasm_bindgen_test]
async fn opened_offline_the_status_says_so_and_not_that_another_tab_syncs() {
    IdbStore::delete(DATABASE).await.unwrap();
    signed_in_as(ADMIN.0, ADMIN.1, portal_domain::Role::Admin);
    let _app = mount();
    // Before the first round: the browser says the network is gone.
    let window = web_sys::window().unwrap();
    window
        .dispatch_event(&web_sys::Event::new("offline").unwrap())
        .unwrap();
    let status = eventually("the offline status", || {
        let status = document()
            .query_selector("p.sync-status")
            .ok()??
            .text_content()?;
        (status.starts_with("Offline") && !status.contains("another tab")).then_some(status)
    })
    .await;
    assert!(status.contains("everything sent"), "{status}");
    // It stays so (the tab holds the lock, and waits for the network).
    sleep(600).await;
    let later = text_of("p.sync-status").await;
    window
        .dispatch_event(&web_sys::Event::new("online").unwrap())
        .unwrap();
    assert!(!later.contains("another tab syncs"), "{later}");
}

/// Nobody signed in, the portal reads what the device holds and offers no
/// change, and no round runs (ADR 28).
#[wasm_bindgen_test]
async fn signed_out_the_portal_reads_and_offers_no_change() {
    let app = fresh_app().await;
    create_app("Kept", "ada@example.com").await;
    let events = event_count().await;
    drop(app);
    signed_out();
    let _app = reopened_app().await;
    eventually("the application", || {
        (listed_apps() == ["Kept"]).then_some(())
    })
    .await;
    assert_eq!(event_count().await, events);
    until_text("Read-only: sign in to create an application.").await;
    assert!(document()
        .query_selector("details.create")
        .unwrap()
        .is_none());
    until_text("Signed out · nothing syncs until someone signs in").await;
    assert!(control("Sign in to make changes")
        .await
        .has_attribute("href"));
    click("Kept").await;
    until_text("Read-only. Signed out: sign in to change it.").await;
    for change in ["Add product", "Change owner", "Delete application…"] {
        assert!(!has_control(change), "{change} is not offered signed out");
    }
}

#[wasm_bindgen_test]
async fn the_slider_shows_the_past_and_turns_commands_off() {
    let _app = fresh_app().await;
    let warnings = Warnings::capture();
    create_app("Early", "ada@example.com").await;
    let after_first = event_count().await;
    create_app("Late", "grace@example.com").await;
    let head = event_count().await;
    let both = ["Any", "ada@example.com", "grace@example.com"];
    eventually("both owners", || (owner_choices() == both).then_some(())).await;

    press("Home");
    eventually("the empty past", || listed_apps().is_empty().then_some(())).await;
    assert_eq!(slider_value(), "0");
    until_text("Changes are turned off in the past").await;
    let create = control("Create application").await;
    assert!(create.has_attribute("disabled"));

    for _ in 0..after_first {
        press("ArrowRight");
    }
    eventually("only the first app", || {
        (listed_apps() == ["Early"]).then_some(())
    })
    .await;
    assert_eq!(slider_value(), after_first.to_string());
    // The owner filter offers the owners of that moment, once the slider
    // rests.
    eventually("the owners then", || {
        (owner_choices() == ["Any", "ada@example.com"]).then_some(())
    })
    .await;

    press("PageUp");
    eventually("the head", || (listed_apps().len() == 2).then_some(())).await;
    assert_eq!(slider_value(), head.to_string());

    press("Home");
    until_text("Changes are turned off in the past").await;
    click("Live").await;
    eventually("both apps", || (listed_apps().len() == 2).then_some(())).await;
    assert!(!page_text().contains("Changes are turned off"));
    assert_eq!(warnings.seen(), Vec::<String>::new(), "the page warned");
}

#[wasm_bindgen_test]
async fn a_log_in_the_first_layout_is_moved_and_what_cannot_be_read_is_named() {
    let old = DemoGenerator::generate(DemoConfig::year(4, 40));
    let mut lines: Vec<String> = old.iter().map(portal_sync::codec::encode).collect();
    lines.insert(7, "{\"not\": \"an event\"}".into());
    let _app = app_over_schema_1(&lines).await;
    // Nothing is added to it here: what its processes owe since is the
    // server's processors' to write (ADR 30).
    until_text(&format!("{} events kept on this device.", old.len())).await;
    until_text("1 record in the older log format could not be read and was left in place").await;
    assert!(page_text().contains("missing field"), "{}", page_text());
}

#[wasm_bindgen_test]
async fn an_ndjson_file_with_a_bad_line_is_refused_whole_with_its_line_number() {
    let _app = fresh_app().await;
    let warnings = Warnings::capture();
    click("Data").await;
    import_file("{\"this is\": \"not an envelope\"}\n").await;
    let refusal = text_of(".refused").await;
    assert!(refusal.contains("Nothing was imported"), "{refusal}");
    assert!(refusal.contains("line 1"), "{refusal}");
    assert_eq!(event_count().await, 0);
    assert_eq!(warnings.seen(), Vec::<String>::new(), "the page warned");
}

/// Chooses a file holding `text` in the NDJSON import.
async fn import_file(text: &str) {
    let parts = js_sys::Array::of1(&text.into());
    let file = web_sys::File::new_with_str_sequence(&parts, "log.ndjson").unwrap();
    let transfer = web_sys::DataTransfer::new().unwrap();
    transfer.items().add_with_file(&file).unwrap();
    let input: web_sys::HtmlInputElement = control("Import NDJSON").await.unchecked_into();
    input.set_files(transfer.files().as_ref());
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    input
        .dispatch_event(&web_sys::Event::new_with_event_init_dict("change", &init).unwrap())
        .unwrap();
}

#[wasm_bindgen_test]
async fn an_imported_log_is_listed_a_page_at_a_time() {
    use portal_domain::demo::{DemoConfig, DemoGenerator};
    let _app = fresh_app().await;
    let log = DemoGenerator::generate(DemoConfig::year(3, 8_000));
    click("Data").await;
    import_file(&portal_sync::codec::encode_ndjson(&log)).await;
    until_text(&format!("Imported {} new events", log.len())).await;
    assert_eq!(event_count().await, log.len() as u64);

    click("Applications").await;
    let count = text_of("p.count").await;
    let total: usize = count
        .strip_prefix("Showing 50 of ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not paged: {count}"));
    assert_eq!(listed_apps().len(), 50);
    let more = eventually("a show-more button", || {
        let buttons = document().query_selector_all("section button").unwrap();
        (0..buttons.length())
            .filter_map(|i| buttons.item(i))
            .map(|b| b.unchecked_into::<web_sys::HtmlElement>())
            .find(|b| b.text_content().unwrap_or_default().starts_with("Show "))
    })
    .await;
    more.click();
    let expected = total.min(100);
    eventually("the next page", || {
        (listed_apps().len() == expected).then_some(())
    })
    .await;
}

#[wasm_bindgen_test]
async fn without_indexeddb_the_app_says_events_cannot_be_kept() {
    // As in a browser that blocks storage: `window.indexedDB` is null.
    let window: js_sys::Object = web_sys::window().unwrap().into();
    let original = js_sys::Object::get_own_property_descriptor(&window, &"indexedDB".into());
    let blocked = js_sys::Object::new();
    js_sys::Reflect::set(&blocked, &"value".into(), &wasm_bindgen::JsValue::NULL).unwrap();
    js_sys::Reflect::set(&blocked, &"configurable".into(), &true.into()).unwrap();
    js_sys::Object::define_property(&window, &"indexedDB".into(), &blocked);
    let _app = mount();
    let alert = text_of(".log-failed").await;
    js_sys::Object::define_property(&window, &"indexedDB".into(), &original.into());
    assert!(alert.contains("cannot be kept on this device"), "{alert}");
    assert!(alert.contains("private window"), "{alert}");
    let role = document()
        .query_selector(".log-failed")
        .unwrap()
        .unwrap()
        .get_attribute("role");
    assert_eq!(role.as_deref(), Some("alert"));
}

#[wasm_bindgen_test]
async fn a_removal_not_sent_yet_says_its_survey_will_be_sent_and_writes_no_process_event() {
    let _app = fresh_app().await;
    create_app("Foreseen", "ada@example.com").await;
    click("Foreseen").await;
    fill("API product to add", "maps").await;
    click("Add product").await;
    click("Remove maps").await;
    click("Confirm removal").await;
    until_text("No API products yet.").await;
    click("Surveys").await;
    until_text("Will be sent once your changes reach the server").await;
    until_text("Foreseen: to ada@example.com, why maps was removed").await;
    assert!(page_text().contains("No survey is waiting for an answer."));
    // Created (2), added (2), removed (2): the survey is the server's to
    // write (ADR 30).
    assert_eq!(event_count().await, 6);
}

/// In the demo, which never syncs, the processes run in the browser.
#[wasm_bindgen_test]
async fn in_the_demo_a_removal_brings_a_survey_the_owner_answers_and_analytics_count_it() {
    let _app = fresh_demo_app().await;
    let warnings = Warnings::capture();
    create_app("Survey Me", "you@demo.invalid").await;
    click("Survey Me").await;
    fill("API product to add", "maps").await;
    click("Add product").await;
    click("Remove maps").await;
    fill("Reason for removal", "switched vendor").await;
    click("Confirm removal").await;
    until_text("No API products yet.").await;

    click("Surveys").await;
    click("Answer the survey for Survey Me").await;
    choose("Rating", "4").await;
    fill("Comment", "fine, but pricey").await;
    click("Record answer").await;
    until_text("the answer was recorded").await;
    until_text("No survey is waiting for an answer.").await;

    click("Analytics").await;
    let funnel = text_of("section[aria-labelledby='report-survey-funnel-csv'] table").await;
    for stage in ["Added1", "Sent1", "Answered1"] {
        assert!(
            funnel.replace(' ', "").contains(stage),
            "{stage} in {funnel}"
        );
    }
    let reasons = text_of("section[aria-labelledby='report-removal-reasons-csv'] table").await;
    assert!(reasons.contains("switched vendor"), "{reasons}");
    control("Export CSV: Survey funnel").await;
    charts_read();
    assert_eq!(warnings.seen(), Vec::<String>::new(), "the page warned");
}

/// The analytics charts on the page read: each series its own colour (not
/// the default black), a legend naming them, a height that does not grow
/// with the data's span, and the figures in a table for screen readers.
fn charts_read() {
    let window = web_sys::window().unwrap();
    // The page the app ships in links this stylesheet; the test page does not.
    if document().get_element_by_id("app-style").is_none() {
        let style = document().create_element("style").unwrap();
        style.set_id("app-style");
        style.set_text_content(Some(include_str!("../style/main.css")));
        document().head().unwrap().append_child(&style).unwrap();
    }
    let fill = |selector: &str| {
        let bar = document()
            .query_selector(selector)
            .unwrap()
            .unwrap_or_else(|| panic!("a bar {selector}"));
        window
            .get_computed_style(&bar)
            .unwrap()
            .unwrap()
            .get_property_value("fill")
            .unwrap()
    };
    let (added, removed) = (fill("rect.bar.series-0"), fill("rect.bar.series-1"));
    assert_ne!(added, removed, "two series, two colours");
    for colour in [&added, &removed] {
        assert_ne!(colour, "rgb(0, 0, 0)", "a bar has a colour of its own");
    }
    let legend = texts("figure.chart .legend .key");
    assert_eq!(legend, ["added", "removed", "removals", "surveys"]);
    let charts = document().query_selector_all("figure.chart svg").unwrap();
    for i in 0..charts.length() {
        let svg: web_sys::Element = charts.item(i).unwrap().unchecked_into();
        let height = svg.client_height();
        assert!(height > 50 && height < 400, "a chart is {height} px tall");
    }
    let figures = texts("figure.chart table");
    assert!(
        figures
            .iter()
            .any(|t| t.contains("Survey funnel") && t.contains("Answered1")),
        "{figures:?}"
    );
}

#[wasm_bindgen_test]
fn value_axis_ticks_are_round_and_reach_the_largest_value() {
    use portal_ledger::pages::report::ticks;
    assert_eq!(ticks(0), [0, 1]);
    assert_eq!(ticks(3), [0, 1, 2, 3]);
    assert_eq!(ticks(10), [0, 5, 10]);
    assert_eq!(ticks(47), [0, 20, 40, 60]);
    assert_eq!(ticks(1234), [0, 500, 1000, 1500]);
    for max in [1, 7, 99, 100, 101, 5_555] {
        let t = ticks(max);
        assert!(*t.last().unwrap() >= max, "{max}: {t:?}");
        assert!(t.len() <= 7, "{max}: {t:?}");
    }
}

#[wasm_bindgen_test]
fn reports_export_as_csv_with_quoting() {
    use portal_ledger::pages::report::Report;
    let mut report = Report::new(vec!["Reason", "Removals"]);
    report.row(vec!["too \"expensive\", really".into(), "3".into()]);
    assert_eq!(
        report.to_csv(),
        "Reason,Removals\n\"too \"\"expensive\"\", really\",3\n"
    );
}

#[wasm_bindgen_test]
async fn two_marked_positions_are_compared() {
    let _app = fresh_app().await;
    let warnings = Warnings::capture();
    create_app("Before", "ada@example.com").await;
    let mark = event_count().await;
    create_app("After", "grace@example.com").await;
    press("Home");
    for _ in 0..mark {
        press("ArrowRight");
    }
    eventually("the mark's position", || {
        (slider_value() == mark.to_string()).then_some(())
    })
    .await;
    click("Mark this position").await;
    // Named by what it says.
    control(&format!("Marked {mark}")).await;
    let head = event_count().await;
    press("End");
    eventually("the head", || {
        (slider_value() == head.to_string()).then_some(())
    })
    .await;
    click("Compare with mark").await;
    let summary = text_of(".diff-summary").await;
    assert!(
        summary.contains(&format!("From event {mark} to event")),
        "{summary}"
    );
    assert!(summary.contains("1 application,"), "{summary}");
    let apps = text_of(".diff-apps").await;
    assert!(apps.contains("added") && apps.contains("After"), "{apps}");
    assert!(!apps.contains("Before"), "{apps}");
    let search = web_sys::window().unwrap().location().search().unwrap();
    assert!(search.contains(&format!("from={mark}")), "{search}");
    assert_eq!(warnings.seen(), Vec::<String>::new(), "the page warned");
}

/// Every test unmounts its app. What the app left running (the sync loop,
/// asleep between rounds) must end without touching what was disposed: a
/// panic in wasm is a trap that can leave the whole module unusable.
#[wasm_bindgen_test]
async fn an_unmounted_app_ends_its_work_without_a_panic() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static PANICKED: AtomicBool = AtomicBool::new(false);
    drop(fresh_app().await);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| PANICKED.store(true, Ordering::SeqCst)));
    // Mounted and unmounted at different moments of the sync loop's waits.
    for wait in [0, 30, 60, 90, 120] {
        let app = mount();
        text_of(".log-ready").await;
        sleep(wait).await;
        drop(app);
        sleep(50).await;
    }
    sleep(300).await;
    std::panic::set_hook(previous);
    assert!(
        !PANICKED.load(Ordering::SeqCst),
        "a task of the unmounted app panicked"
    );
}

#[wasm_bindgen_test]
fn each_date_form_matches_the_chrono_pattern_it_replaces() {
    use chrono::{DateTime, Utc};
    use portal_ledger::dates;
    let times = [
        "2026-03-01T09:05:07.123456Z",
        "0999-12-31T23:59:59Z",
        "2024-02-29T00:00:00Z",
        "+12345-01-01T00:00:00Z",
    ];
    for text in times {
        let at: DateTime<Utc> = text.parse().unwrap();
        assert_eq!(dates::day(at), at.format("%Y-%m-%d").to_string(), "{text}");
        assert_eq!(
            dates::minute(at),
            at.format("%Y-%m-%d %H:%M").to_string(),
            "{text}"
        );
        assert_eq!(
            dates::second(at),
            at.format("%Y-%m-%d %H:%M:%S").to_string(),
            "{text}"
        );
        assert_eq!(
            dates::clock(at),
            at.format("%H:%M:%S").to_string(),
            "{text}"
        );
    }
}

#[wasm_bindgen_test]
fn counts_read_in_groups_of_three_digits() {
    use portal_ledger::pages::grouped;
    assert_eq!(grouped(0), "0");
    assert_eq!(grouped(999), "999");
    assert_eq!(grouped(1_000), "1,000");
    assert_eq!(grouped(100_000), "100,000");
    assert_eq!(grouped(1_000_177), "1,000,177");
}
