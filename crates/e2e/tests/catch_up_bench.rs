//! The sync budget "pull catch-up of 100k events into a fresh browser":
//! the server holds a demo history; a fresh Chromium profile opens the
//! release build and pulls it all. Prints JSON: from the page's load to the
//! status line counting every event, and to "everything sent".
//! Run by `scripts/bench-sync.sh`; never part of `cargo test`.

use portal_e2e::browser::Browser;
use portal_e2e::server::serve;
use std::path::PathBuf;
use std::time::Instant;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_up() {
    let size: usize = std::env::var("CATCH_UP_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let served = serve(workspace().join("dist")).await;
    let total = served.preload(42, size).await;
    let artifacts = workspace().join("target/e2e-artifacts/catch-up");
    let browser = Browser::start(&artifacts).await;
    let start = Instant::now();
    browser
        .client
        .goto(&served.base)
        .await
        .expect("the app loads");
    browser
        .until("every event to arrive", || async {
            (browser.event_count().await == total).then_some(())
        })
        .await;
    let arrived = start.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({"figure": "pull catch-up into a fresh browser", "events": total,
                           "seconds_to_all_events": arrived})
    );
}
