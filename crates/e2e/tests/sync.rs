//! Two devices, one history: two separate headless Chromium profiles on
//! the release build, syncing through one server. One device's change
//! reaches the other; a change made while out of touch that no longer
//! holds is shown as a conflict, with why, and applied nowhere.

use portal_domain::Role;
use portal_e2e::browser::Browser;
use portal_e2e::history;
use portal_e2e::server::{serve, serve_json_only, Served, Someone, ADA};
use portal_e2e::workspace;

async fn sent_everything(b: &Browser) {
    b.until("everything to be sent", || async {
        let status = b.text_of("p.sync-status").await;
        (status.contains("everything sent") && status.contains("last sync")).then_some(())
    })
    .await;
}

async fn set_sync(b: &Browser, on: bool) {
    b.click("Settings").await;
    let checkbox = b.control("Sync automatically").await;
    if checkbox.is_selected().await.unwrap_or(on) != on {
        checkbox.click().await.expect("the checkbox toggles");
    }
    b.click("Save settings").await;
    b.until_text("Saved.").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_share_one_history_and_a_conflict_is_shown() {
    let served = serve(workspace().join("dist")).await;
    let bob_admin = Someone::new("bob@example.com", "Bob", Role::Admin);
    served.add(&ADA).await;
    served.add(&bob_admin).await;
    let artifacts = workspace().join("target/e2e-artifacts/sync");
    let (ada_dir, bob_dir) = (artifacts.join("ada"), artifacts.join("bob"));
    let (ada, bob) = tokio::join!(Browser::start(&ada_dir), Browser::start(&bob_dir));
    for (b, who) in [(&ada, &ADA), (&bob, &bob_admin)] {
        b.client.goto(&served.base).await.expect("the app loads");
        b.text_of(".log-ready").await;
        b.sign_in(who).await;
        b.click("Applications").await;
    }

    // Ada creates an application; it reaches the server and then Bob.
    ada.create_application("Checkout").await;
    sent_everything(&ada).await;
    bob.until_text("Checkout").await;
    let shared = ada.event_count().await;
    assert_eq!(bob.event_count().await, shared, "the same history");

    // Bob goes out of touch; meanwhile Ada deletes the application.
    set_sync(&bob, false).await;
    ada.click("Checkout").await;
    ada.click("Delete application…").await;
    ada.click("Yes, delete it").await;
    ada.until_text("deleted ·").await;
    sent_everything(&ada).await;

    // Bob, who has not heard, adds a product to it.
    bob.client
        .goto(&format!("{}/applications", served.base))
        .await
        .expect("the list loads");
    bob.click("Checkout").await;
    bob.add_product("maps").await;
    bob.until_text("2 events to send").await;

    // Back in touch: Bob's change no longer holds. It is shown, with why,
    // and applied nowhere.
    set_sync(&bob, true).await;
    bob.until_text("Conflicts (2)").await;
    bob.click("Conflicts (2)").await;
    let conflicts = bob.text_of("table.conflicts").await;
    assert!(
        conflicts.contains("ADD_API_PRODUCT_TO_APPLICATION"),
        "{conflicts}"
    );
    assert!(
        conflicts.contains("another device changed this first"),
        "{conflicts}"
    );
    assert!(conflicts.contains("deleted"), "{conflicts}");
    assert!(
        conflicts.contains("Checkout"),
        "the application is named: {conflicts}"
    );
    bob.screenshot("conflicts").await;
    sent_everything(&bob).await;
    ada.client.refresh().await.expect("Ada reloads");
    sent_everything(&ada).await;
    assert_eq!(
        bob.event_count().await,
        ada.event_count().await,
        "both devices count the same history"
    );
    let ada_text = ada.page_text().await;
    assert!(!ada_text.contains("Conflicts ("), "Ada had no conflict");

    // Bob, out of touch, deletes Billing while Ada adds a product to it.
    // Back in touch, his delete is decided again after her change, still
    // holds, and is applied: he is told the two crossed, with both.
    ada.click("Applications").await;
    ada.create_application("Billing").await;
    sent_everything(&ada).await;
    bob.click("Applications").await;
    bob.until_text("Billing").await;
    set_sync(&bob, false).await;
    ada.click("Applications").await;
    ada.click("Billing").await;
    ada.add_product("maps").await;
    sent_everything(&ada).await;
    bob.click("Applications").await;
    bob.click("Billing").await;
    bob.click("Delete application…").await;
    bob.click("Yes, delete it").await;
    bob.until_text("deleted ·").await;
    set_sync(&bob, true).await;
    // Two events refused before, and now one change crossed.
    bob.click("Conflicts (3)").await;
    let crossed = bob.text_of("table.crossed").await;
    for said in [
        "Billing",
        "APPLICATION_DELETED by bob@example.com",
        "ADD_API_PRODUCT_TO_APPLICATION by ada@example.com",
    ] {
        assert!(crossed.contains(said), "{said} in {crossed}");
    }
    bob.screenshot("crossed").await;
    sent_everything(&bob).await;
    // Ada sees the application deleted, after her change.
    ada.until_text("deleted ·").await;

    // A third, fresh browser pulls everything, and shows the same screen.
    let carol_developer = Someone::new("carol@example.com", "Carol", Role::Developer);
    served.add(&carol_developer).await;
    let carol = Browser::start(&artifacts.join("carol")).await;
    carol
        .client
        .goto(&served.base)
        .await
        .expect("the app loads");
    carol.sign_in(&carol_developer).await;
    let counted = ada.event_count().await;
    carol
        .until_event_count("the fresh browser to pull everything", counted)
        .await;
    // Ada is still on the application's page.
    ada.until_text("deleted ·").await;
    let page = ada.client.current_url().await.expect("a URL").to_string();
    carol
        .client
        .goto(&page)
        .await
        .expect("the application loads");
    carol.until_text("deleted ·").await;
    assert!(!carol.page_text().await.contains("Conflicts ("));
}

/// People on three browser profiles sign in on the Settings page, and the
/// header names them; signing out and in work with the network gone and
/// back. Ada's application is hers: Bob sees it without the
/// controls to change it. Ada changes it offline while an admin hands it
/// over to Bob; back online, her change is refused by the server as not
/// hers any more, shown in her Conflicts with why, and not on the server,
/// while Bob can now change it. Signed out, a device changes and sends
/// nothing (ADR 28); someone else signs in only once the last person's
/// changes are sent, or says to send them to be refused (ADR 27).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_sign_in_and_a_change_to_an_application_handed_over_meanwhile_is_refused() {
    let mut served = serve(workspace().join("dist")).await;
    let people = [
        ("ada@example.com", "Ada", Role::Developer),
        ("bob@example.com", "Bob", Role::Developer),
        ("root@example.com", "Root", Role::Admin),
    ];
    let pat = ("pat@example.com", "Pat", Role::ProductOwner);
    for (email, name, role) in people.into_iter().chain([pat]) {
        let password = format!("{name}'s long password");
        served.add_person(email, name, role, &password).await;
    }
    let artifacts = workspace().join("target/e2e-artifacts/people");
    let dirs = [
        artifacts.join("ada"),
        artifacts.join("bob"),
        artifacts.join("root"),
    ];
    let (ada, bob, root) = tokio::join!(
        Browser::start(&dirs[0]),
        Browser::start(&dirs[1]),
        Browser::start(&dirs[2])
    );
    for (b, (email, name, role)) in [&ada, &bob, &root].into_iter().zip(people) {
        b.client.goto(&served.base).await.expect("the app loads");
        b.text_of(".log-ready").await;
        b.click("Settings").await;
        b.fill("Email", email).await;
        b.fill("Password", "not the password").await;
        b.click("Sign in").await;
        b.until_text("The email or the password is not right.")
            .await;
        b.fill("Password", &format!("{name}'s long password")).await;
        b.click("Sign in").await;
        b.until_text(&format!("Signed in as {name}.")).await;
        let header = b.text_of("header .identity").await;
        assert!(
            header.contains(name) && header.contains(role.label()),
            "{header}"
        );
        assert!(!b.page_text().await.contains("Acting as"));
    }
    ada.screenshot("signed-in").await;

    ada.click("Applications").await;
    ada.create_application("Checkout").await;
    sent_everything(&ada).await;
    ada.click("Checkout").await;
    ada.control("API product to add").await;
    let checkout = ada.client.current_url().await.expect("a URL").to_string();
    for b in [&bob, &root] {
        b.client
            .goto(&format!("{}/applications", served.base))
            .await
            .expect("the list loads");
        b.click("Checkout").await;
    }
    // Bob may not change it, and is not offered to.
    bob.until_text("Read-only.").await;
    assert!(bob.page_text().await.contains("belongs to ada@example.com"));
    assert!(!bob.shows_control("Add product").await);
    assert!(!bob.shows_control("Delete application…").await);
    bob.screenshot("read-only").await;

    // Ada, out of touch, adds a product; meanwhile the admin hands the
    // application over to Bob.
    set_sync(&ada, false).await;
    ada.client
        .goto(&checkout)
        .await
        .expect("the application loads");
    ada.add_product("maps").await;
    // Signed in, the new owner is picked from the workspace's people.
    root.choose("New owner", "Bob (bob@example.com)").await;
    root.screenshot("owner-picker").await;
    root.click("Change owner").await;
    root.until_text("bob@example.com").await;
    sent_everything(&root).await;

    // Back in touch: Ada's change is hers no more.
    set_sync(&ada, true).await;
    ada.until_text("Conflicts (2)").await;
    ada.click("Conflicts (2)").await;
    let conflicts = ada.text_of("table.conflicts").await;
    assert!(conflicts.contains("not yours"), "{conflicts}");
    assert!(conflicts.contains("bob@example.com"), "{conflicts}");
    ada.screenshot("not-yours").await;
    sent_everything(&ada).await;
    let on_server = served.pull_all().await;
    assert!(
        !on_server
            .iter()
            .any(|e| e.event_type().name() == "ADD_API_PRODUCT_TO_APPLICATION"),
        "nothing of Ada's refused change is stored"
    );

    // Bob now may: the controls are there.
    bob.client
        .goto(&checkout)
        .await
        .expect("the application loads");
    bob.add_product("search").await;
    sent_everything(&bob).await;

    // Bob changes it out of touch, and signs out: his change waits, and
    // Pat cannot sign in on this device until it is sent (ADR 27).
    set_sync(&bob, false).await;
    bob.client
        .goto(&checkout)
        .await
        .expect("the application loads");
    bob.add_product("maps").await;
    bob.click("Settings").await;
    bob.click("Sign out").await;
    bob.until_text("Signed out.").await;
    bob.until_text("Signed out · nothing syncs until someone signs in · 2 events to send")
        .await;
    bob.click("Applications").await;
    bob.until_text("Read-only: sign in to create an application.")
        .await;
    bob.click("Checkout").await;
    bob.until_text("Read-only. Signed out: sign in to change it.")
        .await;
    assert!(!bob.shows_control("Add product").await);
    bob.click("Settings").await;
    bob.fill("Email", pat.0).await;
    bob.fill("Password", "Pat's long password").await;
    bob.click("Sign in").await;
    bob.until_text("This device holds changes by bob@example.com that are not sent yet.")
        .await;
    bob.fill("Email", "bob@example.com").await;
    bob.fill("Password", "Bob's long password").await;
    bob.click("Sign in").await;
    bob.until_text("Signed in as Bob.").await;
    set_sync(&bob, true).await;
    sent_everything(&bob).await;
    assert!(
        served
            .pull_all()
            .await
            .iter()
            .any(|e| e.actor.as_str() == "bob@example.com"),
        "Bob's change went out as his"
    );
    // With the network gone, signing out still works (the session is
    // forgotten here), and signing in says it must wait; back, it works.
    // Bob leaves one more change unsent, and Pat, told so, signs in anyway:
    // the server refuses it as not Pat's, and it stays in the Conflicts.
    served.stop().await;
    bob.client
        .goto(&checkout)
        .await
        .expect("the application loads");
    bob.add_product("billing").await;
    bob.click("Settings").await;
    bob.click("Sign out").await;
    bob.until_text("Signed out.").await;
    bob.fill("Email", pat.0).await;
    bob.fill("Password", "Pat's long password").await;
    bob.click("Sign in").await;
    bob.until_text("This device holds changes by bob@example.com that are not sent yet.")
        .await;
    bob.click("Sign in anyway").await;
    bob.until_text("The server cannot be reached. Sign in once the network is back")
        .await;
    served.start().await;

    // On the same device, Pat, a product owner, reads everything and is
    // offered no change.
    bob.fill("Password", "Pat's long password").await;
    bob.click("Sign in").await;
    bob.until_text("This device holds changes by bob@example.com that are not sent yet.")
        .await;
    bob.click("Sign in anyway").await;
    bob.until_text("Signed in as Pat.").await;
    bob.until_text("Conflicts (2)").await;
    bob.click("Conflicts (2)").await;
    let conflicts = bob.text_of("table.conflicts").await;
    assert!(conflicts.contains("bob@example.com"), "{conflicts}");
    bob.screenshot("signed-in-anyway").await;
    assert!(
        !served.pull_all().await.iter().any(|e| matches!(
            &e.event,
            portal_domain::Event::ApiProductAdded { product, .. } if product.as_str() == "billing"
        )),
        "Bob's change is not stored as anyone's"
    );
    bob.click("Applications").await;
    bob.until_text("a product owner reads the portal and creates no application")
        .await;
    assert!(!bob.shows_control("Create an application").await);
    bob.click("Checkout").await;
    bob.until_text("Read-only.").await;
    assert!(!bob.shows_control("Add product").await);
    assert!(!bob.shows_control("Change owner").await);
    bob.click("Analytics").await;
    bob.until_text("Upsell targets").await;
    bob.until_text("API product adoption").await;
    bob.screenshot("product-owner").await;
}

/// A server from before binary pages and batches answers every pull in
/// JSON and refuses a binary push with 415: a fresh browser still catches
/// up with all of it, and its own change still goes out, as JSON (ADR 37).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_browser_catches_up_from_a_server_that_writes_only_json() {
    let served = serve_json_only(workspace().join("dist")).await;
    let total = served.preload(11, 3_000).await;
    let artifacts = workspace().join("target/e2e-artifacts/json-only");
    served.add(&ADA).await;
    let browser = Browser::start(&artifacts).await;
    browser
        .client
        .goto(&served.base)
        .await
        .expect("the app loads");
    browser.sign_in(&ADA).await;
    browser
        .until_event_count("every event to arrive", total)
        .await;
    assert_eq!(
        browser.fetched("/split_json-").await.len(),
        1,
        "the JSON reader is fetched for such a server (ADR 18)"
    );
    browser.click("Applications").await;
    browser.create_application("Ledger Classic").await;
    sent_everything(&browser).await;
    let count = one_log(&browser, &served.base).await;
    assert!(count > total, "the new application is in the log");
    assert!(served.pushes.json() >= 1, "{:?}", served.pushes);
    assert_eq!(served.pushes.binary(), 0, "refused before the API");
}

/// Waits until the device and the server hold as many events, and says
/// how many: the server's processors may add to a preloaded history while
/// the device syncs (its credentials that expired since, ADR 30), and the
/// device pulls those too.
async fn one_log(b: &Browser, base: &str) -> u64 {
    b.until("the device and the server to hold one log", || async {
        let stored = server_count(base).await;
        (stored == b.event_count().await).then_some(stored)
    })
    .await
}

/// How many events the server holds, paging through its log.
async fn server_count(base: &str) -> u64 {
    let client = reqwest::Client::new();
    let (mut after, mut count) = (0, 0);
    loop {
        let page: serde_json::Value = client
            .get(format!("{base}/api/v1/pull?after={after}"))
            .bearer_auth("local-dev-token")
            .send()
            .await
            .expect("the server answers")
            .json()
            .await
            .expect("a page");
        count += page["events"].as_array().expect("events").len() as u64;
        after = page["next"].as_u64().expect("next");
        if page["more"] != serde_json::Value::Bool(true) {
            return count;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_opens_and_works_with_no_network_and_syncs_later() {
    let mut served = serve(workspace().join("dist")).await;
    let artifacts = workspace().join("target/e2e-artifacts/offline");
    // Another device's history, already on the server: several pages' worth.
    let shared = served.preload(9, 2_500).await;
    served.add(&ADA).await;
    let b = &Browser::start(&artifacts).await;
    b.client.goto(&served.base).await.expect("the app loads");
    b.sign_in(&ADA).await;
    // A fresh device pulls the shared history: several pages, asked for
    // together.
    b.until_event_count("the shared history to arrive", shared)
        .await;
    b.until("the service worker to control the page", || async {
        let controlled = b
            .client
            .execute("return !!navigator.serviceWorker.controller", vec![])
            .await
            .ok()?;
        (controlled == serde_json::Value::Bool(true)).then_some(())
    })
    .await;

    // No server at all: the page still opens, from the service worker.
    served.stop().await;
    b.client.refresh().await.expect("the page reloads");
    b.text_of(".log-ready").await;
    b.click("Applications").await;
    b.create_application("Field notes").await;
    b.until("the status to say the server cannot be reached", || async {
        let status = b.text_of("p.sync-status").await;
        (status.contains("events to send") && status.contains("cannot be reached")).then_some(())
    })
    .await;
    let offline = b.event_count().await;
    b.screenshot("offline").await;
    // Pages never opened while online open too: the service worker kept
    // their modules when it installed (ADR 17).
    b.click("Timeline").await;
    b.text_of("#timeline-heading").await;
    b.click("Analytics").await;
    b.until_text("Upsell targets").await;
    b.click("Applications").await;
    b.click("Field notes").await;
    b.until_text("API products").await;

    // The server is back: asked to, the device sends what it kept.
    served.start().await;
    b.click("Settings").await;
    b.click("Sync now").await;
    sent_everything(b).await;
    let on_server = served.pull_all().await;
    let device = b.export_log().await;
    let made_offline = &device[shared as usize..offline as usize];
    assert!(
        made_offline
            .iter()
            .all(|e| on_server.contains(e) || on_server.iter().any(|s| s.event_id == e.event_id)),
        "everything made offline reached the server"
    );
    let stored = one_log(b, &served.base).await;

    // The browser's storage is wiped while the server keeps the log: the
    // device pulls it all back, and pushes no reset (the server's log is
    // unchanged).
    b.click("Data").await;
    b.click("Reset local data…").await;
    b.click("Yes, delete everything").await;
    b.until_text("Everything this device kept was deleted.")
        .await;
    b.until_event_count("the log to come back from the server", stored)
        .await;
    sent_everything(b).await;
    assert_eq!(
        server_count(&served.base).await,
        stored,
        "the server lost nothing"
    );
    b.click("Applications").await;
    b.until_text("Field notes").await;
}

/// The sync round's code is a module of its own, fetched once the log is
/// open (ADR 20). When it cannot be fetched, the portal still works, the
/// status says why nothing is sent, the change waits on the device, and it
/// goes out once the module can be fetched again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_sync_code_the_portal_works_and_syncs_once_it_arrives() {
    let dist = tempfile::tempdir().expect("a directory for the build");
    let aside = tempfile::tempdir().expect("a directory for the module");
    let mut moved = Vec::new();
    for entry in std::fs::read_dir(workspace().join("dist")).expect("the build") {
        let path = entry.expect("a file").path();
        let name = path.file_name().expect("a name").to_owned();
        let to = if name.to_string_lossy().starts_with("split_sync-") {
            moved.push(name.clone());
            aside.path().join(&name)
        } else {
            dist.path().join(&name)
        };
        std::fs::copy(&path, to).expect("a copy");
    }
    assert!(!moved.is_empty(), "the build has a sync module");
    let served = serve(dist.path().to_owned()).await;
    served.add(&ADA).await;
    let artifacts = workspace().join("target/e2e-artifacts/sync-unfetched");
    let b = Browser::start(&artifacts).await;
    b.client.goto(&served.base).await.expect("the app loads");
    b.text_of(".log-ready").await;
    b.sign_in(&ADA).await;
    b.until("the status to say why nothing is sent", || async {
        let status = b.text_of("p.sync-status").await;
        status
            .contains("sync failed: the code that syncs could not be fetched")
            .then_some(())
    })
    .await;

    b.click("Applications").await;
    b.create_application("Kept here").await;
    let count = b.event_count().await;
    b.until("the change to wait on the device", || async {
        let status = b.text_of("p.sync-status").await;
        status
            .contains(&format!("{count} events to send"))
            .then_some(())
    })
    .await;
    assert_eq!(
        server_count(&served.base).await,
        0,
        "nothing reached the server"
    );

    for name in moved {
        std::fs::copy(aside.path().join(&name), dist.path().join(&name)).expect("a copy back");
    }
    // The next try, after its backoff, fetches the module and sends.
    sent_everything(&b).await;
    assert_eq!(server_count(&served.base).await, count);
    assert!(!b.fetched("/split_sync-").await.is_empty());
}

/// The server ends a session (here, revoked by another client holding it):
/// the person stays signed in on the device, a change made meanwhile waits,
/// the page asks them to sign in again, and once they do it goes out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_the_server_ended_asks_to_sign_in_again_and_loses_nothing() {
    let served = serve(workspace().join("dist")).await;
    served.add(&ADA).await;
    let artifacts = workspace().join("target/e2e-artifacts/session-ended");
    let b = Browser::start(&artifacts).await;
    b.client.goto(&served.base).await.expect("the app loads");
    b.sign_in(&ADA).await;
    sent_everything(&b).await;
    let token = b
        .client
        .execute(
            "return JSON.parse(localStorage.getItem('portal-ledger.sync.token'))",
            vec![],
        )
        .await
        .expect("the session is kept");
    let revoked = reqwest::Client::new()
        .delete(format!("{}/api/v1/sessions/current", served.base))
        .bearer_auth(token.as_str().expect("a token"))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(revoked.status().as_u16(), 204);

    b.click("Applications").await;
    b.create_application("After the session").await;
    let count = b.event_count().await;
    b.until_text("sign in again to sync").await;
    b.click("Settings").await;
    b.until_text("The server no longer takes this session")
        .await;
    b.screenshot("session-ended").await;
    assert_eq!(server_count(&served.base).await, 0, "nothing went out");
    b.fill("Password", &ADA.password()).await;
    b.click("Sign in").await;
    b.until_text("Signed in as Ada.").await;
    sent_everything(&b).await;
    assert_eq!(
        server_count(&served.base).await,
        count,
        "all of it, once signed in"
    );
}

/// Two devices signed in, each following the server's live subscription
/// (the status says "live"): a change on one shows on the other without a
/// reload, far sooner than a poll (30 s while live) would bring it. The
/// figures for BENCHMARKS.md come from `tests/live_bench.rs`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_on_one_device_shows_on_the_other_at_once() {
    let served = serve(workspace().join("dist")).await;
    let bob_admin = Someone::new("bob@example.com", "Bob", Role::Admin);
    served.add(&ADA).await;
    served.add(&bob_admin).await;
    let artifacts = workspace().join("target/e2e-artifacts/live");
    let dirs = [artifacts.join("ada"), artifacts.join("bob")];
    let (ada, bob) = tokio::join!(Browser::start(&dirs[0]), Browser::start(&dirs[1]));
    for (b, who) in [(&ada, &ADA), (&bob, &bob_admin)] {
        b.client.goto(&served.base).await.expect("the app loads");
        b.text_of(".log-ready").await;
        b.sign_in(who).await;
        b.click("Applications").await;
        b.until_live().await;
    }
    ada.create_application("Seen at once").await;
    let made = std::time::Instant::now();
    bob.until_text("Seen at once").await;
    let took = made.elapsed();
    eprintln!("the change showed on the other device after {took:?}");
    assert!(
        took < std::time::Duration::from_secs(3),
        "shown after {took:?}: the live subscription, not a poll, brought it"
    );
    bob.screenshot("seen").await;
    // The change went out as a binary batch (ADR 37).
    assert!(served.pushes.binary() >= 1, "{:?}", served.pushes);
    assert_eq!(served.pushes.json(), 0, "{:?}", served.pushes);
}

/// A product removed: the server's processors add the feedback survey and
/// send it. Its link (as the communication app would send it) opens the
/// survey's page on another browser where nobody is signed in; the answer
/// goes to the server signed with the survey's secret, and is recorded as
/// the owner's. The owner's device then shows it answered, and its rating
/// and comment in the analytics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_survey_is_answered_through_its_link_and_its_rating_reaches_the_analytics() {
    let served = serve(workspace().join("dist")).await;
    served.add(&ADA).await;
    let artifacts = workspace().join("target/e2e-artifacts/survey-link");
    let dirs = [artifacts.join("ada"), artifacts.join("holder")];
    let (ada, holder) = tokio::join!(Browser::start(&dirs[0]), Browser::start(&dirs[1]));
    ada.client.goto(&served.base).await.expect("the app loads");
    ada.text_of(".log-ready").await;
    ada.sign_in(&ADA).await;
    ada.click("Applications").await;
    ada.create_application("Feedback Loop").await;
    ada.click("Feedback Loop").await;
    ada.add_product("maps").await;
    ada.click("Remove maps").await;
    ada.fill("Reason for removal", "too slow").await;
    ada.click("Confirm removal").await;
    ada.click("Surveys").await;
    ada.control("Answer the survey for Feedback Loop").await;

    let survey = served
        .pull_all()
        .await
        .into_iter()
        .find_map(|e| match e.event {
            portal_domain::Event::SurveySent { survey_id, .. } => Some(survey_id),
            _ => None,
        })
        .expect("the survey was sent");
    let link: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/surveys/{}/link", served.base, survey.0))
        .bearer_auth("local-dev-token")
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("a link");
    let url = format!("{}{}", served.base, link["url"].as_str().expect("a url"));

    holder.client.goto(&url).await.expect("the link opens");
    holder.until_text("You were sent this survey's link").await;
    holder.choose("Rating", "2 of 5").await;
    holder
        .fill("Comment", "search was slower than we need")
        .await;
    holder.click("Send answer").await;
    holder
        .until_text("Thank you: the answer was recorded.")
        .await;
    holder.screenshot("answered").await;
    let on_server = served.pull_all().await;
    let answer = on_server
        .iter()
        .find(|e| e.event_type().name() == "SURVEY_FEEDBACK_RECORDED")
        .expect("the answer is on the server");
    assert_eq!(answer.actor.as_str(), ADA.email, "as the owner's answer");

    // Ada's device pulls it (at once: it follows the live subscription).
    ada.until_text("No survey is waiting for an answer.").await;
    ada.client
        .goto(&format!("{}/surveys/{}", served.base, survey.0))
        .await
        .expect("the survey's page opens");
    ada.until_text("2 of 5, \u{201c}search was slower than we need\u{201d}")
        .await;
    ada.click("Analytics").await;
    let ratings = ada
        .text_of("section[aria-labelledby='report-survey-ratings-csv'] table")
        .await;
    assert!(
        ratings.contains("maps") && ratings.contains("2.0 of 5"),
        "{ratings}"
    );
    let comments = ada
        .text_of("section[aria-labelledby='report-survey-comments-csv'] table")
        .await;
    assert!(
        comments.contains("search was slower than we need"),
        "{comments}"
    );
    ada.screenshot("analytics").await;
}

/// An admin registers a webhook on Settings (its secret shown once), and
/// the workspace's events reach the receiver, signed; its deliveries are
/// listed on the page, and one is delivered again from there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_registers_a_webhook_and_reads_its_deliveries() {
    use axum::routing::post;
    use std::sync::{Arc, Mutex};
    let served = serve(workspace().join("dist")).await;
    served.add(&ADA).await;
    let got: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let kept = got.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        post(move |headers: axum::http::HeaderMap, body: String| {
            let kept = kept.clone();
            async move {
                let signature = headers
                    .get("portal-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                kept.lock().unwrap().push((signature, body));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });

    let b = &Browser::start(&workspace().join("target/e2e-artifacts/webhooks")).await;
    b.client.goto(&served.base).await.expect("the app loads");
    b.text_of(".log-ready").await;
    b.sign_in(&ADA).await;
    b.until_text("No webhook yet.").await;
    b.fill("Webhook URL", &url).await;
    b.choose("Event types", "APPLICATION_INSERT").await;
    b.click("Register webhook").await;
    b.until_text("Registered a webhook to").await;
    let secret = b
        .property("input[aria-label='Webhook secret']", "value")
        .await;
    assert!(secret.starts_with("whsec_"), "{secret}");

    b.click("Applications").await;
    b.create_application("Hooked").await;
    let delivered = b
        .until("the delivery", || async {
            got.lock().unwrap().first().cloned()
        })
        .await;
    let event = portal_sync::codec::decode(&delivered.1).expect("an envelope");
    assert_eq!(event.event_type().name(), "APPLICATION_INSERT");
    let time: i64 = delivered
        .0
        .split(',')
        .find_map(|p| p.strip_prefix("t="))
        .and_then(|t| t.parse().ok())
        .expect("a signature with its time");
    assert_eq!(
        portal_server::surveys::sign(&secret, time, delivered.1.as_bytes()),
        delivered.0,
        "signed with the hook's secret"
    );

    b.click("Settings").await;
    b.click(&format!("Deliveries to {url}")).await;
    b.until_text("delivered").await;
    let position = event.global_position.expect("placed");
    b.click(&format!("Deliver event {position} again")).await;
    b.until_text(&format!("Delivered event {position} again."))
        .await;
    b.until("the second delivery", || async {
        (got.lock().unwrap().len() == 2).then_some(())
    })
    .await;
    b.screenshot("deliveries").await;
}

/// Pat, a product owner, and Grace, a developer whose application
/// "Weather" has been on the free plan for `days` (as her device pushed it
/// then), each signed in on a browser of their own, screenshots under
/// `target/e2e-artifacts/{artifacts}`: the server, how many events it
/// held, and Pat's and Grace's browsers.
async fn pat_and_grace(artifacts: &str, days: i64) -> (Served, u64, Browser, Browser) {
    let served = serve(workspace().join("dist")).await;
    let pat = Someone::new("pat@example.com", "Pat", Role::ProductOwner);
    let grace = Someone::new("grace@example.com", "Grace", Role::Developer);
    served.add(&pat).await;
    served.add(&grace).await;
    let history = served
        .preload_log(&history::free_application(grace.email, "Weather", days))
        .await;
    let artifacts = workspace().join("target/e2e-artifacts").join(artifacts);
    let dirs = [artifacts.join("pat"), artifacts.join("grace")];
    let (owner_device, developer_device) =
        tokio::join!(Browser::start(&dirs[0]), Browser::start(&dirs[1]));
    for (b, who) in [(&owner_device, &pat), (&developer_device, &grace)] {
        b.client.goto(&served.base).await.expect("the app loads");
        b.text_of(".log-ready").await;
        b.sign_in(who).await;
        b.until_event_count("the history", history).await;
    }
    (served, history, owner_device, developer_device)
}

/// An offer campaign across two people and two devices: the product owner
/// offers an upsell target a product on the paid plan; the offer reaches
/// the application's owner, who takes it up on the application's page,
/// which moves the plan and adds the product; the campaign then counts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_owners_offer_reaches_the_developer_who_takes_it_up() {
    let (served, history, owner_device, developer_device) = pat_and_grace("campaigns", 45).await;

    // The product owner starts a campaign on payments for Weather.
    let b = &owner_device;
    b.click("Campaigns").await;
    b.until_text("Start a campaign").await;
    b.until_text("No campaign yet").await;
    b.fill("API product", "payments").await;
    b.fill("Terms of the offer", "Three months at half price")
        .await;
    assert_eq!(
        b.property(".new-campaign button[type='submit']", "disabled")
            .await,
        "true",
        "nothing to offer before an application is chosen"
    );
    b.click("Offer to Weather").await;
    b.click("Make 1 offer").await;
    b.until_text("Made 1 offer of payments.").await;
    // Still a target, but marked, so it is not offered twice.
    b.until_text("open offer of payments").await;
    b.until("the campaign to be listed", || async {
        let table = b.text_of("table.campaign-table").await;
        (table.contains("payments") && table.contains("Pat")).then_some(())
    })
    .await;
    sent_everything(b).await;
    b.screenshot("campaign-started").await;
    assert!(b
        .text_of("table.campaign-table")
        .await
        .contains("Three months at half price"));
    // A product owner changes no application, so takes nothing up.
    b.click("Applications").await;
    b.click("Weather").await;
    b.until_text("Three months at half price").await;
    assert!(!b.shows_control("Take up the offer of payments").await);

    // Grace sees the offer on her application's page and takes it up.
    let d = &developer_device;
    d.click("Applications").await;
    d.click("Weather").await;
    d.until_text("Three months at half price").await;
    d.until_text("Offered by Pat").await;
    d.screenshot("offer-on-the-application").await;
    d.click("Take up the offer of payments").await;
    d.until_text("on the paid plan").await;
    d.control("Remove payments").await;
    assert!(d.page_text().await.contains("taken up"));
    assert!(!d.shows_control("Take up the offer of payments").await);
    sent_everything(d).await;
    let server_log = served.pull_all().await;
    let types: Vec<&str> = server_log
        .iter()
        .map(|e| e.event_type().name())
        .skip(history as usize)
        .collect();
    assert_eq!(types[0], "OFFER_MADE", "{types:?}");
    assert!(
        types.ends_with(&[
            "OFFER_TAKEN_UP",
            "SUBSCRIPTION_PLAN_CHANGED",
            "ADD_API_PRODUCT_TO_APPLICATION",
            "APPLICATION_UPDATE"
        ]),
        "{types:?}"
    );

    // Back with the product owner, the campaign counts the take-up.
    b.click("Campaigns").await;
    b.until("the take-up to be counted", || async {
        let table = b.text_of("table.campaign-table").await;
        table.contains("1 of 1 (100 %)").then_some(())
    })
    .await;
    b.screenshot("campaign-taken-up").await;
}

/// The product catalogue across two people and two devices: the product
/// owner adds two products, one on the paid plan only; the developer adds
/// the other, typed in lower case, and gets the catalogue's spelling,
/// cannot add the paid-only one on the free plan, then removes the product
/// with a reason; the product's page shows the removal and the reason.
/// Once the product is retired, the developer can no longer add it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_owners_catalogue_is_what_developers_pick_from() {
    let (served, history, owner_device, developer_device) = pat_and_grace("catalogue", 3).await;

    // Pat fills the catalogue: Payments on both plans, Reports on paid only.
    let b = &owner_device;
    b.click("Products").await;
    b.until_text("The catalogue is empty").await;
    b.fill("Product name", "Payments").await;
    b.fill("Summary", "Card payments and payouts.").await;
    b.fill("Documentation link", "https://docs.example.com/payments")
        .await;
    b.click("Add to the catalogue").await;
    b.until_text("Added Payments to the catalogue.").await;
    b.fill("Product name", "Reports").await;
    b.fill("Summary", "Usage reports for paying customers.")
        .await;
    b.click("Offered on the free plan").await;
    b.click("Add to the catalogue").await;
    b.until_text("Added Reports to the catalogue.").await;
    b.until("both products to be listed", || async {
        let table = b.text_of("table.catalogue-table").await;
        (table.contains("Card payments and payouts.") && table.contains("paid plan only"))
            .then_some(())
    })
    .await;
    sent_everything(b).await;
    b.screenshot("catalogue").await;

    // Grace adds payments, as she types it, and gets the catalogue's Payments.
    let d = &developer_device;
    d.until_event_count("the catalogue", history + 2).await;
    d.click("Applications").await;
    d.click("Weather").await;
    d.fill("API product to add", "payments").await;
    d.click("Add product").await;
    d.control("Remove Payments").await;
    // Reports is not offered on her plan: the page says why.
    d.fill("API product to add", "Reports").await;
    d.click("Add product").await;
    d.until_text("Reports is not offered on the free plan")
        .await;
    d.click("Remove Payments").await;
    d.fill("Reason for removal", "Too dear for a side project")
        .await;
    d.click("Confirm removal").await;
    d.until("the removal", || async {
        (!d.shows_control("Remove Payments").await).then_some(())
    })
    .await;
    sent_everything(d).await;
    let server = served.pull_all().await;
    assert!(
        server.iter().any(|e| matches!(
            &e.event,
            portal_domain::Event::ApiProductRemoved { product, reason: Some(why), .. }
                if product.as_str() == "Payments" && why.as_str() == "Too dear for a side project"
        )),
        "the removal, of the catalogue's Payments, with its reason, is on the server"
    );

    // She thinks again and adds it back.
    d.fill("API product to add", "Payments").await;
    d.click("Add product").await;
    d.control("Remove Payments").await;
    sent_everything(d).await;

    // Pat reads the removal and its reason on the product's page, then
    // retires the product.
    let server = served.pull_all().await;
    b.until_event_count("Grace's work", server.len() as u64)
        .await;
    b.click("Products").await;
    b.click("Payments").await;
    b.until_text("Card payments and payouts.").await;
    b.until_text("\u{201c}Too dear for a side project\u{201d}: 1")
        .await;
    b.until_text("Used by 1 application now · added twice · removed once")
        .await;
    b.screenshot("product-page").await;
    b.click("Retire Payments").await;
    b.click("Confirm retirement").await;
    b.until_text("Retired Payments: no application can add it any more.")
        .await;
    sent_everything(b).await;

    // Grace's application keeps it, flagged; once removed, it cannot come back.
    let server = served.pull_all().await;
    d.until_event_count("the retirement", server.len() as u64)
        .await;
    d.until("the product to be flagged", || async {
        let flagged = d.text_of("ul.products li.retired").await;
        (flagged.contains("Payments") && flagged.contains("retired")).then_some(())
    })
    .await;
    d.screenshot("retired-product-flagged").await;
    d.click("Remove Payments").await;
    d.click("Confirm removal").await;
    d.until("the removal", || async {
        (!d.shows_control("Remove Payments").await).then_some(())
    })
    .await;
    d.fill("API product to add", "Payments").await;
    d.click("Add product").await;
    d.until_text("Payments has been retired from the catalogue")
        .await;
    assert!(!d.shows_control("Remove Payments").await);
    d.screenshot("retired-product-refused").await;
}
