//! A release build's post-processing, on the files Trunk staged, under the
//! names Trunk chose (ADR 17). Trunk 0.21 has no step for it, so this
//! redoes what Trunk did after linking:
//!   wasm-split   the linked module -> the main module, one module per page,
//!                and `__wasm_split.js`, their loader;
//!   wasm-bindgen the main module (keeping the table the pages import);
//!   wasm-opt     every module;
//! then names each file by its content, names the release and the pages'
//! modules in `index.html` (for `sw.js`), minifies the scripts (esbuild),
//! and writes every file's compressed twins.

use crate::{compress, rewrite};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn run(linked: &Path, staging: &Path) -> Result<()> {
    let name = main_stem(staging)?;
    let dir = tempfile::tempdir()?;
    let work = dir.path();
    let split = work.join("split");
    let bindgen = work.join("bindgen");

    tool(
        Command::new("wasm-split-cli")
            .arg(linked)
            .arg(&split)
            .args(["--out-name", &name]),
    )?;
    tool(
        Command::new("wasm-bindgen")
            .args(["--target", "web", "--keep-lld-exports", "--no-typescript"])
            .arg("--out-dir")
            .arg(&bindgen)
            .args(["--out-name", &name])
            .arg(split.join(format!("{name}.wasm"))),
    )?;
    let main_wasm = staging.join(format!("{name}_bg.wasm"));
    shrink(&bindgen.join(format!("{name}_bg.wasm")), &main_wasm)?;

    let mut loader = read(&split.join("__wasm_split.js"))?;
    let mut modules = Vec::new();
    for chunk in wasm_files(&split)? {
        let stem = file_stem(&chunk);
        if stem == name {
            continue;
        }
        let shrunk = work.join(format!("{stem}.wasm"));
        shrink(&chunk, &shrunk)?;
        let file = rewrite::hashed_name(&stem, "wasm", &std::fs::read(&shrunk)?);
        std::fs::rename(&shrunk, staging.join(&file))?;
        loader = rewrite::loader_names(&loader, &stem, &file)?;
        modules.push(file);
    }
    modules.sort();
    let loader_file = rewrite::hashed_name("__wasm_split", "js", loader.as_bytes());
    std::fs::write(staging.join(&loader_file), &loader)?;
    let glue = read(&bindgen.join(format!("{name}.js")))?;
    let main_js = staging.join(format!("{name}.js"));
    std::fs::write(&main_js, rewrite::glue_imports(&glue, &loader_file)?)?;

    // A release is named by its main module and its loader, which names
    // every page's module by its hash: any change to the code moves it.
    let release = rewrite::hash(&[&std::fs::read(&main_wasm)?, loader.as_bytes()]);
    let mut listed = vec![format!("/{loader_file}")];
    listed.extend(modules.iter().map(|m| format!("/{m}")));
    let index = staging.join("index.html");
    std::fs::write(
        &index,
        rewrite::page_meta(&read(&index)?, &release, &listed)?,
    )?;

    // The scripts are generated and read by no one: minified, they are a
    // quarter smaller compressed.
    for script in [main_js, staging.join(&loader_file), staging.join("sw.js")] {
        tool(
            Command::new("esbuild")
                .args(["--minify", "--log-level=error", "--allow-overwrite"])
                .arg(&script)
                .arg(format!("--outfile={}", script.display())),
        )?;
    }

    for entry in std::fs::read_dir(staging)? {
        let path = entry?.path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if matches!(ext, "wasm" | "js" | "css" | "html") {
            compress::twins(&path)?;
        }
    }
    Ok(())
}

/// The stem Trunk gave the app (`portal-ledger-<hash>`), from its script.
fn main_stem(staging: &Path) -> Result<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(staging)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name
            .strip_suffix(".js")
            .filter(|s| s.starts_with("portal-ledger-"))
        {
            found.push(stem.to_owned());
        }
    }
    match found.as_slice() {
        [one] => Ok(one.clone()),
        _ => bail!(
            "expected one portal-ledger-*.js in {}, found {found:?}",
            staging.display()
        ),
    }
}

fn wasm_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wasm") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn shrink(from: &Path, to: &Path) -> Result<()> {
    tool(
        Command::new("wasm-opt")
            .arg("-Oz")
            // Rust links the stack first: the data starts at 1 MiB and the
            // lowest KiB is only ever the far end of a full stack, so
            // address arithmetic may assume it unused (1.6 KB gzipped).
            .arg("--low-memory-unused")
            // Which tools built a module is of no use to a browser.
            .arg("--strip-producers")
            .arg(from)
            .arg("-o")
            .arg(to),
    )
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn tool(command: &mut Command) -> Result<()> {
    let program = command.get_program().to_string_lossy().into_owned();
    let status = command
        .status()
        .with_context(|| format!("{program} could not be started: run scripts/setup.sh"))?;
    if !status.success() {
        bail!("{program} failed ({status})");
    }
    Ok(())
}
