//! The store's budgets, measured in headless Chromium on IndexedDB. Run by
//! `scripts/bench-store.sh`, which builds it in release and keeps the lines
//! that start with `{`: one JSON object per figure.
#![cfg(target_arch = "wasm32")]

#[path = "contract/fixture.rs"]
mod fixture;

use portal_domain::{Envelope, Portal};
use portal_store::checkpoint::cold_start;
use portal_store::chunk::{self, Chunk};
use portal_store::engine::{Backend, Mode, Place, Tx};
use portal_store::idb::IdbStore;
use portal_store::{EventStore, SyncState};
use serde_json::json;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const EVENTS: usize = 100_000;
const APPENDS: usize = 500;
const COLD_RUNS: usize = 5;

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

fn report(value: serde_json::Value) {
    console_log!("{value}");
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    percentile(&xs, 0.5)
}

fn pending(events: &[Envelope]) -> Vec<(Envelope, SyncState)> {
    events
        .iter()
        .cloned()
        .map(|e| (e, SyncState::Pending))
        .collect()
}

async fn storage_usage() -> Option<f64> {
    let storage = web_sys::window()?.navigator().storage();
    let estimate = wasm_bindgen_futures::JsFuture::from(storage.estimate().ok()?)
        .await
        .ok()?;
    js_sys::Reflect::get(&estimate, &"usage".into())
        .ok()?
        .as_f64()
}

async fn open(name: &str) -> IdbStore {
    IdbStore::open(name, || {}).await.expect("IndexedDB opens")
}

#[wasm_bindgen_test]
async fn store_budgets() {
    IdbStore::delete("bench").await.unwrap();
    let usage_before = storage_usage().await;
    let log = fixture::demo(7, EVENTS);
    let json_bytes: usize = log
        .iter()
        .map(|e| portal_sync::codec::encode(e).len())
        .sum();

    // Bulk import, in one transaction.
    let store = open("bench").await;
    let start = now();
    store.import(pending(&log)).await.unwrap();
    let import_ms = now() - start;
    report(json!({
        "figure": "bulk import", "events": log.len(), "ms": import_ms,
        "events_per_s": log.len() as f64 / import_ms * 1000.0,
        "json_bytes_per_event": json_bytes as f64 / log.len() as f64,
    }));

    // Appends of one command (two events) each, on the 100k log, with the
    // log loaded as the app holds it.
    let held = store.read_all().await.unwrap();
    let mut f = fixture::Fixture::new(99);
    f.portal = Portal::new();
    let create = f.create(1);
    store.append(create.expected, &create.events).await.unwrap();
    // Each append takes turns with two bare transactions on a second store,
    // so that all three see the same moments of a noisy host: a put alone
    // (IndexedDB's floor for any write), and a read then a put.
    IdbStore::delete("bench-floor").await.unwrap();
    let floor = open("bench-floor").await;
    let mut other = fixture::Fixture::new(98);
    other.create(7);
    let frames: Vec<Vec<u8>> = other
        .add(7, "Floor Product")
        .events
        .iter()
        .map(chunk::frame_of)
        .collect();
    let states = vec![SyncState::Pending; frames.len()];
    let mut head = 0;
    let mut times = Vec::with_capacity(APPENDS);
    let mut put_only = Vec::with_capacity(APPENDS);
    let mut read_put = Vec::with_capacity(APPENDS);
    let mut sizes = Vec::with_capacity(APPENDS);
    for i in 0..APPENDS {
        let batch = if i % 2 == 0 {
            f.add(1, "Bench Product")
        } else {
            f.remove(1, "Bench Product", "benchmark")
        };
        sizes.push(batch.events.len());
        let start = now();
        head = store
            .append(batch.expected, &batch.events)
            .await
            .unwrap()
            .positions
            .end;
        times.push(now() - start);

        let key = (i as u64) * 10;
        let start = now();
        let tx = floor.backend().begin(Mode::Write).await.unwrap();
        tx.put(Place::Chunks, &Chunk::new(key, &frames, &states))
            .unwrap();
        tx.commit().await.unwrap();
        put_only.push(now() - start);

        let start = now();
        let tx = floor.backend().begin(Mode::Write).await.unwrap();
        let read = tx.log_end();
        tx.put(Place::Chunks, &Chunk::new(key + 5, &frames, &states))
            .unwrap();
        read.await.unwrap();
        tx.commit().await.unwrap();
        read_put.push(now() - start);
    }
    drop(held);
    drop(floor);
    IdbStore::delete("bench-floor").await.unwrap();
    for t in [&mut times, &mut put_only, &mut read_put] {
        t.sort_by(f64::total_cmp);
    }
    report(json!({
        "figure": "append one command", "log_events": log.len(), "appends": APPENDS,
        "events_per_command": sizes.iter().sum::<usize>() as f64 / APPENDS as f64,
        "p50_ms": percentile(&times, 0.5), "p95_ms": percentile(&times, 0.95),
        "max_ms": times[times.len() - 1],
        "bare_put_p50_ms": percentile(&put_only, 0.5),
        "bare_put_p95_ms": percentile(&put_only, 0.95),
        "bare_read_put_p50_ms": percentile(&read_put, 0.5),
        "bare_read_put_p95_ms": percentile(&read_put, 0.95),
    }));
    // Catch-up after a pull: pages of 1,000 synced events into a second database.
    IdbStore::delete("bench-pull").await.unwrap();
    let pulled = open("bench-pull").await;
    let start = now();
    for (page, events) in log.chunks(1_000).enumerate() {
        let base = (page * 1_000) as u64;
        let batch = events
            .iter()
            .cloned()
            .zip(base + 1..)
            .map(|(e, g)| {
                (
                    e,
                    SyncState::Synced {
                        global_position: g,
                        recorded_at: fixture::t0(),
                    },
                )
            })
            .collect();
        pulled.import(batch).await.unwrap();
    }
    let pull_ms = now() - start;
    report(json!({
        "figure": "catch-up in pages of 1,000", "events": log.len(), "ms": pull_ms,
        "events_per_s": log.len() as f64 / pull_ms * 1000.0,
    }));
    drop(pulled);
    IdbStore::delete("bench-pull").await.unwrap();

    // Footprint.
    let usage_after = storage_usage().await;
    let chunks = store.chunk_count().await.unwrap();
    report(json!({
        "figure": "footprint", "events": head, "records": chunks,
        "usage_bytes": usage_after.zip(usage_before).map(|(a, b)| a - b),
        "usage_bytes_per_event": usage_after.zip(usage_before).map(|(a, b)| (a - b) / head as f64),
    }));

    // Cold load: a first start folds from zero and saves a checkpoint.
    drop(store);
    let start = now();
    let first = cold_start(&open("bench").await).await.unwrap();
    let from_zero_ms = now() - start;
    assert_eq!(first.portal.position(), head);
    drop(first);
    let mut runs = Vec::new();
    let mut read_runs = Vec::new();
    for _ in 0..COLD_RUNS {
        let start = now();
        let store = open("bench").await;
        let started = cold_start(&store).await.unwrap();
        runs.push(now() - start);
        assert_eq!(started.portal.position(), head);
        drop(started);
        let start = now();
        let loaded = store.read_all().await.unwrap();
        read_runs.push(now() - start);
        assert_eq!(loaded.events.len() as u64, head);
    }
    report(json!({
        "figure": "cold load to head", "events": head, "runs": runs,
        "median_ms": median(runs.clone()), "first_start_without_checkpoint_ms": from_zero_ms,
        "read_all_median_ms": median(read_runs),
    }));

    IdbStore::delete("bench").await.unwrap();
}
