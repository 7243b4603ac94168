//! The edits the post-build step makes to generated text, as functions of
//! text: each one finds exactly what it replaces, or fails, so a change in
//! what a tool generates stops the build instead of shipping a page that
//! names a file that is not there.

use anyhow::{bail, Result};
use sha2::{Digest, Sha256};

/// The first 16 hex digits of the SHA-256 of `parts`, one after another.
pub fn hash(parts: &[&[u8]]) -> String {
    let mut digest = Sha256::new();
    for part in parts {
        digest.update(part);
    }
    let hex: String = digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    hex[..16].to_owned()
}

/// `stem-<hash of bytes>.ext`: the name of a file whose name says what it
/// holds (the server keeps such files in browsers for good).
pub fn hashed_name(stem: &str, ext: &str, bytes: &[u8]) -> String {
    format!("{stem}-{}.{ext}", hash(&[bytes]))
}

/// Replaces the one occurrence of `from` in `text` with `to`.
pub fn replace_once(text: &str, from: &str, to: &str, what: &str) -> Result<String> {
    match text.matches(from).count() {
        1 => Ok(text.replacen(from, to, 1)),
        0 => bail!("{what}: {from:?} is not in the file"),
        n => bail!("{what}: {from:?} is in the file {n} times"),
    }
}

/// The loader that wasm-split writes names each page's module
/// `"./<stem>.wasm"`; the staged file is `renamed`.
pub fn loader_names(loader: &str, stem: &str, renamed: &str) -> Result<String> {
    replace_once(
        loader,
        &format!("\"./{stem}.wasm\""),
        &format!("\"./{renamed}\""),
        "the module loader",
    )
}

/// Replaces every occurrence of `from` in `text`, of which there must be one.
pub fn replace_all(text: &str, from: &str, to: &str, what: &str) -> Result<String> {
    if !text.contains(from) {
        bail!("{what}: {from:?} is not in the file");
    }
    Ok(text.replace(from, to))
}

/// wasm-bindgen's glue imports the loader as `./__wasm_split.js`, once for
/// each page.
pub fn glue_imports(glue: &str, loader_file: &str) -> Result<String> {
    replace_all(
        glue,
        "from \"./__wasm_split.js\"",
        &format!("from \"./{loader_file}\""),
        "the wasm-bindgen glue",
    )
}

/// Names the release and the modules the service worker keeps for offline
/// use in the page's head (`sw.js` and `index.html` read them).
pub fn page_meta(page: &str, release: &str, modules: &[String]) -> Result<String> {
    let meta = format!(
        "<meta name=\"release\" content=\"{release}\"><meta name=\"lazy-modules\" content=\"{}\"></head>",
        modules.join(" ")
    );
    replace_once(page, "</head>", &meta, "index.html")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_name_follows_the_bytes() {
        let a = hashed_name("split_sync", "wasm", b"one");
        assert_eq!(a, hashed_name("split_sync", "wasm", b"one"));
        assert_ne!(a, hashed_name("split_sync", "wasm", b"two"));
        let hash = a
            .strip_prefix("split_sync-")
            .and_then(|r| r.strip_suffix(".wasm"))
            .unwrap();
        assert_eq!(hash.len(), 16);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn the_loader_and_the_glue_name_the_hashed_files() {
        let loader = r#"const a = "./split_sync.wasm"; const b = "./split_sync_2.wasm";"#;
        let loader =
            loader_names(loader, "split_sync", "split_sync-0123456789abcdef.wasm").unwrap();
        assert_eq!(
            loader,
            r#"const a = "./split_sync-0123456789abcdef.wasm"; const b = "./split_sync_2.wasm";"#
        );
        let glue = glue_imports(
            "import { a } from \"./__wasm_split.js\";\nimport { b } from \"./__wasm_split.js\";",
            "__wasm_split-0123456789abcdef.js",
        )
        .unwrap();
        assert_eq!(
            glue,
            "import { a } from \"./__wasm_split-0123456789abcdef.js\";\nimport { b } from \"./__wasm_split-0123456789abcdef.js\";"
        );
        assert!(glue_imports("no import", "x.js").is_err());
    }

    #[test]
    fn what_is_not_there_stops_the_build() {
        let missing = loader_names("nothing here", "split_sync", "x.wasm").unwrap_err();
        assert!(
            missing.to_string().contains("is not in the file"),
            "{missing}"
        );
        let twice = replace_once("</head></head>", "</head>", "", "index.html").unwrap_err();
        assert!(twice.to_string().contains("2 times"), "{twice}");
    }

    #[test]
    fn the_page_names_its_release_and_modules() {
        let page = page_meta(
            "<html><head><title>P</title></head><body></body></html>",
            "fe79de0c58cf6373",
            &["/a.js".to_owned(), "/b.wasm".to_owned()],
        )
        .unwrap();
        assert_eq!(
            page,
            "<html><head><title>P</title><meta name=\"release\" content=\"fe79de0c58cf6373\"><meta name=\"lazy-modules\" content=\"/a.js /b.wasm\"></head><body></body></html>"
        );
    }
}
