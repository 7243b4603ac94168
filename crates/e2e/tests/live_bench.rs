//! The figure "two devices see each other's change" (issue 20): two
//! browser profiles signed in to one server on loopback, each following
//! the live subscription; one makes a change (an application created),
//! and the time until the other's list shows it is taken, twenty times.
//! Prints JSON: median, p95 and the slowest, from the moment the first
//! device says the change is made. Run by `scripts/bench-sync.sh`; never
//! part of `cargo test`.

use portal_domain::Role;
use portal_e2e::browser::Browser;
use portal_e2e::server::{serve, Someone, ADA};
use portal_e2e::workspace;
use std::time::Instant;

const CHANGES: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_reaches_the_other_device() {
    let served = serve(workspace().join("dist")).await;
    let bob = Someone::new("bob@example.com", "Bob", Role::Admin);
    served.add(&ADA).await;
    served.add(&bob).await;
    let artifacts = workspace().join("target/e2e-artifacts/live-bench");
    let dirs = [artifacts.join("one"), artifacts.join("other")];
    let (one, other) = tokio::join!(Browser::start(&dirs[0]), Browser::start(&dirs[1]));
    for (b, who) in [(&one, &ADA), (&other, &bob)] {
        b.client.goto(&served.base).await.expect("the app loads");
        b.text_of(".log-ready").await;
        b.sign_in(who).await;
        b.click("Applications").await;
        b.until_live().await;
    }
    let mut runs = Vec::with_capacity(CHANGES);
    for n in 0..CHANGES {
        let name = format!("Change {n:02}");
        one.create_application(&name).await;
        let made = Instant::now();
        other.until_text(&name).await;
        runs.push(made.elapsed().as_secs_f64() * 1000.0);
    }
    let mut sorted = runs.clone();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    println!(
        "{}",
        serde_json::json!({
            "figure": "a change on one device shown on the other, loopback",
            "changes": CHANGES,
            "median_ms": at(0.5),
            "p95_ms": at(0.95),
            "max_ms": sorted[sorted.len() - 1],
            "runs": runs,
        })
    );
}
