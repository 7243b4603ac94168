//! Between the rebase (`portal_sync::rebase`, pure) and the store: this
//! device's log as the rebase reads it, and a settlement as the store
//! records it in one `EventStore::settle`.

use crate::contract::SyncState;
use portal_domain::{Envelope, EventId};
use portal_sync::rebase::{LocalEvent, Settlement};
use std::collections::HashSet;

/// The log beside each event's sync state, in local order. Events in
/// `rejected` (just now, not yet in `states`) no longer count as pending.
pub fn local_events<'a>(
    log: impl IntoIterator<Item = &'a Envelope>,
    states: &'a [SyncState],
    rejected: &HashSet<EventId>,
) -> Vec<LocalEvent<'a>> {
    log.into_iter()
        .zip(states)
        .map(|(envelope, state)| LocalEvent {
            envelope,
            pending: *state == SyncState::Pending && !rejected.contains(&envelope.event_id),
        })
        .collect()
}

/// What the store records for a settlement.
pub struct Writes {
    /// New states of events already stored.
    pub updates: Vec<(EventId, SyncState)>,
    /// Other devices' events (synced), then the commands decided again
    /// (pending).
    pub incoming: Vec<(Envelope, SyncState)>,
}

pub fn writes(s: &Settlement) -> Writes {
    let synced = |global_position: u64, recorded_at| SyncState::Synced {
        global_position,
        recorded_at,
    };
    let mut updates: Vec<(EventId, SyncState)> = s
        .confirmed
        .iter()
        .map(|(id, g, at)| (*id, synced(*g, *at)))
        .collect();
    updates.extend(
        s.superseded
            .iter()
            .map(|(id, by)| (*id, SyncState::Superseded { by: *by })),
    );
    updates.extend(s.rejected.iter().map(|(id, reason)| {
        let reason = reason.clone();
        (*id, SyncState::Rejected { reason })
    }));
    let mut incoming: Vec<(Envelope, SyncState)> = s
        .foreign
        .iter()
        .map(|e| {
            let state = synced(
                e.global_position.unwrap_or_default(),
                e.recorded_at.unwrap_or_default(),
            );
            (e.clone(), state)
        })
        .collect();
    incoming.extend(s.rebased.iter().cloned().map(|e| (e, SyncState::Pending)));
    Writes { updates, incoming }
}
