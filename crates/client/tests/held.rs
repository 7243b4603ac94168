//! Held changes natively: a store with no room (as a full disk answers)
//! keeps nothing, the device holds the command, and once there is room it
//! is stored, decided again; "nothing lost" means the store ends holding
//! exactly the events of every command given, in order.

mod support;

use portal_client::{Device, Refused};
use portal_domain::{Actor, AppId, CommandMeta, DeviceId, Envelope, EventId, SeededIds, StreamId};
use portal_store::{
    Appended, Checkpoint, EventStore, Imported, Loaded, MemoryStore, StoreError, StoredEvent,
    SyncState,
};
use std::cell::{Cell, RefCell};
use support::{add, create};

/// The memory store, out of room while `full` is set, and failing
/// otherwise (as a disk that fills mid-write aborts the transaction, or
/// the browser closes the connection) while `failing` holds an error.
struct Full {
    inner: MemoryStore,
    full: Cell<bool>,
    failing: RefCell<Option<StoreError>>,
}

impl Full {
    fn room(&self) -> Result<(), StoreError> {
        if let Some(e) = self.failing.borrow().clone() {
            return Err(e);
        }
        match self.full.get() {
            true => Err(StoreError::QuotaExceeded),
            false => Ok(()),
        }
    }
}

impl EventStore for Full {
    async fn append(&self, expected: u64, events: &[Envelope]) -> Result<Appended, StoreError> {
        self.room()?;
        self.inner.append(expected, events).await
    }
    async fn import(&self, events: Vec<(Envelope, SyncState)>) -> Result<Imported, StoreError> {
        self.room()?;
        self.inner.import(events).await
    }
    async fn read_all(&self) -> Result<Loaded, StoreError> {
        self.inner.read_all().await
    }
    async fn read_all_each(&self, each: &mut dyn FnMut(StoredEvent)) -> Result<Loaded, StoreError> {
        self.inner.read_all_each(each).await
    }
    async fn read_from(&self, from: u64) -> Result<Loaded, StoreError> {
        self.inner.read_from(from).await
    }
    async fn read_stream(&self, stream: StreamId) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.read_stream(stream).await
    }
    async fn set_sync_states(&self, updates: &[(EventId, SyncState)]) -> Result<(), StoreError> {
        self.inner.set_sync_states(updates).await
    }
    async fn settle(
        &self,
        updates: &[(EventId, SyncState)],
        events: Vec<(Envelope, SyncState)>,
    ) -> Result<Imported, StoreError> {
        self.inner.settle(updates, events).await
    }
    async fn claim_device_id(&self, candidate: DeviceId) -> Result<DeviceId, StoreError> {
        self.inner.claim_device_id(candidate).await
    }
    async fn last_pulled(&self) -> Result<u64, StoreError> {
        self.inner.last_pulled().await
    }
    async fn set_last_pulled(&self, global_position: u64) -> Result<(), StoreError> {
        self.inner.set_last_pulled(global_position).await
    }
    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        self.inner.save_checkpoint(checkpoint).await
    }
    async fn load_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        self.inner.load_checkpoint().await
    }
    fn schema_version(&self) -> u32 {
        self.inner.schema_version()
    }
    fn is_closed(&self) -> bool {
        false
    }
}

/// A new device over a fresh database behind [`Full`].
async fn open_full(name: &str, full: bool, seed: u128) -> Device<Full> {
    MemoryStore::delete(name);
    let store = Full {
        inner: MemoryStore::open(name).await.unwrap(),
        full: Cell::new(full),
        failing: RefCell::new(None),
    };
    let ids = Box::new(SeededIds::new(seed as u64));
    let (device, _) = Device::open(store, DeviceId(uuid::Uuid::from_u128(seed)), ids)
        .await
        .unwrap();
    device
}

#[tokio::test]
async fn a_command_without_room_is_held_then_stored_in_order() {
    let device = open_full("client-held", false, 9).await;
    let meta = CommandMeta::by(Actor::parse("dev@example.com").unwrap(), device.id());
    let app_id = AppId(uuid::Uuid::from_u128(10));
    device
        .execute(create(app_id, 0), meta.clone())
        .await
        .unwrap();
    let before = device.store().read_all().await.unwrap().events.len();

    device.store().full.set(true);
    let held = device.execute(add(app_id, "maps", 1), meta.clone()).await;
    assert_eq!(held, Err(Refused::Held));
    // A later change waits behind it, even one that would find room.
    let behind = device.execute(add(app_id, "search", 2), meta.clone()).await;
    assert_eq!(behind, Err(Refused::Held));
    assert_eq!(device.held().len(), 2);
    assert_eq!(
        device.store().read_all().await.unwrap().events.len(),
        before
    );

    // Still no room: nothing is dropped.
    assert!(device.save_held().await.is_empty());
    assert_eq!(device.held().len(), 2);

    device.store().full.set(false);
    assert!(device.save_held().await.is_empty(), "both still apply");
    assert!(!device.holds_any());
    let products = device
        .machine()
        .head()
        .app(app_id)
        .unwrap()
        .record
        .products
        .clone();
    let names: Vec<&str> = products.iter().map(|p| p.as_str()).collect();
    assert_eq!(names, ["maps", "search"], "stored in the order given");
    assert_eq!(
        device.store().read_all().await.unwrap().events.len() as u64,
        device.len(),
        "every event folded is stored"
    );
}

/// "Nothing lost" when a retry fails for another reason than room: the
/// change stays held (a dropped one would be gone), and is stored once a
/// write succeeds.
#[tokio::test]
async fn a_held_command_whose_retry_fails_otherwise_stays_held() {
    let device = open_full("client-held-failing", false, 16).await;
    let meta = CommandMeta::by(Actor::parse("dev@example.com").unwrap(), device.id());
    let app_id = AppId(uuid::Uuid::from_u128(17));
    device
        .execute(create(app_id, 0), meta.clone())
        .await
        .unwrap();
    device.store().full.set(true);
    let held = device.execute(add(app_id, "maps", 1), meta).await;
    assert_eq!(held, Err(Refused::Held));

    for failure in [
        StoreError::Aborted("AbortError: the transaction was aborted".into()),
        StoreError::Closed,
        StoreError::Backend("UnknownError: internal error".into()),
    ] {
        *device.store().failing.borrow_mut() = Some(failure.clone());
        assert!(device.save_held().await.is_empty(), "{failure:?}");
        assert_eq!(device.held().len(), 1, "still held after {failure:?}");
    }

    *device.store().failing.borrow_mut() = None;
    device.store().full.set(false);
    assert!(device.save_held().await.is_empty());
    assert!(!device.holds_any());
    let products = device
        .machine()
        .head()
        .app(app_id)
        .unwrap()
        .record
        .products
        .clone();
    let names: Vec<&str> = products.iter().map(|p| p.as_str()).collect();
    assert_eq!(names, ["maps"], "stored once");
}

#[tokio::test]
async fn a_held_command_that_no_longer_applies_is_dropped_with_why() {
    let device = open_full("client-held-drop", false, 12).await;
    let meta = CommandMeta::by(Actor::parse("dev@example.com").unwrap(), device.id());
    let app_id = AppId(uuid::Uuid::from_u128(13));
    device
        .execute(create(app_id, 0), meta.clone())
        .await
        .unwrap();
    device.store().full.set(true);
    let held = device.execute(add(app_id, "maps", 1), meta.clone()).await;
    assert_eq!(held, Err(Refused::Held));

    // Meanwhile another tab, which has room, adds the same product.
    let other_store = MemoryStore::open("client-held-drop").await.unwrap();
    let ids = Box::new(SeededIds::new(13));
    let (other, _) = Device::open(other_store, DeviceId(uuid::Uuid::from_u128(12)), ids)
        .await
        .unwrap();
    other.execute(add(app_id, "maps", 2), meta).await.unwrap();

    device.store().full.set(false);
    let dropped = device.save_held().await;
    assert_eq!(dropped.len(), 1, "{dropped:?}");
    assert!(
        matches!(dropped[0].why, Refused::Domain(_)),
        "{:?}",
        dropped[0].why
    );
    assert!(!device.holds_any());
    let products = device
        .machine()
        .head()
        .app(app_id)
        .unwrap()
        .record
        .products
        .len();
    assert_eq!(products, 1, "the other tab's product, once");
}

#[tokio::test]
async fn a_command_the_rules_refuse_is_refused_not_held() {
    let device = open_full("client-held-refused", true, 14).await;
    let meta = CommandMeta::by(Actor::parse("dev@example.com").unwrap(), device.id());
    // No such application.
    let refused = device
        .execute(add(AppId(uuid::Uuid::from_u128(15)), "maps", 1), meta)
        .await;
    assert!(matches!(refused, Err(Refused::Domain(_))), "{refused:?}");
    assert!(!device.holds_any());
}
