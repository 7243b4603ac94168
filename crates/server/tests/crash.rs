//! Issue 6, item 9: the server is killed (SIGKILL) in the middle of a
//! stream of pushes, then started again on the same database, three times.
//! "Nothing lost" here: every batch the server acknowledged is there, at
//! the positions it was told, and no batch is there in part; positions stay
//! gap-free. On SQLite and on PostgreSQL.

mod support;

use portal_domain::demo::{DemoConfig, DemoGenerator};
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::binary::{database_for_binary, free_port, start, until_healthy};
use support::BackendKind;

const TOKEN: &str = "crash-token-0001";

async fn crash_mid_stream(backend: BackendKind) {
    let dir = tempfile::tempdir().unwrap();
    let database = database_for_binary(backend.database(dir.path()).await);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let log = DemoGenerator::generate(DemoConfig::year(11, 6_000));
    let batches = portal_domain::recover::batches(&log, 40);
    // Each batch's answer: the positions the server gave its events.
    let mut acknowledged: HashMap<usize, Vec<u64>> = HashMap::new();
    let mut next = 0;
    let mut unanswered = 0;
    for round in 0..3 {
        let mut server = start(&database, port, TOKEN, "crash");
        until_healthy(&client, &base).await;
        // Kill it after a while, whatever it is doing.
        let kill_after = Duration::from_millis(150 + 100 * round);
        let started = Instant::now();
        while next < batches.len() {
            if started.elapsed() >= kill_after {
                break;
            }
            let lines: Vec<String> = batches[next]
                .iter()
                .map(portal_sync::codec::encode)
                .collect();
            let sent = client
                .post(format!("{base}/api/v1/push"))
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(format!("{{\"events\":[{}]}}", lines.join(",")))
                .send();
            // The kill lands while this push may be on its way.
            let answer = if started.elapsed() + Duration::from_millis(20) >= kill_after {
                let (answer, ()) = tokio::join!(sent, async {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    server.kill().expect("SIGKILL");
                });
                answer
            } else {
                sent.await
            };
            match answer {
                Ok(response) if response.status().is_success() => {
                    let reply: Value = response.json().await.unwrap();
                    let positions = reply["events"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| e["global_position"].as_u64().unwrap())
                        .collect();
                    acknowledged.insert(next, positions);
                    next += 1;
                }
                // No answer: the batch may or may not be stored. It is
                // sent again after the restart, which must be safe.
                _ => {
                    unanswered += 1;
                    break;
                }
            }
        }
        let _ = server.kill();
        let _ = server.wait();
    }

    // Once more, to read what survived and to send the rest.
    let mut server = start(&database, port, TOKEN, "crash");
    until_healthy(&client, &base).await;
    let mut stored: Vec<Value> = Vec::new();
    let mut after = 0;
    loop {
        let page: Value = client
            .get(format!("{base}/api/v1/pull?after={after}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        stored.extend(page["events"].as_array().unwrap().iter().cloned());
        after = page["next"].as_u64().unwrap();
        if page["more"] != Value::Bool(true) {
            break;
        }
    }
    let _ = server.kill();
    let _ = server.wait();

    let at: HashMap<String, u64> = stored
        .iter()
        .map(|e| {
            (
                e["event_id"].as_str().unwrap().to_owned(),
                e["global_position"].as_u64().unwrap(),
            )
        })
        .collect();
    for (event, position) in stored.iter().zip(1u64..) {
        assert_eq!(event["global_position"], position, "gap-free");
    }
    assert!(!acknowledged.is_empty(), "some batches were acknowledged");
    assert!(unanswered > 0, "a kill landed while a push was on its way");
    eprintln!(
        "{} batches acknowledged, {unanswered} unanswered, {} events stored",
        acknowledged.len(),
        stored.len()
    );
    for (i, batch) in batches.iter().enumerate() {
        let present: Vec<Option<u64>> = batch
            .iter()
            .map(|e| at.get(&e.event_id.to_string()).copied())
            .collect();
        let whole = present.iter().all(Option::is_some);
        let none = present.iter().all(Option::is_none);
        assert!(whole || none, "batch {i} is stored whole or not at all");
        if let Some(positions) = acknowledged.get(&i) {
            let found: Vec<u64> = present.into_iter().flatten().collect();
            assert_eq!(
                &found, positions,
                "acknowledged batch {i} is where it was told"
            );
        }
    }
}

#[tokio::test]
async fn sqlite_keeps_every_acknowledged_batch_through_kill_9() {
    crash_mid_stream(BackendKind::Sqlite).await;
}

#[tokio::test]
async fn postgres_keeps_every_acknowledged_batch_through_kill_9() {
    crash_mid_stream(BackendKind::Postgres).await;
}
