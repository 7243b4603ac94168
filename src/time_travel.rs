//! The time-travel slider: the whole portal as it was after the first k
//! events. Always visible; every page follows it.

use crate::dates;
use crate::ledger::use_ledger;
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use std::time::Duration;

/// How often playing moves the slider.
const PLAY_STEP: Duration = Duration::from_millis(100);

/// Events per play step, by the speed a user picks.
const SPEEDS: [(&str, u64); 4] = [("1×", 1), ("10×", 10), ("100×", 100), ("1000×", 1000)];

/// Where a key moves the slider from `k`, on a log of `head` events.
pub fn key_target(key: &str, k: u64, head: u64) -> Option<u64> {
    Some(match key {
        "ArrowLeft" | "ArrowDown" => k.saturating_sub(1),
        "ArrowRight" | "ArrowUp" => (k + 1).min(head),
        "PageDown" => k.saturating_sub(100),
        "PageUp" => (k + 100).min(head),
        "Home" => 0,
        "End" => head,
        _ => return None,
    })
}

#[component]
pub fn TimeTravel() -> impl IntoView {
    let ledger = use_ledger();
    let playing = RwSignal::new(false);
    let marked = RwSignal::new(None::<u64>);
    let speed = RwSignal::new(10u64);
    let step = move || {
        let head = ledger.head.get_untracked();
        let k = ledger.cursor.get_untracked().unwrap_or(head);
        if k >= head {
            playing.set(false);
            return;
        }
        ledger.travel((k + speed.get_untracked()).min(head));
    };
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if playing.get_untracked() {
                step()
            }
        },
        PLAY_STEP,
    ) {
        on_cleanup(move || handle.clear());
    }
    let on_key = move |ev: KeyboardEvent| {
        let head = ledger.head.get_untracked();
        let k = ledger.cursor.get_untracked().unwrap_or(head);
        if let Some(to) = key_target(&ev.key(), k, head) {
            ev.prevent_default();
            ledger.travel(to);
        }
    };
    // One description per position, read by both the slider's
    // `aria-valuetext` and the text under it.
    let here = Memo::new(move |_| {
        let k = ledger.position();
        ledger
            .with_machine(|machine, _| {
                let Some(event) = (k as usize)
                    .checked_sub(1)
                    .and_then(|i| machine.log().get(i))
                else {
                    return "Before the first event".to_owned();
                };
                format!(
                    "Event {k} of {}: {} · {} UTC",
                    machine.len(),
                    event.event_type().name(),
                    dates::minute(event.occurred_at),
                )
            })
            .unwrap_or_default()
    });
    view! {
        <section class="time-travel" aria-label="Time travel">
            <input
                type="range"
                class="slider"
                aria-label="Position in the log"
                min="0"
                prop:max=move || ledger.head.get().to_string()
                prop:value=move || ledger.position().to_string()
                aria-valuetext=here
                on:input=move |ev| {
                    if let Ok(k) = event_target_value(&ev).parse::<u64>() {
                        ledger.travel(k);
                    }
                }
                on:keydown=on_key
            />
            <p class="where" aria-live="polite">{here}</p>
            <div class="controls">
                <button
                    type="button"
                    aria-pressed=move || playing.get().to_string()
                    on:click=move |_| {
                        if !playing.get_untracked() && ledger.is_live_now() {
                            ledger.travel(0);
                        }
                        playing.update(|p| *p = !*p);
                    }
                >
                    {move || if playing.get() { "Pause" } else { "Play" }}
                </button>
                <label>
                    "Speed "
                    <select
                        aria-label="Playback speed"
                        on:change=move |ev| {
                            if let Ok(s) = event_target_value(&ev).parse() {
                                speed.set(s);
                            }
                        }
                    >
                        {SPEEDS
                            .into_iter()
                            .map(|(label, events)| {
                                view! {
                                    <option value=events.to_string() selected=events == 10>
                                        {format!("{label} ({events} per step)")}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <button
                    type="button"
                    on:click=move |_| marked.set(Some(ledger.position()))
                >
                    // Named by what it says, which says what it did.
                    {move || match marked.get() {
                        Some(k) => format!("Marked {k}"),
                        None => "Mark this position".to_owned(),
                    }}
                </button>
                <Show when=move || marked.with(Option::is_some)>
                    <A href=move || {
                        format!("/diff?from={}&to={}", marked.get().unwrap_or(0), ledger.position())
                    }>"Compare with mark"</A>
                </Show>
                <button
                    type="button"
                    class="live"
                    disabled=move || ledger.is_live()
                    on:click=move |_| {
                        playing.set(false);
                        ledger.cursor.set(None);
                    }
                >
                    "Live"
                </button>
            </div>
        </section>
    }
}

/// Says, on every page, why commands are off while in the past.
#[component]
pub fn PastBanner() -> impl IntoView {
    let ledger = use_ledger();
    view! {
        <Show when=move || !ledger.is_live()>
            <p class="past-banner" role="status">
                {move || {
                    format!(
                        "You are viewing the portal as it was after event {} of {}. Changes are turned off in the past; press Live to return.",
                        ledger.position(),
                        ledger.head.get(),
                    )
                }}
            </p>
        </Show>
    }
}
