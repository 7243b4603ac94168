//! Sync, as the user sees it: the status in the header, the settings page
//! (who is signed in, their access tokens, the server, the theme), and the
//! conflicts page (what the server or another device's changes refused,
//! with why, and the changes that crossed another device's).

use crate::dates;
use crate::ledger::use_ledger;
use crate::pages::Outcome;
use crate::sync::settings::Settings;
use crate::sync::{use_sync, Phase};
use leptos::prelude::*;
use portal_store::SyncState;

/// Online or offline, how much waits to be sent, the last sync, any error.
#[component]
pub fn SyncStatus() -> impl IntoView {
    let sync = use_sync();
    let ledger = use_ledger();
    let pending = move || {
        ledger.head.track();
        ledger.pending_count()
    };
    let text = move || {
        let pending = pending();
        let waiting = match pending {
            0 => "everything sent".to_owned(),
            1 => "1 event to send".to_owned(),
            n => format!("{n} events to send"),
        };
        let last = sync
            .last_sync
            .get()
            .map(|at| format!(", last sync {}", dates::clock(at)))
            .unwrap_or_default();
        let connection = if sync.online.get() {
            "Online"
        } else {
            "Offline"
        };
        match sync.phase.get() {
            Phase::Paused => format!("Sync paused · {waiting}"),
            Phase::SignedOut => {
                format!("Signed out · nothing syncs until someone signs in · {waiting}")
            }
            Phase::SignInAgain(why) => {
                format!("{connection} · {waiting} · sign in again to sync ({why})")
            }
            Phase::UpdateRequired(_) => format!(
                "{connection} · {waiting} · this app is older than the workspace's newest events: reload the page to update it, and syncing goes on"
            ),
            Phase::Follower => format!("{connection} · another tab syncs · {waiting}"),
            Phase::Demo => "Demo workspace · nothing here is sent to the server".to_owned(),
            Phase::Syncing => format!("{connection} · syncing… · {waiting}{last}"),
            Phase::Idle if sync.live.get() => format!("{connection} · live · {waiting}{last}"),
            Phase::Idle => format!("{connection} · {waiting}{last}"),
            Phase::Failed { error, .. } => {
                format!("{connection} · {waiting} · sync failed: {error}; retrying")
            }
        }
    };
    let failed = move || {
        matches!(
            sync.phase.get(),
            Phase::Failed { .. } | Phase::SignInAgain(_) | Phase::UpdateRequired(_)
        )
    };
    let outdated = move || matches!(sync.phase.get(), Phase::UpdateRequired(_));
    let reload = |_| {
        if let Some(location) = web_sys::window().map(|w| w.location()) {
            let _ = location.reload();
        }
    };
    let syncing = move || sync.phase.get() == Phase::Syncing;
    view! {
        <p class="sync-status" role="status" aria-label="Sync status" class:failed=failed>
            {text}
            // A catch-up of many pages takes seconds; a poll, a moment:
            // the bar shows only after 200 ms (style/main.css).
            <Show when=syncing>
                " "
                <progress class="busy" aria-label="Syncing"></progress>
            </Show>
            <Show when=outdated>
                " "
                <button type="button" on:click=reload>"Reload to update"</button>
            </Show>
        </p>
    }
}

/// Who is signed in, and where and whether to sync; the session stays on
/// this device, out of the event log.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let sync = use_sync();
    let current = sync.settings.get_untracked();
    let server = RwSignal::new(current.server.clone());
    let enabled = RwSignal::new(current.enabled);
    let message = RwSignal::new(None::<Result<String, String>>);
    let draft = move || Settings {
        server: server.get(),
        enabled: enabled.get(),
        ..sync.settings.get()
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let settings = draft();
        if let Some(problem) = settings.problem() {
            message.set(Some(Err(problem)));
            return;
        }
        message.set(Some(
            sync.save(settings)
                .map(|()| "Saved. Syncing with these settings.".to_owned())
                .map_err(|e| format!("Not saved: {e}")),
        ));
    };
    if use_ledger().workspace.is_demo() {
        return view! {
            <section aria-labelledby="settings-title">
                <h2 id="settings-title">"Account and sync"</h2>
                <p>
                    "This tab shows the demo workspace, which never syncs: you act in it as an admin. "
                    "Signing in and sync belong to your own workspace; leave the demo on the Data page to change them."
                </p>
            </section>
            <crate::pages::appearance::Appearance />
        }
        .into_any();
    }
    view! {
        <crate::pages::account::Account />
        // Listed once the session works: after signing in again, afresh.
        <Show when=move || {
            sync.settings.with(|s| s.person.is_some())
                && !matches!(sync.phase.get(), Phase::SignInAgain(_))
        }>
            <crate::pages::access_tokens::AccessTokens />
        </Show>
        // An admin's: where the workspace's events are sent (ADR 35).
        <Show when=move || {
            sync.settings.with(|s| s.person.as_ref().is_some_and(|p| p.role == portal_domain::Role::Admin))
                && !matches!(sync.phase.get(), Phase::SignInAgain(_))
        }>
            <crate::pages::webhooks::Webhooks />
        </Show>
        <section aria-labelledby="settings-title">
            <h2 id="settings-title">"Sync settings"</h2>
            <p>
                "Events are kept on this device and sent to the server when it can be reached. "
                "Leave the server empty to sync with the server this page came from."
            </p>
            <form class="settings" on:submit=save>
                <label>
                    "Server URL"
                    <input
                        type="url"
                        aria-label="Server URL"
                        placeholder="https://portal.example.com"
                        prop:value=move || server.get()
                        on:input=move |ev| server.set(event_target_value(&ev))
                    />
                </label>
                <label class="check">
                    <input
                        type="checkbox"
                        aria-label="Sync automatically"
                        prop:checked=move || enabled.get()
                        on:change=move |ev| enabled.set(event_target_checked(&ev))
                    />
                    "Sync automatically"
                </label>
                {move || draft().problem().map(|problem| view! {
                    <p class="field-error" role="alert">{problem}</p>
                })}
                <div class="actions">
                    <button type="submit">"Save settings"</button>
                    <button type="button" on:click=move |_| sync.retry_now()>
                        "Sync now"
                    </button>
                </div>
            </form>
            <Outcome message=message />
            <SyncStatus />
        </section>
        <crate::pages::appearance::Appearance />
    }
    .into_any()
}

/// Every command that was refused during sync, with the reason.
#[component]
pub fn ConflictsPage() -> impl IntoView {
    let ledger = use_ledger();
    // Named as the application is named now, or as the refused event
    // itself named it (an application created and refused never existed).
    let name_of = move |e: &portal_domain::Envelope| {
        use portal_domain::Event;
        let now = ledger.device().and_then(|d| {
            d.machine()
                .head()
                .app(portal_domain::AppId(e.stream_id.0))
                .map(|a| a.record.name.to_string())
        });
        now.or_else(|| match &e.event {
            Event::ApplicationInsert(r) | Event::ApplicationUpdate(r) => Some(r.name.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| "an application this device does not hold".to_owned())
    };
    let rows = move || {
        ledger
            .rejected
            .get()
            .into_iter()
            .rev()
            .map(|event| {
                let reason = match &event.sync {
                    SyncState::Rejected { reason } => reason.clone(),
                    _ => String::new(),
                };
                let e = &event.envelope;
                let app = e.stream_id.0.to_string();
                let name = name_of(e);
                view! {
                    <tr>
                        <td>{dates::minute(e.occurred_at)}</td>
                        <td>{e.event_type().name()}</td>
                        <td><a href=format!("/applications/{app}")>{name}</a></td>
                        <td>{e.actor.to_string()}</td>
                        <td class="reason">{reason}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    // A change in words: its business event, and who made it.
    let said = |e: &portal_domain::Envelope| format!("{} by {}", e.event_type().name(), e.actor);
    let crossed = move || {
        ledger.crossed.track();
        ledger.rejected.track();
        let crossed = ledger.device().map(|d| d.crossed()).unwrap_or_default();
        crossed
            .into_iter()
            .map(|c| {
                let app = c.applied.stream_id.0.to_string();
                let name = name_of(&c.applied);
                let business: Vec<String> = c
                    .theirs
                    .iter()
                    .filter(|e| e.kind() == portal_domain::EventKind::Business)
                    .map(said)
                    .collect();
                let theirs = if business.is_empty() {
                    c.theirs.iter().map(said).collect::<Vec<_>>().join("; ")
                } else {
                    business.join("; ")
                };
                view! {
                    <tr>
                        <td>{dates::minute(c.ours.occurred_at)}</td>
                        <td><a href=format!("/applications/{app}")>{name}</a></td>
                        <td>{said(&c.applied)}</td>
                        <td>{theirs}</td>
                    </tr>
                }
            })
            .collect::<Vec<_>>()
    };
    view! {
        <section aria-labelledby="conflicts-title">
            <h2 id="conflicts-title">"Conflicts"</h2>
            <p>
                "Changes made on this device that could not be applied, because another device "
                "changed the same application first or the server refused them. They are kept "
                "here, and were not applied anywhere."
            </p>
            <Show
                when=move || !ledger.rejected.get().is_empty()
                fallback=|| view! { <p class="empty">"No conflicts: every change was applied."</p> }
            >
                <table class="conflicts" aria-label="Conflicts">
                    <thead>
                        <tr>
                            <th scope="col">"Made"</th>
                            <th scope="col">"Event"</th>
                            <th scope="col">"Application"</th>
                            <th scope="col">"By"</th>
                            <th scope="col">"Why it was refused"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </Show>
        </section>
        <section aria-labelledby="crossed-title">
            <h2 id="crossed-title">"Crossed changes"</h2>
            <p>
                "Changes made on this device while another device changed the same application. "
                "They were decided again after the other change, were still allowed, and were "
                "applied: both are in the shared history. Check that yours still does what you meant."
            </p>
            {move || {
                let rows = crossed();
                if rows.is_empty() {
                    return view! { <p class="empty">"No change crossed another device's."</p> }.into_any();
                }
                view! {
                    <table class="crossed" aria-label="Crossed changes">
                        <thead>
                            <tr>
                                <th scope="col">"Made"</th>
                                <th scope="col">"Application"</th>
                                <th scope="col">"Your change, applied"</th>
                                <th scope="col">"After"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
    }
}
