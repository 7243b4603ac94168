//! The device's log, opened: the store, every projection over it at its
//! head, and each event's sync state. The projections count live events
//! only (pending or synced); rejected and superseded ones are kept aside,
//! for the record.
//!
//! Every method takes `&self`: the app shares one device between the page,
//! the sync round and the timers, all on one thread, and no borrow of the
//! state is held across an `await`.

use crate::held::Held;
use crate::refused::Refused;
use chrono::{DateTime, Utc};
use portal_domain::process::{self, Issued};
use portal_domain::{
    AppId, Command, CommandMeta, DeviceId, Envelope, EventId, IdSource, Portal, Rating, SurveyId,
    Text, TimeMachine,
};
use portal_store::checkpoint::{checkpoint_of, cold_start, ColdStart, CHECKPOINT_EVERY};
use portal_store::{EventStore, Imported, StoreError, StoredEvent, SyncState};
use std::cell::{Cell, Ref, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// Process managers may chain (a survey added is then sent); a chain longer
/// than this is a bug, and stops rather than loops.
const MAX_REACTIONS: usize = 16;

/// The slider's checkpoint interval. Every checkpoint copies what changed
/// since the one before: at 100k events, 300 steps back with one every 512
/// events took the tab from 46 to 80 MB of wasm memory, and with one every
/// 8,192 to 56 MB, while a step, which then folds up to 8,191 events, still
/// took a p95 of 5.5 ms (`scripts/bench-app.sh`).
pub const SLIDER_CHECKPOINT_EVERY: usize = 8_192;

/// What changed, for whoever shows the device (the app's signals).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Changed {
    /// Events were added or their sync states changed.
    Log,
    /// Everything was read again (after events stopped counting): the log
    /// may be shorter, and the set-aside events are new.
    Rebuilt,
    /// The commands held for room changed.
    Held,
}

/// Who is told of changes.
type Observer = Rc<dyn Fn(Changed)>;

/// What opening found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    /// Stored events that could not be read, set aside where they are.
    pub quarantined: usize,
}

/// A change of this device's that another device's change to the same
/// stream overtook: decided again on top of it, and applied (`Device::crossed`).
#[derive(Clone, Debug, PartialEq)]
pub struct Crossed {
    /// The change as first made here (its first event), kept for the record.
    pub ours: Envelope,
    /// What it became, decided again: the first event that counts.
    pub applied: Envelope,
    /// The other changes to the stream it now comes after.
    pub theirs: Vec<Envelope>,
}

pub struct Device<S> {
    pub(crate) store: S,
    pub(crate) machine: RefCell<TimeMachine>,
    /// The sync state of each event the machine holds, by its position.
    pub(crate) sync: RefCell<Vec<SyncState>>,
    /// Where the store's log ends (local positions can have gaps where a
    /// record was quarantined or set aside, so this is not the machine's length).
    store_end: Cell<u64>,
    /// Rejected events, with why: the conflicts list.
    pub(crate) rejected: RefCell<Vec<StoredEvent>>,
    /// Events decided again after another device changed their stream
    /// first: the crossed changes.
    pub(crate) superseded: RefCell<Vec<StoredEvent>>,
    id: DeviceId,
    checkpointed_at: Cell<u64>,
    /// The state at the slider, kept while the slider stays there.
    past: RefCell<Option<Portal>>,
    ids: RefCell<Box<dyn IdSource>>,
    pub(crate) held: RefCell<Vec<Held>>,
    pub(crate) saving_held: Cell<bool>,
    on_change: RefCell<Option<Observer>>,
    /// Whether the process managers run here. They run on the server,
    /// which alone writes their events (ADR 30); only a log that never
    /// syncs (the demo) runs them itself.
    processes: Cell<bool>,
}

/// The device's id source, lent to the domain.
pub(crate) struct Ids<'a>(&'a mut dyn IdSource);

impl IdSource for Ids<'_> {
    fn next_v7(&mut self, unix_millis: u64) -> uuid::Uuid {
        self.0.next_v7(unix_millis)
    }
}

/// What a cold start read, in the shape the device keeps it: opening and
/// reloading both install it.
struct Rebuilt {
    store_end: u64,
    sync: Vec<SyncState>,
    machine: TimeMachine,
    rejected: Vec<StoredEvent>,
    superseded: Vec<StoredEvent>,
    len: u64,
}

impl From<ColdStart> for Rebuilt {
    fn from(start: ColdStart) -> Self {
        let live = start.entries.last().map(|(p, _)| p + 1);
        let aside = start.set_aside.iter().map(|e| e.position + 1).max();
        // Set aside, an event is rejected or superseded.
        let (rejected, superseded) = start
            .set_aside
            .into_iter()
            .partition(|e| matches!(e.sync, SyncState::Rejected { .. }));
        Rebuilt {
            store_end: live.max(aside).unwrap_or(0),
            sync: start.entries.into_iter().map(|(_, s)| s).collect(),
            len: start.portal.log().len() as u64,
            machine: TimeMachine::resume(start.portal, SLIDER_CHECKPOINT_EVERY),
            rejected,
            superseded,
        }
    }
}

impl<S: EventStore> Device<S> {
    /// Opens the log `store` holds and brings every projection to its head.
    /// The device's id is the stored one, or `candidate` on a new device;
    /// `ids` makes the ids of new events.
    pub async fn open(
        store: S,
        candidate: DeviceId,
        ids: Box<dyn IdSource>,
    ) -> Result<(Self, Opened), StoreError> {
        let start = cold_start(&store).await?;
        let opened = Opened {
            quarantined: start.quarantined.len(),
        };
        let id = store.claim_device_id(candidate).await?;
        let built = Rebuilt::from(start);
        let device = Device {
            store,
            machine: RefCell::new(built.machine),
            sync: RefCell::new(built.sync),
            store_end: Cell::new(built.store_end),
            rejected: RefCell::new(built.rejected),
            superseded: RefCell::new(built.superseded),
            id,
            checkpointed_at: Cell::new(built.len),
            past: RefCell::new(None),
            ids: RefCell::new(ids),
            held: RefCell::new(Vec::new()),
            saving_held: Cell::new(false),
            on_change: RefCell::new(None),
            processes: Cell::new(false),
        };
        Ok((device, opened))
    }

    /// Runs the process managers on this device: for a log that never
    /// syncs (the demo), which no server's processors read.
    pub fn run_processes_here(&self) {
        self.processes.set(true);
    }

    /// Calls `f` after every change, once no state is borrowed.
    pub fn on_change(&self, f: impl Fn(Changed) + 'static) {
        *self.on_change.borrow_mut() = Some(Rc::new(f));
    }

    pub(crate) fn changed(&self, what: Changed) {
        let f = self.on_change.borrow().clone();
        if let Some(f) = f {
            f(what);
        }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn id(&self) -> DeviceId {
        self.id
    }

    /// How many events count.
    pub fn len(&self) -> u64 {
        self.machine.borrow().len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The time machine over the counted log (the head, the timeline,
    /// histories, diffs).
    pub fn machine(&self) -> Ref<'_, TimeMachine> {
        self.machine.borrow()
    }

    /// Each counted event's sync state, by log position.
    pub fn sync_states(&self) -> Ref<'_, Vec<SyncState>> {
        self.sync.borrow()
    }

    /// The events the server refused, with why.
    pub fn rejected(&self) -> Vec<StoredEvent> {
        self.rejected.borrow().clone()
    }

    /// How many events wait to be sent to the server.
    pub fn pending_count(&self) -> usize {
        self.sync
            .borrow()
            .iter()
            .filter(|s| **s == SyncState::Pending)
            .count()
    }

    /// Runs `f` on the portal after the first `k` events, kept while `k`
    /// stays the same (the slider resting there).
    pub fn with_past<R>(&self, k: u64, f: impl FnOnce(&Portal) -> R) -> R {
        let mut past = self.past.borrow_mut();
        if past.as_ref().is_none_or(|p| p.position() != k) {
            *past = Some(self.machine.borrow().state_at(k as usize));
        }
        f(past.as_ref().expect("set just above"))
    }

    /// Makes new ids with the device's source (for the rebase).
    pub(crate) fn with_ids<R>(&self, f: impl FnOnce(&mut Ids<'_>) -> R) -> R {
        f(&mut Ids(self.ids.borrow_mut().as_mut()))
    }

    /// Reads the log again and rebuilds every projection: after events
    /// stopped counting (a rebase), which folding forward cannot undo.
    pub async fn reload(&self) -> Result<(), StoreError> {
        let built = Rebuilt::from(cold_start(&self.store).await?);
        self.store_end.set(built.store_end);
        *self.rejected.borrow_mut() = built.rejected;
        *self.superseded.borrow_mut() = built.superseded;
        *self.sync.borrow_mut() = built.sync;
        *self.machine.borrow_mut() = built.machine;
        *self.past.borrow_mut() = None;
        self.checkpointed_at.set(built.len);
        self.changed(Changed::Rebuilt);
        Ok(())
    }

    /// Reads what other handles on the database (other tabs) stored since
    /// this one last looked.
    pub async fn catch_up(&self) -> Result<(), StoreError> {
        let loaded = self.store.read_from(self.store_end.get()).await?;
        // Another catch-up may have run while this one read.
        let from = self.store_end.get();
        let fresh: Vec<_> = loaded
            .events
            .into_iter()
            .filter(|e| e.position >= from)
            .collect();
        let Some(last) = fresh.last() else {
            return Ok(());
        };
        self.store_end.set(last.position + 1);
        {
            let mut machine = self.machine.borrow_mut();
            let mut sync = self.sync.borrow_mut();
            for event in fresh.into_iter().filter(|e| e.sync.is_live()) {
                machine.push(event.envelope);
                sync.push(event.sync);
            }
        }
        self.changed(Changed::Log);
        Ok(())
    }

    /// Records new sync states of pending events the device holds (they
    /// stay live).
    pub fn mark_synced(&self, states: &[(EventId, SyncState)]) {
        let wanted: HashMap<_, _> = states.iter().cloned().collect();
        {
            let machine = self.machine.borrow();
            let mut sync = self.sync.borrow_mut();
            for (position, state) in sync.iter_mut().enumerate() {
                if *state != SyncState::Pending {
                    continue;
                }
                if let Some(new) = machine
                    .log()
                    .get(position)
                    .and_then(|e| wanted.get(&e.event_id))
                {
                    *state = new.clone();
                }
            }
        }
        self.changed(Changed::Log);
    }

    /// Folds what a sync settlement has just stored (`stored`, as handed to
    /// the store), without reading it back, when the store placed exactly
    /// those events right after what this device holds; otherwise reads.
    pub async fn fold_settled(
        &self,
        imported: &Imported,
        stored: Vec<(Envelope, SyncState)>,
    ) -> Result<(), StoreError> {
        let placed = imported.positions.end - imported.positions.start;
        if imported.skipped > 0
            || imported.positions.start != self.store_end.get()
            || placed != stored.len() as u64
        {
            return self.catch_up().await;
        }
        {
            let mut machine = self.machine.borrow_mut();
            let mut sync = self.sync.borrow_mut();
            for (envelope, state) in stored.into_iter().filter(|(_, s)| s.is_live()) {
                machine.push(envelope);
                sync.push(state);
            }
        }
        self.store_end.set(imported.positions.end);
        self.changed(Changed::Log);
        Ok(())
    }

    /// Decides `command` at the head and stores its events, then lets the
    /// process managers react. Nothing changes when it is refused; when the
    /// store has no room, the command is held and stored later
    /// ([`Device::save_held`]). Returns the events stored: the command's,
    /// then those of the processes it set off.
    pub async fn execute(
        &self,
        command: Command,
        meta: CommandMeta,
    ) -> Result<Vec<Envelope>, Refused> {
        // Changes keep their order: while earlier ones wait for room, a
        // new one waits behind them.
        if self.holds_any() {
            self.save_held().await;
            if self.holds_any() {
                self.hold(command, meta);
                return Err(Refused::Held);
            }
        }
        if self.store.is_closed() {
            // The browser closed the log (a full disk does) and it is not
            // open again yet. What is shown is what the command would be
            // decided against, so one that cannot apply is refused now.
            self.decide(&command, &meta)?;
            self.hold(command, meta);
            return Err(Refused::Held);
        }
        match self.store_command(&command, &meta).await {
            Ok(mut stored) => {
                let reactions = self.react(stored.clone()).await;
                stored.extend(reactions);
                Ok(stored)
            }
            Err(Refused::NoRoom(_)) => {
                self.hold(command, meta);
                Err(Refused::Held)
            }
            Err(other) => Err(other),
        }
    }

    /// Records an owner's answer to a sent survey, as caused by its sending.
    pub async fn answer_survey(
        &self,
        survey_id: SurveyId,
        rating: Rating,
        comment: Option<Text>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Envelope>, Refused> {
        let issued = process::answer(
            self.machine.borrow().head(),
            survey_id,
            rating,
            comment,
            now,
            self.id,
        )?;
        self.execute(issued.command, issued.meta).await
    }

    fn decide(&self, command: &Command, meta: &CommandMeta) -> Result<Vec<Envelope>, Refused> {
        let machine = self.machine.borrow();
        let mut ids = self.ids.borrow_mut();
        Ok(machine
            .head()
            .execute(command, meta, &mut Ids(ids.as_mut()))?)
    }

    pub(crate) async fn store_command(
        &self,
        command: &Command,
        meta: &CommandMeta,
    ) -> Result<Vec<Envelope>, Refused> {
        // A second try after catching up with another tab that wrote to the
        // same stream: the command is decided again against what it wrote.
        for attempt in 0..2 {
            let events = self.decide(command, meta)?;
            let Some(first) = events.first() else {
                return Ok(events);
            };
            match self.store.append(first.stream_version - 1, &events).await {
                Ok(appended) => {
                    if !appended.already_stored {
                        self.learn(appended.positions.end, &events);
                        self.checkpoint_if_due().await;
                    }
                    return Ok(events);
                }
                Err(StoreError::Conflict { .. }) if attempt == 0 => self.catch_up().await?,
                Err(e) => return Err(e.into()),
            }
        }
        unreachable!("the second attempt returns")
    }

    /// Folds events this device has just stored.
    fn learn(&self, store_end: u64, events: &[Envelope]) {
        {
            let mut machine = self.machine.borrow_mut();
            let mut sync = self.sync.borrow_mut();
            for envelope in events {
                machine.push(envelope.clone());
                sync.push(SyncState::Pending);
            }
        }
        self.store_end.set(store_end);
        self.changed(Changed::Log);
    }

    /// Runs the process managers (where they run here) on events just
    /// stored at the head, and stores what they issue. A process command the domain refuses (its
    /// work already done by another tab) is dropped: processes are
    /// idempotent. Returns what they stored.
    pub(crate) async fn react(&self, mut events: Vec<Envelope>) -> Vec<Envelope> {
        let mut all = Vec::new();
        if !self.processes.get() {
            return all;
        }
        for _ in 0..MAX_REACTIONS {
            let issued: Vec<Issued> = {
                let machine = self.machine.borrow();
                events
                    .iter()
                    .flat_map(|e| process::react(e, machine.head(), self.id))
                    .collect()
            };
            if issued.is_empty() {
                break;
            }
            events = Vec::new();
            for Issued { command, meta } in issued {
                if let Ok(stored) = self.store_command(&command, &meta).await {
                    events.extend(stored);
                }
            }
            all.extend(events.iter().cloned());
        }
        all
    }

    /// The timed processes (credential expiry, the paid-plan survey) due at
    /// `now`, where they run here, run at the head only: a look into the past never fires a side
    /// effect. Stops as soon as `go_on` says no (the page went, or moved
    /// into the past). Returns how many process commands were stored.
    pub async fn tick(&self, now: DateTime<Utc>, go_on: impl Fn() -> bool) -> usize {
        if !self.processes.get() {
            return 0;
        }
        let issued = process::on_tick(now, self.machine.borrow().head(), self.id);
        let mut stored = 0;
        for Issued { command, meta } in issued {
            if !go_on() {
                break;
            }
            if let Ok(events) = self.store_command(&command, &meta).await {
                stored += 1;
                self.react(events).await;
            }
        }
        stored
    }

    async fn checkpoint_if_due(&self) {
        let len = self.len();
        if len < self.checkpointed_at.get() + CHECKPOINT_EVERY {
            return;
        }
        self.checkpointed_at.set(len);
        let checkpoint = checkpoint_of(self.machine.borrow().head());
        // Only makes the next start faster; a failure costs nothing.
        let _ = self.store.save_checkpoint(&checkpoint).await;
    }

    /// Stores `events` (an NDJSON file or the demo history) in one
    /// transaction: all of them or, on any failure, none. Events already in
    /// the log are skipped. Returns how many were new.
    pub async fn import(&self, events: Vec<Envelope>) -> Result<usize, Refused> {
        let batch = events
            .into_iter()
            .map(|e| (e, SyncState::Pending))
            .collect();
        let imported = self.store.import(batch).await?;
        self.catch_up().await?;
        self.checkpoint_if_due().await;
        Ok((imported.positions.end - imported.positions.start) as usize)
    }

    /// The counted log as NDJSON, one envelope per line.
    pub fn export(&self) -> String {
        portal_sync::codec::encode_ndjson(self.machine.borrow().log().iter())
    }

    /// Who else has changes on this device that are not sent yet: the
    /// people (never the processes) other than `person` whose commands
    /// wait. One person's unsent work is never sent as another's (ADR 27),
    /// so someone else signs in only once this is empty.
    pub fn unsent_by_others(&self, person: &str) -> std::collections::BTreeSet<String> {
        self.pending()
            .iter()
            .filter(|e| !e.actor.is_process() && e.actor.as_str() != person)
            .map(|e| e.actor.to_string())
            .collect()
    }

    /// Each change of this device's that was decided again and still
    /// stands as decided (its new events were not set aside in turn:
    /// decided again once more, or refused, which makes it a conflict):
    /// where its first event as first made is in `superseded`, and the id
    /// of the first event it became. In log order; the one record `crossed`
    /// and `crossed_count` both read.
    fn standing_rebases(&self) -> Vec<(usize, EventId)> {
        let superseded = self.superseded.borrow();
        let rejected = self.rejected.borrow();
        let mut out: Vec<(usize, EventId)> = Vec::new();
        for (i, e) in superseded.iter().enumerate() {
            let SyncState::Superseded { by } = e.sync else {
                continue;
            };
            let set_aside_again = superseded
                .iter()
                .chain(rejected.iter())
                .any(|s| s.envelope.event_id == by);
            // A command's events are set aside together: its first one names it.
            if !set_aside_again && !out.iter().any(|(_, told)| *told == by) {
                out.push((i, by));
            }
        }
        out
    }

    /// This device's changes that were decided again after another
    /// device's change to the same stream, and applied: each with what it
    /// became and the other changes it now comes after. Latest first. A
    /// command decided again more than once is told once, as it stands.
    pub fn crossed(&self) -> Vec<Crossed> {
        let machine = self.machine.borrow();
        let superseded = self.superseded.borrow();
        let mut out: Vec<Crossed> = self
            .standing_rebases()
            .into_iter()
            .filter_map(|(i, by)| {
                let ours = superseded[i].envelope.clone();
                let history = machine.app_history(AppId(ours.stream_id.0), machine.len());
                // A stream that is not an application's (a survey's) has no
                // history here: its new event is found in the log.
                let applied = history
                    .iter()
                    .map(|(_, e)| *e)
                    .chain(machine.log().iter())
                    .find(|e| e.event_id == by)?
                    .clone();
                let theirs = history
                    .iter()
                    .filter(|(_, e)| {
                        e.stream_version >= ours.stream_version
                            && e.stream_version < applied.stream_version
                    })
                    .map(|(_, e)| (*e).clone())
                    .collect();
                Some(Crossed {
                    ours,
                    applied,
                    theirs,
                })
            })
            .collect();
        out.reverse();
        out
    }

    /// How many changes `crossed` lists, counted without reading the log.
    pub fn crossed_count(&self) -> usize {
        self.standing_rebases().len()
    }

    /// Whether application `app` holds an event not sent yet: the mark a
    /// list row carries. Asked per row shown, through the application's
    /// own events (the time machine's index), latest first.
    pub fn holds_unsent(&self, app: AppId) -> bool {
        let machine = self.machine.borrow();
        let sync = self.sync.borrow();
        machine
            .app_history(app, machine.len())
            .iter()
            .rev()
            .any(|(p, _)| sync.get(*p) == Some(&SyncState::Pending))
    }

    /// The pending events, in local order.
    pub fn pending(&self) -> Vec<Envelope> {
        let machine = self.machine.borrow();
        let sync = self.sync.borrow();
        machine
            .log()
            .iter()
            .zip(sync.iter())
            .filter(|(_, s)| **s == SyncState::Pending)
            .map(|(e, _)| e.clone())
            .collect()
    }
}
