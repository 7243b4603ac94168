//! Benchmark harness. Prints one JSON object per measurement on stdout and a
//! readable summary on stderr. It asserts nothing: BENCHMARKS.md records the
//! figures and compares them with the budgets.
//!
//! Usage: portal-bench domain [--sizes 100000,1000000] [--every 512]
//!        [--queries 1000] [--runs 5] [--seed 42]
//!        portal-bench server [--sizes 100000] [--seed 42]

mod domain;
mod server;

use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;

#[global_allocator]
static ALLOC: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes currently allocated on the heap.
pub fn live_bytes() -> isize {
    let s = ALLOC.stats();
    s.bytes_allocated as isize - s.bytes_deallocated as isize + s.bytes_reallocated
}

pub struct Args {
    pub sizes: Vec<usize>,
    pub every: usize,
    pub queries: usize,
    pub runs: usize,
    pub seed: u64,
    /// Only the replay figure, for profiling.
    pub replay_only: bool,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<(String, Args), String> {
    let command = args.next().unwrap_or_else(|| "domain".into());
    let mut parsed = Args {
        sizes: vec![100_000, 1_000_000],
        every: portal_domain::DEFAULT_CHECKPOINT_EVERY,
        queries: 1000,
        runs: 5,
        seed: 42,
        replay_only: false,
    };
    while let Some(flag) = args.next() {
        if flag == "--replay-only" {
            parsed.replay_only = true;
            continue;
        }
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number = |v: &str| v.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--sizes" => {
                parsed.sizes = value.split(',').map(number).collect::<Result<_, _>>()?;
            }
            "--every" => parsed.every = number(&value)?,
            "--queries" => parsed.queries = number(&value)?,
            "--runs" => parsed.runs = number(&value)?.max(1),
            "--seed" => parsed.seed = number(&value)? as u64,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok((command, parsed))
}

fn main() {
    match parse_args(std::env::args().skip(1)) {
        Ok((command, args)) if command == "domain" => domain::run(&args),
        Ok((command, args)) if command == "server" => server::run(&args),
        Ok((command, _)) => {
            eprintln!("unknown benchmark {command}; try: domain, server");
            std::process::exit(2);
        }
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    }
}
