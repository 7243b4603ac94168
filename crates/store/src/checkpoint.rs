//! Cold start: the log from the store, and every projection brought to its
//! head from a persisted checkpoint instead of a fold from zero. A
//! checkpoint is trusted only when the store schema, the projection code
//! and the log it was folded from all match; otherwise it is rebuilt.

use crate::contract::{Checkpoint, EventStore, Quarantined, StoredEvent, SyncState};
use crate::engine::STORE_SCHEMA;
use crate::error::StoreError;
use portal_domain::{Portal, SharedLog, Snapshot, PROJECTION_VERSION};

/// Save a new checkpoint once the head is this far past the stored one.
pub const CHECKPOINT_EVERY: u64 = 2_000;

/// How the projections were brought to the head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Warmth {
    /// From the checkpoint at this many events, folding the rest.
    Restored { from: u64 },
    /// From zero: there was no checkpoint, or it was not trusted (and why).
    Folded { distrusted: Option<String> },
}

pub struct ColdStart {
    pub portal: Portal,
    /// Local store position and sync state of each log entry, in log order.
    pub entries: Vec<(u64, SyncState)>,
    pub quarantined: Vec<Quarantined>,
    /// Rejected and superseded events: kept, and shown, but not counted.
    pub set_aside: Vec<StoredEvent>,
    pub warmth: Warmth,
    /// Whether a fresh checkpoint was saved on the way.
    pub saved_checkpoint: bool,
}

/// The checkpoint of `portal` as it stands.
pub fn checkpoint_of(portal: &Portal) -> Checkpoint {
    let events = portal.position();
    Checkpoint {
        store_schema: STORE_SCHEMA,
        projection_version: PROJECTION_VERSION,
        events,
        last_event: events
            .checked_sub(1)
            .and_then(|i| portal.log().get(i as usize))
            .map(|e| e.event_id),
        bytes: postcard::to_allocvec(&portal.snapshot())
            .expect("postcard encodes a snapshot into a Vec"),
    }
}

/// The portal `checkpoint` describes over `log`, or why it cannot be trusted.
pub fn restore(log: &SharedLog, checkpoint: &Checkpoint) -> Result<Portal, String> {
    if checkpoint.store_schema != STORE_SCHEMA {
        return Err(format!(
            "it was written by store schema {}, this build uses {STORE_SCHEMA}",
            checkpoint.store_schema
        ));
    }
    if checkpoint.projection_version != PROJECTION_VERSION {
        return Err(format!(
            "it was folded by projection version {}, this build has {PROJECTION_VERSION}",
            checkpoint.projection_version
        ));
    }
    let last = checkpoint
        .events
        .checked_sub(1)
        .map(|i| log.get(i as usize).map(|e| e.event_id));
    if last.is_some_and(|found| found != checkpoint.last_event) {
        return Err("it was folded from a different log".into());
    }
    let snapshot: Snapshot =
        postcard::from_bytes(&checkpoint.bytes).map_err(|e| format!("it cannot be read: {e}"))?;
    if snapshot.position != checkpoint.events {
        return Err("its snapshot and its position disagree".into());
    }
    Portal::restore(log.clone(), snapshot).map_err(|e| e.to_string())
}

/// Loads the log and brings every projection to its head, saving a new
/// checkpoint when the stored one is missing, distrusted or far behind.
pub async fn cold_start(store: &impl EventStore) -> Result<ColdStart, StoreError> {
    let mut entries = Vec::new();
    let mut set_aside = Vec::new();
    // Each event goes straight into the log as it is decoded: a copy of the
    // whole loaded log on the way would double a start's peak memory, and
    // wasm memory never shrinks after a peak.
    let log = SharedLog::new();
    let loaded = store
        .read_all_each(&mut |event| {
            // Rejected and superseded events are kept for the record only:
            // the projections never count them.
            if event.sync.is_live() {
                entries.push((event.position, event.sync));
                log.push(event.envelope);
            } else {
                set_aside.push(event);
            }
        })
        .await?;
    let checkpoint = store.load_checkpoint().await?;
    let (mut portal, warmth) = match checkpoint.as_ref().map(|c| restore(&log, c)) {
        Some(Ok(portal)) => {
            let from = portal.position();
            (portal, Warmth::Restored { from })
        }
        Some(Err(why)) => (
            Portal::over(log.clone()),
            Warmth::Folded {
                distrusted: Some(why),
            },
        ),
        None => (
            Portal::over(log.clone()),
            Warmth::Folded { distrusted: None },
        ),
    };
    portal.advance_to(log.len() as u64);
    let behind = match warmth {
        Warmth::Restored { from } => portal.position() - from,
        Warmth::Folded { .. } => portal.position(),
    };
    let saved_checkpoint = behind >= CHECKPOINT_EVERY
        || matches!(
            warmth,
            Warmth::Folded {
                distrusted: Some(_)
            }
        );
    if saved_checkpoint {
        store.save_checkpoint(&checkpoint_of(&portal)).await?;
    }
    Ok(ColdStart {
        portal,
        entries,
        quarantined: loaded.quarantined,
        set_aside,
        warmth,
        saved_checkpoint,
    })
}
