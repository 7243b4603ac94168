//! The domain benchmarks: replay, time travel, checkpoint memory, and the
//! stored format's encode and decode.

use crate::{live_bytes, Args};
use portal_domain::demo::{DemoConfig, DemoGenerator};
use portal_domain::{LogIndex, Portal, SharedLog, TimeMachine};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// One figure as a JSON object on stdout.
fn report(size: usize, name: &str, fields: &[(&str, serde_json::Value)]) {
    let mut object = serde_json::Map::new();
    object.insert("bench".into(), name.into());
    object.insert("events".into(), size.into());
    for (key, value) in fields {
        object.insert((*key).into(), value.clone());
    }
    println!("{}", serde_json::Value::Object(object));
}

/// A figure rounded to one decimal.
fn figure(x: f64) -> serde_json::Value {
    ((x * 10.0).round() / 10.0).into()
}

/// Every projection, over a log already in memory (as after a load).
fn replay(log: &SharedLog) -> Portal {
    let mut portal = Portal::over(log.clone());
    portal.advance_to(log.len() as u64);
    portal
}

/// The demo log for `seed` and `size`, cached as NDJSON under
/// `$PORTAL_BENCH_CACHE` when that is set (generating 1M events takes a while).
fn demo_log(seed: u64, size: usize) -> Vec<portal_domain::Envelope> {
    let cached = std::env::var_os("PORTAL_BENCH_CACHE")
        .map(|dir| std::path::PathBuf::from(dir).join(format!("demo-{seed}-{size}.ndjson")));
    if let Some(text) = cached
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
    {
        if let Ok(log) = portal_sync::decode_ndjson(&text) {
            return log;
        }
    }
    let log = DemoGenerator::generate(DemoConfig::year(seed, size));
    if let Some(path) = cached {
        let _ = std::fs::write(path, portal_sync::encode_ndjson(&log));
    }
    log
}

pub fn run(args: &Args) {
    for &size in &args.sizes {
        let started = Instant::now();
        let log = demo_log(args.seed, size);
        // Replay reads the log as a load from storage leaves it: decoded in
        // order, each event's data allocated next to its neighbours'.
        let shared: SharedLog = portal_sync::decode_ndjson(&portal_sync::encode_ndjson(&log))
            .expect("the generated log decodes")
            .into_iter()
            .collect();
        let generated = started.elapsed();
        let events = log.len();
        eprintln!(
            "\n== {events} events (generated and decoded in {:.2} s) ==",
            generated.as_secs_f64()
        );
        report(
            events,
            "generate",
            &[("ms", figure(generated.as_secs_f64() * 1e3))],
        );

        // Full replay into all projections.
        let rates: Vec<f64> = (0..args.runs)
            .map(|_| {
                let t = Instant::now();
                let state = black_box(replay(&shared));
                let rate = events as f64 / t.elapsed().as_secs_f64();
                drop(state);
                rate
            })
            .collect();
        let replay_rate = median(rates);
        eprintln!(
            "full replay: {:.2} M events/s (median of {})",
            replay_rate / 1e6,
            args.runs
        );
        report(
            events,
            "replay",
            &[
                ("events_per_sec", figure(replay_rate)),
                ("runs", args.runs.into()),
            ],
        );

        // A reference for this machine's noise: only reading every envelope.
        let t = Instant::now();
        let mut sum = 0u64;
        for (_, e) in shared.range(0, shared.len()) {
            sum = sum.wrapping_add(e.stream_version ^ e.stream_id.0.as_u64_pair().0);
        }
        black_box(sum);
        let floor = t.elapsed().as_nanos() as f64 / events as f64;
        eprintln!("reference, reading every envelope: {floor:.0} ns/event");
        report(events, "read_floor", &[("ns_per_event", figure(floor))]);

        // The log's indexes (timeline lookups, histories, causation) are
        // built on first use rather than during replay: what that first use costs.
        let mut index = LogIndex::default();
        for (_, e) in shared.range(0, shared.len()) {
            index.push(e);
        }
        let t = Instant::now();
        black_box(index.position(&shared, log[events / 2].event_id, events));
        let index_ms = t.elapsed().as_secs_f64() * 1e3;
        eprintln!("log index, built on first use: {index_ms:.0} ms");
        report(events, "log_index_first_use", &[("ms", figure(index_ms))]);

        if args.replay_only {
            continue;
        }

        // Checkpoint memory: the same machine with and without checkpoints.
        let base = live_bytes();
        let without = TimeMachine::from_log(log.iter().cloned(), usize::MAX);
        let without_bytes = live_bytes() - base;
        drop(without);
        let base = live_bytes();
        let build = Instant::now();
        let machine = TimeMachine::from_log(log.iter().cloned(), args.every);
        let build_time = build.elapsed();
        let with_bytes = live_bytes() - base;
        let checkpoint_bytes = with_bytes - without_bytes;
        eprintln!(
            "time machine: built in {:.0} ms, {} checkpoints every {} events, checkpoint memory {:.1} MB (log + index + head {:.1} MB)",
            build_time.as_secs_f64() * 1e3,
            machine.checkpoint_count(),
            args.every,
            checkpoint_bytes as f64 / 1e6,
            without_bytes as f64 / 1e6
        );
        report(
            events,
            "checkpoints",
            &[
                ("every", args.every.into()),
                ("count", machine.checkpoint_count().into()),
                ("checkpoint_bytes", checkpoint_bytes.into()),
                ("log_index_head_bytes", without_bytes.into()),
                ("build_ms", figure(build_time.as_secs_f64() * 1e3)),
            ],
        );

        // Answers at random positions.
        let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
        let positions: Vec<usize> = (0..args.queries)
            .map(|_| rng.random_range(0..=events))
            .collect();
        let mut times: Vec<Duration> = positions
            .iter()
            .map(|&k| {
                let t = Instant::now();
                let state = machine.state_at(k);
                black_box(state.position());
                let elapsed = t.elapsed();
                drop(state);
                elapsed
            })
            .collect();
        times.sort();
        let (p50, p95, max) = (
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            times[times.len() - 1],
        );
        eprintln!(
            "state at {} random positions: p50 {:.1} µs, p95 {:.1} µs, max {:.1} µs",
            args.queries,
            p50.as_secs_f64() * 1e6,
            p95.as_secs_f64() * 1e6,
            max.as_secs_f64() * 1e6
        );
        report(
            events,
            "time_travel",
            &[
                ("queries", args.queries.into()),
                ("p50_us", figure(p50.as_secs_f64() * 1e6)),
                ("p95_us", figure(p95.as_secs_f64() * 1e6)),
                ("max_us", figure(max.as_secs_f64() * 1e6)),
            ],
        );
        drop(machine);

        // The stored format (NDJSON).
        let mut encode_times = Vec::new();
        let mut decode_times = Vec::new();
        let mut bytes = 0;
        for _ in 0..args.runs.min(3) {
            let t = Instant::now();
            let text = portal_sync::encode_ndjson(&log);
            encode_times.push(t.elapsed().as_secs_f64());
            bytes = text.len();
            let t = Instant::now();
            let decoded = portal_sync::decode_ndjson(&text);
            decode_times.push(t.elapsed().as_secs_f64());
            match decoded {
                Ok(decoded) if decoded.len() == events => {}
                Ok(decoded) => eprintln!("decode returned {} of {events} events", decoded.len()),
                Err(e) => eprintln!("decode failed: {e}"),
            }
        }
        let (enc, dec) = (median(encode_times), median(decode_times));
        eprintln!(
            "NDJSON: {:.1} MB ({:.0} B/event), encode {:.0} ms ({:.2} M events/s), decode {:.0} ms ({:.2} M events/s)",
            bytes as f64 / 1e6,
            bytes as f64 / events as f64,
            enc * 1e3,
            events as f64 / enc / 1e6,
            dec * 1e3,
            events as f64 / dec / 1e6
        );
        report(
            events,
            "codec_ndjson",
            &[
                ("bytes", bytes.into()),
                ("encode_ms", figure(enc * 1e3)),
                ("decode_ms", figure(dec * 1e3)),
            ],
        );
    }
}
