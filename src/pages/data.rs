//! The device's data: the demo workspace (opened, made at a size, ADR 29),
//! NDJSON export and import, and reset.

use crate::ledger::{use_ledger, Ledger, LogStatus};
use crate::workspace::{self, DEMO_SIZES};
use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_domain::demo::{DemoConfig, DemoGenerator};
use portal_domain::Envelope;

/// Events generated, and stored, at a time: the progress bar moves on
/// after each, and a 1M-event demo never holds its whole history twice.
const DEMO_STEP: usize = 50_000;

#[derive(Clone, PartialEq)]
enum Work {
    Idle,
    /// `done` is `None` for a step that cannot say how far it got (one
    /// transaction), shown as an indeterminate progress bar.
    Busy {
        label: &'static str,
        done: Option<usize>,
        of: usize,
    },
    Done(String),
    Failed(String),
}

/// Stores `events` in one transaction (all or nothing), showing it under
/// `label`, then says what `done(new, of)` makes of the outcome.
async fn store(
    ledger: Ledger,
    work: RwSignal<Work>,
    label: &'static str,
    events: Vec<Envelope>,
    done: impl Fn(usize, usize) -> String,
) {
    let of = events.len();
    work.set(Work::Busy {
        label,
        done: None,
        of,
    });
    work.set(match ledger.import(events).await {
        Ok(new) => Work::Done(done(new, of)),
        Err(e) => Work::Failed(e.to_string()),
    });
}

/// Makes the demo's history of `events`, storing each part as it is made.
async fn make_demo(ledger: Ledger, work: RwSignal<Work>, events: usize) {
    let today = crate::browser::now().date_naive();
    let mut generator = DemoGenerator::new(DemoConfig::year_ending(7, events, today));
    let mut stored = 0;
    while !generator.is_done() {
        work.set(Work::Busy {
            label: "Making the demo",
            done: Some(stored),
            of: events,
        });
        crate::browser::yield_now().await;
        let part = generator.next_chunk(DEMO_STEP);
        match ledger.import(part).await {
            Ok(new) => stored += new,
            Err(e) => return work.set(Work::Failed(format!("The demo is not complete: {e}"))),
        }
    }
    // The processes catch up with the made-up year (credentials past
    // their expiry) before the demo is shown as made.
    crate::lazy::tick(ledger).await;
    work.set(Work::Done(format!(
        "The demo holds {} made-up events.",
        crate::pages::grouped(ledger.head.get_untracked())
    )));
}

#[component]
pub fn DataPage() -> impl IntoView {
    let ledger = use_ledger();
    let work = RwSignal::new(Work::Idle);
    let busy = move || matches!(work.get(), Work::Busy { .. });
    let confirming_reset = RwSignal::new(false);

    let demo = ledger.workspace.is_demo();
    let size = RwSignal::new(DEMO_SIZES[1]);
    // The demo's history is made once its log is open, when the person
    // has just asked for it (ADR 29).
    if demo {
        Effect::new(move |made: Option<bool>| {
            if made == Some(true) || !matches!(ledger.status.get(), LogStatus::Ready { .. }) {
                return made.unwrap_or(false);
            }
            if let Some(events) = workspace::take_demo_size() {
                size.set(events);
                if ledger.head.get_untracked() == 0 {
                    spawn_local(make_demo(ledger, work, events));
                }
            }
            true
        });
    }
    let open_demo = move |_| {
        if let Err(why) = workspace::enter_demo(size.get_untracked()) {
            work.set(Work::Failed(format!(
                "The demo could not be opened: {why}."
            )));
        }
    };
    let make_again = move |_| {
        spawn_local(async move {
            work.set(Work::Busy {
                label: "Deleting the demo",
                done: None,
                of: 1,
            });
            match ledger.reset().await {
                Ok(()) => make_demo(ledger, work, size.get_untracked()).await,
                Err(e) => work.set(Work::Failed(e.to_string())),
            }
        });
    };

    let export = move |_| {
        let Some(text) = ledger.export() else {
            return;
        };
        match crate::pages::download("portal-ledger.ndjson", "application/x-ndjson", &text) {
            Ok(()) => work.set(Work::Done(
                "The log was exported as portal-ledger.ndjson.".into(),
            )),
            Err(e) => work.set(Work::Failed(e)),
        }
    };

    let import = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        spawn_local(async move {
            let text = match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(t) => t.as_string().unwrap_or_default(),
                Err(_) => return work.set(Work::Failed("The file could not be read.".into())),
            };
            // Validated in full first: one bad line imports nothing.
            let events = match portal_sync::codec::decode_ndjson(&text) {
                Ok(events) => events,
                Err(e) => return work.set(Work::Failed(format!("Nothing was imported. {e}"))),
            };
            store(ledger, work, "Importing", events, |new, of| {
                format!(
                    "Imported {new} new events ({} already in the log).",
                    of - new
                )
            })
            .await;
        });
    };

    let reset = move |_| {
        confirming_reset.set(false);
        spawn_local(async move {
            work.set(Work::Busy {
                label: "Deleting local data",
                done: None,
                of: 1,
            });
            work.set(match ledger.reset().await {
                Ok(()) if demo => Work::Done("The demo's events were deleted.".into()),
                Ok(()) => Work::Done("Everything this device kept was deleted.".into()),
                Err(e) => Work::Failed(e.to_string()),
            });
        });
    };

    view! {
        <section class="data" aria-labelledby="data-heading">
            <h2 id="data-heading">"Data on this device"</h2>
            {move || match work.get() {
                Work::Idle => ().into_any(),
                Work::Busy { label, done: Some(done), of } => {
                    view! {
                        <label class="progress">
                            {format!("{label}: {} of {}", crate::pages::grouped(done as u64), crate::pages::grouped(of as u64))}
                            <progress aria-label=label max=of.to_string() value=done.to_string()></progress>
                        </label>
                    }
                        .into_any()
                }
                Work::Busy { label, done: None, of } => {
                    let text = if of > 1 { format!("{label} {of} events…") } else { format!("{label}…") };
                    view! {
                        <label class="progress">
                            {text}
                            <progress aria-label=label></progress>
                        </label>
                    }
                        .into_any()
                }
                Work::Done(text) => view! { <p role="status" class="done">{text}</p> }.into_any(),
                Work::Failed(text) => view! { <p role="alert" class="refused">{text}</p> }.into_any(),
            }}
            <div class="actions">
                <div class="demo">
                    <label>
                        "Size of the demo "
                        <select
                            aria-label="Size of the demo"
                            on:change=move |ev| {
                                if let Ok(n) = event_target_value(&ev).parse() {
                                    size.set(n);
                                }
                            }
                        >
                            {DEMO_SIZES
                                .map(|n| {
                                    view! {
                                        <option value=n.to_string() selected=move || size.get() == n>
                                            {format!("{} events", crate::pages::grouped(n as u64))}
                                        </option>
                                    }
                                })}
                        </select>
                    </label>
                    {if demo {
                        view! {
                            <button type="button" on:click=make_again disabled=busy>
                                "Make the demo again at this size"
                            </button>
                            <p class="hint">"Deletes this demo's history, and whatever you changed in it, and makes a new one."</p>
                        }
                            .into_any()
                    } else {
                        view! {
                            <button type="button" on:click=open_demo disabled=busy>"Open the demo"</button>
                            <p class="hint">
                                "A year of made-up history in a workspace of its own, in this tab: nothing of it is sent to the server, and your own log stays as it is."
                            </p>
                        }
                            .into_any()
                    }}
                </div>
                <div>
                    <button type="button" on:click=export disabled=busy>"Export the log (NDJSON)"</button>
                </div>
                <div>
                    <label>
                        "Import NDJSON "
                        <input
                            type="file"
                            accept=".ndjson,.jsonl,application/x-ndjson"
                            aria-label="Import NDJSON"
                            disabled=move || busy() || !ledger.is_live()
                            on:change=import
                        />
                    </label>
                </div>
                <div>
                    <Show
                        when=move || confirming_reset.get()
                        fallback=move || {
                            view! {
                                <button type="button" disabled=busy on:click=move |_| confirming_reset.set(true)>
                                    "Reset local data…"
                                </button>
                            }
                        }
                    >
                        <p role="alert">
                            {if demo {
                                "Delete every event of the demo? Your own log stays as it is."
                            } else {
                                "Delete every event and setting this device keeps? Events not yet synced are lost."
                            }}
                        </p>
                        <button type="button" class="danger" on:click=reset>"Yes, delete everything"</button>
                        <button type="button" on:click=move |_| confirming_reset.set(false)>"Cancel"</button>
                    </Show>
                </div>
            </div>
        </section>
    }
}

/// Says that this tab shows the demo, and takes it back to the person's
/// own log (ADR 29).
#[component]
pub fn DemoBanner() -> impl IntoView {
    let ledger = use_ledger();
    let failed = RwSignal::new(None::<String>);
    let leave = move |_| {
        spawn_local(async move {
            if let Err(why) = ledger.leave_demo().await {
                failed.set(Some(format!("The demo could not be left: {why}.")));
            }
        });
    };
    view! {
        <aside class="demo-banner" aria-label="Demo workspace">
            <p>
                <strong>"Demo workspace."</strong>
                " A made-up history, kept apart from your own log and never sent to the server. "
                <button type="button" on:click=leave>"Leave the demo"</button>
            </p>
            {move || failed.get().map(|why| view! { <p role="alert">{why}</p> })}
        </aside>
    }
}
