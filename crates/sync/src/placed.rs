//! Where the server placed an event: what push answers for each event and
//! what every pulled event carries.

use chrono::{DateTime, Utc};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    /// The event's place in its tenant's log, from 1.
    pub global_position: u64,
    pub recorded_at: DateTime<Utc>,
}
