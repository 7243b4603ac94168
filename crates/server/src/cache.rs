//! How long a browser may keep what the server sends of the app.
//!
//! A file whose name carries a content hash (Trunk's and the post-build step's
//! `name-<16 hex>.ext`) never changes, so it is kept for a year without
//! asking again. Everything else (the page, a client-side route, sw.js) is
//! asked for again every time: left to the browser's heuristics, a reload
//! after a release could get the old page, which names the old release's
//! files and service worker.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// Middleware over the app's files: sets `Cache-Control` on every answer
/// that has none.
pub async fn policy(request: Request, next: Next) -> Response {
    let hashed = is_hashed(request.uri().path());
    let mut response = next.run(request).await;
    let value = if hashed && response.status().is_success() {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(value);
    response
}

/// Whether the last segment of `path` is `stem-<16 hex digits>.ext`, or
/// `stem-<16 hex digits>_bg.ext` as wasm-bindgen names the main module.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    let Some((stem, _ext)) = name.split_once('.') else {
        return false;
    };
    let Some((_, tail)) = stem.rsplit_once('-') else {
        return false;
    };
    let hash = tail.strip_suffix("_bg").unwrap_or(tail);
    hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn only_content_hashed_names_are_immutable() {
        for hashed in [
            "/portal-ledger-9d54007459d27b69_bg.wasm",
            "/portal-ledger-9d54007459d27b69.js",
            "/split_sync-09c8205c460e5608.wasm",
            "/main-67943eb25ca5797e.css",
        ] {
            assert!(is_hashed(hashed), "{hashed}");
        }
        for not in [
            "/",
            "/index.html",
            "/sw.js",
            "/applications/7",
            "/app-12.js",
            "/a-ghijklmnopqrstuv.js",
        ] {
            assert!(!is_hashed(not), "{not}");
        }
    }
}
