//! One sync round: pull first, settling each page against the local log
//! (this device's pending commands decided again where another device got
//! there first), then push what is still pending.

use super::client::{self, CallError};
use super::settings::Settings;
use crate::browser::BrowserIds;
use crate::ledger::Ledger;
use portal_domain::recover::commands;
use portal_domain::{Envelope, EventId};
use portal_store::settle::{local_events, writes, Writes};
use portal_store::{EventStore, SyncState};
use portal_sync::rebase::{refused, settle_page, Settlement};
use std::collections::HashSet;

/// Pages asked for at once while catching up.
const PAGES_AT_ONCE: u64 = 4;
/// Pulled events are settled in groups of about this many.
const SETTLE_EVENTS: usize = 20_000;
/// The first group of a pull: one request's worth.
const FIRST_GROUP: usize = PAGES_AT_ONCE as usize * client::PAGE as usize;
/// The most events one push carries.
const PUSH_BATCH: usize = 500;
/// A round pulls again after a push refused for a stream conflict, this
/// many times at most, before leaving the rest to the next round.
const MAX_PASSES: usize = 4;

/// Why a round stopped early.
#[derive(Clone, Debug, PartialEq)]
pub enum RoundError {
    Call(CallError),
    Store(String),
    /// The module that holds the round's code could not be fetched (ADR 20).
    Unfetched,
}

impl std::fmt::Display for RoundError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RoundError::Call(e) => e.fmt(f),
            RoundError::Store(why) => write!(f, "the local log failed: {why}"),
            RoundError::Unfetched => f.write_str("the code that syncs could not be fetched"),
        }
    }
}

impl From<CallError> for RoundError {
    fn from(e: CallError) -> Self {
        RoundError::Call(e)
    }
}

impl From<portal_store::StoreError> for RoundError {
    fn from(e: portal_store::StoreError) -> Self {
        RoundError::Store(e.to_string())
    }
}

/// What a round did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Round {
    pub pulled: usize,
    pub pushed: usize,
    pub rebased: usize,
    pub rejected: usize,
}

pub async fn round(ledger: Ledger, settings: &Settings) -> Result<Round, RoundError> {
    let mut done = Round::default();
    for _ in 0..MAX_PASSES {
        pull(ledger, settings, &mut done).await?;
        match push(ledger, settings, &mut done).await {
            Err(RoundError::Call(CallError::Conflict(_))) => continue,
            other => return other.map(|()| done),
        }
    }
    Ok(done)
}

async fn pull(ledger: Ledger, settings: &Settings, done: &mut Round) -> Result<(), RoundError> {
    let Some(local) = ledger.local() else {
        return Ok(());
    };
    let mut after = local.store.last_pulled().await?;
    // The first group is small, so that storing starts early; later ones
    // are stored while the next travels.
    let mut group = fetch(settings, after, FIRST_GROUP).await?;
    loop {
        let Group { events, next, more } = group;
        done.pulled += events.len();
        // The next group travels while this one is stored: what the server
        // placed never changes, so reading ahead cannot go stale.
        let (ahead, stored) = futures::join!(
            async {
                match more {
                    true => Some(fetch(settings, next, SETTLE_EVENTS).await),
                    false => None,
                }
            },
            settle(ledger, events, done),
        );
        stored?;
        if next != after {
            local.store.set_last_pulled(next).await?;
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

/// About `size` events after `after` (whole requests of PAGES_AT_ONCE pages).
async fn fetch(settings: &Settings, after: u64, size: usize) -> Result<Group, CallError> {
    let mut group = Group {
        events: Vec::new(),
        next: after,
        more: true,
    };
    while group.more && group.events.len() < size {
        let pages = client::pull_many(settings, group.next, PAGES_AT_ONCE).await?;
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

async fn settle(ledger: Ledger, events: Vec<Envelope>, done: &mut Round) -> Result<(), RoundError> {
    if events.is_empty() {
        return Ok(());
    }
    let settlement = plan(ledger, &events);
    store(ledger, settlement, done).await
}

fn plan(ledger: Ledger, page: &[Envelope]) -> Settlement {
    let Some(local) = ledger.local() else {
        return Settlement::default();
    };
    let machine = local.machine.borrow();
    let sync = local.sync.borrow();
    let events = local_events(machine.log().iter(), &sync, &HashSet::new());
    settle_page(&events, page, &mut BrowserIds)
}

async fn store(ledger: Ledger, s: Settlement, done: &mut Round) -> Result<(), RoundError> {
    let Some(local) = ledger.local() else {
        return Ok(());
    };
    let Writes { updates, incoming } = writes(&s);
    done.rebased += commands(&s.rebased).len();
    done.rejected += s.rejected.len();
    let stored = (!s.rewrites()).then(|| incoming.clone());
    let imported = local.store.settle(&updates, incoming).await?;
    match stored {
        None => ledger.reload().await?,
        Some(stored) => {
            ledger.fold_settled(&imported, stored).await?;
            ledger.mark_synced(&updates);
        }
    }
    Ok(())
}

/// The pending events, in local order, cut into batches of whole commands.
fn batches(ledger: Ledger) -> Vec<Vec<Envelope>> {
    let Some(local) = ledger.local() else {
        return Vec::new();
    };
    let machine = local.machine.borrow();
    let sync = local.sync.borrow();
    let pending: Vec<Envelope> = machine
        .log()
        .iter()
        .zip(sync.iter())
        .filter(|(_, s)| **s == SyncState::Pending)
        .map(|(e, _)| e.clone())
        .collect();
    let mut out: Vec<Vec<Envelope>> = Vec::new();
    for command in commands(&pending) {
        match out.last_mut() {
            Some(batch) if batch.len() + command.len() <= PUSH_BATCH => {
                batch.extend_from_slice(command)
            }
            _ => out.push(command.to_vec()),
        }
    }
    out
}

async fn push(ledger: Ledger, settings: &Settings, done: &mut Round) -> Result<(), RoundError> {
    for batch in batches(ledger) {
        match client::push(settings, &batch).await {
            Ok(placed) => {
                let states: Vec<(EventId, SyncState)> = batch
                    .iter()
                    .zip(placed)
                    .map(|(e, (_, g, at))| {
                        let state = SyncState::Synced {
                            global_position: g,
                            recorded_at: at,
                        };
                        (e.event_id, state)
                    })
                    .collect();
                if let Some(local) = ledger.local() {
                    local.store.set_sync_states(&states).await?;
                }
                ledger.mark_synced(&states);
                done.pushed += batch.len();
            }
            // The server will never take these: each command is tried on
            // its own, and the ones it refuses become visible rejections.
            Err(CallError::Invalid(_)) => reject_refused(ledger, settings, &batch, done).await?,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

async fn reject_refused(
    ledger: Ledger,
    settings: &Settings,
    batch: &[Envelope],
    done: &mut Round,
) -> Result<(), RoundError> {
    let Some(local) = ledger.local() else {
        return Ok(());
    };
    // Latest first: only a stream's latest events may stop counting. A
    // refused command takes the later pending commands of its stream with it.
    let mut rejected: HashSet<EventId> = HashSet::new();
    for command in commands(batch).into_iter().rev() {
        if rejected.contains(&command[0].event_id) {
            continue;
        }
        if let Err(CallError::Invalid(why)) = client::push(settings, command).await {
            let states: Vec<(EventId, SyncState)> = {
                let machine = local.machine.borrow();
                let sync = local.sync.borrow();
                let events = local_events(machine.log().iter(), &sync, &rejected);
                refused(&events, command, &why)
                    .into_iter()
                    .map(|(id, reason)| (id, SyncState::Rejected { reason }))
                    .collect()
            };
            local.store.set_sync_states(&states).await?;
            done.rejected += states.len();
            rejected.extend(states.iter().map(|(id, _)| *id));
        }
    }
    ledger.reload().await?;
    Ok(())
}
