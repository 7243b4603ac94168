//! What the browser supplies to the pure domain: the time, randomness for
//! new ids and credential secrets.

use chrono::{DateTime, Utc};
use portal_domain::{CredentialKey, IdSource};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The wall clock.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

/// Bytes from the platform's cryptographic random source.
fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    let crypto = web_sys::window().and_then(|w| w.crypto().ok());
    let filled = crypto.is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    // Every browser that runs wasm has `crypto`; the portal refuses to make
    // secrets from anything weaker.
    assert!(filled, "the browser offers no cryptographic random source");
    bytes
}

/// A random (version 4) id for a new application or credential.
pub fn new_uuid() -> Uuid {
    uuid::Builder::from_random_bytes(random()).into_uuid()
}

/// Time-ordered event ids from the browser's random source.
pub struct BrowserIds;

impl IdSource for BrowserIds {
    fn next_v7(&mut self, unix_millis: u64) -> Uuid {
        uuid::Builder::from_unix_timestamp_millis(unix_millis, &random()).into_uuid()
    }
}

/// A new credential secret, shown once, and the key the log keeps of it.
pub fn new_secret() -> (String, CredentialKey) {
    let secret = format!("plk_{}", hex(&random::<24>()));
    let hash = format!("{:x}", Sha256::digest(secret.as_bytes()));
    let key = CredentialKey::parse(&secret[..12], &hash)
        .expect("a generated prefix and a SHA-256 digest are always valid");
    (secret, key)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Yields to the browser, so that it can paint what changed: long work
/// calls it between steps so that progress shows. (A timer, not an
/// animation frame, which a hidden tab never gets.)
pub async fn yield_now() {
    sleep(0).await;
}

/// Waits `millis` milliseconds.
pub async fn sleep(millis: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, millis);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
