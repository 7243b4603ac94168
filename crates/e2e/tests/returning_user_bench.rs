//! The dashboard's budgets on a returning user's device, in pages that
//! only open the stored log: the server holds a demo history of a year up
//! to today (DASHBOARD_EVENTS, default 100,000); a fresh Chromium profile
//! pulls it all, then the page is loaded again, as a person opening the
//! portal the next day. Prints JSON:
//! - cold start, from the page's navigation start to the applications
//!   list showing the log;
//! - memory once the log is loaded (live JS heap after a full collection,
//!   plus wasm linear memory, which never shrinks and so also counts what
//!   the load reached on its way);
//! - slider steps back from the head on the applications list, and memory
//!   again after them (the slider keeps checkpoints).
//!
//! Run by `scripts/bench-app.sh`; never part of `cargo test`.

use portal_domain::demo::{DemoConfig, DemoGenerator};
use portal_e2e::browser::Browser;
use portal_e2e::server::{serve, ADA};
use portal_e2e::{events_from_env, workspace};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const STEPS: usize = 300;
const LOADS: usize = 3;

/// Keeps the app's wasm memory where a benchmark can read it, and notes
/// when the dashboard first became usable (the log's status line and a
/// row of the applications list), in the page's own clock.
const WATCH: &str = r#"
for (const name of ["instantiate", "instantiateStreaming"]) {
  const original = WebAssembly[name];
  WebAssembly[name] = async (...args) => {
    const made = await original.apply(WebAssembly, args);
    const instance = made.instance ?? made;
    if (instance.exports && instance.exports.memory) window.__wasmMemory = instance.exports.memory;
    return made;
  };
}
const usable = () => document.querySelector(".log-ready")
  && document.querySelector("table.apps tbody tr td:first-child");
new MutationObserver((_, observer) => {
  if (usable()) { window.__usableAt = performance.now(); observer.disconnect(); }
}).observe(document, { subtree: true, childList: true, characterData: true });
"#;

/// Live JS heap after a full collection (two passes, for wasm-bindgen's
/// finalizers) and wasm memory, in MB.
const MEMORY: &str = r#"
const done = arguments[arguments.length - 1];
gc(); setTimeout(() => { gc(); done({
  js_heap_mb: performance.memory.usedJSHeapSize / 1e6,
  wasm_memory_mb: window.__wasmMemory.buffer.byteLength / 1e6,
}); }, 0);
"#;

/// Moves the slider back one position at a time, as the arrow key does,
/// timing each step from the key until the slider says the new position
/// and the page's effects have run (the next task starts after them).
const STEP_BACK: &str = r#"
const [steps, done] = [arguments[0], arguments[arguments.length - 1]];
const slider = document.querySelector("input.slider");
const where = () => document.querySelector(".time-travel .where")?.textContent ?? "";
const nextTask = () => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = resolve;
  channel.port2.postMessage(null);
});
const until = (ok) => new Promise((resolve) => {
  if (ok()) return resolve();
  const observer = new MutationObserver(() => { if (ok()) { observer.disconnect(); resolve(); } });
  observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
});
(async () => {
  const head = Number(slider.value);
  const times = [];
  for (let i = 1; i <= steps; i++) {
    const expected = `Event ${head - i} of`;
    const start = performance.now();
    slider.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true, cancelable: true }));
    await until(() => where().startsWith(expected));
    await nextTask();
    times.push(performance.now() - start);
  }
  done(times);
})();
"#;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn numbers(value: Value) -> Vec<f64> {
    value
        .as_array()
        .expect("a list of times")
        .iter()
        .filter_map(Value::as_f64)
        .collect()
}

async fn memory(browser: &Browser) -> Value {
    browser
        .client
        .execute_async(MEMORY, vec![])
        .await
        .expect("the page reports its memory")
}

/// Loads the page again and waits until the dashboard is usable; returns
/// the milliseconds from navigation start.
async fn load_again(browser: &Browser) -> f64 {
    browser
        .client
        .refresh()
        .await
        .expect("the page loads again");
    browser
        .until("the dashboard to be usable", || async {
            browser
                .client
                .execute("return window.__usableAt ?? null", vec![])
                .await
                .ok()?
                .as_f64()
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returning_user() {
    let size = events_from_env("DASHBOARD_EVENTS");
    let today = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).date_naive();
    let served = serve(workspace().join("dist")).await;
    let total = served
        .preload_log(&DemoGenerator::generate(DemoConfig::year_ending(
            7, size, today,
        )))
        .await;
    let artifacts = workspace().join("target/e2e-artifacts/returning-user");
    let browser = Browser::start_measuring(&artifacts).await;
    served.add(&ADA).await;
    let token = served.session(&ADA).await;
    browser.remember_session(&served.base, &ADA, &token).await;
    browser.before_each_page(WATCH).await;
    browser
        .client
        .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
            Some(Duration::from_secs(600)),
            None,
            None,
        ))
        .await
        .expect("longer script timeouts");
    browser
        .client
        .goto(&served.base)
        .await
        .expect("the app loads");
    // The catch-up can take longer than one step's patience at 1M events.
    let started = Instant::now();
    let mut told = Instant::now();
    loop {
        // At least the history: the server's processors may add what fell
        // due since the demo's last day (expiries, surveys), which comes too.
        let arrived = browser.event_count().await;
        if arrived >= total {
            break;
        }
        if told.elapsed() > Duration::from_secs(15) {
            eprintln!("{arrived} of {total} events after {:?}", started.elapsed());
            told = Instant::now();
        }
        if started.elapsed() > Duration::from_secs(1200) {
            browser.screenshot("catch-up").await;
            panic!("the log never arrived: {arrived} of {total} events");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // The first load after the catch-up may fold and save a checkpoint;
    // the loads after it are the returning user's.
    let mut loads = Vec::new();
    for _ in 0..=LOADS {
        loads.push(load_again(&browser).await);
    }
    let mut cold = loads[1..].to_vec();
    cold.sort_by(f64::total_cmp);
    println!(
        "{}",
        json!({"figure": "cold start to a usable dashboard, from navigation start",
               "events": total, "runs": cold, "median_ms": percentile(&cold, 0.5),
               "first_load_after_catch_up_ms": loads[0]})
    );
    let loaded = memory(&browser).await;
    println!(
        "{}",
        json!({"figure": "memory with the log loaded, in a page that only opened it",
               "events": total, "memory": loaded})
    );

    let steps = numbers(
        browser
            .client
            .execute_async(STEP_BACK, vec![json!(STEPS)])
            .await
            .expect("the slider steps"),
    );
    // The first step back folds the checkpoints the slider needs, once.
    let first_step = steps[0];
    let mut steps = steps[1..].to_vec();
    steps.sort_by(f64::total_cmp);
    println!(
        "{}",
        json!({"figure": "slider step, in a page that only opened the log",
               "events": total, "steps": STEPS, "first_step_ms": first_step,
               "p50_ms": percentile(&steps, 0.5), "p95_ms": percentile(&steps, 0.95),
               "max_ms": steps[steps.len() - 1]})
    );
    let after = memory(&browser).await;
    println!(
        "{}",
        json!({"figure": "memory after the slider steps", "events": total, "memory": after})
    );
    browser.screenshot("slider").await;
}
