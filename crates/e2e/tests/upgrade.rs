//! A device that still keeps its log in the first store layout (schema 1:
//! one JSON line per event) opens this build. "Nothing lost" here: the log
//! the app then holds, and exports, begins with the old log event for event
//! (what follows is the process managers' doing), and no old record is left
//! behind to be read twice. The JSON reader the
//! migration needs is fetched for it, and only for it (ADR 18).

use portal_domain::demo::{DemoConfig, DemoGenerator};
use portal_domain::process;
use portal_e2e::browser::Browser;
use portal_e2e::server::serve;
use portal_e2e::workspace;

/// Writes `lines` where the first layout kept them, as the old build did.
const CREATE_SCHEMA_1: &str = r#"
const [lines, done] = arguments;
const open = indexedDB.open("portal-ledger", 1);
open.onupgradeneeded = () => {
  open.result.createObjectStore("events");
  open.result.createObjectStore("meta");
};
open.onerror = () => done("open failed: " + open.error);
open.onsuccess = () => {
  const db = open.result;
  const tx = db.transaction("events", "readwrite");
  lines.forEach((line, key) => tx.objectStore("events").put(line, key));
  tx.oncomplete = () => { db.close(); done("written"); };
  tx.onerror = () => done("write failed: " + tx.error);
};
"#;

/// How many records the first layout's store still holds.
const COUNT_SCHEMA_1: &str = r#"
const [done] = arguments;
const open = indexedDB.open("portal-ledger");
open.onsuccess = () => {
  const db = open.result;
  const count = db.transaction("events").objectStore("events").count();
  count.onsuccess = () => { db.close(); done(count.result); };
};
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_in_the_first_layout_is_moved_whole_with_the_json_reader_fetched_for_it() {
    let served = serve(workspace().join("dist")).await;
    let artifacts = workspace().join("target/e2e-artifacts");
    let b = Browser::start(&artifacts).await;
    let old = DemoGenerator::generate(DemoConfig::year(18, 600));
    let lines: Vec<String> = old.iter().map(portal_sync::codec::encode).collect();

    // A page of the same origin that is not the app, so the old layout is
    // in place before the app first opens the database.
    b.client
        .goto(&format!("{}/sw.js", served.base))
        .await
        .expect("the origin loads");
    let written = b
        .client
        .execute_async(CREATE_SCHEMA_1, vec![serde_json::json!(lines)])
        .await
        .expect("the script runs");
    assert_eq!(written, "written");

    b.client.goto(&served.base).await.expect("the app loads");
    b.until("the old log to be moved", || async {
        (b.event_count().await >= old.len() as u64).then_some(())
    })
    .await;
    assert_eq!(
        b.fetched("/split_json-").await.len(),
        1,
        "the JSON reader is fetched to read the old layout"
    );
    let log = b.export_log().await;
    assert_eq!(log[..old.len()], old, "the old log, event for event");
    // At the head, the process managers go on from where the old log
    // stopped: credentials that expired since, surveys now due.
    let processes = [process::EXPIRY_PROCESS, process::SURVEYS_PROCESS];
    for event in &log[old.len()..] {
        assert!(
            processes.contains(&event.actor.as_str()),
            "only processes add to the old log: {event:?}"
        );
    }

    b.client.refresh().await.expect("the app reloads");
    b.until_event_count("the log after a reload", log.len() as u64)
        .await;
    let left = b
        .client
        .execute_async(COUNT_SCHEMA_1, vec![])
        .await
        .expect("the script runs");
    assert_eq!(left, 0, "no old record is left to be moved twice");
    assert!(
        b.fetched("/split_json-").await.is_empty(),
        "with nothing left to move, the JSON reader is not fetched again"
    );
}
