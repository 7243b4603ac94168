//! The dashboard's budgets, measured in headless Chromium on the release
//! build of the app over a demo log in IndexedDB. Run by
//! `scripts/bench-app.sh`, which keeps the lines that start with `{`: one
//! JSON object per figure.
#![cfg(target_arch = "wasm32")]

mod ui;

use portal_domain::demo::{DemoConfig, DemoGenerator};
use portal_ledger::ledger::DATABASE;
use portal_store::checkpoint::cold_start;
use portal_store::idb::IdbStore;
use portal_store::{EventStore, SyncState};
use serde_json::json;
use ui::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const EVENTS: usize = 100_000;
const COLD_RUNS: usize = 5;
const COMMANDS: usize = 100;
const STEPS: usize = 300;

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

fn report(value: serde_json::Value) {
    console_log!("{value}");
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn sorted(mut xs: Vec<f64>) -> Vec<f64> {
    xs.sort_by(f64::total_cmp);
    xs
}

/// Resolves after the browser has run the tasks queued before it (a
/// message to itself, which no timer clamping delays).
async fn next_task() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let channel = web_sys::MessageChannel::new().unwrap();
        channel.port1().set_onmessage(Some(&resolve));
        channel
            .port2()
            .post_message(&wasm_bindgen::JsValue::NULL)
            .unwrap();
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Milliseconds from `start` until the page, as it changes, makes `done`
/// hold. A `MutationObserver` checks after each change, so nothing polls
/// (polling with tasks would compete with IndexedDB's own callbacks).
async fn time_until(start: f64, done: impl Fn() -> bool + 'static) -> f64 {
    if done() {
        return now() - start;
    }
    let done = std::rc::Rc::new(done);
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let done = done.clone();
        let callback = wasm_bindgen::closure::Closure::<
            dyn FnMut(js_sys::Array, web_sys::MutationObserver),
        >::new(
            move |_: js_sys::Array, observer: web_sys::MutationObserver| {
                if done() {
                    observer.disconnect();
                    let _ = resolve.call1(&wasm_bindgen::JsValue::NULL, &now().into());
                }
            },
        );
        let observer = web_sys::MutationObserver::new(callback.as_ref().unchecked_ref()).unwrap();
        callback.forget();
        let options = web_sys::MutationObserverInit::new();
        options.set_subtree(true);
        options.set_child_list(true);
        options.set_character_data(true);
        options.set_attributes(true);
        observer
            .observe_with_options(&document().body().unwrap(), &options)
            .unwrap();
    });
    let at = wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
    at.as_f64().unwrap() - start
}

/// Milliseconds from each click on the plan button to the page saying the
/// new plan, for COMMANDS clicks, sorted. With `seen`, each click waits
/// until the browser has drawn the last result, as a person sees it before
/// clicking again; without, it comes as soon as the page's text changed,
/// while that frame is still being drawn.
async fn plan_commands(seen: bool) -> Vec<f64> {
    let mut times = Vec::new();
    for _ in 0..COMMANDS {
        let button = eventually("the plan button", || {
            named("button", "Move to the paid plan")
                .into_iter()
                .chain(named("button", "Move to the free plan"))
                .next()
        })
        .await;
        let target = if named("button", "Move to the paid plan").is_empty() {
            "on the free plan"
        } else {
            "on the paid plan"
        };
        if seen {
            painted().await;
        }
        let start = now();
        button.unchecked_into::<web_sys::HtmlElement>().click();
        times.push(time_until(start, move || page_text().contains(target)).await);
    }
    sorted(times)
}

/// Resolves once the browser has drawn a frame after now (the second
/// animation frame: the first runs before that frame's paint).
async fn painted() {
    for _ in 0..2 {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            web_sys::window()
                .unwrap()
                .request_animation_frame(&resolve)
                .unwrap();
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
}

fn where_text() -> String {
    document()
        .query_selector(".time-travel .where")
        .unwrap()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn dashboard_budgets() {
    // A returning user's device: the demo log, and the checkpoint its first
    // start saved.
    IdbStore::delete(DATABASE).await.unwrap();
    // An admin, who may change any application of the demo.
    signed_in_as(ADMIN.0, ADMIN.1, portal_domain::Role::Admin);
    {
        let store = IdbStore::open(DATABASE, || {}).await.unwrap();
        // A year up to today, as the app's own demo: a log in use now, so
        // that the expiry process has little to catch up on at start.
        let today = portal_ledger::browser::now().date_naive();
        let log = DemoGenerator::generate(DemoConfig::year_ending(7, EVENTS, today));
        store
            .import(log.into_iter().map(|e| (e, SyncState::Pending)).collect())
            .await
            .unwrap();
        cold_start(&store).await.unwrap();
    }

    // Cold start: mounting until the applications list shows the log.
    let mut cold = Vec::new();
    for _ in 0..COLD_RUNS {
        let start = now();
        let app = mount();
        cold.push(
            time_until(start, || {
                document().query_selector(".log-ready").unwrap().is_some()
                    && !listed_apps().is_empty()
            })
            .await,
        );
        drop(app);
        sleep(50).await;
    }
    let cold = sorted(cold);
    report(json!({
        "figure": "cold start to a usable dashboard", "events": EVENTS, "runs": cold,
        "median_ms": percentile(&cold, 0.5),
    }));

    // Memory is measured in a page that only opens the stored log
    // (`crates/e2e/tests/returning_user_bench.rs`): this page generated it.
    let _app = mount();
    eventually("the list", || (!listed_apps().is_empty()).then_some(())).await;

    // Commands: the plan of one application, back and forth, from the
    // click to the page saying so.
    let first: web_sys::HtmlElement = document()
        .query_selector("table.apps tbody a")
        .unwrap()
        .unwrap()
        .unchecked_into();
    first.click();
    until_text("Owner and plan").await;
    let drawn = plan_commands(true).await;
    report(json!({
        "figure": "command to the updated page", "events": EVENTS, "commands": COMMANDS,
        "p50_ms": percentile(&drawn, 0.5), "p95_ms": percentile(&drawn, 0.95),
        "max_ms": drawn[drawn.len() - 1],
    }));
    let rushed = plan_commands(false).await;
    report(json!({
        "figure": "command to the updated page, clicked before the last result is drawn",
        "events": EVENTS, "commands": COMMANDS,
        "p50_ms": percentile(&rushed, 0.5), "p95_ms": percentile(&rushed, 0.95),
        "max_ms": rushed[rushed.len() - 1],
    }));

    // Slider steps on the applications list (every row re-derived), from
    // the head backwards, as the arrow key moves it.
    click("Applications").await;
    eventually("the list", || (!listed_apps().is_empty()).then_some(())).await;
    let slider: web_sys::HtmlElement = document()
        .query_selector("input.slider")
        .unwrap()
        .unwrap()
        .unchecked_into();
    let head: usize = slider
        .clone()
        .unchecked_into::<web_sys::HtmlInputElement>()
        .value()
        .parse()
        .unwrap();
    let mut steps = Vec::new();
    for i in 1..=STEPS {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key("ArrowLeft");
        init.set_bubbles(true);
        init.set_cancelable(true);
        let key =
            web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
        let expected = format!("Event {} of", head - i);
        let start = now();
        slider.dispatch_event(&key).unwrap();
        time_until(start, move || where_text().starts_with(&expected)).await;
        // Every page's effects run in the same flush as the slider's text;
        // the next task starts after the list below has been redrawn too.
        next_task().await;
        steps.push(now() - start);
    }
    // The first step back folds the checkpoints the slider needs, once.
    let first_step = steps[0];
    let steps = sorted(steps[1..].to_vec());
    report(json!({
        "figure": "slider step", "events": EVENTS, "steps": STEPS,
        "first_step_ms": first_step,
        "p50_ms": percentile(&steps, 0.5), "p95_ms": percentile(&steps, 0.95),
        "max_ms": steps[steps.len() - 1],
    }));
}
