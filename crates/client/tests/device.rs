//! The device natively, over the in-memory store: commands decided, stored
//! and folded; a refusal that changes nothing; a second handle on the same
//! database (another tab) followed, and a command decided again after that
//! tab wrote to its stream first.

mod support;

use portal_client::{Device, Refused};
use portal_domain::{Actor, AppId, CommandMeta, DeviceId, DomainError, SeededIds};
use portal_store::{EventStore, MemoryStore, SyncState};
use support::{add, create};

async fn open(name: &str, seed: u64) -> Device<MemoryStore> {
    let store = MemoryStore::open(name).await.unwrap();
    let candidate = DeviceId(SeededIds::new(seed).next_uuid());
    let (device, opened) = Device::open(store, candidate, Box::new(SeededIds::new(seed)))
        .await
        .unwrap();
    assert_eq!(opened.quarantined, 0);
    device
}

fn meta(device: &Device<MemoryStore>) -> CommandMeta {
    CommandMeta::by(Actor::parse("dev@example.com").unwrap(), device.id())
}

#[tokio::test]
async fn a_command_is_stored_pending_and_folded() {
    MemoryStore::delete("client-execute");
    let device = open("client-execute", 1).await;
    let app_id = AppId(uuid::Uuid::from_u128(1));
    let stored = device
        .execute(create(app_id, 0), meta(&device))
        .await
        .unwrap();
    assert!(!stored.is_empty());
    assert_eq!(device.len(), stored.len() as u64);
    assert_eq!(device.pending_count(), stored.len());
    assert!(device.machine().head().app(app_id).is_some());
    let loaded = device.store().read_all().await.unwrap();
    assert_eq!(
        loaded.events.len(),
        stored.len(),
        "what is folded is stored"
    );
    assert!(loaded.events.iter().all(|e| e.sync == SyncState::Pending));
    // Opened again, the device reads the same log back.
    let again = open("client-execute", 1).await;
    assert_eq!(again.len(), device.len());
    assert_eq!(again.id(), device.id(), "the device keeps its id");
}

#[tokio::test]
async fn a_refused_command_changes_nothing() {
    MemoryStore::delete("client-refused");
    let device = open("client-refused", 2).await;
    let app_id = AppId(uuid::Uuid::from_u128(2));
    device
        .execute(create(app_id, 0), meta(&device))
        .await
        .unwrap();
    device
        .execute(add(app_id, "payments", 1), meta(&device))
        .await
        .unwrap();
    let before = device.store().read_all().await.unwrap();
    let twice = device
        .execute(add(app_id, "payments", 2), meta(&device))
        .await;
    assert!(
        matches!(
            twice,
            Err(Refused::Domain(DomainError::ProductAlreadyAdded { .. }))
        ),
        "{twice:?}"
    );
    assert_eq!(device.store().read_all().await.unwrap(), before);
    assert_eq!(device.len(), before.events.len() as u64);
}

#[tokio::test]
async fn another_tab_is_followed_and_its_write_first_is_decided_against() {
    MemoryStore::delete("client-tabs");
    let first = open("client-tabs", 3).await;
    let second = open("client-tabs", 4).await;
    assert_eq!(first.id(), second.id(), "two tabs, one device");
    let app_id = AppId(uuid::Uuid::from_u128(3));
    first
        .execute(create(app_id, 0), meta(&first))
        .await
        .unwrap();
    second.catch_up().await.unwrap();
    assert_eq!(second.len(), first.len());
    // The first tab changes the stream; the second, not having looked,
    // is refused by the store, catches up, and decides again on top.
    first
        .execute(add(app_id, "maps", 1), meta(&first))
        .await
        .unwrap();
    second
        .execute(add(app_id, "search", 2), meta(&second))
        .await
        .unwrap();
    let head = second
        .machine()
        .head()
        .app(app_id)
        .unwrap()
        .record
        .products
        .len();
    assert_eq!(head, 2, "both products, in the order they were stored");
    first.catch_up().await.unwrap();
    assert_eq!(first.len(), second.len());
}

#[tokio::test]
async fn the_unsent_work_of_other_people_is_named_and_sent_work_is_not() {
    MemoryStore::delete("client-unsent");
    let device = open("client-unsent", 3).await;
    let as_person = |who: &str| CommandMeta::by(Actor::parse(who).unwrap(), device.id());
    let ada_app = AppId(uuid::Uuid::from_u128(1));
    let bob_app = AppId(uuid::Uuid::from_u128(2));
    device
        .execute(create(ada_app, 0), as_person("ada@example.com"))
        .await
        .unwrap();
    let bobs = device
        .execute(create(bob_app, 0), as_person("bob@example.com"))
        .await
        .unwrap();
    let named = |who: &str| device.unsent_by_others(who).into_iter().collect::<Vec<_>>();
    assert_eq!(named("ada@example.com"), ["bob@example.com"]);
    assert_eq!(named("bob@example.com"), ["ada@example.com"]);
    assert_eq!(
        named("pat@example.com"),
        ["ada@example.com", "bob@example.com"]
    );
    // Once Bob's are sent, only Ada's wait.
    let sent: Vec<_> = bobs
        .iter()
        .zip(1..)
        .map(|(e, position)| {
            let state = SyncState::Synced {
                global_position: position,
                recorded_at: chrono::Utc::now(),
            };
            (e.event_id, state)
        })
        .collect();
    device.store().set_sync_states(&sent).await.unwrap();
    device.mark_synced(&sent);
    assert_eq!(named("pat@example.com"), ["ada@example.com"]);
    assert!(named("ada@example.com").is_empty());
    // The list marks the application whose changes still wait, only it.
    assert!(device.holds_unsent(ada_app));
    assert!(!device.holds_unsent(bob_app));
}
