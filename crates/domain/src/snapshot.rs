//! A `Portal` without its log, to persist as a checkpoint. Entries hold log
//! positions, so a snapshot is only meaningful over the log it was taken
//! from; whoever stores one keeps enough to check that (see the store's
//! checkpoints) and rebuilds instead of trusting a mismatch.

use crate::catalogue::ProductEntry;
use crate::ids::{AppId, ProductId, SurveyId};
use crate::log::SharedLog;
use crate::persistent::{HashedMap, List};
use crate::portal::Portal;
use crate::projections::adoption::Adoption;
use crate::projections::surveys::Funnel;
use crate::state::{AppEntry, SurveyEntry};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Changes whenever folding, or the shape of any projection, changes: a
/// snapshot taken by other projection code is never restored.
pub const PROJECTION_VERSION: u32 = 5;

/// Every projection's state at `position`. Taking one is O(1): the
/// collections are persistent and shared with the portal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub position: u64,
    #[serde(with = "crate::compact::optional_time")]
    clock: Option<DateTime<Utc>>,
    apps: HashedMap<AppId, AppEntry>,
    surveys: HashedMap<SurveyId, SurveyEntry>,
    products: HashedMap<ProductId, ProductEntry>,
    adoption: Adoption,
    funnel: Funnel,
    owner_changes: List<u32>,
}

/// A snapshot that does not fit the log it is restored over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the snapshot is at position {position} but the log holds {log_len} events")]
pub struct SnapshotBeyondLog {
    pub position: u64,
    pub log_len: usize,
}

impl Portal {
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            position: self.position,
            clock: self.clock,
            apps: self.apps.clone(),
            surveys: self.surveys.clone(),
            products: self.products.clone(),
            adoption: self.adoption.clone(),
            funnel: self.funnel.clone(),
            owner_changes: self.owner_changes.clone(),
        }
    }

    /// The portal `snapshot` describes, over `log`, which must begin with the
    /// events the snapshot was folded from. Call [`Portal::advance`] to fold
    /// the rest.
    pub fn restore(log: SharedLog, snapshot: Snapshot) -> Result<Self, SnapshotBeyondLog> {
        if snapshot.position > log.len() as u64 {
            return Err(SnapshotBeyondLog {
                position: snapshot.position,
                log_len: log.len(),
            });
        }
        Ok(Portal {
            log,
            position: snapshot.position,
            clock: snapshot.clock,
            apps: snapshot.apps,
            surveys: snapshot.surveys,
            products: snapshot.products,
            adoption: snapshot.adoption,
            funnel: snapshot.funnel,
            owner_changes: snapshot.owner_changes,
        })
    }
}
