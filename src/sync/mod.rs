//! Keeping the device's log in step with the server: a round
//! (`portal_client::round`) now and then, run by one tab at a time, paused
//! while offline, retried with backoff and jitter after a failure.

pub mod api;
pub mod client;
pub mod listen;
pub mod people;
pub mod settings;

use crate::browser;
use crate::ledger::{Ledger, LogStatus};
use chrono::{DateTime, Utc};
use client::{FetchRemote, PageReader};
use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_client::{CallError, Round, RoundError};
use settings::Settings;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// How often an idle device looks for other devices' events.
const POLL_MS: f64 = 5_000.0;
/// The same while the server's live subscription says when there are any:
/// a poll then only covers a notice that went missing.
const LIVE_POLL_MS: f64 = 30_000.0;
/// A local change is pushed this soon after it is made.
const SOON_MS: f64 = 300.0;
/// Backoff after failures: from the first delay, doubling, up to the last.
const BACKOFF_FIRST_MS: f64 = 1_000.0;
const BACKOFF_MAX_MS: f64 = 60_000.0;
/// The Web Lock that makes one tab the one that syncs.
const LEADER_LOCK: &str = "portal-ledger-sync";

#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// Paused in the settings.
    Paused,
    /// Nobody is signed in: nothing is sent or fetched (ADR 28).
    SignedOut,
    /// The server ended the person's session (expired, revoked, or the
    /// account disabled): no round until they sign in again.
    SignInAgain(String),
    /// The server holds events this build cannot read: no round until the
    /// page is reloaded, which loads the new build.
    UpdateRequired(String),
    /// Another tab of this browser syncs.
    Follower,
    /// The demo workspace: nothing is ever sent or fetched (ADR 29).
    Demo,
    Idle,
    Syncing,
    /// The last round failed; the next try is due then.
    Failed {
        error: String,
        retry_at: f64,
    },
}

/// Why a round stopped early.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Round(#[from] RoundError),
    /// The module that holds the round's code could not be fetched (ADR 20).
    #[error("the code that syncs could not be fetched")]
    Unfetched,
}

/// Runs one round, from wherever its code is (a module loaded on demand,
/// in the shipped build). Handed in by the app, so that this module does
/// not reach the modules loaded on demand.
pub type RoundRunner =
    fn(Ledger, Settings) -> Pin<Box<dyn Future<Output = Result<Round, SyncError>>>>;

/// Follows the server's live subscription after a position, calling the
/// first function when an event arrives, while the second says to go on
/// (`listen::listen`, from the sync module). Handed in by the app.
pub type Follower = fn(
    Settings,
    u64,
    Rc<dyn Fn()>,
    Rc<dyn Fn() -> bool>,
) -> Pin<Box<dyn Future<Output = Result<(), listen::Ended>>>>;

/// One round between the device's log and the server in `settings`.
pub async fn round(
    ledger: Ledger,
    settings: Settings,
    read_json: PageReader,
) -> Result<Round, RoundError> {
    match ledger.device() {
        Some(device) => portal_client::round(&device, &FetchRemote::new(settings, read_json)).await,
        None => Ok(Round::default()),
    }
}

/// The sync status every page can show; provided as context.
#[derive(Clone, Copy)]
pub struct SyncAgent {
    pub online: RwSignal<bool>,
    pub phase: RwSignal<Phase>,
    pub last_sync: RwSignal<Option<DateTime<Utc>>>,
    pub settings: RwSignal<Settings>,
    /// Whether the server's live subscription is open: another device's
    /// change is then pulled at once, not at the next poll.
    pub live: RwSignal<bool>,
    /// The workspace's active people, as the server listed them last (kept
    /// on the device for offline use); empty when nobody is signed in.
    pub people: RwSignal<Vec<people::Colleague>>,
    /// Asks for a round as soon as possible.
    kick: StoredValue<Rc<Cell<bool>>, LocalStorage>,
}

pub fn use_sync() -> SyncAgent {
    expect_context::<SyncAgent>()
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn navigator_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

impl SyncAgent {
    pub fn provide(ledger: Ledger, run_round: RoundRunner, follow: Follower) -> Self {
        let demo = ledger.workspace.is_demo();
        let agent = SyncAgent {
            online: RwSignal::new(navigator_online()),
            phase: RwSignal::new(if demo { Phase::Demo } else { Phase::Follower }),
            last_sync: RwSignal::new(None),
            settings: RwSignal::new(if demo {
                Settings::demo()
            } else {
                Settings::load()
            }),
            live: RwSignal::new(false),
            people: RwSignal::new(Vec::new()),
            kick: StoredValue::new_local(Rc::new(Cell::new(true))),
        };
        provide_context(agent);
        agent.follow_connectivity();
        if demo {
            // No round, no lock: the tab that syncs the team's log stays
            // the one it is.
            return agent;
        }
        // A new local event is pushed soon.
        Effect::new(move |_| {
            ledger.head.track();
            agent.sync_now();
        });
        // Cleared when the app is torn down, which ends the loop and lets
        // go of the lock.
        let alive = Arc::new(AtomicBool::new(true));
        on_cleanup({
            let alive = alive.clone();
            move || alive.store(false, Ordering::Relaxed)
        });
        let leader = Rc::new(Cell::new(false));
        become_leader(leader.clone(), alive.clone());
        spawn_local(agent.run(ledger, run_round, leader.clone(), alive.clone()));
        spawn_local(agent.follow(ledger, follow, leader, alive));
        agent
    }

    /// Asks the server for the workspace's people again; signed out, the
    /// list is emptied. Called by the pages that show names (so that the
    /// code asking stays in their modules, out of the first download).
    pub fn refresh_people(&self) {
        let settings = self.settings.get_untracked();
        let list = self.people;
        if settings.person.is_none() {
            list.set(Vec::new());
            return;
        }
        // The list kept on the device first, so that names show at once
        // (and offline); read here rather than at start, so that the code
        // reading it stays out of the first download.
        if list.with_untracked(Vec::is_empty) {
            if let Some(kept) = people::remembered() {
                list.set(kept);
            }
        }
        spawn_local(async move {
            if let Some(fresh) = people::colleagues(&settings).await {
                list.try_set(fresh);
            }
        });
    }

    /// Asks for a round now (after a change, or from the user).
    pub fn sync_now(&self) {
        if let Some(kick) = self.kick.try_get_value() {
            kick.set(true);
        }
    }

    /// Asks for a round now even while backing off after a failure: the
    /// user asked, or the network came back.
    pub fn retry_now(&self) {
        // Also called from the window's online listener, which outlives an
        // app torn down (in tests): then there is nothing to retry.
        if matches!(self.phase.try_get_untracked(), Some(Phase::Failed { .. })) {
            self.phase.try_set(Phase::Idle);
        }
        self.sync_now();
    }

    pub fn save(&self, settings: Settings) -> Result<(), String> {
        if self.phase.get_untracked() == Phase::Demo {
            return Err("the demo workspace keeps no settings; leave it first".into());
        }
        settings.save()?;
        self.settings.set(settings);
        if matches!(self.phase.get_untracked(), Phase::SignInAgain(_)) {
            self.phase.set(Phase::Idle);
        }
        self.retry_now();
        Ok(())
    }

    fn follow_connectivity(&self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let agent = *self;
        for (event, online) in [("online", true), ("offline", false)] {
            let listener = Closure::<dyn Fn()>::new(move || {
                agent.online.try_set(online);
                if online {
                    agent.retry_now();
                }
            });
            let _ =
                window.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
            // The listener lives as long as the page.
            listener.forget();
        }
    }

    async fn run(
        self,
        ledger: Ledger,
        run_round: RoundRunner,
        leader: Rc<Cell<bool>>,
        alive: Arc<AtomicBool>,
    ) {
        let mut failures: u32 = 0;
        let mut due = 0.0;
        let mut opened = false;
        while alive.load(Ordering::Relaxed) {
            // Closely watched until the log opens, so that a fresh device's
            // first round starts at once.
            browser::sleep(if opened { 100 } else { 10 }).await;
            // The app may have gone during the sleep, and its signals with it.
            let (Some(settings), Some(status)) = (
                self.settings.try_get_untracked(),
                ledger.status.try_get_untracked(),
            ) else {
                return;
            };
            let kicked = self.kick.try_get_value().is_some_and(|k| k.get());
            let ready = matches!(status, LogStatus::Ready { .. });
            opened |= ready;
            if settings.person.is_none() {
                self.phase.try_set(Phase::SignedOut);
                continue;
            }
            if !settings.enabled {
                self.phase.try_set(Phase::Paused);
                continue;
            }
            if !leader.get() {
                self.phase.try_set(Phase::Follower);
                continue;
            }
            if matches!(
                self.phase.get_untracked(),
                Phase::SignInAgain(_) | Phase::UpdateRequired(_)
            ) {
                continue;
            }
            // Leading, signed in and syncing, online or not: none of these
            // holds any more (offline, the status says so itself).
            if matches!(
                self.phase.get_untracked(),
                Phase::SignedOut | Phase::Follower | Phase::Paused
            ) {
                self.phase.try_set(Phase::Idle);
            }
            if !ready || !self.online.get_untracked() {
                continue;
            }
            let failed = matches!(self.phase.get_untracked(), Phase::Failed { .. });
            if !failed {
                failures = 0;
            }
            let now = now_ms();
            let wanted = if kicked && !failed { now.min(due) } else { due };
            if now < wanted {
                continue;
            }
            if let Some(kick) = self.kick.try_get_value() {
                kick.set(false);
            }
            self.phase.try_set(Phase::Syncing);
            match run_round(ledger, settings).await {
                Ok(_) => {
                    failures = 0;
                    self.last_sync.try_set(Some(browser::now()));
                    self.phase.try_set(Phase::Idle);
                    let live = self.live.try_get_untracked().unwrap_or(false);
                    due = now_ms() + if live { LIVE_POLL_MS } else { POLL_MS };
                }
                Err(SyncError::Round(RoundError::Call(CallError::Refused(why)))) => {
                    self.phase.try_set(Phase::SignInAgain(why));
                }
                Err(SyncError::Round(RoundError::Call(CallError::UpdateRequired(why)))) => {
                    self.phase.try_set(Phase::UpdateRequired(why));
                }
                Err(error) => {
                    failures += 1;
                    let wait = match &error {
                        SyncError::Round(RoundError::Call(CallError::Busy(s))) => {
                            *s as f64 * 1000.0
                        }
                        _ => backoff(failures),
                    };
                    due = now_ms() + wait;
                    self.phase.try_set(Phase::Failed {
                        error: error.to_string(),
                        retry_at: due,
                    });
                }
            }
            // A kick during the round (a new command) is served soon after.
            if self.kick.try_get_value().is_some_and(|k| k.get()) && failures == 0 {
                due = due.min(now_ms() + SOON_MS);
            }
        }
    }
}

impl SyncAgent {
    /// Keeps the server's live subscription open while this tab syncs, a
    /// person is signed in and the last round brought the log up to date;
    /// each event it announces asks for a round. When it cannot be opened
    /// or breaks, it is tried again with backoff, and polling goes on
    /// meanwhile.
    async fn follow(
        self,
        ledger: Ledger,
        follow: Follower,
        leader: Rc<Cell<bool>>,
        alive: Arc<AtomicBool>,
    ) {
        let mut failures: u32 = 0;
        while alive.load(Ordering::Relaxed) {
            browser::sleep(1_000).await;
            let Some(settings) = self.settings.try_get_untracked() else {
                return;
            };
            let up_to_date = self.phase.try_get_untracked() == Some(Phase::Idle);
            let open = leader.get()
                && settings.person.is_some()
                && settings.enabled
                && self.online.get_untracked()
                && up_to_date;
            let Some(device) = ledger.device().filter(|_| open) else {
                continue;
            };
            let Ok(after) = portal_store::EventStore::last_pulled(device.store()).await else {
                continue;
            };
            let agent = self;
            let arrived: Rc<dyn Fn()> = Rc::new(move || agent.sync_now());
            let token = settings.token.clone();
            let wanted: Rc<dyn Fn() -> bool> = {
                let alive = alive.clone();
                Rc::new(move || {
                    alive.load(Ordering::Relaxed)
                        && agent
                            .settings
                            .try_with_untracked(|s| s.enabled && s.token == token)
                            .unwrap_or(false)
                })
            };
            self.live.try_set(true);
            let ended = follow(settings, after, arrived, wanted).await;
            self.live.try_set(false);
            failures = if ended.is_ok() { 0 } else { failures + 1 };
            if failures > 0 {
                browser::sleep(backoff(failures) as i32).await;
            }
        }
    }
}

/// Exponential backoff with equal jitter: half the doubled delay, plus a
/// random part up to the other half, so that devices that failed together
/// do not retry together.
fn backoff(failures: u32) -> f64 {
    let ceiling = (BACKOFF_FIRST_MS * 2f64.powi(failures.min(16) as i32 - 1)).min(BACKOFF_MAX_MS);
    ceiling / 2.0 + js_sys::Math::random() * ceiling / 2.0
}

/// Asks for the Web Lock that makes this tab the one that syncs, and holds
/// it while the page lives. Without Web Locks, every tab syncs (the server
/// keeps that safe: pushes are idempotent).
fn become_leader(leader: Rc<Cell<bool>>, alive: Arc<AtomicBool>) {
    let locks = web_sys::window()
        .map(|w| js_sys::Reflect::get(&w.navigator(), &"locks".into()))
        .and_then(Result::ok)
        .filter(|l| !l.is_undefined());
    let Some(locks) = locks else {
        leader.set(true);
        return;
    };
    let request = js_sys::Reflect::get(&locks, &"request".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let Some(request) = request else {
        leader.set(true);
        return;
    };
    let granted = Closure::<dyn FnMut(JsValue) -> js_sys::Promise>::new(move |_lock| {
        leader.set(true);
        // Held until the page goes (or the app is torn down, in tests).
        let alive = alive.clone();
        js_sys::Promise::new(&mut |resolve, _| {
            let alive = alive.clone();
            spawn_local(async move {
                while alive.load(Ordering::Relaxed) {
                    browser::sleep(500).await;
                }
                let _ = resolve.call0(&JsValue::NULL);
            });
        })
    });
    let _ = request.call2(
        &locks,
        &LEADER_LOCK.into(),
        granted.as_ref().unchecked_ref(),
    );
    granted.forget();
}
