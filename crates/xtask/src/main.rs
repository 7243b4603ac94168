//! `cargo xtask <task>`: the project's build steps that are programs, not
//! shell over generated files.
//!
//! - `post-build` — Trunk's post-build hook (`Trunk.toml`): for a release
//!   build, moves the pages into modules of their own and ships every file
//!   hashed, minified and compressed (ADR 17, 19, 22).

use anyhow::{bail, Context, Result};
use std::path::PathBuf;

mod compress;
mod post_build;
mod rewrite;

fn main() -> Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    match task.as_str() {
        "post-build" => {
            // Trunk runs its hooks for every build; only a release is split.
            if std::env::var("TRUNK_PROFILE").as_deref() != Ok("release") {
                return Ok(());
            }
            let staging = PathBuf::from(env("TRUNK_STAGING_DIR")?);
            let target = match std::env::var_os("CARGO_TARGET_DIR") {
                Some(dir) => PathBuf::from(dir),
                None => PathBuf::from(env("TRUNK_SOURCE_DIR")?).join("target"),
            };
            let linked = target.join("wasm32-unknown-unknown/wasm-release/portal-ledger.wasm");
            post_build::run(&linked, &staging)
        }
        other => bail!("unknown task {other:?}; the tasks are: post-build"),
    }
}

fn env(name: &str) -> Result<String> {
    std::env::var(name).with_context(|| format!("{name} is not set: run this as Trunk's hook"))
}
