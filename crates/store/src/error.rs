//! What can go wrong in a store, each worded for the person who will read it.

use portal_domain::{EventId, StreamId};
use thiserror::Error;

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum StoreError {
    #[error(
        "stream {stream} is at version {actual}, not {expected}: another change got there first"
    )]
    Conflict {
        stream: StreamId,
        expected: u64,
        actual: u64,
    },
    #[error("event {event_id} is already stored with different content")]
    IdReused { event_id: EventId },
    #[error("event {event_id} is not in this store")]
    UnknownEvent { event_id: EventId },
    #[error("{0}")]
    InvalidBatch(String),
    #[error("the browser's storage for this site is full: free some space and try again")]
    QuotaExceeded,
    /// The browser could not write its files: in practice, a full disk.
    #[error("the browser could not write to disk ({0}); the disk may be full: free some space and try again")]
    WriteFailed(String),
    #[error("the change was abandoned halfway and nothing of it was saved: {0}")]
    Aborted(String),
    #[error("local storage is not available ({0}); a private window or the browser's settings may block it")]
    Unavailable(String),
    #[error("the portal was upgraded or reset in another tab; reload this tab to go on")]
    Closed,
    #[error("local storage failed: {0}")]
    Backend(String),
}

impl StoreError {
    /// Whether trying the same write again later may succeed once the
    /// browser has room again.
    pub fn is_out_of_room(&self) -> bool {
        matches!(self, StoreError::QuotaExceeded | StoreError::WriteFailed(_))
    }
}
