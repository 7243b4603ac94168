//! The sync budget "pull catch-up of 100k events into a fresh browser":
//! the server holds a demo history; a fresh Chromium profile opens the
//! release build and pulls it all. Prints JSON: from the page's load to the
//! status line counting every event, measured both from the WebDriver
//! `goto` (which includes a just-started browser's first navigation) and
//! from the page's navigation start, the moment a person's browser would
//! begin loading the portal.
//! Run by `scripts/bench-sync.sh`; never part of `cargo test`.

use portal_e2e::browser::Browser;
use portal_e2e::server::{serve, ADA};
use portal_e2e::{events_from_env, workspace};
use std::time::Instant;

fn epoch_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs_f64()
        * 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_up() {
    let size = events_from_env("CATCH_UP_EVENTS");
    let served = serve(workspace().join("dist")).await;
    let total = served.preload(42, size).await;
    let artifacts = workspace().join("target/e2e-artifacts/catch-up");
    served.add(&ADA).await;
    let browser = Browser::start(&artifacts).await;
    // Signed in already: what is measured is the catch-up alone.
    let token = served.session(&ADA).await;
    browser.remember_session(&served.base, &ADA, &token).await;
    let start = Instant::now();
    let wall_start = epoch_ms();
    browser
        .client
        .goto(&served.base)
        .await
        .expect("the app loads");
    browser
        .until_event_count("every event to arrive", total)
        .await;
    let arrived = start.elapsed().as_secs_f64();
    let navigation_start = browser
        .client
        .execute("return performance.timing.navigationStart", vec![])
        .await
        .expect("the page answers")
        .as_f64()
        .expect("a navigation start");
    let from_navigation = arrived - (navigation_start - wall_start) / 1000.0;
    println!(
        "{}",
        serde_json::json!({"figure": "pull catch-up into a fresh browser", "events": total,
                           "seconds_to_all_events": arrived,
                           "seconds_from_navigation_start": from_navigation})
    );
}
