//! The global timeline, a stream's own history and causation chains. These are
//! views of the log itself, so the index behind them only grows: at position
//! `k` it answers by ignoring everything at or after `k`.

use crate::envelope::Envelope;
use crate::event::{EventKind, EventType};
use crate::ids::{AppId, EventId};
use crate::log::SharedLog;
use crate::portal::Portal;
use crate::values::{Actor, Owner, ProductName};
use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;
use std::cell::OnceCell;

/// Log positions are 0-based indexes into the log.
pub type Position = u32;

/// Indexes over the log, built on first use and then kept up to date as
/// events are appended: replay does not pay for lookups that only a click
/// on an event or an application needs.
#[derive(Clone, Debug, Default)]
pub struct LogIndex {
    built: OnceCell<Indexes>,
    len: usize,
}

#[derive(Clone, Debug, Default)]
struct Indexes {
    positions: FxHashMap<EventId, Position>,
    /// Events that name a cause, by that cause.
    effects: FxHashMap<EventId, Vec<Position>>,
    /// Each application's events, its surveys' included.
    apps: FxHashMap<AppId, Vec<Position>>,
}

impl Indexes {
    fn add(&mut self, position: Position, envelope: &Envelope) {
        self.positions.insert(envelope.event_id, position);
        if let Some(cause) = envelope.causation_id {
            self.effects.entry(cause).or_default().push(position);
        }
        if let Some(app) = envelope.event.app_id() {
            self.apps.entry(app).or_default().push(position);
        }
    }
}

impl LogIndex {
    /// An index told about the first `len` events of a log, to be read from
    /// it when first used.
    pub fn over(len: usize) -> Self {
        Self {
            built: OnceCell::new(),
            len,
        }
    }

    /// Notes the next envelope of the log (the store has already refused
    /// duplicate ids).
    pub fn push(&mut self, envelope: &Envelope) -> Position {
        let position = self.len as Position;
        if let Some(built) = self.built.get_mut() {
            built.add(position, envelope);
        }
        self.len += 1;
        position
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the indexes have been built yet.
    pub fn is_built(&self) -> bool {
        self.built.get().is_some()
    }

    /// `log` must be the log this index has been told about.
    fn get(&self, log: &SharedLog) -> &Indexes {
        self.built.get_or_init(|| {
            let mut built = Indexes {
                positions: FxHashMap::with_capacity_and_hasher(log.len(), Default::default()),
                ..Indexes::default()
            };
            for (p, envelope) in log.range(0, self.len) {
                built.add(p as Position, envelope);
            }
            built
        })
    }

    /// Where an event is in `log`, if it is before `upto`.
    pub fn position(&self, log: &SharedLog, id: EventId, upto: usize) -> Option<usize> {
        self.get(log)
            .positions
            .get(&id)
            .map(|&p| p as usize)
            .filter(|&p| p < upto)
    }

    /// One application's events before `upto`, its surveys' included, oldest first.
    pub fn app<'a>(&'a self, log: &SharedLog, id: AppId, upto: usize) -> &'a [Position] {
        let all = self.get(log).apps.get(&id).map_or(&[][..], Vec::as_slice);
        &all[..all.partition_point(|&p| (p as usize) < upto)]
    }

    /// The events `id` caused directly, before `upto`.
    pub fn effects<'a>(&'a self, log: &SharedLog, id: EventId, upto: usize) -> &'a [Position] {
        let all = self
            .get(log)
            .effects
            .get(&id)
            .map_or(&[][..], Vec::as_slice);
        &all[..all.partition_point(|&p| (p as usize) < upto)]
    }

    /// What led to the event at `position` and what followed from it, within
    /// the first `upto` events of `log`.
    pub fn chain(&self, log: &SharedLog, position: usize, upto: usize) -> CausationChain {
        let upto = upto.min(log.len());
        let mut causes = Vec::new();
        let mut current = log.get(position).and_then(|e| e.causation_id);
        while let Some(cause) = current {
            // A cause always precedes its effect; the bound also stops a
            // malformed log from looping.
            match self.position(log, cause, upto) {
                Some(p) if p < position && causes.len() < upto => {
                    causes.push(p);
                    current = log.get(p).and_then(|e| e.causation_id);
                }
                _ => break,
            }
        }
        causes.reverse();

        let mut effects = Vec::new();
        let mut frontier = vec![position];
        while let Some(p) = frontier.pop() {
            let Some(event) = log.get(p) else { continue };
            for &effect in self.effects(log, event.event_id, upto) {
                let effect = effect as usize;
                if effect > p {
                    effects.push(effect);
                    frontier.push(effect);
                }
            }
        }
        effects.sort_unstable();
        CausationChain {
            position,
            causes,
            effects,
        }
    }
    /// The whole causation graph `position` belongs to, within the first
    /// `upto` events: the command that started it (every event it decided)
    /// and, below each event, what the processes did because of it. At most
    /// `limit` nodes, so that a runaway chain cannot draw a wall.
    pub fn graph(
        &self,
        log: &SharedLog,
        position: usize,
        upto: usize,
        limit: usize,
    ) -> CausationGraph {
        let upto = upto.min(log.len());
        let chain = self.chain(log, position, upto);
        let root = chain.causes.first().copied().unwrap_or(position);
        let Some(first) = log.get(root) else {
            return CausationGraph::default();
        };
        // One command's events sit side by side in the log, with the same
        // correlation, cause and actor.
        let same_command = |p: usize| {
            log.get(p).is_some_and(|e| {
                e.correlation_id == first.correlation_id
                    && e.causation_id == first.causation_id
                    && e.actor == first.actor
            })
        };
        let mut start = root;
        while start > 0 && same_command(start - 1) {
            start -= 1;
        }
        let mut end = root + 1;
        while end < upto && same_command(end) {
            end += 1;
        }
        let mut graph = CausationGraph::default();
        // Depth first, so that each effect is drawn below its cause.
        let mut stack: Vec<(usize, Option<usize>, usize)> =
            (start..end).rev().map(|p| (p, None, 0)).collect();
        while let Some((p, parent, depth)) = stack.pop() {
            if graph.nodes.len() == limit {
                graph.truncated = true;
                break;
            }
            graph.nodes.push(GraphNode {
                position: p,
                parent,
                depth,
            });
            let Some(event) = log.get(p) else { continue };
            for &effect in self.effects(log, event.event_id, upto).iter().rev() {
                if effect as usize > p {
                    stack.push((effect as usize, Some(p), depth + 1));
                }
            }
        }
        graph
    }
}

/// The events one command set going, as a tree: the command's own events
/// are the roots, and every other event hangs under the one that caused it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CausationGraph {
    /// Depth first: each node comes after its parent and before its
    /// parent's next child.
    pub nodes: Vec<GraphNode>,
    /// Whether nodes were left out to stay within the limit.
    pub truncated: bool,
}

/// One event of a causation graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraphNode {
    pub position: usize,
    /// The position of the event that caused it; `None` for the command's own.
    pub parent: Option<usize>,
    /// How many causes lie between it and the command: 0 for the command's own.
    pub depth: usize,
}

/// Which event caused which, around one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CausationChain {
    pub position: usize,
    /// The causes, the root first.
    pub causes: Vec<usize>,
    /// Everything that followed, directly or not, in log order.
    pub effects: Vec<usize>,
}

/// Timeline filters. Empty fields match everything; date bounds are inclusive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimelineFilter {
    pub types: Vec<EventType>,
    pub kind: Option<EventKind>,
    pub app: Option<AppId>,
    pub actor: Option<Actor>,
    /// Events that name this product (added, removed, or asked about in a
    /// survey), whatever its case: products are typed by people.
    pub product: Option<ProductName>,
    /// Events of the applications this person owns at the head: who looks
    /// after an application now is who asks about its past.
    pub owner: Option<Owner>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl TimelineFilter {
    /// Whether `envelope` passes; `owner_of` tells who owns an application
    /// at the head.
    pub fn matches<'a>(
        &self,
        envelope: &Envelope,
        owner_of: impl Fn(AppId) -> Option<&'a Owner>,
    ) -> bool {
        (self.types.is_empty() || self.types.contains(&envelope.event_type()))
            && self.kind.is_none_or(|k| envelope.kind() == k)
            && self.app.is_none_or(|a| envelope.event.app_id() == Some(a))
            && self.actor.as_ref().is_none_or(|a| &envelope.actor == a)
            && self.from.is_none_or(|f| envelope.occurred_at >= f)
            && self.until.is_none_or(|u| envelope.occurred_at <= u)
            && self.product.as_ref().is_none_or(|wanted| {
                envelope
                    .event
                    .products()
                    .iter()
                    .any(|p| p.as_str().eq_ignore_ascii_case(wanted.as_str()))
            })
            && self
                .owner
                .as_ref()
                .is_none_or(|o| envelope.event.app_id().and_then(&owner_of) == Some(o))
    }
}

/// The first `upto` events of `log` that match `filter`, newest first, with
/// their positions. Lazy, so a page of a long timeline costs only that page.
pub fn timeline<'a>(
    log: &'a SharedLog,
    upto: usize,
    filter: &'a TimelineFilter,
    head: &'a Portal,
) -> impl Iterator<Item = (usize, &'a Envelope)> + 'a {
    log.range(0, upto)
        .rev()
        .filter(move |(_, e)| filter.matches(e, |app| head.owner_of(app)))
}
