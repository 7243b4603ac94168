//! Support for the end-to-end journey: the server with the built app, a
//! chromedriver, and finding controls the way a person does, by role and
//! accessible name.

pub mod browser;
pub mod server;

/// The workspace root, where `dist/` and `target/` are.
pub fn workspace() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
