//! The device's event log as every page sees it: a layer of signals over
//! `portal_client::Device`, which opens the log, keeps it at its head,
//! decides commands and runs the process managers. This file turns what the
//! device does into signals, words its refusals for people, and owns what
//! only a browser has: the IndexedDB database, the wall clock, the slider
//! and the reset.
//!
//! Pages read the portal at the slider's position through [`Ledger::with_state`];
//! that subscribes them to the head and the slider, so they follow both.

use crate::browser::{self, BrowserIds};
use crate::workspace::Workspace;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_client::device::Changed;
use portal_client::Device;
use portal_domain::{
    Action, Actor, Command, CommandMeta, DeviceId, DomainError, Envelope, Portal, Rating, SurveyId,
    Text, TimeMachine,
};
use portal_store::idb::IdbStore;
use portal_store::{EventStore, Notice, StoreError, StoredEvent, SyncState, Unmigrated};
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};

mod held;
pub use portal_client::Held;

/// The IndexedDB database the app keeps the team's log in.
pub const DATABASE: &str = crate::workspace::TEAM_DATABASE;

/// The device's log, opened in this tab.
pub type Local = Device<IdbStore>;

/// Reads a log kept in the first store layout (JSON lines); `None` when
/// the code that reads JSON could not be fetched (ADR 18). Handed in by the
/// app, so that the log layer does not reach the modules loaded on demand.
pub type JsonReader = fn(Vec<String>) -> LegacyRead;

/// The records read by a [`JsonReader`], once they are.
pub type LegacyRead = Pin<Box<dyn Future<Output = Option<Vec<Result<Envelope, String>>>>>>;

/// Stores again, in the first device, what the second (a handle the browser
/// closed) kept and the first no longer holds (`Device::restore_from`).
/// Handed in by the app: it is needed only after a full disk, and its code
/// comes with a module loaded on demand.
pub type Restorer = fn(Rc<Local>, Rc<Local>) -> Restoring;

/// Work on the log whose code is loaded on demand (storing held commands,
/// which decides them again), handed in by the app; it ends when the work
/// is done, or at once if the code could not be fetched (it is tried again
/// later).
pub type Deferred = fn(Ledger) -> Pin<Box<dyn Future<Output = ()>>>;

/// What a [`Restorer`] stored again, once it has.
pub type Restoring = Pin<Box<dyn Future<Output = Result<usize, StoreError>>>>;

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

/// Why a command changed nothing, worded for the person who gave it.
#[derive(Clone, Debug, PartialEq)]
pub enum CommandRefused {
    Past,
    /// Nobody is signed in on this device (ADR 28).
    SignedOut,
    NotReady,
    Device(portal_client::Refused),
}

impl CommandRefused {
    /// Not stored yet for want of room, and kept to store later.
    pub fn is_held(&self) -> bool {
        matches!(self, CommandRefused::Device(portal_client::Refused::Held))
    }
}

impl std::fmt::Display for CommandRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use portal_client::Refused as R;
        match self {
            CommandRefused::Past => {
                f.write_str("You are looking at the past. Return to Live to make changes.")
            }
            CommandRefused::NotReady => f.write_str("The local log is not open yet."),
            CommandRefused::SignedOut => {
                f.write_str("Sign in (Settings, Account) to make changes.")
            }
            CommandRefused::Device(R::Domain(why)) => why.fmt(f),
            CommandRefused::Device(R::Store(e) | R::NoRoom(e)) => {
                write!(f, "Nothing was saved: {e}")
            }
            CommandRefused::Device(R::Held) => f.write_str(
                "Not saved yet: the browser has no room to store it. The change is kept \
                 on this page and saved as soon as there is room.",
            ),
        }
    }
}

impl From<portal_client::Refused> for CommandRefused {
    fn from(e: portal_client::Refused) -> Self {
        CommandRefused::Device(e)
    }
}

impl From<DomainError> for CommandRefused {
    fn from(e: DomainError) -> Self {
        CommandRefused::Device(e.into())
    }
}

impl From<StoreError> for CommandRefused {
    fn from(e: StoreError) -> Self {
        CommandRefused::Device(e.into())
    }
}

/// The app's handle on the log; `Copy`, provided as context.
#[derive(Clone, Copy)]
pub struct Ledger {
    pub status: RwSignal<LogStatus>,
    /// Another tab holds the database open while this one upgrades it.
    pub blocked: RwSignal<bool>,
    /// How many events the log holds. Set again whenever the log changes,
    /// sync states included, so readers of either follow it.
    pub head: RwSignal<u64>,
    /// The slider's position while in the past; `None` at the live head.
    pub cursor: RwSignal<Option<u64>>,
    /// Who commands are issued as: the person signed in, kept in step with
    /// the sync settings by the app. Nobody signed in, nothing is changed.
    pub actor: RwSignal<Option<Actor>>,
    /// Events the server refused, with why: the conflicts list.
    pub rejected: RwSignal<Vec<StoredEvent>>,
    /// How many of this device's changes crossed another device's
    /// (`Device::crossed`), listed on the conflicts page.
    pub crossed: RwSignal<u64>,
    /// Commands waiting for room to be stored (`held.rs`).
    pub held: RwSignal<Vec<Held>>,
    /// Why a held command was dropped, if one was.
    pub held_note: RwSignal<Option<String>>,
    /// The log this tab shows (ADR 29).
    pub workspace: Workspace,
    read_legacy: JsonReader,
    restore: Restorer,
    pub(crate) store_held: Deferred,
    device: StoredValue<Option<Rc<Local>>, LocalStorage>,
}

pub fn use_ledger() -> Ledger {
    expect_context::<Ledger>()
}

impl Ledger {
    /// Opens the log and provides the ledger to every page below.
    pub fn provide(read_legacy: JsonReader, restore: Restorer, store_held: Deferred) -> Self {
        let ledger = Ledger {
            status: RwSignal::new(LogStatus::Opening),
            blocked: RwSignal::new(false),
            head: RwSignal::new(0),
            cursor: RwSignal::new(None),
            actor: RwSignal::new(None),
            rejected: RwSignal::new(Vec::new()),
            crossed: RwSignal::new(0),
            held: RwSignal::new(Vec::new()),
            held_note: RwSignal::new(None),
            workspace: Workspace::current(),
            read_legacy,
            restore,
            store_held,
            device: StoredValue::new_local(None),
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
        let read = self.read_legacy;
        let store = IdbStore::open_reading(
            self.workspace.database(),
            move || {
                blocked.try_set(true);
            },
            async move |lines: Vec<String>| {
                let count = lines.len();
                read(lines).await.unwrap_or_else(|| {
                    // The status line says the records stay and are tried again.
                    let why = "the reader of the older log format could not be fetched";
                    vec![Err(why.to_owned()); count]
                })
            },
        )
        .await?;
        blocked.try_set(false);
        let unmigrated = store.unmigrated();
        // A log the browser closed (a full disk) is opened again as a new
        // device, with the same id, which takes over what the old one kept:
        // its log, if the browser lost it, and what it was holding. Until
        // that is stored, the old one stays the one shown.
        let previous = self.device();
        let candidate = previous
            .as_ref()
            .map_or_else(|| DeviceId(browser::new_uuid()), |p| p.id());
        let (device, opened) = Device::open(store, candidate, Box::new(BrowserIds)).await?;
        let device = Rc::new(device);
        // The team's processes run on its server (ADR 30); the demo, which
        // has none, runs them itself.
        if self.workspace.is_demo() {
            device.run_processes_here();
        }
        if let Some(previous) = &previous {
            (self.restore)(device.clone(), previous.clone()).await?;
        }
        self.follow(&device);
        self.device.try_set_value(Some(device.clone()));
        if let Some(previous) = previous {
            device.adopt_held(&previous);
        }
        self.rejected.try_set(device.rejected());
        self.crossed.try_set(device.crossed_count() as u64);
        self.head.try_set(device.len());
        Ok(LogStatus::Ready {
            quarantined: opened.quarantined,
            unmigrated,
        })
    }

    /// Turns what `device` does, and what other tabs write to its
    /// database, into this ledger's signals.
    fn follow(self, device: &Rc<Local>) {
        // Weak: the device owns both callbacks.
        let weak = Rc::downgrade(device);
        device.on_change({
            let weak = weak.clone();
            move |what| self.changed(&weak, what)
        });
        device.store().watch(move |change| {
            let Some(device) = weak.upgrade() else { return };
            let change = change.clone();
            spawn_local(async move {
                let _ = match change {
                    Notice::Appended { .. } => device.catch_up().await,
                    // Another tab synced: states changed, and events may
                    // have stopped counting.
                    Notice::SyncStates => device.reload().await,
                };
            });
        });
    }

    fn changed(self, device: &Weak<Local>, what: Changed) {
        let Some(device) = device.upgrade() else {
            return;
        };
        // Only the device this ledger shows speaks to it: one closed and
        // replaced may still finish what it was doing.
        if self.device().is_some_and(|now| !Rc::ptr_eq(&now, &device)) {
            return;
        }
        match what {
            Changed::Log => {}
            Changed::Rebuilt => {
                self.rejected.try_set(device.rejected());
                self.crossed.try_set(device.crossed_count() as u64);
                if self
                    .cursor
                    .try_get_untracked()
                    .flatten()
                    .is_some_and(|k| k >= device.len())
                {
                    self.cursor.try_set(None);
                }
            }
            Changed::Held => return self.held_changed(device.held()),
        }
        self.head.try_set(device.len());
    }

    /// The open log, if it is open.
    pub fn device(&self) -> Option<Rc<Local>> {
        self.device.try_with_value(Clone::clone).flatten()
    }

    /// The open log, opened again first if the browser closed it after a
    /// failure (Chromium does when the disk is full).
    async fn usable(&self) -> Option<Rc<Local>> {
        let device = self.device()?;
        if !device.store().is_closed() {
            return Some(device);
        }
        match self.open().await {
            Ok(ready) => {
                self.status.try_set(ready);
                self.device()
            }
            Err(_) => None,
        }
    }

    /// How many events wait to be sent to the server.
    pub fn pending_count(&self) -> usize {
        self.device().map_or(0, |d| d.pending_count())
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
        let device = self.device()?;
        Some(match cursor {
            None => f(device.machine().head(), browser::now()),
            Some(k) => device.with_past(k, |state| {
                let at = state.clock().unwrap_or_else(browser::now);
                f(state, at)
            }),
        })
    }

    /// Runs `f` on the time machine (for the timeline and histories).
    /// Subscribes the caller to the head and the slider.
    pub fn with_machine<R>(&self, f: impl FnOnce(&TimeMachine, usize) -> R) -> Option<R> {
        let k = self.position() as usize;
        let device = self.device()?;
        let machine = device.machine();
        Some(f(&machine, k))
    }

    /// Each event's sync state, by log position.
    pub fn sync_state(&self, position: usize) -> Option<SyncState> {
        self.head.track();
        self.device()?.sync_states().get(position).cloned()
    }

    /// Moves the slider; the head means live.
    pub fn travel(&self, k: u64) {
        let head = self.head.get_untracked();
        self.cursor.set((k < head).then_some(k));
    }

    /// The open log, to change: only at the head, opened again if the
    /// browser closed it (or the closed one, which holds what it is given).
    async fn writable(&self) -> Result<Rc<Local>, CommandRefused> {
        if !self.is_live_now() {
            return Err(CommandRefused::Past);
        }
        match self.usable().await {
            Some(device) => Ok(device),
            None => self.device().ok_or(CommandRefused::NotReady),
        }
    }

    /// Decides `action` at the head and stores its events, then lets the
    /// process managers react. Nothing changes when it is refused.
    pub async fn execute(&self, action: Action) -> Result<(), CommandRefused> {
        let device = self.writable().await?;
        let meta = CommandMeta {
            actor: self
                .actor
                .get_untracked()
                .ok_or(CommandRefused::SignedOut)?,
            device: device.id(),
            causation_id: None,
            correlation_id: None,
        };
        let command = Command::new(browser::now(), action);
        device.execute(command, meta).await?;
        Ok(())
    }

    /// Records an owner's answer to a sent survey, as caused by its sending.
    pub async fn answer_survey(
        &self,
        survey_id: SurveyId,
        rating: Rating,
        comment: Option<Text>,
    ) -> Result<(), CommandRefused> {
        self.actor
            .get_untracked()
            .ok_or(CommandRefused::SignedOut)?;
        let device = self.writable().await?;
        device
            .answer_survey(survey_id, rating, comment, browser::now())
            .await?;
        Ok(())
    }

    /// The timed processes (credential expiry, the paid-plan survey), run at
    /// the head only: a look into the past never fires a side effect.
    pub async fn tick(&self) {
        if !self.is_live_now() {
            return;
        }
        let Some(device) = self.device() else {
            return;
        };
        let ledger = *self;
        // Stop once the app is gone or the log was reset: the rest
        // belongs to a log no one is looking at.
        let go_on =
            || ledger.is_live_now() && ledger.device().is_some_and(|d| Rc::ptr_eq(&d, &device));
        device.tick(browser::now(), go_on).await;
    }

    /// Stores `events` (an NDJSON file or the demo history) in one
    /// transaction: all of them or, on any failure, none. Events already in
    /// the log are skipped. Returns how many were new.
    pub async fn import(&self, events: Vec<Envelope>) -> Result<usize, CommandRefused> {
        if !self.is_live_now() {
            return Err(CommandRefused::Past);
        }
        let device = self.device().ok_or(CommandRefused::NotReady)?;
        Ok(device.import(events).await?)
    }

    /// The whole log as NDJSON, one envelope per line.
    pub fn export(&self) -> Option<String> {
        Some(self.device()?.export())
    }

    /// Closes the log and deletes its database.
    async fn discard(&self) -> Result<(), StoreError> {
        // Dropping the store closes the connection, which deleting waits for.
        self.device.set_value(None);
        self.held.set(Vec::new());
        self.held_note.set(None);
        self.cursor.set(None);
        self.status.set(LogStatus::Opening);
        IdbStore::delete(self.workspace.database()).await
    }

    /// Deletes the demo's log and takes this tab back to the team's (the
    /// page loads again on it).
    pub async fn leave_demo(&self) -> Result<(), String> {
        self.discard().await.map_err(|e| e.to_string())?;
        crate::workspace::leave_demo()
    }

    /// Deletes everything this device keeps in this workspace, and starts
    /// again empty.
    pub async fn reset(&self) -> Result<(), CommandRefused> {
        self.discard().await?;
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
