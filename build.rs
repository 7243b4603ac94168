//! The shipped build (`--features split`) keeps its relocations, which
//! `wasm-split` reads to move the pages of `src/lazy.rs` into modules of
//! their own (`cargo xtask post-build`).

fn main() {
    println!("cargo:rerun-if-env-changed=CARGO_FEATURE_SPLIT");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32");
    // Debug builds keep the pages in the main module (see `src/lazy.rs`).
    let release = std::env::var("PROFILE").as_deref() == Ok("release");
    if wasm && release && std::env::var_os("CARGO_FEATURE_SPLIT").is_some() {
        println!("cargo:rustc-link-arg-bins=--emit-relocs");
    }
}
