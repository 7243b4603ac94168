//! What one pulled page means for this device's log (ADR 11): which
//! of its own events the server has now placed, which events are other
//! devices', and, where another device changed a stream first, this
//! device's pending commands decided again after it. Pure: the app stores
//! the result in one transaction (`EventStore::settle`).

use chrono::{DateTime, Utc};
use portal_domain::recover::{commands, recover};
use portal_domain::{Envelope, EventId, IdSource, Portal, StreamId};
use std::collections::{HashMap, HashSet};

/// An event of this device's log that counts (pending or synced).
#[derive(Clone, Copy)]
pub struct LocalEvent<'a> {
    pub envelope: &'a Envelope,
    /// Not yet placed by the server.
    pub pending: bool,
}

/// What to record after a page.
#[derive(Debug, Default, PartialEq)]
pub struct Settlement {
    /// This device's events the server placed: id, global position, recorded at.
    pub confirmed: Vec<(EventId, u64, DateTime<Utc>)>,
    /// Pending events decided again: each, and the first event that replaces it.
    pub superseded: Vec<(EventId, EventId)>,
    /// Pending events whose command no longer holds, with why.
    pub rejected: Vec<(EventId, String)>,
    /// Other devices' events, in the server's order, placed already.
    pub foreign: Vec<Envelope>,
    /// The commands decided again, to store after `foreign`, pending.
    pub rebased: Vec<Envelope>,
}

impl Settlement {
    /// Whether events this device had counted stop counting.
    pub fn rewrites(&self) -> bool {
        !self.superseded.is_empty() || !self.rejected.is_empty()
    }
}

/// Settles `page` (events after the last pull, in the server's order)
/// against `local` (this device's log, in local order). New event ids come
/// from `ids`.
pub fn settle_page(
    local: &[LocalEvent<'_>],
    page: &[Envelope],
    ids: &mut impl IdSource,
) -> Settlement {
    let known: HashMap<EventId, bool> = local
        .iter()
        .map(|e| (e.envelope.event_id, e.pending))
        .collect();
    let mut out = Settlement::default();
    let mut placed_here: HashSet<EventId> = HashSet::new();
    let mut changed: HashSet<StreamId> = HashSet::new();
    let mut changed_in_order: Vec<StreamId> = Vec::new();
    for event in page {
        match known.get(&event.event_id) {
            Some(pending) => {
                if *pending {
                    if let (Some(g), Some(at)) = (event.global_position, event.recorded_at) {
                        out.confirmed.push((event.event_id, g, at));
                    }
                }
                placed_here.insert(event.event_id);
            }
            None => {
                if changed.insert(event.stream_id) {
                    changed_in_order.push(event.stream_id);
                }
                out.foreign.push(event.clone());
            }
        }
    }

    // This device's pending events that the page did not place, by stream.
    let mut pending: HashMap<StreamId, Vec<Envelope>> = HashMap::new();
    for e in local {
        let envelope = e.envelope;
        if e.pending
            && changed.contains(&envelope.stream_id)
            && !placed_here.contains(&envelope.event_id)
        {
            pending
                .entry(envelope.stream_id)
                .or_default()
                .push(envelope.clone());
        }
    }

    for stream in changed_in_order {
        let Some(still_pending) = pending.remove(&stream) else {
            continue;
        };
        // The stream as the server has it: what was synced before, then
        // this page's events of it.
        let mut portal = Portal::new();
        let before = local
            .iter()
            .filter(|e| e.envelope.stream_id == stream && !e.pending)
            .map(|e| e.envelope);
        let now = page.iter().filter(|e| e.stream_id == stream);
        for envelope in before.chain(now) {
            let _ = portal.append(envelope.clone());
        }
        for old in commands(&still_pending) {
            let reason = match recover(old) {
                None => Err("its command could not be read back from its events".to_owned()),
                Some((command, meta)) => portal
                    .execute(&command, &meta, ids)
                    .map_err(|e| e.to_string()),
            };
            match reason {
                Ok(new) if !new.is_empty() => {
                    for e in &new {
                        let _ = portal.append(e.clone());
                    }
                    out.superseded
                        .extend(old.iter().map(|e| (e.event_id, new[0].event_id)));
                    out.rebased.extend(new);
                }
                Ok(_) => out.rejected.extend(
                    old.iter()
                        .map(|e| (e.event_id, "another device already did the same".to_owned())),
                ),
                Err(why) => out.rejected.extend(old.iter().map(|e| {
                    (
                        e.event_id,
                        format!("another device changed this first: {why}"),
                    )
                })),
            }
        }
    }
    withdraw_effects(local, &placed_here, &mut out);
    out
}

/// What this device's process managers did because of a rejected event is
/// rejected with it: a survey about a removal that never happened would
/// mislead. Effects come after their causes in local order, so one pass
/// follows whole chains.
fn withdraw_effects(local: &[LocalEvent<'_>], placed: &HashSet<EventId>, out: &mut Settlement) {
    if out.rejected.is_empty() {
        return;
    }
    let mut withdrawn: HashSet<EventId> = out.rejected.iter().map(|(id, _)| *id).collect();
    let settled: HashSet<EventId> = out.superseded.iter().map(|(id, _)| *id).collect();
    for e in local {
        let envelope = e.envelope;
        let caused_by_rejected = envelope
            .causation_id
            .is_some_and(|cause| withdrawn.contains(&cause));
        if e.pending
            && caused_by_rejected
            && !placed.contains(&envelope.event_id)
            && !settled.contains(&envelope.event_id)
            && withdrawn.insert(envelope.event_id)
        {
            out.rejected.push((
                envelope.event_id,
                "it followed from a change that was rejected".to_owned(),
            ));
        }
    }
}

/// The events to reject when the server refuses `command` outright (a 422):
/// the command's own, then every pending event decided on top of it, later
/// in its stream, which cannot stand without it. A stream only ever gives
/// back its latest events, so the whole suffix goes together. Each comes
/// with its reason.
pub fn refused(
    local: &[LocalEvent<'_>],
    command: &[Envelope],
    why: &str,
) -> Vec<(EventId, String)> {
    let Some(last) = command.last() else {
        return Vec::new();
    };
    let own: HashSet<EventId> = command.iter().map(|e| e.event_id).collect();
    let mut out: Vec<(EventId, String)> = command
        .iter()
        .map(|e| (e.event_id, format!("the server refused it: {why}")))
        .collect();
    out.extend(
        local
            .iter()
            .filter(|e| {
                e.pending
                    && e.envelope.stream_id == last.stream_id
                    && e.envelope.stream_version > last.stream_version
                    && !own.contains(&e.envelope.event_id)
            })
            .map(|e| {
                let reason = "it came after a change the server refused".to_owned();
                (e.envelope.event_id, reason)
            }),
    );
    out
}
