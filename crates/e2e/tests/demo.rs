//! The demo is a workspace of its own (ADR 29): opened on a device that
//! syncs with its team's server, at a million events, it works as the
//! person's own log does, and the server receives none of it; leaving it
//! gives the person their own log back as it was, still syncing.

use portal_e2e::browser::Browser;
use portal_e2e::server::{serve, ADA};
use portal_e2e::workspace;
use std::time::Duration;

/// Making a million events and storing them, on a 2-core machine.
const A_MILLION_TAKES: Duration = Duration::from_secs(600);

async fn sent_everything(b: &Browser) {
    b.until("everything to be sent", || async {
        let status = b.text_of("p.sync-status").await;
        (status.contains("everything sent") && status.contains("last sync")).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_event_demo_opens_on_a_synced_device_and_the_server_gets_none_of_it() {
    let served = serve(workspace().join("dist")).await;
    served.add(&ADA).await;
    let b = &Browser::start(&workspace().join("target/e2e-artifacts/demo")).await;
    b.client.goto(&served.base).await.expect("the app loads");
    b.text_of(".log-ready").await;
    b.sign_in(&ADA).await;
    b.click("Applications").await;
    b.create_application("Checkout").await;
    sent_everything(b).await;
    let own = b.event_count().await;
    assert_eq!(served.pull_all().await.len() as u64, own);

    b.click("Data").await;
    b.choose("Size of the demo", "1,000,000 events").await;
    b.click("Open the demo").await;
    b.until_for(A_MILLION_TAKES, "a million demo events", || async {
        b.page_text()
            .await
            .contains("made-up events.")
            .then_some(())
    })
    .await;
    // About as many as asked for: a command's events are never cut in two;
    // the demo's processes (credential expiry) may add a few.
    let made = b.event_count().await;
    assert!((1_000_000..1_010_000).contains(&made), "{made} events");
    b.screenshot("made").await;
    let status = b.text_of("p.sync-status").await;
    assert!(
        status.contains("Demo workspace · nothing here is sent"),
        "{status}"
    );

    // It works as a log does: a change, the timeline, the analytics.
    b.click("Applications").await;
    b.create_application("Trial in the demo").await;
    assert!(b.event_count().await >= made + 2);
    b.click("Timeline").await;
    let counted = b.text_of(".timeline .count").await;
    let events: u64 = counted
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count in {counted:?}"));
    assert!(events >= made + 2, "{counted}");
    b.click("Analytics").await;
    b.until_text("Upsell targets").await;
    b.screenshot("analytics").await;

    // The sync agent polls every 5 s: three polls' time, and the server
    // still holds only the person's own events.
    tokio::time::sleep(Duration::from_secs(15)).await;
    let on_server = served.pull_all().await;
    assert_eq!(
        on_server.len() as u64,
        own,
        "the server got none of the demo"
    );

    b.click("Leave the demo").await;
    b.until_text("Checkout").await;
    b.until("the own log, opened again", || async {
        (b.event_count().await == own).then_some(())
    })
    .await;
    let text = b.page_text().await;
    assert!(!text.contains("Trial in the demo"), "{text}");
    assert!(!text.contains("Demo workspace"), "{text}");

    // The own log still syncs, and still alone.
    b.create_application("Billing").await;
    sent_everything(b).await;
    let after = b.event_count().await;
    assert_eq!(after, own + 2);
    let on_server = served.pull_all().await;
    assert_eq!(on_server.len() as u64, after);
    assert!(on_server
        .iter()
        .all(|e| e.actor.as_str() == ADA.email || e.actor.is_process()));
}
