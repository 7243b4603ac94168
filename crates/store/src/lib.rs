//! The event log of one device: the [`EventStore`] contract, an in-memory
//! store, and (in the browser) the IndexedDB store. Both are one engine
//! (`engine.rs`) over different backends, so they behave alike by
//! construction, and one contract suite checks both.

pub mod catalog;
pub mod checkpoint;
pub mod chunk;
pub mod contract;
pub mod engine;
pub mod error;
pub mod memory;
pub mod settle;

#[cfg(target_arch = "wasm32")]
pub mod idb;
#[cfg(target_arch = "wasm32")]
pub mod prefs;

pub use contract::{
    Appended, Checkpoint, EventStore, Imported, Loaded, Notice, Quarantined, StoredEvent, SyncState,
};
pub use engine::{Fault, LegacyReader, Unmigrated, STORE_SCHEMA};
pub use error::StoreError;
pub use memory::MemoryStore;
pub use portal_sync::binary::EVENT_SCHEMA;
