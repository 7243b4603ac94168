//! The device's data: demo history, NDJSON export and import, and reset.

use crate::ledger::{use_ledger, Ledger};
use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_domain::demo::{DemoConfig, DemoGenerator};
use portal_domain::Envelope;

/// The demo history's size.
pub const DEMO_EVENTS: usize = 100_000;
/// Events generated between two updates of the progress bar.
const DEMO_STEP: usize = 10_000;

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

#[component]
pub fn DataPage() -> impl IntoView {
    let ledger = use_ledger();
    let work = RwSignal::new(Work::Idle);
    let busy = move || matches!(work.get(), Work::Busy { .. });
    let confirming_reset = RwSignal::new(false);

    let load_demo = move |_| {
        spawn_local(async move {
            let today = crate::browser::now().date_naive();
            let config = DemoConfig::year_ending(7, DEMO_EVENTS, today);
            let mut generator = DemoGenerator::new(config);
            let mut events = Vec::with_capacity(DEMO_EVENTS + 64);
            while !generator.is_done() {
                events.extend(generator.next_chunk(DEMO_STEP));
                work.set(Work::Busy {
                    label: "Generating",
                    done: Some(events.len()),
                    of: DEMO_EVENTS,
                });
                crate::browser::yield_now().await;
            }
            store(ledger, work, "Storing", events, |new, _| {
                format!("Loaded {new} demo events.")
            })
            .await;
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
                            {format!("{label}: {done} of {of}")}
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
                <div>
                    <button
                        type="button"
                        on:click=load_demo
                        disabled=move || { busy() || ledger.head.get() > 0 || !ledger.is_live() }
                    >
                        "Load demo data"
                    </button>
                    <p class="hint">
                        {format!("A year of history, about {DEMO_EVENTS} events, into an empty log.")}
                    </p>
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
                            "Delete every event and setting this device keeps? Events not yet synced are lost."
                        </p>
                        <button type="button" class="danger" on:click=reset>"Yes, delete everything"</button>
                        <button type="button" on:click=move |_| confirming_reset.set(false)>"Cancel"</button>
                    </Show>
                </div>
            </div>
        </section>
    }
}
