//! The `EventStore` contract: what the app relies on, whichever store holds
//! the log.

use crate::error::StoreError;
use chrono::{DateTime, Utc};
use portal_domain::{DeviceId, Envelope, EventId, StreamId};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Where an event is on its way to the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncState {
    /// Written here, not yet accepted by the server.
    Pending,
    /// Accepted by the server, at this place in the shared history.
    Synced {
        global_position: u64,
        #[serde(with = "chrono::serde::ts_microseconds")]
        recorded_at: DateTime<Utc>,
    },
    /// Refused by the server; kept, with why, so that it is never lost silently.
    Rejected { reason: String },
    /// Decided again after another device changed its stream first, and
    /// stored again as the events starting with `by`. Kept for the record.
    Superseded { by: EventId },
}

impl SyncState {
    /// Whether the event counts in the shared history, and so in the
    /// projections and in its stream's version: pending or synced. A
    /// rejected or superseded event is kept for the record only.
    pub fn is_live(&self) -> bool {
        matches!(self, SyncState::Pending | SyncState::Synced { .. })
    }
}

/// One event as the store holds it. `position` is local: the order this
/// device stored events in, dense from 0 except where a record is quarantined.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    pub position: u64,
    pub envelope: Envelope,
    pub sync: SyncState,
}

/// A stored event that could not be read. It stays in storage as written,
/// so that nothing is destroyed (a newer tab may have written it), and is
/// left out of the log until a build that can read it comes along.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quarantined {
    pub position: u64,
    pub reason: String,
}

/// Events read from a store, in local order, with what could not be read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Loaded {
    pub events: Vec<StoredEvent>,
    pub quarantined: Vec<Quarantined>,
    /// The position the next stored event will take.
    pub head: u64,
}

/// Where a command's events were stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    pub positions: Range<u64>,
    /// The same events were already stored (a retry): nothing was written.
    pub already_stored: bool,
}

/// What a bulk import did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    /// Positions of the events that were new.
    pub positions: Range<u64>,
    /// Events that were already stored with the same content.
    pub skipped: usize,
}

/// Persisted projection state (see `checkpoint.rs`): bytes the store keeps
/// without reading, with what is needed to decide whether to trust them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The store schema that wrote it.
    pub store_schema: u32,
    /// The domain's `PROJECTION_VERSION` that folded it.
    pub projection_version: u32,
    /// How many events of the log it has folded.
    pub events: u64,
    /// The id of the last of those events, to recognise the same log.
    pub last_event: Option<EventId>,
    pub bytes: Vec<u8>,
}

/// What another handle on the same database (usually another tab) did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// Events were stored; the log now ends at `head`.
    Appended { head: u64 },
    /// Sync states changed.
    SyncStates,
}

/// The event log of one device. Futures are not `Send`: in the browser
/// everything runs on one thread, and IndexedDB handles cannot leave it.
#[allow(async_fn_in_trait)]
pub trait EventStore {
    /// Stores one command's events atomically. They must share one stream and
    /// number its versions from `expected_version + 1`. When the stream is at
    /// another version, nothing is written and the error says which.
    async fn append(
        &self,
        expected_version: u64,
        events: &[Envelope],
    ) -> Result<Appended, StoreError>;

    /// Stores many events at once, all or nothing: a pull's catch-up or an
    /// import. Events already stored with the same content are skipped.
    async fn import(&self, events: Vec<(Envelope, SyncState)>) -> Result<Imported, StoreError>;

    /// The whole log, in local order.
    async fn read_all(&self) -> Result<Loaded, StoreError>;

    /// The whole log, in local order, handed to `each` event by event as it
    /// is decoded; the `Loaded` returned holds everything else and no
    /// events. A cold start builds its log this way, so that it never holds
    /// a second copy of the whole log: in wasm, memory taken at a peak is
    /// never given back.
    async fn read_all_each(&self, each: &mut dyn FnMut(StoredEvent)) -> Result<Loaded, StoreError>;

    /// The log from local position `from` on.
    async fn read_from(&self, from: u64) -> Result<Loaded, StoreError>;

    /// One stream's events, in order.
    async fn read_stream(&self, stream: StreamId) -> Result<Vec<StoredEvent>, StoreError>;

    /// Records where events are on their way to the server. A pending event
    /// that becomes rejected or superseded gives its stream version back:
    /// its stream's version is again the one before it. That is only
    /// allowed for the latest live events of a stream.
    async fn set_sync_states(&self, updates: &[(EventId, SyncState)]) -> Result<(), StoreError>;

    /// Sync's rebase, in one transaction, all or nothing: `updates` as
    /// `set_sync_states` would record them (pending events rejected or
    /// superseded), then `events` as `import` would store them (the other
    /// devices' events that took those versions, and the commands decided
    /// again after them).
    async fn settle(
        &self,
        updates: &[(EventId, SyncState)],
        events: Vec<(Envelope, SyncState)>,
    ) -> Result<Imported, StoreError>;

    /// This device's id: the stored one, or `candidate`, stored now, when
    /// there is none yet. Two tabs racing get the same answer.
    async fn claim_device_id(&self, candidate: DeviceId) -> Result<DeviceId, StoreError>;

    /// The last global position pulled from the server (0 before any pull).
    async fn last_pulled(&self) -> Result<u64, StoreError>;
    async fn set_last_pulled(&self, global_position: u64) -> Result<(), StoreError>;

    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError>;
    async fn load_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError>;

    /// The version of the storage layout this store reads and writes.
    fn schema_version(&self) -> u32;

    /// Whether this handle can no longer be used: another tab upgraded or
    /// deleted the database, or the browser closed it after a failure (as
    /// Chromium does when the disk is full). Open the store again to go on.
    fn is_closed(&self) -> bool;
}
