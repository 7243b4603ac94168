//! One sync round: pull first, settling each group of pages against the
//! device's log (its pending commands decided again where another device
//! got there first), then push what is still pending, in batches of whole
//! commands. A push refused for a stream conflict means pull again; a
//! command the server refuses for good becomes a visible rejection.

use crate::device::Device;
use crate::remote::{CallError, Page, Placed, Remote, PAGE};
use portal_domain::recover::commands;
use portal_domain::{Envelope, EventId};
use portal_store::settle::{local_events, writes, Writes};
use portal_store::{EventStore, StoreError, SyncState};
use portal_sync::rebase::{refused, settle_page, Settlement};
use std::collections::HashSet;

/// Pages asked for at once while catching up.
const PAGES_AT_ONCE: u64 = 4;
/// Pulled events are settled in groups of about this many.
const SETTLE_EVENTS: usize = 20_000;
/// The first group of a pull: one request's worth.
const FIRST_GROUP: usize = PAGES_AT_ONCE as usize * PAGE as usize;
/// The most events one push carries.
pub const PUSH_BATCH: usize = 500;
/// A round pulls again after a push refused for a stream conflict, this
/// many times at most, before leaving the rest to the next round.
const MAX_PASSES: usize = 4;

/// Why a round stopped early. Nothing stored is lost: the next round goes
/// on from what this one recorded.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RoundError {
    #[error(transparent)]
    Call(#[from] CallError),
    #[error("the local log failed: {0}")]
    Store(#[from] StoreError),
}

/// What a round did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Round {
    /// Events pulled from the server.
    pub pulled: usize,
    /// Events the server accepted from this device.
    pub pushed: usize,
    /// Commands decided again after another device changed their stream.
    pub rebased: usize,
    /// Events decided again (the rebased commands' new events).
    pub redecided: usize,
    /// Events set aside as superseded by their decision again.
    pub superseded: usize,
    /// Events the server or the rebase refused, now rejections.
    pub rejected: usize,
}

pub async fn round<S: EventStore, R: Remote>(
    device: &Device<S>,
    remote: &R,
) -> Result<Round, RoundError> {
    let mut done = Round::default();
    for _ in 0..MAX_PASSES {
        pull(device, remote, &mut done).await?;
        match push(device, remote, &mut done).await {
            Err(RoundError::Call(CallError::Conflict(_))) => continue,
            other => return other.map(|()| done),
        }
    }
    Ok(done)
}

async fn pull<S: EventStore, R: Remote>(
    device: &Device<S>,
    remote: &R,
    done: &mut Round,
) -> Result<(), RoundError> {
    let store = device.store();
    let mut after = store.last_pulled().await?;
    // The first group is small, so that storing starts early; later ones
    // are stored while the next travels.
    let mut group = fetch(remote, after, FIRST_GROUP).await?;
    loop {
        let Group { events, next, more } = group;
        done.pulled += events.len();
        // The next group travels while this one is stored: what the server
        // placed never changes, so reading ahead cannot go stale.
        let (ahead, stored) = futures::join!(
            async {
                match more {
                    true => Some(fetch(remote, next, SETTLE_EVENTS).await),
                    false => None,
                }
            },
            settle(device, events, done),
        );
        stored?;
        if next != after {
            store.set_last_pulled(next).await?;
            after = next;
        }
        match ahead {
            Some(fetched) => group = fetched?,
            None => return Ok(()),
        }
    }
}

/// Pulled events, settled together: each settlement costs a transaction
/// and a look over the whole local log.
struct Group {
    events: Vec<Envelope>,
    next: u64,
    more: bool,
}

/// The events after `after`, in `pages` pages asked for at once: positions
/// are gap-free, so page k starts after `after + k × PAGE`. The answers
/// travel together while the first ones are read. Stops at the first page
/// that says nothing more follows.
async fn pull_many<R: Remote>(remote: &R, after: u64, pages: u64) -> Result<Vec<Page>, CallError> {
    let answers = futures::future::join_all(
        (0..pages).map(|k| remote.pull(after + k * u64::from(PAGE), PAGE)),
    )
    .await;
    let mut out = Vec::new();
    for answer in answers {
        let page = answer?;
        let last = !page.more;
        out.push(page);
        if last {
            break;
        }
    }
    Ok(out)
}

/// About `size` events after `after` (whole requests of PAGES_AT_ONCE pages).
async fn fetch<R: Remote>(remote: &R, after: u64, size: usize) -> Result<Group, CallError> {
    let mut group = Group {
        events: Vec::new(),
        next: after,
        more: true,
    };
    while group.more && group.events.len() < size {
        let pages = pull_many(remote, group.next, PAGES_AT_ONCE).await?;
        for (k, page) in pages.into_iter().enumerate() {
            // A page asked for ahead that does not start where the one
            // before ended is not taken: the next request asks again.
            let starts = page.events.first().and_then(|e| e.global_position);
            if k > 0 && starts.is_some_and(|p| p != group.next + 1) {
                group.more = true;
                break;
            }
            group.events.extend(page.events);
            group.next = page.next;
            group.more = page.more;
        }
    }
    Ok(group)
}

async fn settle<S: EventStore>(
    device: &Device<S>,
    events: Vec<Envelope>,
    done: &mut Round,
) -> Result<(), RoundError> {
    if events.is_empty() {
        return Ok(());
    }
    let settlement = plan(device, &events);
    store(device, settlement, done).await
}

fn plan<S: EventStore>(device: &Device<S>, page: &[Envelope]) -> Settlement {
    let machine = device.machine();
    let sync = device.sync_states();
    let events = local_events(machine.log().iter(), &sync, &HashSet::new());
    device.with_ids(|ids| settle_page(&events, page, ids))
}

async fn store<S: EventStore>(
    device: &Device<S>,
    s: Settlement,
    done: &mut Round,
) -> Result<(), RoundError> {
    let Writes { updates, incoming } = writes(&s);
    done.rebased += commands(&s.rebased).len();
    done.redecided += s.rebased.len();
    done.superseded += s.superseded.len();
    done.rejected += s.rejected.len();
    let stored = (!s.rewrites()).then(|| incoming.clone());
    let imported = device.store().settle(&updates, incoming).await?;
    match stored {
        None => device.reload().await?,
        Some(stored) => {
            // Nothing this device counted stops counting: the other
            // devices' events follow its own, as in the store.
            device.fold_settled(&imported, stored).await?;
            device.mark_synced(&updates);
        }
    }
    Ok(())
}

/// The pending events, in local order, cut into batches of whole commands.
fn batches<S: EventStore>(device: &Device<S>) -> Vec<Vec<Envelope>> {
    let mut out: Vec<Vec<Envelope>> = Vec::new();
    for command in commands(&device.pending()) {
        match out.last_mut() {
            Some(batch) if batch.len() + command.len() <= PUSH_BATCH => {
                batch.extend_from_slice(command)
            }
            _ => out.push(command.to_vec()),
        }
    }
    out
}

async fn push<S: EventStore, R: Remote>(
    device: &Device<S>,
    remote: &R,
    done: &mut Round,
) -> Result<(), RoundError> {
    for batch in batches(device) {
        match remote.push(&batch).await {
            Ok(placed) => record_placed(device, &batch, placed, done).await?,
            // The server will never take these: each command is tried on
            // its own, and the ones it refuses become visible rejections.
            Err(CallError::Invalid(_)) => reject_refused(device, remote, &batch, done).await?,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Records where the server placed `events`: they are synced.
async fn record_placed<S: EventStore>(
    device: &Device<S>,
    events: &[Envelope],
    placed: Vec<Placed>,
    done: &mut Round,
) -> Result<(), RoundError> {
    let states: Vec<(EventId, SyncState)> = events
        .iter()
        .zip(placed)
        .map(|(e, place)| {
            let state = SyncState::Synced {
                global_position: place.global_position,
                recorded_at: place.recorded_at,
            };
            (e.event_id, state)
        })
        .collect();
    device.store().set_sync_states(&states).await?;
    device.mark_synced(&states);
    done.pushed += events.len();
    Ok(())
}

async fn reject_refused<S: EventStore, R: Remote>(
    device: &Device<S>,
    remote: &R,
    batch: &[Envelope],
    done: &mut Round,
) -> Result<(), RoundError> {
    // Earliest first, so that each command follows what the server already
    // took of its stream (a later one alone would only meet a version
    // conflict). A refused command takes the later pending commands of its
    // stream with it: their versions follow it, and only a stream's latest
    // events may stop counting.
    let mut rejected: HashSet<EventId> = HashSet::new();
    for command in commands(batch) {
        if rejected.contains(&command[0].event_id) {
            continue;
        }
        match remote.push(command).await {
            Err(CallError::Invalid(why)) => {
                let states: Vec<(EventId, SyncState)> = {
                    let machine = device.machine();
                    let sync = device.sync_states();
                    let events = local_events(machine.log().iter(), &sync, &rejected);
                    refused(&events, command, &why)
                        .into_iter()
                        .map(|(id, reason)| (id, SyncState::Rejected { reason }))
                        .collect()
                };
                device.store().set_sync_states(&states).await?;
                done.rejected += states.len();
                rejected.extend(states.iter().map(|(id, _)| *id));
            }
            // Taken on its own after all.
            Ok(placed) => record_placed(device, command, placed, done).await?,
            // The server is gone, or busy: the next round tries again, and
            // what was rejected so far is recorded.
            Err(e) => {
                device.reload().await?;
                return Err(e.into());
            }
        }
    }
    device.reload().await?;
    Ok(())
}
