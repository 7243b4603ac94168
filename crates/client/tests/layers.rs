//! The layers, as `cargo tree` resolves them (on every target): the domain
//! and the wire format reach no IO, no clock and no randomness of the
//! platform; the client reaches no UI, no browser API of its own and no
//! HTTP stack; the app is built on the client. Each ban names a crate this
//! workspace does use somewhere, so a slip is one `use` away.

use std::collections::BTreeSet;
use std::process::Command;

/// IO, platform and UI crates the workspace uses (the store, the server,
/// the app, the tests).
const IO: &[&str] = &[
    "tokio",
    "sqlx",
    "axum",
    "hyper",
    "reqwest",
    "idb",
    "web-sys",
    "js-sys",
    "wasm-bindgen",
    "wasm-bindgen-futures",
    "gloo-net",
    "leptos",
    "leptos_router",
    "getrandom",
];

/// `package`'s dependencies (normal ones only, on every target), to
/// `depth` levels (`None`: all).
fn tree(package: &str, depth: Option<u32>) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.args([
        "tree",
        // Not offline: `--target all` reads crates of other platforms
        // (Windows, Android) that a build here never downloads.
        "--locked", "-e", "normal", "--target", "all", "--prefix", "none", "--format", "{p}", "-p",
        package,
    ]);
    if let Some(depth) = depth {
        command.args(["--depth", &depth.to_string()]);
    }
    let out = command.output().expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

fn banned(found: &BTreeSet<String>, bans: &[&str]) -> Vec<String> {
    bans.iter()
        .filter(|b| found.contains(**b))
        .map(|b| b.to_string())
        .collect()
}

#[test]
fn the_domain_and_the_wire_format_reach_no_io() {
    for package in ["portal-domain", "portal-sync"] {
        let found = tree(package, None);
        assert!(found.contains("uuid"), "the tree was read: {found:?}");
        assert_eq!(banned(&found, IO), Vec::<String>::new(), "{package}");
    }
}

#[test]
fn the_client_reaches_no_ui_no_http_and_no_browser_api_of_its_own() {
    let all = tree("portal-client", None);
    assert!(all.contains("portal-store"), "the tree was read: {all:?}");
    let ui_or_http = [
        "leptos",
        "leptos_router",
        "gloo-net",
        "reqwest",
        "axum",
        "hyper",
        "sqlx",
    ];
    assert_eq!(banned(&all, &ui_or_http), Vec::<String>::new());
    // The store reaches IndexedDB on wasm32; the client itself does not.
    let direct = tree("portal-client", Some(1));
    assert_eq!(banned(&direct, IO), Vec::<String>::new());
}

#[test]
fn the_app_is_built_on_the_client() {
    let direct = tree("portal-ledger", Some(1));
    assert!(direct.contains("portal-client"), "{direct:?}");
}
