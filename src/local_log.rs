//! The device's event log as the app sees it: opened at start, brought to
//! its head from the persisted checkpoint, and kept current when another tab
//! writes. Every page shows its state, and says plainly when the browser
//! keeps nothing.

use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_store::checkpoint::cold_start;
use portal_store::idb::IdbStore;
use portal_store::Change;

/// The IndexedDB database the app keeps its log in.
pub const DATABASE: &str = "portal-ledger";

#[derive(Clone, Debug, PartialEq)]
enum LogState {
    Opening,
    Ready { events: u64, quarantined: usize },
    Failed(String),
}

#[component]
pub fn LocalLog() -> impl IntoView {
    let state = RwSignal::new(LogState::Opening);
    let blocked = RwSignal::new(false);
    let store = StoredValue::new_local(None::<IdbStore>);
    spawn_local(async move {
        let opened = IdbStore::open(DATABASE, move || blocked.set(true)).await;
        blocked.set(false);
        let store_handle = match opened {
            Ok(s) => s,
            Err(e) => return state.set(LogState::Failed(e.to_string())),
        };
        match cold_start(&store_handle).await {
            Ok(start) => state.set(LogState::Ready {
                events: start.portal.log().len() as u64,
                quarantined: start.quarantined.len(),
            }),
            Err(e) => return state.set(LogState::Failed(e.to_string())),
        }
        store_handle.watch(move |change| {
            if let Change::Appended { head } = change {
                state.update(|s| {
                    if let LogState::Ready { events, .. } = s {
                        *events = (*events).max(*head);
                    }
                });
            }
        });
        store.set_value(Some(store_handle));
    });

    view! {
        <section class="local-log" aria-labelledby="local-log-heading">
            <h2 id="local-log-heading">"On this device"</h2>
            <Show when=move || blocked.get()>
                <p role="alert">
                    "Another Portal Ledger tab is holding the local log open. Close it to finish upgrading."
                </p>
            </Show>
            {move || match state.get() {
                LogState::Opening => {
                    view! { <p role="status">"Opening the local log…"</p> }.into_any()
                }
                LogState::Ready { events, quarantined } => {
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
                    }
                        .into_any()
                }
                LogState::Failed(reason) => {
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
