//! Time travel: the whole portal as it was after the first `k` events.
//!
//! A checkpoint of every projection is kept every `every` events. The state at
//! `k` is the checkpoint at or before `k` plus at most `every - 1` folds.
//! Checkpoints are cheap because `Portal` is made of persistent collections:
//! each one shares everything it did not change with its neighbours.
//!
//! A machine resumed from a head state (a cold start restores the head from
//! a stored snapshot) has no checkpoints yet: they are folded on the first
//! question about the past, so that opening the portal does not pay for them.
//!
//! Checkpoints cost memory, so a large log wants them far apart; but then
//! each answer folds many events. A window of finer states, every
//! `every / 32` events across the one interval the last question fell in,
//! makes the questions a slider asks (neighbouring positions) cheap: the
//! first question in an interval folds up to `every` events, the next ones
//! at most `every / 32`.

use crate::diff::PortalDiff;
use crate::envelope::Envelope;
use crate::ids::AppId;
use crate::log::SharedLog;
use crate::portal::Portal;
use crate::projections::timeline::{
    timeline, CausationChain, CausationGraph, LogIndex, TimelineFilter,
};
use std::cell::RefCell;

/// The default checkpoint interval: an answer folds at most 511 events.
pub const DEFAULT_CHECKPOINT_EVERY: usize = 512;

#[derive(Clone, Debug)]
pub struct TimeMachine {
    log: SharedLog,
    index: LogIndex,
    /// `checkpoints[i]` is the state after `i * every` events; those not yet
    /// folded are missing from the end.
    checkpoints: RefCell<Vec<Portal>>,
    every: usize,
    window: RefCell<Window>,
    head: Portal,
}

/// Finer states inside one checkpoint interval: `states[j]` is the state
/// after `interval * every + j * step` events; those not yet folded are
/// missing from the end.
#[derive(Clone, Debug, Default)]
struct Window {
    interval: Option<usize>,
    states: Vec<Portal>,
}

/// How many finer states the window keeps across one interval.
const WINDOW_STATES: usize = 32;

impl Default for TimeMachine {
    fn default() -> Self {
        Self::new(DEFAULT_CHECKPOINT_EVERY)
    }
}

impl TimeMachine {
    /// An empty log, checkpointed every `every` events (at least 1).
    pub fn new(every: usize) -> Self {
        let log = SharedLog::new();
        let head = Portal::over(log.clone());
        Self {
            checkpoints: RefCell::new(vec![head.clone()]),
            log,
            index: LogIndex::default(),
            every: every.max(1),
            window: RefCell::default(),
            head,
        }
    }

    /// Builds from a whole log.
    pub fn from_log(log: impl IntoIterator<Item = Envelope>, every: usize) -> Self {
        let mut machine = Self::new(every);
        for envelope in log {
            machine.push(envelope);
        }
        machine
    }

    /// Resumes from `head`, a state at the end of its log: the same machine
    /// as one built from that log, with its checkpoints folded on first use.
    pub fn resume(head: Portal, every: usize) -> Self {
        let log = head.log().clone();
        Self {
            checkpoints: RefCell::new(vec![Portal::over(log.clone())]),
            index: LogIndex::over(log.len()),
            every: every.max(1),
            window: RefCell::default(),
            log,
            head,
        }
    }

    /// Appends one event at the head, folding it into every projection, and
    /// returns its position. The store guarantees ids are unique.
    pub fn push(&mut self, envelope: Envelope) -> usize {
        let position = self.index.push(&envelope) as usize;
        // The head is always at the end of the log it shares.
        let _ = self.head.append(envelope);
        let checkpoints = self.checkpoints.get_mut();
        // Only when every earlier checkpoint is there: otherwise the first
        // look into the past folds this one with the rest.
        if self.log.len() == checkpoints.len() * self.every {
            checkpoints.push(self.head.clone());
        }
        position
    }

    pub fn len(&self) -> usize {
        self.log.len()
    }

    pub fn is_empty(&self) -> bool {
        self.log.is_empty()
    }

    pub fn checkpoint_every(&self) -> usize {
        self.every
    }

    /// Checkpoints folded so far.
    pub fn checkpoint_count(&self) -> usize {
        self.checkpoints.borrow().len()
    }

    pub fn log(&self) -> &SharedLog {
        &self.log
    }

    pub fn index(&self) -> &LogIndex {
        &self.index
    }

    /// The state after every event.
    pub fn head(&self) -> &Portal {
        &self.head
    }

    /// The state after the first `k` events (`k` is clamped to the log).
    pub fn state_at(&self, k: usize) -> Portal {
        let k = k.min(self.log.len());
        if k == self.log.len() {
            return self.head.clone();
        }
        let interval = k / self.every;
        let step = (self.every / WINDOW_STATES).max(1);
        let start = interval * self.every;
        let j = (k - start) / step;
        let mut window = self.window.borrow_mut();
        if window.interval != Some(interval) {
            *window = Window {
                interval: Some(interval),
                states: vec![self.checkpoint(interval)],
            };
        }
        while window.states.len() <= j {
            let mut next = window.states[window.states.len() - 1].clone();
            next.advance_to((start + window.states.len() * step) as u64);
            window.states.push(next);
        }
        let mut state = window.states[j].clone();
        state.advance_to(k as u64);
        state
    }

    /// The state after `i * every` events, folding the checkpoints up to it
    /// if they are not there yet.
    fn checkpoint(&self, i: usize) -> Portal {
        let mut checkpoints = self.checkpoints.borrow_mut();
        while checkpoints.len() <= i {
            let mut next = checkpoints[checkpoints.len() - 1].clone();
            next.advance_to((checkpoints.len() * self.every) as u64);
            checkpoints.push(next);
        }
        checkpoints[i].clone()
    }

    /// What changed, per projection, between positions `a` and `b`.
    pub fn diff(&self, a: usize, b: usize) -> PortalDiff {
        let (a, b) = (a.min(self.len()), b.min(self.len()));
        PortalDiff::between(
            &self.state_at(a),
            &self.state_at(b),
            self.log.range(a.min(b), a.max(b)).map(|(_, e)| e),
        )
    }

    /// The timeline as of position `k`, newest first.
    pub fn timeline<'a>(
        &'a self,
        k: usize,
        filter: &'a TimelineFilter,
    ) -> impl Iterator<Item = (usize, &'a Envelope)> + 'a {
        timeline(&self.log, k, filter, &self.head)
    }

    /// One application's own history as of position `k`: its events and
    /// those of its surveys, oldest first.
    pub fn app_history(&self, app: AppId, k: usize) -> Vec<(usize, &Envelope)> {
        self.index
            .app(&self.log, app, k.min(self.len()))
            .iter()
            .filter_map(|&p| Some((p as usize, self.log.get(p as usize)?)))
            .collect()
    }

    /// Causes and effects of the event at `position`, as of position `k`.
    pub fn causation(&self, position: usize, k: usize) -> CausationChain {
        self.index.chain(&self.log, position, k)
    }

    /// The causation graph the event at `position` belongs to, as of
    /// position `k`, with at most `limit` events.
    pub fn causation_graph(&self, position: usize, k: usize, limit: usize) -> CausationGraph {
        self.index.graph(&self.log, position, k, limit)
    }
}
