//! The device's event log as every page sees it: opened at start, brought to
//! its head from the persisted checkpoint, kept current when another tab
//! writes, and the one way a command reaches the log.
//!
//! Pages read the portal at the slider's position through [`Ledger::with_state`];
//! that subscribes them to the head and the slider, so they follow both.

use crate::browser::{self, BrowserIds};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_domain::process::{self, Issued};
use portal_domain::{
    Action, Actor, Command, CommandMeta, DeviceId, DomainError, Envelope, Portal, Rating, SurveyId,
    Text, TimeMachine,
};
use portal_store::checkpoint::{checkpoint_of, cold_start, ColdStart, CHECKPOINT_EVERY};
use portal_store::idb::IdbStore;
use portal_store::{
    prefs, Change, EventStore, Imported, StoreError, StoredEvent, SyncState, Unmigrated,
};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

mod held;
pub use held::Held;

/// The IndexedDB database the app keeps its log in.
pub const DATABASE: &str = "portal-ledger";

/// Who commands are issued as until the user says otherwise.
pub const DEFAULT_ACTOR: &str = "developer@example.com";

/// The user's name for commands, as last saved on this device.
pub fn saved_actor() -> String {
    let saved: String = prefs::get("actor");
    if saved.trim().is_empty() {
        DEFAULT_ACTOR.to_owned()
    } else {
        saved
    }
}

/// Process managers may chain (a survey added is then sent); a chain longer
/// than this is a bug, and stops rather than loops.
const MAX_REACTIONS: usize = 16;

#[derive(Clone, Debug, PartialEq)]
pub enum LogStatus {
    Opening,
    /// Open: `quarantined` stored events could not be read and were set
    /// aside; `unmigrated` records of the first store layout could not be
    /// read and stay where they were.
    Ready {
        quarantined: usize,
        unmigrated: Vec<Unmigrated>,
    },
    Failed(String),
}

/// The open log: the store and every projection over it. The projections
/// count live events only (pending or synced); rejected and superseded
/// ones are kept aside, for the record.
pub struct Local {
    pub(crate) store: IdbStore,
    pub(crate) machine: RefCell<TimeMachine>,
    /// Where the store's log ends (local positions can have gaps where a
    /// record was quarantined or set aside, so this is not the machine's length).
    store_end: Cell<u64>,
    /// The sync state of each event the machine holds, by its position.
    pub(crate) sync: RefCell<Vec<SyncState>>,
    pub(crate) device: DeviceId,
    /// The state at the slider, kept while the slider stays there.
    past: RefCell<Option<Portal>>,
    checkpointed_at: Cell<u64>,
}

/// Why a command changed nothing, worded for the person who gave it.
#[derive(Clone, Debug, PartialEq)]
pub enum Refused {
    Past,
    NotReady,
    Domain(String),
    Store(String),
    /// The browser has no room to store it (quota or disk full).
    NoRoom(String),
    /// No room to store it yet: the command is kept and stored later.
    Held,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Past => {
                f.write_str("You are looking at the past. Return to Live to make changes.")
            }
            Refused::NotReady => f.write_str("The local log is not open yet."),
            Refused::Domain(why) | Refused::Store(why) | Refused::NoRoom(why) => f.write_str(why),
            Refused::Held => f.write_str(
                "Not saved yet: the browser has no room to store it. The change is kept \
                 on this page and saved as soon as there is room.",
            ),
        }
    }
}

impl From<DomainError> for Refused {
    fn from(e: DomainError) -> Self {
        Refused::Domain(e.to_string())
    }
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Self {
        if e.is_out_of_room() {
            Refused::NoRoom(format!("Nothing was saved: {e}"))
        } else {
            Refused::Store(format!("Nothing was saved: {e}"))
        }
    }
}

/// The app's handle on the log; `Copy`, provided as context.
#[derive(Clone, Copy)]
pub struct Ledger {
    pub status: RwSignal<LogStatus>,
    /// Another tab holds the database open while this one upgrades it.
    pub blocked: RwSignal<bool>,
    /// How many events the log holds.
    pub head: RwSignal<u64>,
    /// The slider's position while in the past; `None` at the live head.
    pub cursor: RwSignal<Option<u64>>,
    /// Who commands are issued as.
    pub actor: RwSignal<String>,
    /// Events the server refused, with why: the conflicts list.
    pub rejected: RwSignal<Vec<StoredEvent>>,
    /// Commands waiting for room to be stored (`held.rs`).
    pub held: RwSignal<Vec<Held>>,
    /// Why a held command was dropped, if one was.
    pub held_note: RwSignal<Option<String>>,
    held_busy: RwSignal<bool>,
    local: StoredValue<Option<Rc<Local>>, LocalStorage>,
}

/// The slider's checkpoint interval. Every checkpoint copies what changed
/// since the one before: at 100k events, 300 steps back with one every 512
/// events took the tab from 46 to 80 MB of wasm memory, and with one every
/// 8,192 to 56 MB, while a step, which then folds up to 8,191 events, still
/// took a p95 of 5.5 ms (`scripts/bench-app.sh`).
const SLIDER_CHECKPOINT_EVERY: usize = 8_192;

/// What a cold start read, in the shape the ledger keeps it: opening and
/// reloading both install it.
struct Rebuilt {
    /// Where the store's log ends, counting events set aside.
    store_end: u64,
    sync: Vec<SyncState>,
    machine: TimeMachine,
    rejected: Vec<StoredEvent>,
    len: u64,
}

impl From<ColdStart> for Rebuilt {
    fn from(start: ColdStart) -> Self {
        let live = start.entries.last().map(|(p, _)| p + 1);
        let aside = start.set_aside.iter().map(|e| e.position + 1).max();
        Rebuilt {
            store_end: live.max(aside).unwrap_or(0),
            sync: start.entries.into_iter().map(|(_, s)| s).collect(),
            len: start.portal.log().len() as u64,
            machine: TimeMachine::resume(start.portal, SLIDER_CHECKPOINT_EVERY),
            rejected: start
                .set_aside
                .into_iter()
                .filter(|e| matches!(e.sync, SyncState::Rejected { .. }))
                .collect(),
        }
    }
}

/// Reads a log kept in the first store layout, with the JSON reader fetched
/// for the purpose. Without it, every record stays where it is, to be read
/// at the next start.
async fn read_legacy(lines: Vec<String>) -> Vec<Result<Envelope, String>> {
    let count = lines.len();
    crate::lazy::read_json_events(lines)
        .await
        .unwrap_or_else(|_| {
            // The status line says the records stay and are tried again.
            let why = "the reader of the older log format could not be fetched";
            vec![Err(why.to_owned()); count]
        })
}

pub fn use_ledger() -> Ledger {
    expect_context::<Ledger>()
}

impl Ledger {
    /// Opens the log and provides the ledger to every page below.
    pub fn provide() -> Self {
        let ledger = Ledger {
            status: RwSignal::new(LogStatus::Opening),
            blocked: RwSignal::new(false),
            head: RwSignal::new(0),
            cursor: RwSignal::new(None),
            actor: RwSignal::new(saved_actor()),
            rejected: RwSignal::new(Vec::new()),
            held: RwSignal::new(Vec::new()),
            held_note: RwSignal::new(None),
            held_busy: RwSignal::new(false),
            local: StoredValue::new_local(None),
        };
        provide_context(ledger);
        spawn_local(async move {
            // The app may be gone by the time the log opens (a test, or a
            // page torn down): then there is no one left to tell.
            let _ = match ledger.open().await {
                Ok(ready) => ledger.status.try_set(ready),
                Err(e) => ledger.status.try_set(LogStatus::Failed(e.to_string())),
            };
        });
        ledger
    }

    async fn open(self) -> Result<LogStatus, StoreError> {
        let blocked = self.blocked;
        let store = IdbStore::open_reading(
            DATABASE,
            move || {
                blocked.try_set(true);
            },
            read_legacy,
        )
        .await?;
        blocked.try_set(false);
        let unmigrated = store.unmigrated();
        let start = cold_start(&store).await?;
        let quarantined = start.quarantined.len();
        let device = store.claim_device_id(DeviceId(browser::new_uuid())).await?;
        let built = Rebuilt::from(start);
        let len = built.len;
        self.rejected.try_set(built.rejected);
        let local = Rc::new(Local {
            store_end: Cell::new(built.store_end),
            sync: RefCell::new(built.sync),
            machine: RefCell::new(built.machine),
            store,
            device,
            past: RefCell::new(None),
            checkpointed_at: Cell::new(len),
        });
        local.store.watch(move |change| {
            let change = change.clone();
            spawn_local(async move {
                let _ = match change {
                    Change::Appended { .. } => self.catch_up().await,
                    // Another tab synced: states changed, and events may
                    // have stopped counting.
                    Change::SyncStates => self.reload().await,
                };
            });
        });
        self.local.try_set_value(Some(local));
        self.head.try_set(len);
        Ok(LogStatus::Ready {
            quarantined,
            unmigrated,
        })
    }

    /// Reads the log again and rebuilds every projection: after events
    /// stopped counting (a rebase), which folding forward cannot undo.
    pub async fn reload(&self) -> Result<(), StoreError> {
        let Some(local) = self.local() else {
            return Ok(());
        };
        let built = Rebuilt::from(cold_start(&local.store).await?);
        let len = built.len;
        local.store_end.set(built.store_end);
        self.rejected.try_set(built.rejected);
        *local.sync.borrow_mut() = built.sync;
        *local.machine.borrow_mut() = built.machine;
        *local.past.borrow_mut() = None;
        local.checkpointed_at.set(len);
        if self.cursor.get_untracked().is_some_and(|k| k >= len) {
            self.cursor.try_set(None);
        }
        self.head.try_set(len);
        Ok(())
    }

    /// How many events wait to be sent to the server.
    pub fn pending_count(&self) -> usize {
        self.local().map_or(0, |local| {
            local
                .sync
                .borrow()
                .iter()
                .filter(|s| **s == SyncState::Pending)
                .count()
        })
    }

    /// Records new sync states of events the machine holds (they stay live).
    pub(crate) fn mark_synced(&self, states: &[(portal_domain::EventId, SyncState)]) {
        let Some(local) = self.local() else {
            return;
        };
        let wanted: std::collections::HashMap<_, _> = states.iter().cloned().collect();
        {
            let machine = local.machine.borrow();
            let mut sync = local.sync.borrow_mut();
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
        self.head.update(|_| ());
    }

    pub(crate) fn local(&self) -> Option<Rc<Local>> {
        self.local.try_with_value(Clone::clone).flatten()
    }

    /// The open log, opened again first if the browser closed it after a
    /// failure (Chromium does when the disk is full).
    async fn usable(&self) -> Option<Rc<Local>> {
        let local = self.local()?;
        if !local.store.is_closed() {
            return Some(local);
        }
        match self.open().await {
            Ok(ready) => {
                self.status.try_set(ready);
                self.local()
            }
            Err(_) => None,
        }
    }

    /// The slider's position (the head when live). Subscribes the caller.
    pub fn position(&self) -> u64 {
        self.cursor.get().unwrap_or_else(|| self.head.get())
    }

    /// Whether the slider is at the head. Subscribes the caller.
    pub fn is_live(&self) -> bool {
        self.cursor.try_with(Option::is_none).unwrap_or(false)
    }

    /// The same, read once by a command or a handler, which has nothing to
    /// subscribe (reading a signal there is reported as a mistake).
    pub fn is_live_now(&self) -> bool {
        self.cursor
            .try_with_untracked(Option::is_none)
            .unwrap_or(false)
    }

    /// Runs `f` on the portal at the slider's position and the time there
    /// (the wall clock when live). Subscribes the caller to both.
    pub fn with_state<R>(&self, f: impl FnOnce(&Portal, DateTime<Utc>) -> R) -> Option<R> {
        let cursor = self.cursor.get();
        self.head.track();
        let local = self.local()?;
        match cursor {
            None => {
                let machine = local.machine.borrow();
                Some(f(machine.head(), browser::now()))
            }
            Some(k) => {
                let mut past = local.past.borrow_mut();
                if past.as_ref().is_none_or(|p| p.position() != k) {
                    *past = Some(local.machine.borrow().state_at(k as usize));
                }
                let state = past.as_ref()?;
                let at = state.clock().unwrap_or_else(browser::now);
                Some(f(state, at))
            }
        }
    }

    /// Runs `f` on the time machine (for the timeline and histories).
    /// Subscribes the caller to the head and the slider.
    pub fn with_machine<R>(&self, f: impl FnOnce(&TimeMachine, usize) -> R) -> Option<R> {
        let k = self.position() as usize;
        let local = self.local()?;
        let machine = local.machine.borrow();
        Some(f(&machine, k))
    }

    /// Each event's sync state, by log position.
    pub fn sync_state(&self, position: usize) -> Option<SyncState> {
        self.head.track();
        self.local()?.sync.borrow().get(position).cloned()
    }

    /// Moves the slider; the head means live.
    pub fn travel(&self, k: u64) {
        let head = self.head.get_untracked();
        self.cursor.set((k < head).then_some(k));
    }

    /// Decides `action` at the head and stores its events, then lets the
    /// process managers react. Nothing changes when it is refused.
    pub async fn execute(&self, action: Action) -> Result<(), Refused> {
        if !self.is_live_now() {
            return Err(Refused::Past);
        }
        let local = self.local().ok_or(Refused::NotReady)?;
        let actor = Actor::parse(&self.actor.get_untracked())?;
        let meta = CommandMeta {
            actor,
            device: local.device,
            causation_id: None,
            correlation_id: None,
        };
        let command = Command::new(browser::now(), action);
        self.store_or_hold(command, meta).await
    }

    /// Records an owner's answer to a sent survey, as caused by its sending.
    pub async fn answer_survey(
        &self,
        survey_id: SurveyId,
        rating: Rating,
        comment: Option<Text>,
    ) -> Result<(), Refused> {
        if !self.is_live_now() {
            return Err(Refused::Past);
        }
        let local = self.local().ok_or(Refused::NotReady)?;
        let issued = {
            let machine = local.machine.borrow();
            process::answer(
                machine.head(),
                survey_id,
                rating,
                comment,
                browser::now(),
                local.device,
            )?
        };
        self.store_or_hold(issued.command, issued.meta).await
    }

    /// Stores `command` and lets the process managers react; when the
    /// browser has no room, keeps it on the page to store later (`held.rs`).
    async fn store_or_hold(&self, command: Command, meta: CommandMeta) -> Result<(), Refused> {
        // Changes keep their order: while earlier ones wait for room, a
        // new one waits behind them.
        if !self.held.with_untracked(Vec::is_empty) {
            self.save_held().await;
            if !self.held.with_untracked(Vec::is_empty) {
                self.hold(command, meta);
                return Err(Refused::Held);
            }
        }
        // Saving held changes may have opened the log again.
        let Some(local) = self.usable().await else {
            // The browser closed the log (a full disk does) and cannot open
            // it again yet. What is shown is what the command would be
            // decided against, so one that cannot apply is refused now.
            let local = self.local().ok_or(Refused::NotReady)?;
            local
                .machine
                .borrow()
                .head()
                .execute(&command, &meta, &mut BrowserIds)?;
            self.hold(command, meta);
            return Err(Refused::Held);
        };
        match self.store_command(&local, &command, &meta).await {
            Ok(stored) => {
                self.react(&local, stored).await;
                Ok(())
            }
            Err(Refused::NoRoom(_)) => {
                self.hold(command, meta);
                Err(Refused::Held)
            }
            Err(other) => Err(other),
        }
    }

    async fn store_command(
        &self,
        local: &Local,
        command: &Command,
        meta: &CommandMeta,
    ) -> Result<Vec<Envelope>, Refused> {
        // A second try after catching up with another tab that wrote to the
        // same stream: the command is decided again against what it wrote.
        for attempt in 0..2 {
            let events = {
                let machine = local.machine.borrow();
                machine.head().execute(command, meta, &mut BrowserIds)?
            };
            let Some(first) = events.first() else {
                return Ok(events);
            };
            match local.store.append(first.stream_version - 1, &events).await {
                Ok(appended) => {
                    if !appended.already_stored {
                        self.learn(local, appended.positions.end, &events);
                    }
                    return Ok(events);
                }
                Err(StoreError::Conflict { .. }) if attempt == 0 => {
                    self.catch_up().await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        unreachable!("the second attempt returns")
    }

    /// Folds what a sync settlement has just stored (`stored`, as handed to
    /// the store), without reading it back, when the store placed exactly
    /// those events right after what this tab holds; otherwise reads.
    pub async fn fold_settled(
        &self,
        imported: &Imported,
        stored: Vec<(Envelope, SyncState)>,
    ) -> Result<(), StoreError> {
        let Some(local) = self.local() else {
            return Ok(());
        };
        let placed = imported.positions.end - imported.positions.start;
        if imported.skipped > 0
            || imported.positions.start != local.store_end.get()
            || placed != stored.len() as u64
        {
            return self.catch_up().await;
        }
        {
            let mut machine = local.machine.borrow_mut();
            let mut sync = local.sync.borrow_mut();
            for (envelope, state) in stored.into_iter().filter(|(_, s)| s.is_live()) {
                machine.push(envelope);
                sync.push(state);
            }
        }
        local.store_end.set(imported.positions.end);
        self.head.try_set(local.machine.borrow().len() as u64);
        Ok(())
    }

    /// Folds events this tab has just stored.
    fn learn(&self, local: &Local, store_end: u64, events: &[Envelope]) {
        {
            let mut machine = local.machine.borrow_mut();
            let mut sync = local.sync.borrow_mut();
            for envelope in events {
                machine.push(envelope.clone());
                sync.push(SyncState::Pending);
            }
        }
        local.store_end.set(store_end);
        self.head.try_set(local.machine.borrow().len() as u64);
        self.checkpoint_if_due(local);
    }

    /// Reads what other tabs stored since this one last looked.
    pub async fn catch_up(&self) -> Result<(), StoreError> {
        let Some(local) = self.local() else {
            return Ok(());
        };
        let loaded = local.store.read_from(local.store_end.get()).await?;
        // Another catch-up may have run while this one read.
        let from = local.store_end.get();
        let fresh: Vec<_> = loaded
            .events
            .into_iter()
            .filter(|e| e.position >= from)
            .collect();
        if let Some(last) = fresh.last() {
            local.store_end.set(last.position + 1);
            let mut machine = local.machine.borrow_mut();
            let mut sync = local.sync.borrow_mut();
            for event in fresh.into_iter().filter(|e| e.sync.is_live()) {
                machine.push(event.envelope);
                sync.push(event.sync);
            }
            drop((machine, sync));
            self.head.try_set(local.machine.borrow().len() as u64);
        }
        Ok(())
    }

    /// Runs the process managers on events just stored at the head, and
    /// stores what they issue. A process command the domain refuses (its
    /// work already done by another tab) is dropped: processes are idempotent.
    async fn react(&self, local: &Local, mut events: Vec<Envelope>) {
        for _ in 0..MAX_REACTIONS {
            let issued: Vec<Issued> = {
                let machine = local.machine.borrow();
                events
                    .iter()
                    .flat_map(|e| process::react(e, machine.head(), local.device))
                    .collect()
            };
            if issued.is_empty() {
                return;
            }
            events = Vec::new();
            for Issued { command, meta } in issued {
                if let Ok(stored) = self.store_command(local, &command, &meta).await {
                    events.extend(stored);
                }
            }
        }
    }

    /// The timed processes (credential expiry, the paid-plan survey), run at
    /// the head only: a look into the past never fires a side effect.
    pub async fn tick(&self) {
        if !self.is_live_now() {
            return;
        }
        let Some(local) = self.local() else {
            return;
        };
        let issued = {
            let machine = local.machine.borrow();
            process::on_tick(browser::now(), machine.head(), local.device)
        };
        for Issued { command, meta } in issued {
            // Stop once the app is gone or the log was reset: the rest
            // belongs to a log no one is looking at.
            if self.local().is_none_or(|now| !Rc::ptr_eq(&now, &local)) || !self.is_live_now() {
                return;
            }
            if let Ok(stored) = self.store_command(&local, &command, &meta).await {
                self.react(&local, stored).await;
            }
        }
    }

    fn checkpoint_if_due(&self, local: &Local) {
        let len = local.machine.borrow().len() as u64;
        if len < local.checkpointed_at.get() + CHECKPOINT_EVERY {
            return;
        }
        local.checkpointed_at.set(len);
        let checkpoint = checkpoint_of(local.machine.borrow().head());
        let ledger = *self;
        spawn_local(async move {
            if let Some(local) = ledger.local() {
                // Only makes the next start faster; a failure costs nothing.
                let _ = local.store.save_checkpoint(&checkpoint).await;
            }
        });
    }

    /// Stores `events` (an NDJSON file or the demo history) in one
    /// transaction: all of them or, on any failure, none. Events already in
    /// the log are skipped. Returns how many were new.
    pub async fn import(&self, events: Vec<Envelope>) -> Result<usize, Refused> {
        if !self.is_live_now() {
            return Err(Refused::Past);
        }
        let local = self.local().ok_or(Refused::NotReady)?;
        let batch = events
            .into_iter()
            .map(|e| (e, SyncState::Pending))
            .collect();
        let imported = local.store.import(batch).await?;
        self.catch_up().await?;
        self.checkpoint_if_due(&local);
        Ok((imported.positions.end - imported.positions.start) as usize)
    }

    /// The whole log as NDJSON, one envelope per line.
    pub fn export(&self) -> Option<String> {
        let local = self.local()?;
        let machine = local.machine.borrow();
        Some(portal_sync::codec::encode_ndjson(machine.log().iter()))
    }

    /// Deletes everything this device keeps, and starts again empty.
    pub async fn reset(&self) -> Result<(), Refused> {
        // Dropping the store closes the connection, which deleting waits for.
        self.local.set_value(None);
        self.cursor.set(None);
        self.status.set(LogStatus::Opening);
        IdbStore::delete(DATABASE).await?;
        match self.open().await {
            Ok(ready) => {
                self.status.set(ready);
                Ok(())
            }
            Err(e) => {
                self.status.set(LogStatus::Failed(e.to_string()));
                Err(e.into())
            }
        }
    }
}
