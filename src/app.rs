//! The application shell: navigation, the log's status, the time-travel
//! slider (always visible) and the pages, one URL each.

use crate::lazy;
use crate::ledger::{Ledger, LogStatus};
use crate::pages::{applications::ApplicationsPage, sync::SyncStatus};
use crate::sync::SyncAgent;
use crate::time_travel::{PastBanner, TimeTravel};
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

/// How often the demo's timed processes (credential expiry) run while it is open.
const TICK_MS: u32 = 30_000;

#[component]
pub fn App() -> impl IntoView {
    let ledger = Ledger::provide(lazy::read_legacy, lazy::restore, lazy::save_held);
    let sync = SyncAgent::provide(ledger, lazy::run_round, lazy::follow);
    // The person signed in on this device signs their commands; signing in
    // or out changes who (ADR 28).
    let actor = |s: &crate::sync::settings::Settings| s.person.as_ref().and_then(|p| p.actor());
    ledger.actor.set(sync.settings.with_untracked(actor));
    Effect::new(move |_| ledger.actor.set(sync.settings.with(actor)));
    // The timed processes run on the server (ADR 30); only the demo, which
    // has none, runs them here, from the module that decides commands.
    if ledger.workspace.is_demo() {
        Effect::new(move |_| {
            if matches!(ledger.status.get(), LogStatus::Ready { .. }) {
                leptos::task::spawn_local(lazy::tick(ledger));
            }
        });
        if let Ok(timer) = set_interval_with_handle(
            move || leptos::task::spawn_local(lazy::tick(ledger)),
            std::time::Duration::from_millis(TICK_MS.into()),
        ) {
            on_cleanup(move || timer.clear());
        }
    }
    view! {
        <Router>
            <header class="masthead">
                <div class="brand">
                    <h1>"Portal Ledger"</h1>
                    <p class="tagline">"A local-first, event-sourced developer portal."</p>
                </div>
                <nav aria-label="Main">
                    <A href="/applications">"Applications"</A>
                    <A href="/timeline">"Timeline"</A>
                    <A href="/products">"Products"</A>
                    <A href="/analytics">"Analytics"</A>
                    <A href="/campaigns">"Campaigns"</A>
                    <A href="/surveys">"Surveys"</A>
                    <A href="/data">"Data"</A>
                    <A href="/conflicts">
                        // Refused changes and crossed ones, told apart on the page.
                        {move || match ledger.rejected.with(Vec::len) as u64 + ledger.crossed.get() {
                            0 => "Conflicts".to_owned(),
                            n => format!("Conflicts ({n})"),
                        }}
                    </A>
                    <A href="/settings">"Settings"</A>
                </nav>
                <Identity />
                <SyncStatus />
            </header>
            <TimeTravel />
            <main id="main">
                // The demo's notice comes with the demo's code (ADR 29).
                {ledger.workspace.is_demo().then(|| lazy::on_demand(lazy::demo_banner, "demo notice"))}
                <LogNotices />
                <PastBanner />
                <Routes fallback=|| view! { <p role="alert">"There is no page at this address."</p> }>
                    <Route path=path!("/") view=ApplicationsPage />
                    <Route path=path!("/applications") view=ApplicationsPage />
                    <Route path=path!("/applications/:id") view=|| lazy::on_demand(lazy::application_page, "page") />
                    <Route path=path!("/timeline") view=|| lazy::on_demand(lazy::timeline_page, "page") />
                    <Route path=path!("/analytics") view=|| lazy::on_demand(lazy::analytics_page, "page") />
                    <Route path=path!("/products") view=|| lazy::on_demand(lazy::products_page, "page") />
                    <Route path=path!("/products/:name") view=|| lazy::on_demand(lazy::product_page, "page") />
                    <Route path=path!("/campaigns") view=|| lazy::on_demand(lazy::campaigns_page, "page") />
                    <Route path=path!("/surveys") view=|| lazy::on_demand(lazy::surveys_page, "page") />
                    <Route path=path!("/surveys/:id") view=|| lazy::on_demand(lazy::survey_page, "page") />
                    <Route path=path!("/data") view=|| lazy::on_demand(lazy::data_page, "page") />
                    <Route path=path!("/diff") view=|| lazy::on_demand(lazy::diff_page, "page") />
                    <Route path=path!("/settings") view=|| lazy::on_demand(lazy::settings_page, "page") />
                    <Route path=path!("/conflicts") view=|| lazy::on_demand(lazy::conflicts_page, "page") />
                </Routes>
            </main>
        </Router>
    }
}

/// Who is signed in, or a way to sign in: nobody signed in, the portal
/// only reads (ADR 28).
#[component]
fn Identity() -> impl IntoView {
    let sync = crate::sync::use_sync();
    move || match sync.settings.get().person {
        Some(person) => view! {
            <p class="identity" aria-label="Signed in">
                <strong>{person.name.clone()}</strong>
                " · "
                {person.role.label()}
            </p>
        }
        .into_any(),
        None => view! {
            <p class="identity">
                "Read-only · " <A href="/settings">"Sign in to make changes"</A>
            </p>
        }
        .into_any(),
    }
}

/// What the log's state means for the user: opening, how much it holds,
/// and, plainly, when the browser keeps nothing.
#[component]
fn LogNotices() -> impl IntoView {
    let ledger = crate::ledger::use_ledger();
    view! {
        <section class="local-log" aria-label="On this device">
            <HeldNotice />
            <Show when=move || ledger.blocked.get()>
                <p role="alert">
                    "Another Portal Ledger tab is holding the local log open. Close it to finish upgrading."
                </p>
            </Show>
            {move || match ledger.status.get() {
                LogStatus::Opening => {
                    view! {
                        <p role="status">
                            "Opening the local log… "
                            <progress class="busy" aria-label="Opening the local log"></progress>
                        </p>
                    }
                        .into_any()
                }
                LogStatus::Ready { quarantined, unmigrated } => {
                    let events = ledger.head.get();
                    view! {
                        <p role="status" class="log-ready">
                            {format!(
                                "{events} {} kept on this device.",
                                if events == 1 { "event" } else { "events" },
                            )}
                        </p>
                        <Show when=move || { quarantined > 0 }>
                            <p role="alert">
                                {format!(
                                    "{quarantined} stored {} could not be read and {} set aside; nothing was deleted.",
                                    if quarantined == 1 { "event" } else { "events" },
                                    if quarantined == 1 { "was" } else { "were" },
                                )}
                            </p>
                        </Show>
                        {unmigrated.first().map(|first| view! {
                            <p role="alert">
                                {format!(
                                    "{} {} in the older log format could not be read and {} left in place; the next start tries again. The first: {}",
                                    unmigrated.len(),
                                    if unmigrated.len() == 1 { "record" } else { "records" },
                                    if unmigrated.len() == 1 { "was" } else { "were" },
                                    first.reason,
                                )}
                            </p>
                        })}
                    }
                        .into_any()
                }
                LogStatus::Failed(reason) => {
                    view! {
                        <p role="alert" class="log-failed">
                            {format!("Your events cannot be kept on this device: {reason}.")}
                        </p>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// Changes waiting for room to be stored, and a way to try again now.
#[component]
fn HeldNotice() -> impl IntoView {
    let ledger = crate::ledger::use_ledger();
    let try_again = move |_| {
        leptos::task::spawn_local((ledger.store_held)(ledger));
    };
    // Held changes live only in this page: leaving it while some still wait
    // would lose them, so the browser asks first.
    let guard = window_event_listener_untyped("beforeunload", move |ev| {
        if ledger.held.try_with_untracked(|h| !h.is_empty()) == Some(true) {
            ev.prevent_default();
            let _ = js_sys::Reflect::set(
                &ev,
                &"returnValue".into(),
                &"Changes are not saved yet.".into(),
            );
        }
    });
    on_cleanup(move || guard.remove());
    view! {
        <Show when=move || ledger.held.with(|h| !h.is_empty())>
            <p role="status" class="held">
                {move || {
                    let n = ledger.held.with(Vec::len);
                    format!(
                        "{n} {} not saved yet: the browser has no room to store {}. {} kept on this page and saved as soon as there is room.",
                        if n == 1 { "change is" } else { "changes are" },
                        if n == 1 { "it" } else { "them" },
                        if n == 1 { "It is" } else { "They are" },
                    )
                }}
                " "
                <button type="button" on:click=try_again>"Try saving again"</button>
            </p>
        </Show>
        {move || ledger.held_note.get().map(|note| view! { <p role="alert">{note}</p> })}
    }
}
