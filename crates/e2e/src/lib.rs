//! Support for the end-to-end journey: the server with the built app, a
//! chromedriver, and finding controls the way a person does, by role and
//! accessible name.

pub mod browser;
pub mod server;

/// The workspace root, where `dist/` and `target/` are.
pub fn workspace() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A benchmark's log size: the number in the environment variable `var`,
/// or 100,000 when it is unset or not a number.
pub fn events_from_env(var: &str) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}
