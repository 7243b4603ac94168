//! The `EventStore` contract, written once and run on every store: natively
//! on the in-memory store, and in headless Chromium on IndexedDB.
//!
//! "Nothing lost" is checked the same way throughout: after a refused or
//! interrupted write, `read_all` returns exactly what it returned before.
#![allow(dead_code)]

pub mod fixture;

use fixture::{app, demo, Fixture};
use portal_domain::*;
use portal_store::checkpoint::{checkpoint_of, cold_start, Warmth};
use portal_store::chunk::{self, Chunk};
use portal_store::engine::{self, Backend, Engine};
use portal_store::Notice;
use portal_store::*;
use std::cell::RefCell;
use std::rc::Rc;

/// What the suite needs from each store's test setup.
#[allow(async_fn_in_trait)]
pub trait Harness {
    type B: Backend;
    /// A handle on database `name`; a second call gives a second handle (a second tab).
    async fn open(&self, name: &str) -> Engine<Self::B>;
    /// Like `open`, with `read` reading a schema 1 log.
    async fn open_reading(&self, name: &str, read: impl LegacyReader) -> Engine<Self::B>;
    /// Deletes database `name`, so a case starts from nothing.
    async fn fresh(&self, name: &str);
    /// Creates `name` in the layout of schema version 1.
    async fn create_schema_1(&self, name: &str, lines: &[String]);
    /// Writes a chunk record as is, bypassing the engine.
    async fn put_raw_chunk(&self, store: &Engine<Self::B>, chunk: Chunk);
    /// How many chunk records hold the log.
    async fn chunk_count(&self, store: &Engine<Self::B>) -> usize;
    fn watch(&self, store: &Engine<Self::B>, on_change: Box<dyn Fn(&Notice)>);
    /// Lets the browser deliver messages; immediate where nothing is asynchronous.
    async fn settle(&self, millis: u32);
    fn now_millis(&self) -> f64;
}

async fn fresh<H: Harness>(h: &H, name: &str) -> Engine<H::B> {
    h.fresh(name).await;
    h.open(name).await
}

fn ids(loaded: &Loaded) -> Vec<EventId> {
    loaded.events.iter().map(|e| e.envelope.event_id).collect()
}

fn envelopes(loaded: &Loaded) -> Vec<Envelope> {
    loaded.events.iter().map(|e| e.envelope.clone()).collect()
}

/// Imports `events` as not yet synced, which must succeed.
async fn import_pending<S: EventStore>(store: &S, events: &[Envelope]) -> Imported {
    store
        .import(
            events
                .iter()
                .cloned()
                .map(|e| (e, SyncState::Pending))
                .collect(),
        )
        .await
        .expect("the import succeeds")
}

async fn append_ok<S: EventStore>(store: &S, batch: &fixture::Batch) -> Appended {
    store
        .append(batch.expected, &batch.events)
        .await
        .expect("append succeeds")
}

pub async fn an_empty_store_reads_nothing<H: Harness>(h: &H) {
    let store = fresh(h, "empty").await;
    let loaded = store.read_all().await.unwrap();
    assert_eq!(loaded, Loaded::default());
    assert_eq!(store.last_pulled().await.unwrap(), 0);
    assert_eq!(store.load_checkpoint().await.unwrap(), None);
    assert_eq!(store.schema_version(), STORE_SCHEMA);
}

pub async fn appended_events_read_back_in_order_as_pending<H: Harness>(h: &H) {
    let store = fresh(h, "append").await;
    let mut f = Fixture::new(1);
    let a = f.create(1);
    let b = f.add(1, "Payments");
    assert_eq!(
        append_ok(&store, &a).await.positions,
        0..a.events.len() as u64
    );
    let second = append_ok(&store, &b).await;
    assert_eq!(second.positions.start, a.events.len() as u64);
    assert!(!second.already_stored);
    let loaded = store.read_all().await.unwrap();
    let expected: Vec<Envelope> = a.events.iter().chain(&b.events).cloned().collect();
    assert_eq!(envelopes(&loaded), expected);
    assert!(loaded.events.iter().all(|e| e.sync == SyncState::Pending));
    let positions: Vec<u64> = loaded.events.iter().map(|e| e.position).collect();
    assert_eq!(positions, (0..expected.len() as u64).collect::<Vec<_>>());
    assert_eq!(loaded.head, expected.len() as u64);
}

pub async fn streams_interleave_in_one_log<H: Harness>(h: &H) {
    let store = fresh(h, "interleave").await;
    let mut f = Fixture::new(2);
    let batches = [f.create(1), f.create(2), f.add(1, "Maps"), f.add(2, "Maps")];
    for b in &batches {
        append_ok(&store, b).await;
    }
    let loaded = store.read_all().await.unwrap();
    assert_eq!(
        envelopes(&loaded),
        f.portal.log().iter().cloned().collect::<Vec<_>>()
    );
}

pub async fn a_stale_expected_version_is_a_conflict_and_writes_nothing<H: Harness>(h: &H) {
    let store = fresh(h, "conflict-behind").await;
    let mut f = Fixture::new(3);
    append_ok(&store, &f.create(1)).await;
    let add = f.add(1, "Maps");
    let before = store.read_all().await.unwrap();
    let err = store
        .append(add.expected - 1, &renumber(&add.events, add.expected - 1))
        .await;
    assert_eq!(
        err,
        Err(StoreError::Conflict {
            stream: app(1).into(),
            expected: add.expected - 1,
            actual: add.expected,
        })
    );
    assert_eq!(store.read_all().await.unwrap(), before);
}

pub async fn an_expected_version_ahead_is_a_conflict<H: Harness>(h: &H) {
    let store = fresh(h, "conflict-ahead").await;
    let mut f = Fixture::new(4);
    let create = f.create(1);
    let ahead = renumber(&create.events, 5);
    let err = store.append(5, &ahead).await;
    assert_eq!(
        err,
        Err(StoreError::Conflict {
            stream: app(1).into(),
            expected: 5,
            actual: 0,
        })
    );
    assert_eq!(store.read_all().await.unwrap(), Loaded::default());
}

/// The same events numbered from `expected + 1`, as a stale tab would send them.
fn renumber(events: &[Envelope], expected: u64) -> Vec<Envelope> {
    events
        .iter()
        .zip(expected + 1..)
        .map(|(e, v)| Envelope {
            stream_version: v,
            ..e.clone()
        })
        .collect()
}

pub async fn a_retried_command_is_a_no_op_returning_its_positions<H: Harness>(h: &H) {
    let store = fresh(h, "retry").await;
    let mut f = Fixture::new(5);
    let create = f.create(1);
    let first = append_ok(&store, &create).await;
    append_ok(&store, &f.add(1, "Maps")).await;
    let before = store.read_all().await.unwrap();
    let again = store.append(create.expected, &create.events).await.unwrap();
    assert_eq!(again.positions, first.positions);
    assert!(again.already_stored);
    assert_eq!(store.read_all().await.unwrap(), before);
}

pub async fn a_reused_id_with_other_content_is_refused<H: Harness>(h: &H) {
    let store = fresh(h, "id-reused").await;
    let mut f = Fixture::new(6);
    let create = f.create(1);
    append_ok(&store, &create).await;
    let before = store.read_all().await.unwrap();
    let mut forged = create.events.clone();
    forged[0].actor = Actor::parse("mallory@example.com").unwrap();
    let err = store.append(create.expected, &forged).await;
    assert_eq!(
        err,
        Err(StoreError::IdReused {
            event_id: forged[0].event_id
        })
    );
    assert_eq!(store.read_all().await.unwrap(), before);
}

pub async fn a_command_partly_stored_already_is_refused<H: Harness>(h: &H) {
    let store = fresh(h, "partial-dup").await;
    let mut f = Fixture::new(7);
    let create = f.create(1);
    append_ok(&store, &create).await;
    let add = f.add(1, "Maps");
    let mut mixed = add.events.clone();
    mixed[0].event_id = create.events[0].event_id;
    let before = store.read_all().await.unwrap();
    assert!(matches!(
        store.append(add.expected, &mixed).await,
        Err(StoreError::IdReused { .. })
    ));
    assert_eq!(store.read_all().await.unwrap(), before);
}

pub async fn malformed_batches_are_refused<H: Harness>(h: &H) {
    let store = fresh(h, "malformed").await;
    let mut f = Fixture::new(8);
    assert!(matches!(
        store.append(0, &[]).await,
        Err(StoreError::InvalidBatch(_))
    ));
    let one = f.create(1);
    let two = f.create(2);
    let mixed: Vec<Envelope> = vec![one.events[0].clone(), two.events[1].clone()];
    assert!(matches!(
        store.append(0, &mixed).await,
        Err(StoreError::InvalidBatch(m)) if m.contains("one stream")
    ));
    let gap = vec![one.events[0].clone(), one.events[0].clone()];
    assert!(matches!(
        store.append(0, &gap).await,
        Err(StoreError::InvalidBatch(m)) if m.contains("stream version")
    ));
    assert_eq!(store.read_all().await.unwrap(), Loaded::default());
}

pub async fn read_from_returns_the_rest_of_the_log<H: Harness>(h: &H) {
    let store = fresh(h, "read-from").await;
    let mut f = Fixture::new(9);
    for n in 0..5 {
        append_ok(&store, &f.create(n)).await;
    }
    let all = store.read_all().await.unwrap();
    let from = store.read_from(7).await.unwrap();
    assert_eq!(from.events, all.events[7..].to_vec());
    assert_eq!(from.head, all.head);
    let beyond = store.read_from(all.head + 10).await.unwrap();
    assert!(beyond.events.is_empty());
}

pub async fn read_stream_returns_one_stream_in_order<H: Harness>(h: &H) {
    let store = fresh(h, "read-stream").await;
    let mut f = Fixture::new(10);
    let batches = [
        f.create(1),
        f.create(2),
        f.add(1, "Maps"),
        f.add(2, "Search"),
        f.remove(1, "Maps", "too slow"),
    ];
    for b in &batches {
        append_ok(&store, b).await;
    }
    let stream = store.read_stream(app(1).into()).await.unwrap();
    let versions: Vec<u64> = stream.iter().map(|e| e.envelope.stream_version).collect();
    assert!(stream.iter().all(|e| e.envelope.stream_id == app(1).into()));
    assert_eq!(versions, (1..=versions.len() as u64).collect::<Vec<_>>());
    assert_eq!(
        versions.len(),
        batches[0].events.len() + batches[2].events.len() + batches[4].events.len()
    );
    assert!(store.read_stream(app(99).into()).await.unwrap().is_empty());
}

pub async fn a_bulk_import_reads_back_identical<H: Harness>(h: &H) {
    let store = fresh(h, "import").await;
    let log = demo(11, 3_000);
    let imported = import_pending(&store, &log).await;
    assert_eq!(imported.positions, 0..log.len() as u64);
    assert_eq!(imported.skipped, 0);
    assert_eq!(envelopes(&store.read_all().await.unwrap()), log);
    assert!(
        h.chunk_count(&store).await <= log.len().div_ceil(1024),
        "an import writes chunks, not one record per event"
    );
}

pub async fn an_import_with_a_conflict_keeps_nothing<H: Harness>(h: &H) {
    let store = fresh(h, "import-conflict").await;
    let mut log = demo(12, 500);
    let victim = log.len() / 2;
    log[victim].stream_version += 7;
    let err = store
        .import(log.into_iter().map(|e| (e, SyncState::Pending)).collect())
        .await;
    assert!(matches!(err, Err(StoreError::Conflict { .. })), "{err:?}");
    assert_eq!(store.read_all().await.unwrap(), Loaded::default());
}

pub async fn an_overlapping_import_skips_what_is_stored<H: Harness>(h: &H) {
    let store = fresh(h, "import-overlap").await;
    let log = demo(13, 800);
    let pending = |events: &[Envelope]| -> Vec<(Envelope, SyncState)> {
        events
            .iter()
            .cloned()
            .map(|e| (e, SyncState::Pending))
            .collect()
    };
    store.import(pending(&log[..500])).await.unwrap();
    let second = store.import(pending(&log[300..])).await.unwrap();
    assert_eq!(second.skipped, 200);
    assert_eq!(second.positions, 500..log.len() as u64);
    assert_eq!(envelopes(&store.read_all().await.unwrap()), log);
}

pub async fn an_import_reusing_an_id_keeps_nothing<H: Harness>(h: &H) {
    let store = fresh(h, "import-reuse").await;
    let log = demo(14, 300);
    import_pending(&store, &log[..100]).await;
    let before = store.read_all().await.unwrap();
    let mut rest: Vec<Envelope> = log[100..].to_vec();
    let mut forged = log[50].clone();
    forged.device = DeviceId(uuid::Uuid::from_u128(0xBAD));
    rest.insert(10, forged.clone());
    let err = store
        .import(rest.into_iter().map(|e| (e, SyncState::Pending)).collect())
        .await;
    assert_eq!(
        err,
        Err(StoreError::IdReused {
            event_id: forged.event_id
        })
    );
    assert_eq!(store.read_all().await.unwrap(), before);
}

pub async fn an_import_repeating_an_id_is_refused<H: Harness>(h: &H) {
    let store = fresh(h, "import-twice").await;
    let log = demo(15, 50);
    let mut batch: Vec<(Envelope, SyncState)> = log
        .iter()
        .cloned()
        .map(|e| (e, SyncState::Pending))
        .collect();
    batch.push(batch[3].clone());
    assert!(matches!(
        store.import(batch).await,
        Err(StoreError::InvalidBatch(m)) if m.contains("twice")
    ));
    assert_eq!(store.read_all().await.unwrap(), Loaded::default());
}

fn synced(global_position: u64) -> SyncState {
    SyncState::Synced {
        global_position,
        recorded_at: fixture::t0() + chrono::Duration::seconds(global_position as i64),
    }
}

pub async fn an_import_keeps_the_sync_state_it_is_given<H: Harness>(h: &H) {
    let store = fresh(h, "import-synced").await;
    let log = demo(16, 200);
    store
        .import(
            log.iter()
                .cloned()
                .zip(1..)
                .map(|(e, g)| (e, synced(g)))
                .collect(),
        )
        .await
        .unwrap();
    let loaded = store.read_all().await.unwrap();
    for (event, g) in loaded.events.iter().zip(1..) {
        assert_eq!(event.sync, synced(g));
        assert_eq!(event.envelope.global_position, Some(g));
        assert!(event.envelope.recorded_at.is_some());
    }
}

pub async fn sync_states_can_be_marked_synced_and_rejected<H: Harness>(h: &H) {
    let store = fresh(h, "sync-states").await;
    let mut f = Fixture::new(17);
    let a = f.create(1);
    let b = f.create(2);
    append_ok(&store, &a).await;
    append_ok(&store, &b).await;
    let rejected = SyncState::Rejected {
        reason: "Application App 2 was deleted on another device".into(),
    };
    let mut updates: Vec<(EventId, SyncState)> = a
        .events
        .iter()
        .zip(40..)
        .map(|(e, g)| (e.event_id, synced(g)))
        .collect();
    // A rejection covers the whole command.
    updates.extend(b.events.iter().map(|e| (e.event_id, rejected.clone())));
    store.set_sync_states(&updates).await.unwrap();
    let loaded = store.read_all().await.unwrap();
    for (event, g) in loaded.events.iter().zip(40..).take(a.events.len()) {
        assert_eq!(event.sync, synced(g));
    }
    for event in &loaded.events[a.events.len()..] {
        assert_eq!(event.sync, rejected);
    }
}

/// Two devices that both saw application 1 created: `here` holds this
/// device's store, `there` decides another device's commands.
struct TwoDevices {
    here: Fixture,
    there: Fixture,
    created: fixture::Batch,
}

impl TwoDevices {
    async fn on<S: EventStore>(store: &S, seed: u64) -> Self {
        let mut here = Fixture::new(seed);
        let created = here.create(1);
        append_ok(store, &created).await;
        store
            .set_sync_states(&synced_all(&created.events, 1))
            .await
            .unwrap();
        let mut there = Fixture::new(seed + 1000);
        for e in &created.events {
            there.portal.append(e.clone()).unwrap();
        }
        TwoDevices {
            here,
            there,
            created,
        }
    }
}

fn synced_all(events: &[Envelope], from: u64) -> Vec<(EventId, SyncState)> {
    events
        .iter()
        .zip(from..)
        .map(|(e, g)| (e.event_id, synced(g)))
        .collect()
}

pub async fn a_rebase_settles_in_one_transaction<H: Harness>(h: &H) {
    let store = fresh(h, "settle").await;
    let TwoDevices {
        mut here,
        mut there,
        created,
    } = TwoDevices::on(&store, 41).await;
    // Another device adds a product first; this one, offline, adds another
    // at the same stream version.
    let theirs = there.add(1, "Payments");
    let mine = here.add(1, "Maps");
    assert_eq!(mine.expected, theirs.expected);
    append_ok(&store, &mine).await;
    // Decided again after theirs.
    for e in &theirs.events {
        there.portal.append(e.clone()).unwrap();
    }
    let again = there.add(1, "Maps");
    let superseded = SyncState::Superseded {
        by: again.events[0].event_id,
    };
    let mut incoming: Vec<(Envelope, SyncState)> = theirs
        .events
        .iter()
        .zip(created.events.len() as u64 + 1..)
        .map(|(e, g)| (e.clone(), synced(g)))
        .collect();
    incoming.extend(again.events.iter().map(|e| (e.clone(), SyncState::Pending)));
    let updates: Vec<(EventId, SyncState)> = mine
        .events
        .iter()
        .map(|e| (e.event_id, superseded.clone()))
        .collect();
    let imported = store.settle(&updates, incoming).await.unwrap();
    assert_eq!(imported.skipped, 0);

    let loaded = store.read_all().await.unwrap();
    let states: Vec<&SyncState> = loaded.events.iter().map(|e| &e.sync).collect();
    let n = created.events.len();
    let (m, t) = (mine.events.len(), theirs.events.len());
    assert!(states[..n]
        .iter()
        .all(|s| matches!(s, SyncState::Synced { .. })));
    assert!(states[n..n + m].iter().all(|s| **s == superseded));
    assert!(states[n + m..n + m + t]
        .iter()
        .all(|s| matches!(s, SyncState::Synced { .. })));
    assert!(states[n + m + t..]
        .iter()
        .all(|s| **s == SyncState::Pending));
    // Nothing lost: every event is still there, the superseded ones too.
    assert_eq!(loaded.events.len(), n + m + t + again.events.len());
    // The projections count the shared history only.
    let start = cold_start(&store).await.unwrap();
    let counted: Vec<EventId> = start.portal.log().iter().map(|e| e.event_id).collect();
    let expected: Vec<EventId> = created
        .events
        .iter()
        .chain(&theirs.events)
        .chain(&again.events)
        .map(|e| e.event_id)
        .collect();
    assert_eq!(counted, expected);
    assert_eq!(start.entries.len(), expected.len());

    // The stream goes on after the re-decided command, in this handle and
    // in a second one that learns it from storage.
    let next = there.add(1, "Search");
    assert_eq!(next.expected, again.expected + again.events.len() as u64);
    let second = h.open("settle").await;
    second.append(next.expected, &next.events).await.unwrap();
    let after = there.add(1, "Billing");
    append_ok(&store, &after).await;
}

pub async fn a_settle_that_fails_keeps_nothing<H: Harness>(h: &H) {
    let store = fresh(h, "settle-fails").await;
    let TwoDevices {
        mut here,
        mut there,
        ..
    } = TwoDevices::on(&store, 43).await;
    let theirs = there.add(1, "Payments");
    let mine = here.add(1, "Maps");
    append_ok(&store, &mine).await;
    let before = store.read_all().await.unwrap();
    let updates: Vec<(EventId, SyncState)> = mine
        .events
        .iter()
        .map(|e| {
            let reason = "Payments was added on another device".to_owned();
            (e.event_id, SyncState::Rejected { reason })
        })
        .collect();
    // Their events arrive with a hole: the import conflicts.
    let incoming: Vec<(Envelope, SyncState)> = theirs.events[1..]
        .iter()
        .map(|e| (e.clone(), synced(9)))
        .collect();
    assert!(matches!(
        store.settle(&updates, incoming).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.read_all().await.unwrap(), before, "nothing kept");
    // The handle still knows the stream's version: this device's own next
    // command goes on after its pending one.
    let next = here.add(1, "Search");
    append_ok(&store, &next).await;
}

pub async fn only_a_streams_latest_events_may_stop_counting<H: Harness>(h: &H) {
    let store = fresh(h, "settle-latest").await;
    let TwoDevices {
        mut here,
        mut there,
        ..
    } = TwoDevices::on(&store, 45).await;
    let first = here.add(1, "Maps");
    let second = here.add(1, "Search");
    append_ok(&store, &first).await;
    append_ok(&store, &second).await;
    let before = store.read_all().await.unwrap();
    let reason = "refused".to_owned();
    let updates: Vec<(EventId, SyncState)> = first
        .events
        .iter()
        .map(|e| {
            (
                e.event_id,
                SyncState::Rejected {
                    reason: reason.clone(),
                },
            )
        })
        .collect();
    assert!(matches!(
        store.set_sync_states(&updates).await,
        Err(StoreError::InvalidBatch(_))
    ));
    assert_eq!(store.read_all().await.unwrap(), before);
    // Both commands, latest first or together, may.
    let mut both = updates.clone();
    both.extend(second.events.iter().map(|e| {
        (
            e.event_id,
            SyncState::Rejected {
                reason: reason.clone(),
            },
        )
    }));
    store.set_sync_states(&both).await.unwrap();
    // The stream is back where it was before them.
    let instead = there.add(1, "Billing");
    assert_eq!(instead.expected, first.expected);
    append_ok(&store, &instead).await;
}

pub async fn marking_an_unknown_event_changes_nothing<H: Harness>(h: &H) {
    let store = fresh(h, "sync-unknown").await;
    let mut f = Fixture::new(18);
    let a = f.create(1);
    append_ok(&store, &a).await;
    let before = store.read_all().await.unwrap();
    let stranger = EventId(uuid::Uuid::from_u128(42));
    let err = store
        .set_sync_states(&[(a.events[0].event_id, synced(1)), (stranger, synced(2))])
        .await;
    assert_eq!(err, Err(StoreError::UnknownEvent { event_id: stranger }));
    assert_eq!(store.read_all().await.unwrap(), before);
}

pub async fn the_device_id_is_claimed_once<H: Harness>(h: &H) {
    let first = fresh(h, "device").await;
    let second = h.open("device").await;
    let a = DeviceId(uuid::Uuid::from_u128(1));
    let b = DeviceId(uuid::Uuid::from_u128(2));
    assert_eq!(first.claim_device_id(a).await.unwrap(), a);
    assert_eq!(second.claim_device_id(b).await.unwrap(), a);
    let reopened = h.open("device").await;
    assert_eq!(reopened.claim_device_id(b).await.unwrap(), a);
}

pub async fn the_last_pulled_position_persists<H: Harness>(h: &H) {
    let store = fresh(h, "pulled").await;
    store.set_last_pulled(1234).await.unwrap();
    assert_eq!(store.last_pulled().await.unwrap(), 1234);
    let reopened = h.open("pulled").await;
    assert_eq!(reopened.last_pulled().await.unwrap(), 1234);
}

pub async fn the_log_survives_reopening<H: Harness>(h: &H) {
    let store = fresh(h, "reopen").await;
    let mut f = Fixture::new(19);
    append_ok(&store, &f.create(1)).await;
    append_ok(&store, &f.add(1, "Maps")).await;
    let before = store.read_all().await.unwrap();
    drop(store);
    let reopened = h.open("reopen").await;
    assert_eq!(reopened.read_all().await.unwrap(), before);
    // And it goes on from where it was, versions included.
    let next = f.add(1, "Search");
    let appended = append_ok(&reopened, &next).await;
    assert_eq!(appended.positions.start, before.head);
}

pub async fn a_checkpoint_round_trips<H: Harness>(h: &H) {
    let store = fresh(h, "checkpoint").await;
    let portal = Portal::fold(&demo(20, 500));
    let checkpoint = checkpoint_of(&portal);
    store.save_checkpoint(&checkpoint).await.unwrap();
    assert_eq!(store.load_checkpoint().await.unwrap(), Some(checkpoint));
}

pub async fn a_cold_start_restores_the_checkpoint_and_folds_the_rest<H: Harness>(h: &H) {
    let store = fresh(h, "cold").await;
    let log = demo(21, 3_000);
    let (head, tail) = log.split_at(2_500);
    import_pending(&store, head).await;
    let first = cold_start(&store).await.unwrap();
    assert_eq!(first.warmth, Warmth::Folded { distrusted: None });
    assert!(first.saved_checkpoint);
    import_pending(&store, tail).await;
    let second = cold_start(&store).await.unwrap();
    assert_eq!(second.warmth, Warmth::Restored { from: 2_500 });
    assert_eq!(second.portal, Portal::fold(&log));
    assert_eq!(second.entries.len(), log.len());
}

/// Appends not yet compacted, then an import after them: the import's
/// segment is read before the appends' chunks, and a read must still hand
/// the events over in position order, whole.
pub async fn an_import_after_appends_loads_in_position_order<H: Harness>(h: &H) {
    let store = fresh(h, "import-after-appends").await;
    let mut f = Fixture::new(23);
    let a = f.create(1);
    let b = f.add(1, "Maps");
    append_ok(&store, &a).await;
    append_ok(&store, &b).await;
    let log = demo(23, 1_500);
    import_pending(&store, &log).await;
    let rejected = SyncState::Rejected {
        reason: "Application App 1 was deleted on another device".into(),
    };
    let updates: Vec<_> = b
        .events
        .iter()
        .map(|e| (e.event_id, rejected.clone()))
        .collect();
    store.set_sync_states(&updates).await.unwrap();

    let loaded = store.read_all().await.unwrap();
    let everything: Vec<Envelope> = a
        .events
        .iter()
        .chain(&b.events)
        .chain(&log)
        .cloned()
        .collect();
    assert_eq!(envelopes(&loaded), everything);
    let positions: Vec<u64> = loaded.events.iter().map(|e| e.position).collect();
    assert_eq!(positions, (0..everything.len() as u64).collect::<Vec<_>>());
    let mut streamed = Vec::new();
    let rest = store
        .read_all_each(&mut |e| streamed.push(e))
        .await
        .unwrap();
    assert_eq!(streamed, loaded.events);
    assert_eq!((rest.head, rest.events.len()), (loaded.head, 0));

    let start = cold_start(&store).await.unwrap();
    let live: Vec<Envelope> = a.events.iter().chain(&log).cloned().collect();
    assert_eq!(start.portal, Portal::fold(&live));
    assert_eq!(start.entries.len(), live.len());
    let aside: Vec<EventId> = start
        .set_aside
        .iter()
        .map(|e| e.envelope.event_id)
        .collect();
    assert_eq!(
        aside,
        b.events.iter().map(|e| e.event_id).collect::<Vec<_>>()
    );
    // Another handle, started cold, takes the next command where the
    // rejected one was: its stream version was given back.
    let other = h.open("import-after-appends").await;
    cold_start(&other).await.unwrap();
    let mut g = Fixture::new(24);
    g.create(1);
    let next = g.add(1, "Search");
    assert_eq!(next.expected, b.expected);
    other
        .append(next.expected, &next.events)
        .await
        .expect("it fits after the rejected command");
}

pub async fn a_checkpoint_from_other_projection_code_is_rebuilt<H: Harness>(h: &H) {
    let store = fresh(h, "cold-version").await;
    let log = demo(22, 2_500);
    import_pending(&store, &log).await;
    let mut stale = checkpoint_of(&Portal::fold(&log));
    stale.projection_version += 1;
    store.save_checkpoint(&stale).await.unwrap();
    let start = cold_start(&store).await.unwrap();
    assert!(
        matches!(&start.warmth, Warmth::Folded { distrusted: Some(why) } if why.contains("projection version")),
        "{:?}",
        start.warmth
    );
    assert_eq!(start.portal, Portal::fold(&log));
    let rebuilt = store.load_checkpoint().await.unwrap().unwrap();
    assert_eq!(rebuilt.projection_version, PROJECTION_VERSION);
}

pub async fn a_checkpoint_from_another_log_is_rebuilt<H: Harness>(h: &H) {
    let store = fresh(h, "cold-other-log").await;
    let log = demo(23, 600);
    import_pending(&store, &log).await;
    let other = Portal::fold(&demo(24, 300));
    store.save_checkpoint(&checkpoint_of(&other)).await.unwrap();
    let start = cold_start(&store).await.unwrap();
    assert!(
        matches!(&start.warmth, Warmth::Folded { distrusted: Some(why) } if why.contains("different log")),
        "{:?}",
        start.warmth
    );
    assert_eq!(start.portal, Portal::fold(&log));
}

pub async fn an_unreadable_checkpoint_is_rebuilt<H: Harness>(h: &H) {
    let store = fresh(h, "cold-garbage").await;
    let log = demo(25, 400);
    import_pending(&store, &log).await;
    let mut garbage = checkpoint_of(&Portal::fold(&log));
    garbage.bytes.truncate(garbage.bytes.len() / 2);
    store.save_checkpoint(&garbage).await.unwrap();
    let start = cold_start(&store).await.unwrap();
    assert!(matches!(
        start.warmth,
        Warmth::Folded {
            distrusted: Some(_)
        }
    ));
    assert_eq!(start.portal, Portal::fold(&log));
}

pub async fn an_append_aborted_halfway_keeps_nothing<H: Harness>(h: &H) {
    let store = fresh(h, "abort-append").await;
    let mut f = Fixture::new(26);
    append_ok(&store, &f.create(1)).await;
    let before = store.read_all().await.unwrap();
    let add = f.add(1, "Maps");
    // The command's chunk goes out, then the transaction dies before it commits.
    store.inject_fault(Fault::AbortAfterWrites(1));
    let err = store.append(add.expected, &add.events).await;
    assert!(matches!(err, Err(StoreError::Aborted(_))), "{err:?}");
    assert_eq!(store.read_all().await.unwrap(), before);
    let reopened = h.open("abort-append").await;
    assert_eq!(reopened.read_all().await.unwrap(), before);
    // The same command then succeeds, once.
    append_ok(&store, &add).await;
    assert_eq!(
        store.read_all().await.unwrap().events.len(),
        before.events.len() + add.events.len()
    );
}

pub async fn an_import_aborted_midway_keeps_nothing<H: Harness>(h: &H) {
    let store = fresh(h, "abort-import").await;
    let log = demo(27, 3_000);
    let (first, rest) = log.split_at(500);
    import_pending(&store, first).await;
    let before = store.read_all().await.unwrap();
    let rest: Vec<(Envelope, SyncState)> = rest
        .iter()
        .cloned()
        .map(|e| (e, SyncState::Pending))
        .collect();
    // The first of the import's two chunks is written, then the transaction aborts.
    store.inject_fault(Fault::AbortAfterWrites(1));
    assert!(matches!(
        store.import(rest.clone()).await,
        Err(StoreError::Aborted(_))
    ));
    assert_eq!(store.read_all().await.unwrap(), before);
    assert_eq!(
        cold_start(&store).await.unwrap().portal,
        Portal::fold(first)
    );
    let retried = store.import(rest).await.unwrap();
    assert_eq!(retried.positions, 500..log.len() as u64);
    assert_eq!(envelopes(&store.read_all().await.unwrap()), log);
}

pub async fn a_damaged_record_is_quarantined_and_the_rest_loads<H: Harness>(h: &H) {
    let store = fresh(h, "damaged").await;
    let mut f = Fixture::new(28);
    let a = f.create(1);
    append_ok(&store, &a).await;
    let n = a.events.len() as u64;
    // Three events after it: a readable one, a garbled one, a readable one.
    let b = f.create(2);
    let c = f.create(3);
    let mut frames = vec![chunk::frame_of(&b.events[0])];
    let mut garbled = chunk::frame_of(&b.events[1]);
    let len = garbled.len();
    garbled[len - 3..].fill(0xFF);
    frames.push(garbled);
    frames.push(chunk::frame_of(&c.events[0]));
    h.put_raw_chunk(&store, Chunk::new(n, &frames, &vec![SyncState::Pending; 3]))
        .await;
    let loaded = store.read_all().await.unwrap();
    assert_eq!(loaded.quarantined.len(), 1, "{:?}", loaded.quarantined);
    assert_eq!(loaded.quarantined[0].position, n + 1);
    assert_eq!(
        ids(&loaded),
        a.events
            .iter()
            .map(|e| e.event_id)
            .chain([b.events[0].event_id, c.events[0].event_id])
            .collect::<Vec<_>>()
    );
    // Cold start loads everything else too.
    let start = cold_start(&store).await.unwrap();
    assert_eq!(start.quarantined, loaded.quarantined);
    assert_eq!(start.portal.log().len(), loaded.events.len());
}

pub async fn an_event_from_a_future_schema_is_quarantined<H: Harness>(h: &H) {
    let store = fresh(h, "future").await;
    let mut f = Fixture::new(29);
    let a = f.create(1);
    let mut frames: Vec<Vec<u8>> = a.events.iter().map(chunk::frame_of).collect();
    frames[0][..2].copy_from_slice(&(EVENT_SCHEMA + 1).to_le_bytes());
    h.put_raw_chunk(
        &store,
        Chunk::new(0, &frames, &vec![SyncState::Pending; frames.len()]),
    )
    .await;
    let loaded = store.read_all().await.unwrap();
    assert_eq!(loaded.quarantined.len(), 1);
    assert!(
        loaded.quarantined[0].reason.contains("newer"),
        "{}",
        loaded.quarantined[0].reason
    );
    assert_eq!(ids(&loaded), vec![a.events[1].event_id]);
}

pub async fn a_stale_tab_gets_a_conflict_not_an_overwrite<H: Harness>(h: &H) {
    let tab_a = fresh(h, "two-tabs-conflict").await;
    let tab_b = h.open("two-tabs-conflict").await;
    let mut f = Fixture::new(30);
    let create = f.create(1);
    append_ok(&tab_a, &create).await;
    tab_b.read_all().await.unwrap();
    // Both tabs decide against version N; A gets there first.
    let mut g = Fixture::new(31);
    g.portal = Portal::fold(f.portal.log().iter());
    let from_a = f.add(1, "Maps");
    let from_b = g.add(1, "Search");
    append_ok(&tab_a, &from_a).await;
    let err = tab_b.append(from_b.expected, &from_b.events).await;
    assert_eq!(
        err,
        Err(StoreError::Conflict {
            stream: app(1).into(),
            expected: from_b.expected,
            actual: from_b.expected + from_a.events.len() as u64,
        })
    );
    assert_eq!(
        tab_b.read_all().await.unwrap(),
        tab_a.read_all().await.unwrap()
    );
}

pub async fn two_tabs_appending_alternately_lose_and_interleave_nothing<H: Harness>(h: &H) {
    let tab_a = fresh(h, "two-tabs").await;
    let tab_b = h.open("two-tabs").await;
    let mut fa = Fixture::new(32);
    let mut fb = Fixture::new(33);
    let mut expected: Vec<Vec<EventId>> = Vec::new();
    for i in 0..20 {
        let (store, batch) = if i % 2 == 0 {
            (&tab_a, fa.create(1000 + i))
        } else {
            (&tab_b, fb.create(2000 + i))
        };
        append_ok(store, &batch).await;
        expected.push(batch.events.iter().map(|e| e.event_id).collect());
    }
    let loaded = tab_b.read_all().await.unwrap();
    let got = ids(&loaded);
    assert_eq!(got, expected.concat(), "every command, whole and in order");
    assert_eq!(tab_a.read_all().await.unwrap(), loaded);
}

pub async fn concurrent_appends_from_two_tabs_keep_every_command_whole<H: Harness>(h: &H) {
    let tab_a = fresh(h, "two-tabs-concurrent").await;
    let tab_b = h.open("two-tabs-concurrent").await;
    let mut fa = Fixture::new(38);
    let mut fb = Fixture::new(39);
    let from_a: Vec<fixture::Batch> = (0..15).map(|n| fa.create(3000 + n)).collect();
    let from_b: Vec<fixture::Batch> = (0..15).map(|n| fb.create(4000 + n)).collect();
    // Every append is in flight at once, from both tabs.
    let appends = from_a
        .iter()
        .map(|b| (&tab_a, b))
        .chain(from_b.iter().map(|b| (&tab_b, b)))
        .map(|(tab, b)| tab.append(b.expected, &b.events));
    let results = futures::future::join_all(appends).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let loaded = tab_a.read_all().await.unwrap();
    assert_eq!(loaded, tab_b.read_all().await.unwrap());
    let got = ids(&loaded);
    let mut unique = got.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), got.len(), "no event is stored twice");
    for batch in from_a.iter().chain(&from_b) {
        let ids: Vec<EventId> = batch.events.iter().map(|e| e.event_id).collect();
        assert!(
            got.windows(ids.len()).any(|w| w == ids.as_slice()),
            "each command's events are stored whole and together"
        );
    }
    assert_eq!(
        got.len(),
        from_a
            .iter()
            .chain(&from_b)
            .map(|b| b.events.len())
            .sum::<usize>()
    );
}

pub async fn another_tab_hears_of_an_append_within_100_ms<H: Harness>(h: &H) {
    let tab_a = fresh(h, "notify").await;
    let tab_b = h.open("notify").await;
    let heard: Rc<RefCell<Vec<Notice>>> = Rc::default();
    let sink = heard.clone();
    h.watch(
        &tab_b,
        Box::new(move |change| sink.borrow_mut().push(change.clone())),
    );
    let mut f = Fixture::new(34);
    let batch = f.create(1);
    let sent = h.now_millis();
    append_ok(&tab_a, &batch).await;
    let mut waited = 0;
    while heard.borrow().is_empty() && waited < 100 {
        h.settle(5).await;
        waited += 5;
    }
    let elapsed = h.now_millis() - sent;
    let first = heard.borrow().first().cloned();
    assert_eq!(
        first,
        Some(Notice::Appended {
            head: batch.events.len() as u64
        })
    );
    assert!(elapsed <= 100.0, "heard after {elapsed} ms");
    let news = tab_b.read_from(0).await.unwrap();
    assert_eq!(envelopes(&news), batch.events);
}

pub async fn a_schema_1_log_is_migrated_on_open<H: Harness>(h: &H) {
    h.fresh("schema-1").await;
    let log = demo(35, 200);
    let mut lines: Vec<String> = log.iter().map(portal_sync::codec::encode).collect();
    lines.insert(50, "{\"not\": \"an event\"}".into());
    h.create_schema_1("schema-1", &lines).await;
    let store = h.open("schema-1").await;
    assert_eq!(envelopes(&store.read_all().await.unwrap()), log);
    let unmigrated = store.unmigrated();
    assert_eq!(unmigrated.len(), 1);
    assert_eq!(unmigrated[0].key, 50);
    // Opening again migrates nothing twice.
    let again = h.open("schema-1").await;
    assert_eq!(envelopes(&again.read_all().await.unwrap()), log);
}

pub async fn the_schema_1_reader_is_asked_only_for_a_log_and_may_wait<H: Harness>(h: &H) {
    // The app fetches its reader's code when asked: a device with nothing
    // to migrate never is.
    h.fresh("reader").await;
    let asked = std::cell::Cell::new(0);
    let read = async |lines| {
        asked.set(asked.get() + 1);
        // As long as fetching code over a slow network may take.
        h.settle(50).await;
        engine::read_legacy_here(lines).await
    };
    let store = h.open_reading("reader", read).await;
    assert_eq!(asked.get(), 0);
    drop(store);
    // A reader that waits still migrates the whole log, in one piece.
    h.fresh("reader").await;
    let log = demo(37, 120);
    let lines: Vec<String> = log.iter().map(portal_sync::codec::encode).collect();
    h.create_schema_1("reader", &lines).await;
    let store = h.open_reading("reader", read).await;
    assert_eq!(asked.get(), 1);
    assert_eq!(envelopes(&store.read_all().await.unwrap()), log);
    assert!(store.unmigrated().is_empty());
    let again = h.open_reading("reader", read).await;
    assert_eq!(asked.get(), 1);
    assert_eq!(envelopes(&again.read_all().await.unwrap()), log);
    drop((store, again));

    // Two tabs opening at once both read the old log while they wait on
    // the reader; one moves it, and the other finds nothing left to move.
    h.fresh("reader").await;
    h.create_schema_1("reader", &lines).await;
    let (one, two) = futures::future::join(
        h.open_reading("reader", read),
        h.open_reading("reader", read),
    )
    .await;
    for tab in [&one, &two] {
        assert_eq!(envelopes(&tab.read_all().await.unwrap()), log);
    }
}

pub async fn many_small_appends_are_compacted<H: Harness>(h: &H) {
    let store = fresh(h, "compact").await;
    let mut f = Fixture::new(36);
    for n in 0..150 {
        append_ok(&store, &f.create(n)).await;
    }
    let loaded = store.read_all().await.unwrap();
    assert_eq!(
        envelopes(&loaded),
        f.portal.log().iter().cloned().collect::<Vec<_>>()
    );
    assert!(
        h.chunk_count(&store).await < 150 / 2,
        "{} records for 150 appends",
        h.chunk_count(&store).await
    );
    // Another handle that knew the log before compaction catches up correctly.
    let other = h.open("compact").await;
    other.read_all().await.unwrap();
    append_ok(&store, &f.add(3, "Maps")).await;
    append_ok(&other, &f.add(4, "Maps")).await;
    assert_eq!(
        envelopes(&other.read_all().await.unwrap()),
        f.portal.log().iter().cloned().collect::<Vec<_>>()
    );
}

pub async fn a_stale_handle_catches_up_before_marking_sync_states<H: Harness>(h: &H) {
    let tab_a = fresh(h, "stale-sync").await;
    let tab_b = h.open("stale-sync").await;
    let mut f = Fixture::new(37);
    let batch = f.create(1);
    append_ok(&tab_a, &batch).await;
    // B has never read the log, yet finds A's events to mark them.
    tab_b
        .set_sync_states(&[(batch.events[0].event_id, synced(9))])
        .await
        .unwrap();
    assert_eq!(tab_a.read_all().await.unwrap().events[0].sync, synced(9));
}

/// Declares one test per contract case for a harness: `sync` runs each on
/// a blocking executor (native), `async` as an async test (the browser).
#[macro_export]
macro_rules! contract_cases {
    ($harness:expr, $test:meta, $mode:ident) => {
        contract_cases!(@each $harness, $test, $mode,
            an_empty_store_reads_nothing,
            appended_events_read_back_in_order_as_pending,
            streams_interleave_in_one_log,
            a_stale_expected_version_is_a_conflict_and_writes_nothing,
            an_expected_version_ahead_is_a_conflict,
            a_retried_command_is_a_no_op_returning_its_positions,
            a_reused_id_with_other_content_is_refused,
            a_command_partly_stored_already_is_refused,
            malformed_batches_are_refused,
            read_from_returns_the_rest_of_the_log,
            read_stream_returns_one_stream_in_order,
            a_bulk_import_reads_back_identical,
            an_import_with_a_conflict_keeps_nothing,
            an_overlapping_import_skips_what_is_stored,
            an_import_reusing_an_id_keeps_nothing,
            an_import_repeating_an_id_is_refused,
            an_import_keeps_the_sync_state_it_is_given,
            sync_states_can_be_marked_synced_and_rejected,
            marking_an_unknown_event_changes_nothing,
            the_device_id_is_claimed_once,
            the_last_pulled_position_persists,
            the_log_survives_reopening,
            a_checkpoint_round_trips,
            a_cold_start_restores_the_checkpoint_and_folds_the_rest,
            an_import_after_appends_loads_in_position_order,
            a_checkpoint_from_other_projection_code_is_rebuilt,
            a_checkpoint_from_another_log_is_rebuilt,
            an_unreadable_checkpoint_is_rebuilt,
            an_append_aborted_halfway_keeps_nothing,
            an_import_aborted_midway_keeps_nothing,
            a_damaged_record_is_quarantined_and_the_rest_loads,
            an_event_from_a_future_schema_is_quarantined,
            a_stale_tab_gets_a_conflict_not_an_overwrite,
            two_tabs_appending_alternately_lose_and_interleave_nothing,
            concurrent_appends_from_two_tabs_keep_every_command_whole,
            another_tab_hears_of_an_append_within_100_ms,
            a_schema_1_log_is_migrated_on_open,
            the_schema_1_reader_is_asked_only_for_a_log_and_may_wait,
            many_small_appends_are_compacted,
            a_stale_handle_catches_up_before_marking_sync_states,
            a_rebase_settles_in_one_transaction,
            a_settle_that_fails_keeps_nothing,
            only_a_streams_latest_events_may_stop_counting
        );
    };
    (@each $harness:expr, $test:meta, sync, $($case:ident),*) => {
        $(
            #[$test]
            fn $case() {
                pollster::block_on(contract::$case(&$harness))
            }
        )*
    };
    (@each $harness:expr, $test:meta, async, $($case:ident),*) => {
        $(
            #[$test]
            async fn $case() {
                contract::$case(&$harness).await
            }
        )*
    };
}
