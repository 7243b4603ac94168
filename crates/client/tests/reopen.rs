//! A log the browser closed and opened again. Chromium may delete a
//! database it found damaged after a full disk and open an empty one in its
//! place; "nothing lost" then means the new handle ends holding the old
//! one's log, event for event, with the same sync states, under the same
//! device id.

mod support;

use portal_client::Device;
use portal_domain::{Actor, AppId, CommandMeta, DeviceId, EventId, SeededIds};
use portal_store::{EventStore, MemoryStore, SyncState};
use support::{add, create};

async fn open(name: &str, id: DeviceId, seed: u64) -> Device<MemoryStore> {
    let store = MemoryStore::open(name).await.unwrap();
    let (device, _) = Device::open(store, id, Box::new(SeededIds::new(seed)))
        .await
        .unwrap();
    device
}

#[tokio::test]
async fn a_log_the_browser_lost_is_stored_again_from_the_closed_handle() {
    MemoryStore::delete("client-reopen");
    let id = DeviceId(uuid::Uuid::from_u128(20));
    let previous = open("client-reopen", id, 20).await;
    let meta = CommandMeta::by(Actor::parse("dev@example.com").unwrap(), id);
    let app_id = AppId(uuid::Uuid::from_u128(21));
    previous
        .execute(create(app_id, 0), meta.clone())
        .await
        .unwrap();
    previous
        .execute(add(app_id, "maps", 1), meta.clone())
        .await
        .unwrap();
    // One event sent already: its state must come back as it was.
    let first: EventId = previous.machine().log().get(0).unwrap().event_id;
    previous
        .store()
        .set_sync_states(&[(
            first,
            SyncState::Synced {
                global_position: 1,
                recorded_at: support::at(2),
            },
        )])
        .await
        .unwrap();
    previous.reload().await.unwrap();
    let log: Vec<_> = previous.machine().log().iter().cloned().collect();
    let states = previous.sync_states().clone();

    // The browser deletes the database; the app opens it again, empty.
    MemoryStore::delete("client-reopen");
    let reopened = open("client-reopen", previous.id(), 22).await;
    assert!(reopened.is_empty());
    let stored = reopened.restore_from(&previous).await.unwrap();
    assert_eq!(stored, log.len());
    assert!(
        reopened.machine().log().iter().eq(&log),
        "every event, in order"
    );
    assert_eq!(*reopened.sync_states(), states, "with its sync state");
    assert_eq!(reopened.id(), id);
    assert_eq!(
        reopened.store().read_all().await.unwrap().events.len(),
        log.len(),
        "stored, not only shown"
    );

    // Opened again over a log the browser kept: nothing is written twice.
    let again = open("client-reopen", id, 23).await;
    assert_eq!(again.restore_from(&reopened).await.unwrap(), 0);
    assert!(again.machine().log().iter().eq(&log));
}
