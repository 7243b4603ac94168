//! `tool-versions` is the one place a tool's version is written: the
//! setup reads it, and what must agree with it elsewhere (the wasm-bindgen
//! crate the app links, the versions Trunk is told it has) is checked here,
//! so a bump in one place and not the other fails the tests, not a build on
//! a fresh machine.

use std::collections::BTreeMap;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(root().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn tool_versions() -> BTreeMap<String, String> {
    let mut versions = BTreeMap::new();
    for line in read("tool-versions").lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(tool), Some(version), None) = (words.next(), words.next(), words.next()) else {
            panic!("tool-versions: {line:?} is not `name version`");
        };
        let again = versions.insert(tool.to_owned(), version.to_owned());
        assert!(again.is_none(), "tool-versions names {tool} twice");
    }
    versions
}

fn toml(name: &str) -> toml::Table {
    read(name).parse().unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn the_app_links_the_wasm_bindgen_that_setup_installs() {
    let want = &tool_versions()["wasm-bindgen"];
    let manifest = toml("Cargo.toml");
    assert_eq!(
        manifest["dependencies"]["wasm-bindgen"].as_str(),
        Some(format!("={want}").as_str()),
        "Cargo.toml pins wasm-bindgen to tool-versions' {want}"
    );
    let lock = toml("Cargo.lock");
    let locked: Vec<&str> = lock["package"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"].as_str() == Some("wasm-bindgen"))
        .filter_map(|p| p["version"].as_str())
        .collect();
    assert_eq!(locked, [want.as_str()], "Cargo.lock holds one wasm-bindgen");
}

#[test]
fn trunk_is_told_the_versions_setup_installs() {
    let versions = tool_versions();
    let tools = &toml("Trunk.toml")["tools"];
    assert_eq!(
        tools["wasm_bindgen"].as_str(),
        Some(versions["wasm-bindgen"].as_str())
    );
    let major = versions["binaryen"].split('.').next().unwrap();
    assert_eq!(
        tools["wasm_opt"].as_str(),
        Some(format!("version_{major}").as_str())
    );
}

#[test]
fn setup_reads_every_version_and_writes_none() {
    let setup = read("scripts/setup.sh");
    for tool in tool_versions().keys() {
        assert!(
            setup.contains(&format!("$(version {tool})")),
            "scripts/setup.sh reads the version of {tool}"
        );
    }
    for line in setup.lines() {
        let assigned = line.split_once("_VERSION=").map(|(_, v)| v);
        if let Some(value) = assigned {
            assert!(
                value.starts_with("$(version "),
                "a version written in scripts/setup.sh: {line}"
            );
        }
    }
}
