//! A developer's and a product owner's day, end to end: the release build
//! served by the server on 127.0.0.1, driven in headless Chromium by the
//! names a person reads. Screenshots of each page go to
//! `target/e2e-artifacts/`.

use fantoccini::Locator;
use portal_domain::Role;
use portal_e2e::browser::Browser;
use portal_e2e::server::{serve, Someone, ADA};
use portal_e2e::workspace;

const HOME: &str = "\u{e011}";
const END: &str = "\u{e010}";
const RIGHT: &str = "\u{e014}";

/// The slider's position.
async fn slider(browser: &Browser) -> u64 {
    browser
        .property("input.slider", "value")
        .await
        .parse()
        .expect("the slider holds a number")
}

/// Moves the slider with its keys, as a keyboard user would, to `k`.
async fn slide_to(browser: &Browser, k: u64) {
    let handle = browser.control("Position in the log").await;
    handle.send_keys(HOME).await.expect("keys reach the slider");
    for _ in 0..k {
        handle
            .send_keys(RIGHT)
            .await
            .expect("keys reach the slider");
    }
    browser
        .until(&format!("the slider at {k}"), || async {
            (slider(browser).await == k).then_some(())
        })
        .await;
}

/// The status the API answers a pull with, for `token`.
async fn pull_status(base: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}/api/v1/pull?after=0"))
        .bearer_auth(token)
        .send()
        .await
        .expect("the server answers")
        .status()
        .as_u16()
}

/// On Settings, a token for a script: shown once, it opens the API as the
/// person until they revoke it, and then nothing.
async fn access_token_for_a_script(b: &Browser, base: &str) {
    b.until_text("No access token yet.").await;
    b.fill("Token name", "release script").await;
    b.click("Make token").await;
    let token = b
        .until("the token, shown once", || async {
            let value = b
                .property("input[aria-label='Access token']", "value")
                .await;
            value.starts_with("plp_").then_some(value)
        })
        .await;
    b.control("Revoke release script").await;
    b.screenshot("access-token").await;
    assert_eq!(
        pull_status(base, &token).await,
        200,
        "the token opens the API"
    );
    b.click("Revoke release script").await;
    b.until_text("Revoked release script: it opens nothing any more.")
        .await;
    b.until_text("No access token yet.").await;
    assert_eq!(
        pull_status(base, &token).await,
        401,
        "revoked, it opens nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_with_the_portal() {
    let served = serve(workspace().join("dist")).await;
    let grace = Someone::new("grace@example.com", "Grace", Role::Developer);
    served.add(&ADA).await;
    served.add(&grace).await;
    let artifacts = workspace().join("target/e2e-artifacts");
    let browser = Browser::start(&artifacts).await;
    let b = &browser;
    b.client.goto(&served.base).await.expect("the app loads");
    b.text_of(".log-ready").await;
    assert_eq!(
        b.event_count().await,
        0,
        "a fresh browser keeps nothing yet"
    );
    // Nobody signed in, the portal only reads (ADR 28): nothing to create,
    // nothing synced.
    b.until_text("Read-only: sign in to create an application.")
        .await;
    assert!(!b.shows_control("Create an application").await);
    b.until_text("Signed out · nothing syncs until someone signs in")
        .await;
    // Pages other than the list arrive on demand (ADR 17); the sync round
    // once someone is signed in, and the form that creates an application
    // when it is unfolded (ADR 20).
    let early = b.fetched("/split_").await;
    assert!(
        early.is_empty(),
        "no page's module is fetched before it opens: {early:?}"
    );
    b.sign_in(&ADA).await;
    access_token_for_a_script(b, &served.base).await;
    b.until(
        "the sync round's module, for a device that syncs",
        || async { (b.fetched("/split_sync-").await.len() == 1).then_some(()) },
    )
    .await;
    // The server sends the build's compressed copy of each file.
    let (sent, held) = b.transferred("_bg.wasm").await;
    eprintln!("the main module: {sent} bytes sent, {held} bytes decoded");
    assert!(sent * 2 < held, "the main module arrives compressed");
    b.click("Applications").await;

    // 1. An application with three products.
    assert!(b.fetched("/split_new_application-").await.is_empty());
    b.create_application("Checkout").await;
    assert_eq!(
        b.fetched("/split_new_application-").await.len(),
        1,
        "the form's module is fetched once it is unfolded"
    );
    b.screenshot("applications").await;
    b.click("Checkout").await;
    b.until_text("API products").await;
    for product in ["payments", "maps", "search"] {
        b.add_product(product).await;
    }

    // 2. One removed with a reason; the survey process answers.
    b.click("Remove maps").await;
    b.fill("Reason for removal", "moved to another vendor")
        .await;
    b.click("Confirm removal").await;
    b.until("maps to be gone", || async {
        let text = b.text_of("ul.products").await;
        (!text.contains("maps")).then_some(())
    })
    .await;
    // The server's processors add the survey and send it (ADR 30); this
    // device writes none of it.
    b.click("Surveys").await;
    b.control("Answer the survey for Checkout").await;
    b.screenshot("surveys").await;
    let log = b.export_log().await;
    let survey = log
        .iter()
        .find(|e| e.event_type().name() == "SURVEY_SENT")
        .expect("the survey is in the log");
    assert_eq!(survey.actor.as_str(), "process:feedback-surveys");
    assert!(
        log.iter()
            .filter(|e| e.actor.is_process())
            .all(|e| e.device != log[0].device),
        "the device wrote no process's event"
    );

    // From here, one device on its own: sync is paused (two devices
    // syncing have their own journey, tests/sync.rs). A removal made now
    // says what the server will send once the change reaches it.
    b.click("Settings").await;
    b.click("Sync automatically").await;
    b.click("Save settings").await;
    b.until_text("Sync paused").await;
    b.click("Applications").await;
    b.click("Checkout").await;
    b.add_product("sms").await;
    b.click("Remove sms").await;
    b.click("Confirm removal").await;
    b.click("Surveys").await;
    b.until_text("Will be sent once your changes reach the server")
        .await;
    b.until_text("Checkout: to ada@example.com, why sms was removed")
        .await;
    b.screenshot("surveys-foreseen").await;
    b.client.back().await.expect("back to the application");
    b.until_text("Owner and plan").await;

    // 3. Owner and plan.
    // An admin hands it over to anyone of the workspace, picked by name.
    b.choose("New owner", "Grace (grace@example.com)").await;
    b.click("Change owner").await;
    b.until_text("Owned by Grace (grace@example.com)").await;
    b.click("Move to the paid plan").await;
    b.until_text("on the paid plan").await;

    // 4. A second credential, its secret shown once; one revoked.
    b.fill("New credential expiry in days", "30").await;
    b.click("Generate credential").await;
    let secret = b
        .until("the secret", || async {
            let value = b
                .property("input[aria-label='Credential secret']", "value")
                .await;
            value.starts_with("plk_").then_some(value)
        })
        .await;
    let revoke = b
        .client
        .find(Locator::Css("table.credentials button"))
        .await
        .expect("a credential to revoke");
    revoke.click().await.expect("revoke");
    b.until_text("revoked").await;
    b.screenshot("application").await;

    // 5. Deleted, after a confirmation.
    let before_delete = b.event_count().await;
    b.click("Delete application…").await;
    b.click("Yes, delete it").await;
    b.until_text("deleted ·").await;

    // 6. A reload shows the same state, from the browser's own store; the
    // secret is gone for good.
    b.client.refresh().await.expect("reload");
    b.until_text("deleted ·").await;
    assert!(!b.page_text().await.contains(&secret));
    let head = b.event_count().await;

    // 7. Back before the deletion: alive, with its products as they were.
    slide_to(b, before_delete).await;
    b.until_text("active ·").await;
    let products = b.text_of("ul.products").await;
    assert!(
        products.contains("payments") && products.contains("search"),
        "{products}"
    );
    assert!(!products.contains("maps"), "{products}");
    b.until_text("Changes are turned off in the past").await;
    b.screenshot("time-travel").await;

    // 8. From a timeline event to its position.
    b.click("Timeline").await;
    let first = b
        .until("an event in the timeline", || async {
            b.client.find(Locator::Css("button.event")).await.ok()
        })
        .await;
    // Rows say what each event is about in words: the application, and
    // the product it added or removed.
    let rows = b.text_of(".timeline .rows").await;
    for about in ["Checkout · maps", "Checkout · sms"] {
        assert!(rows.contains(about), "{about:?} in {rows}");
    }
    // Named by what it shows: "Event 12 APPLICATION_INSERT Checkout …".
    let label = first.text().await.unwrap_or_default();
    let position: u64 = label
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no position in {label:?}"));
    first.click().await.expect("the event opens");
    b.click("Jump to this event").await;
    b.until("the slider at the event", || async {
        (slider(b).await == position).then_some(())
    })
    .await;
    b.screenshot("timeline").await;
    // Filtered by an application's name, typed as a person remembers it:
    // the field then shows the name as the log has it.
    b.fill("Application", "checkout").await;
    b.until("the filter to name Checkout", || async {
        let value = b.property("input[aria-label='Application']", "value").await;
        (value == "Checkout").then_some(())
    })
    .await;
    let count = b.text_of(".timeline p.count").await;
    assert!(!count.starts_with("0 events"), "{count}");
    b.fill("Application", "Nowhere").await;
    b.until_text("0 events · no application is named “Nowhere”")
        .await;
    b.fill("Application", "").await;
    b.until("every event again", || async {
        let count = b.text_of(".timeline p.count").await;
        (!count.contains("no application")).then_some(())
    })
    .await;

    // By product, whatever its case: maps was added, removed, and asked
    // about in a survey. Actors by name: people as the workspace lists
    // them, processes by what they do.
    let count_is = |wanted: String| async move {
        b.until(&format!("the timeline to count {wanted:?}"), || async {
            (b.text_of(".timeline p.count").await == wanted).then_some(())
        })
        .await
    };
    // Suggested: every product ever added, removed ones too.
    let mut suggested = Vec::new();
    for option in b
        .client
        .find_all(Locator::Css("datalist#timeline-products option"))
        .await
        .expect("the product suggestions")
    {
        suggested.push(
            option
                .attr("value")
                .await
                .ok()
                .flatten()
                .unwrap_or_default(),
        );
    }
    for product in ["maps", "payments", "search", "sms"] {
        assert!(
            suggested.iter().any(|s| s == product),
            "{product} in {suggested:?}"
        );
    }
    b.fill("Product", "MAPS").await;
    count_is("3 events".to_owned()).await;
    let rows = b.text_of(".timeline .rows").await;
    for said in ["Ada", "Feedback surveys (process)"] {
        assert!(rows.contains(said), "{said:?} in {rows}");
    }
    assert!(!rows.contains("ada@example.com"), "{rows}");
    // The removal's causation graph: the command's events, and under the
    // removal what the survey process did because of it.
    let removal = b
        .until("the removal's row", || async {
            for row in b.client.find_all(Locator::Css("button.event")).await.ok()? {
                let text = row.text().await.ok()?;
                if text.contains("REMOVE_API_PRODUCT_FROM_APPLICATION") {
                    return Some(row);
                }
            }
            None
        })
        .await;
    removal.click().await.expect("the removal opens");
    let graph = b.text_of(".event-detail figure.causation").await;
    for said in [
        "REMOVE_API_PRODUCT_FROM_APPLICATION",
        "SURVEY_ADDED",
        "SURVEY_SENT",
        "Feedback surveys (process)",
        "Ada",
    ] {
        assert!(graph.contains(said), "{said:?} in the graph: {graph}");
    }
    let described = b
        .property(".event-detail figure.causation svg", "ariaLabel")
        .await;
    assert!(
        described.contains("decided by the command") && described.contains("followed from them"),
        "{described}"
    );
    b.scroll_to(".event-detail figure.causation").await;
    b.screenshot("causation-graph").await;
    b.click("Close").await;
    b.fill("Product", "").await;
    // By owner, typed as a name: Checkout is Grace's now, so her events
    // are Checkout's.
    b.fill("Application", "Checkout").await;
    let checkout = b
        .until("Checkout's count", || async {
            let count = b.text_of(".timeline p.count").await;
            (!count.contains("no application")).then_some(count)
        })
        .await;
    b.fill("Application", "").await;
    b.fill("Owner", "grace").await;
    b.until("the owner filter to name Grace", || async {
        let value = b.property("input[aria-label='Owner']", "value").await;
        (value == "Grace").then_some(())
    })
    .await;
    count_is(checkout).await;
    b.fill("Owner", "").await;

    // An application's history line moves the slider to its moment.
    b.click("Applications").await;
    b.click("Checkout").await;
    let line = b
        .until("a history line", || async {
            let lines = b
                .client
                .find_all(Locator::Css("ol.history button.moment"))
                .await
                .ok()?;
            lines.into_iter().last()
        })
        .await;
    let label = line.text().await.unwrap_or_default();
    let moment: u64 = label
        .trim_start_matches('#')
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no position in {label:?}"));
    line.click().await.expect("the line is a button");
    b.until("the slider at the history line's event", || async {
        (slider(b).await == moment).then_some(())
    })
    .await;
    slide_to(b, position).await;

    // 9. The difference between two positions.
    b.click("Mark this position").await;
    let handle = b.control("Position in the log").await;
    handle.send_keys(END).await.expect("keys reach the slider");
    b.until("the head", || async {
        (slider(b).await == head).then_some(())
    })
    .await;
    b.click("Compare with mark").await;
    let summary = b.text_of(".diff-summary").await;
    assert!(
        summary.contains(&format!("From event {position} to event {head}")),
        "{summary}"
    );
    b.screenshot("diff").await;

    // Removals by product and by owner, with the reasons given; the owner
    // is the one the application had then (Checkout was Ada's when it lost
    // maps and sms, and is Grace's now).
    b.click("Analytics").await;
    let report_lists = |file: &'static str, wanted: &'static [&'static str]| async move {
        let css = format!("section[aria-labelledby='report-{file}']");
        b.until(&format!("{file} to list {wanted:?}"), || async {
            let text = b.text_of(&css).await;
            wanted.iter().all(|w| text.contains(w)).then_some(text)
        })
        .await
    };
    let by_owner = report_lists(
        "removals-by-owner-csv",
        &[
            "Ada",
            "maps",
            "moved to another vendor",
            "sms",
            "(no reason given)",
        ],
    )
    .await;
    assert!(!by_owner.contains("Grace"), "{by_owner}");
    // The handover, by name: from Ada to Grace, by Ada.
    let handed = report_lists("owner-changes-csv", &["Checkout", "Ada", "Grace"]).await;
    assert!(!handed.contains("@example.com"), "{handed}");
    report_lists(
        "removals-by-product-csv",
        &[
            "maps",
            "\u{201c}moved to another vendor\u{201d} (1)",
            "sms",
            "no reason given (1)",
        ],
    )
    .await;
    b.scroll_to("section[aria-labelledby='report-removals-by-product-csv']")
        .await;
    b.screenshot("analytics-removals").await;

    // The products, each with a page: who uses it now, how often it was
    // added and removed, the reasons given, and its events in the timeline.
    b.click("Products").await;
    b.until_text("API products").await;
    b.click("maps").await;
    b.until_text("Used by 0 applications now · added once · removed once")
        .await;
    let reasons = b.text_of("ul.reasons").await;
    assert!(
        reasons.contains("\u{201c}moved to another vendor\u{201d}: 1"),
        "{reasons}"
    );
    b.screenshot("product").await;
    b.click("Every event about it in the timeline").await;
    count_is("3 events".to_owned()).await;
    assert_eq!(
        b.property("input[aria-label='Product']", "value").await,
        "maps"
    );

    // 10. The demo, in a workspace of its own (ADR 29), and the analytics
    // charts (the slider is at the head again: live).
    let own = b.event_count().await;
    b.click("Data").await;
    b.choose("Size of the demo", "100,000 events").await;
    b.click("Open the demo").await;
    // About as many as asked for: a command's events are never cut in two.
    b.until_text("made-up events.").await;
    let demo = b.event_count().await;
    assert!((100_000..101_000).contains(&demo), "{demo} demo events");
    b.until_text("Demo workspace · nothing here is sent to the server")
        .await;
    b.click("Analytics").await;
    b.until_text("Upsell targets").await;
    assert_eq!(
        b.fetched("/split_analytics-").await.len(),
        1,
        "the analytics page's module is fetched once it opens"
    );
    let charts = b
        .client
        .find_all(Locator::Css("figure.chart svg rect"))
        .await
        .expect("charts");
    assert!(!charts.is_empty(), "the charts have bars");
    let upsell = b
        .text_of("section[aria-labelledby='report-upsell-targets-csv']")
        .await;
    b.screenshot("analytics").await;
    b.scroll_to("figure.chart").await;
    b.screenshot("analytics-chart").await;
    // The made-up year compared with half a year ago: the day picked shows
    // beside the slider's position, with the change.
    let half_a_year_ago = (chrono::Utc::now() - chrono::Duration::days(182))
        .date_naive()
        .to_string();
    b.client
        .execute(
            "const day = document.querySelector(\"input[aria-label='Compare with the portal on']\");\
             day.value = arguments[0];\
             day.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![half_a_year_ago.clone().into()],
        )
        .await
        .expect("a day is picked");
    let figures = b
        .until("the figures compared", || async {
            let text = b.text_of("table[aria-label='Key figures']").await;
            text.contains(&format!("On {half_a_year_ago}"))
                .then_some(text)
        })
        .await;
    let removed: Vec<String> = figures
        .lines()
        .find(|l| l.starts_with("Products removed, ever"))
        .unwrap_or_else(|| panic!("no removals in {figures}"))
        .split_whitespace()
        .rev()
        .take(3)
        .map(|n| n.replace(',', ""))
        .collect();
    let (then, now): (u64, u64) = (
        removed[2].parse().expect("a count then"),
        removed[1].parse().expect("a count now"),
    );
    assert!(then < now, "removals only grow: {figures}");
    assert_eq!(removed[0], format!("+{}", now - then), "{figures}");
    b.text_of("section[aria-labelledby='report-adoption-compared-csv'] table")
        .await;
    // Per product, the removals then and now add up to the key figures.
    let per_product = b
        .text_of("section[aria-labelledby='report-removals-compared-csv'] table tbody")
        .await;
    let (mut then_sum, mut now_sum) = (0u64, 0u64);
    for row in per_product.lines() {
        let counts = row
            .strip_suffix("no change")
            .unwrap_or_else(|| row.rsplit_once(' ').map_or(row, |(head, _)| head));
        let mut numbers = counts
            .split_whitespace()
            .rev()
            .map(|n| n.replace(',', "").parse::<u64>().expect("a count"));
        now_sum += numbers.next().expect("a count now");
        then_sum += numbers.next().expect("a count then");
    }
    assert_eq!((then_sum, now_sum), (then, now), "{per_product}");
    let answers = b
        .text_of("section[aria-labelledby='report-answers-compared-csv'] table")
        .await;
    assert!(answers.contains("Survey answers by now"), "{answers}");
    b.scroll_to("section.figures").await;
    b.screenshot("analytics-compared").await;

    // 11. Exported, imported into an emptied log: the same state.
    b.click("Data").await;
    let file = b.downloads.join("portal-ledger.ndjson");
    // An earlier export (of the own log) is not this one.
    let _ = std::fs::remove_file(&file);
    b.click("Export the log (NDJSON)").await;
    b.until("the export to be saved", || async {
        let complete = file.exists()
            && std::fs::metadata(&file).is_ok_and(|m| m.len() > 0)
            && !b.downloads.join("portal-ledger.ndjson.crdownload").exists();
        complete.then_some(())
    })
    .await;
    let lines = std::fs::read_to_string(&file)
        .expect("the export reads")
        .lines()
        .count();
    assert_eq!(lines as u64, demo, "one line per event");
    b.click("Reset local data…").await;
    b.click("Yes, delete everything").await;
    b.until_text("The demo's events were deleted.").await;
    assert_eq!(b.event_count().await, 0);
    let input = b.control("Import NDJSON").await;
    input
        .send_keys(&file.display().to_string())
        .await
        .expect("the file is chosen");
    b.until_text(&format!("Imported {demo} new events")).await;
    b.screenshot("data").await;
    assert_eq!(b.event_count().await, demo);
    b.click("Analytics").await;
    let again = b
        .text_of("section[aria-labelledby='report-upsell-targets-csv']")
        .await;
    assert_eq!(again, upsell, "the same analytics after the round trip");

    // 12. Leaving the demo deletes it; the person's own log is as it was.
    b.click("Leave the demo").await;
    // Still Ada, with sync as she left it (Checkout was deleted, so the
    // list is empty).
    b.until_text("Sync paused").await;
    b.until_text("Ada · Admin").await;
    b.until("the own log, opened again", || async {
        (b.event_count().await == own).then_some(())
    })
    .await;
    assert!(!b.page_text().await.contains("Demo workspace"));
}

/// The pages a signed-in admin walks through, each with what shows it has
/// drawn: its link in the navigation and a text of the page.
const PAGES: [(&str, &str); 9] = [
    ("Applications", "Filter by status"),
    ("Timeline", "Timeline"),
    ("Analytics", "Upsell targets"),
    ("Surveys", "Feedback surveys"),
    ("Products", "Average survey rating"),
    ("Campaigns", "Campaigns, the latest first"),
    ("Data", "Data on this device"),
    ("Conflicts", "Crossed changes"),
    ("Settings", "Appearance"),
];

/// Every page, on a phone's width and a wide screen, in the light and the
/// dark theme (picked on Settings, and kept over a reload): nothing is
/// wider than the window (a wide table scrolls inside itself), the dark
/// theme is dark, and axe-core finds nothing serious (contrast, names,
/// landmarks) in either theme. Screenshots of each go to
/// `target/e2e-artifacts/looks/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_a_phone_and_a_wide_screen_in_both_themes() {
    let served = serve(workspace().join("dist")).await;
    let total = served.preload(5, 2_000).await;
    served.add(&ADA).await;
    let artifacts = workspace().join("target/e2e-artifacts/looks");
    let b = &Browser::start(&artifacts).await;
    b.client.goto(&served.base).await.expect("the app loads");
    b.sign_in(&ADA).await;
    b.until_event_count("the shared history", total).await;
    let background = || async {
        b.client
            .execute(
                "return getComputedStyle(document.documentElement).backgroundColor",
                vec![],
            )
            .await
            .expect("the page answers")
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let mut audit: Vec<String> = Vec::new();
    for theme in ["Light", "Dark"] {
        b.click("Settings").await;
        b.choose("Theme", theme).await;
        b.client.refresh().await.expect("the page reloads");
        b.until_text("Appearance").await;
        let bg = background().await;
        assert_eq!(
            bg == "rgb(21, 23, 28)",
            theme == "Dark",
            "{theme} is kept over a reload: {bg}"
        );
        for (width, height) in [(390, 844), (1280, 800)] {
            b.client
                .set_window_size(width, height)
                .await
                .expect("the window resizes");
            for (link, drawn) in PAGES {
                b.click(link).await;
                b.until_text(drawn).await;
                let overflow = b
                    .client
                    .execute(
                        "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                        vec![],
                    )
                    .await
                    .expect("the page answers")
                    .as_i64()
                    .unwrap_or(0);
                let name = format!("{}-{}-{width}", link.to_lowercase(), theme.to_lowercase());
                b.screenshot(&name).await;
                assert!(
                    overflow <= 1,
                    "{link} is {overflow} px wider than a {width} px window ({theme})"
                );
                if width == 1280 {
                    let found = portal_e2e::axe::serious_violations(b).await;
                    audit.extend(found.iter().map(|v| format!("{link} ({theme}): {v}")));
                }
            }
            if width == 1280 {
                // An application's own page, with its products and history.
                b.click("Applications").await;
                let first = b.text_of("table tbody tr td a").await;
                b.click(&first).await;
                b.until_text("History").await;
                let found = portal_e2e::axe::serious_violations(b).await;
                audit.extend(found.iter().map(|v| format!("{first} ({theme}): {v}")));
                // A product's page, with its users, chart and reasons.
                b.click("Products").await;
                let product = b.text_of(".products table tbody tr td a").await;
                b.click(&product).await;
                b.until_text("Applications using it").await;
                b.screenshot(&format!("product-{}", theme.to_lowercase()))
                    .await;
                let found = portal_e2e::axe::serious_violations(b).await;
                audit.extend(found.iter().map(|v| format!("{product} ({theme}): {v}")));
            }
        }
    }
    assert!(
        audit.is_empty(),
        "axe-core finds serious violations:\n{}",
        audit.join("\n")
    );
}

/// Every business process from the keyboard alone, as a person who uses no
/// pointer: Tab to a control, Enter to act, typing into fields, arrows on
/// the slider. Sign in, create, add, remove with a reason, answer the
/// survey that follows, hand over, change the plan, generate and revoke a
/// credential, travel back and return, delete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_business_process_works_from_the_keyboard_alone() {
    use portal_e2e::keyboard::{END, ENTER, LEFT};
    let served = serve(workspace().join("dist")).await;
    let grace = Someone::new("grace@example.com", "Grace", Role::Developer);
    served.add(&ADA).await;
    served.add(&grace).await;
    let b = &Browser::start(&workspace().join("target/e2e-artifacts/keyboard")).await;
    b.client.goto(&served.base).await.expect("the app loads");
    b.text_of(".log-ready").await;

    b.activate("Settings").await;
    b.type_into("Email", ADA.email).await;
    b.type_into("Password", &ADA.password()).await;
    b.activate("Sign in").await;
    b.until_text("Signed in as Ada.").await;

    // Create.
    b.activate("Applications").await;
    b.activate("Create an application").await;
    b.type_into("Application name", "Keyboard").await;
    b.activate("Create application").await;
    b.until_text("Application created.").await;
    b.activate("Keyboard").await;
    b.until_text("API products").await;

    // Add, submitting the form with Enter in its field.
    for product in ["payments", "maps"] {
        b.type_into("API product to add", product).await;
        b.press(ENTER).await;
        b.control(&format!("Remove {product}")).await;
    }

    // Remove, with a reason.
    b.activate("Remove maps").await;
    b.type_into("Reason for removal", "too slow for us").await;
    b.activate("Confirm removal").await;
    b.until("maps to be gone", || async {
        let text = b.text_of("ul.products").await;
        (!text.contains("maps")).then_some(())
    })
    .await;

    // Owner and plan: the picker takes the typed start of a name.
    b.tab_to("New owner").await;
    b.press("Grace").await;
    b.activate("Change owner").await;
    b.until_text("Owned by Grace (grace@example.com)").await;
    b.activate("Move to the paid plan").await;
    b.until_text("on the paid plan").await;

    // A credential generated, and one revoked.
    b.type_into("New credential expiry in days", "30").await;
    b.activate("Generate credential").await;
    b.until("the secret", || async {
        let value = b
            .property("input[aria-label='Credential secret']", "value")
            .await;
        value.starts_with("plk_").then_some(())
    })
    .await;
    let revoke = b
        .client
        .find(Locator::Css("table.credentials button"))
        .await
        .expect("a credential to revoke")
        .attr("aria-label")
        .await
        .expect("the page answers")
        .expect("the button is named");
    b.activate(&revoke).await;
    b.until_text("revoked").await;

    // The slider: one step back is the past, End is live again.
    let head = b.event_count().await;
    b.tab_to("Position in the log").await;
    b.press(LEFT).await;
    b.until("the slider one step back", || async {
        (slider(b).await == head - 1).then_some(())
    })
    .await;
    b.until_text("Changes are turned off in the past").await;
    b.press(END).await;
    b.until("the slider at the head", || async {
        (slider(b).await == head).then_some(())
    })
    .await;
    b.until("changes to be on again", || async {
        (!b.page_text()
            .await
            .contains("Changes are turned off in the past"))
        .then_some(())
    })
    .await;

    // The survey the removal started, answered.
    b.activate("Surveys").await;
    b.activate("Answer the survey for Keyboard").await;
    b.tab_to("Rating").await;
    b.press("4").await;
    b.type_into("Comment", "the search is good").await;
    b.activate("Record answer").await;
    b.until_text("Thank you: the answer was recorded.").await;

    // Deleted, after the confirmation.
    b.activate("Applications").await;
    b.activate("Keyboard").await;
    b.activate("Delete application…").await;
    b.activate("Yes, delete it").await;
    b.until_text("deleted ·").await;
    b.screenshot("deleted").await;

    // Each step is in the log as the pointer would have left it.
    let log = b.export_log().await;
    for wanted in [
        "APPLICATION_INSERT",
        "ADD_API_PRODUCT_TO_APPLICATION",
        "REMOVE_API_PRODUCT_FROM_APPLICATION",
        "APPLICATION_OWNER_CHANGED",
        "SUBSCRIPTION_PLAN_CHANGED",
        "CREDENTIAL_REVOKED",
        "SURVEY_FEEDBACK_RECORDED",
        "APPLICATION_DELETED",
    ] {
        assert!(
            log.iter().any(|e| e.event_type().name() == wanted),
            "{wanted} is in the log"
        );
    }
}
