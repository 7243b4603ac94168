//! Which log a tab shows: the person's own (the team's, synced), or the
//! demo, a made-up history in a database of its own that never syncs
//! (ADR 29). The choice belongs to the tab (sessionStorage), so opening the
//! demo in one tab leaves every other tab on the team's log, and it holds
//! for the tab's life: entering or leaving loads the page again, so every
//! part of the app starts on one log and never follows two.

use portal_store::prefs;

/// The IndexedDB database of the team's log.
pub const TEAM_DATABASE: &str = "portal-ledger";
/// The IndexedDB database of the demo.
pub const DEMO_DATABASE: &str = "portal-ledger-demo";

const KEY: &str = "workspace";
/// The demo's size the person asked for, until its history is made.
const SIZE_KEY: &str = "demo-size";

/// The demo's sizes a person can pick, in events.
pub const DEMO_SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workspace {
    Team,
    Demo,
}

impl Workspace {
    /// The workspace of this tab.
    pub fn current() -> Workspace {
        if prefs::tab::get(KEY) == "demo" {
            Workspace::Demo
        } else {
            Workspace::Team
        }
    }

    pub fn is_demo(self) -> bool {
        self == Workspace::Demo
    }

    /// Where its log is kept.
    pub fn database(self) -> &'static str {
        match self {
            Workspace::Team => TEAM_DATABASE,
            Workspace::Demo => DEMO_DATABASE,
        }
    }
}

/// Opens the demo in this tab, asking for a history of `events`, on the
/// Data page (which makes it).
pub fn enter_demo(events: usize) -> Result<(), String> {
    prefs::tab::set(SIZE_KEY, &events.to_string())?;
    prefs::tab::set(KEY, "demo")?;
    go_to("/data")
}

/// Back to the team's log, on the applications list. The demo's database
/// is deleted by the caller first.
pub fn leave_demo() -> Result<(), String> {
    prefs::tab::forget(SIZE_KEY);
    prefs::tab::forget(KEY);
    go_to("/applications")
}

/// The size asked for when the demo was opened, once: whoever makes the
/// history takes it.
pub fn take_demo_size() -> Option<usize> {
    let asked = prefs::tab::get(SIZE_KEY).parse().ok()?;
    prefs::tab::forget(SIZE_KEY);
    DEMO_SIZES.contains(&asked).then_some(asked)
}

fn go_to(path: &str) -> Result<(), String> {
    web_sys::window()
        .ok_or("there is no window")?
        .location()
        .assign(path)
        .map_err(|_| "the page could not be loaded again".to_owned())
}
