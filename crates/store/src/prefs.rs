//! Small preferences kept in localStorage: never events, which live in the
//! store. Each is text, stored as a JSON string (the form earlier builds
//! wrote). The browser's own JSON reads and writes it: a JSON library here
//! would be code every start downloads (ADR 20). A missing or unreadable
//! value reads as empty.

use wasm_bindgen::JsValue;

const PREFIX: &str = "portal-ledger.";

fn storage() -> Result<web_sys::Storage, String> {
    web_sys::window()
        .ok_or("there is no window")?
        .local_storage()
        .map_err(|e| format!("localStorage is blocked: {}", describe(&e)))?
        .ok_or_else(|| "this browser has no localStorage".to_owned())
}

fn describe(error: &JsValue) -> String {
    js_sys::Error::from(error.clone())
        .message()
        .as_string()
        .unwrap_or_else(|| "unknown error".to_owned())
}

pub fn get(key: &str) -> String {
    storage()
        .ok()
        .and_then(|s| s.get_item(&format!("{PREFIX}{key}")).ok().flatten())
        .and_then(|raw| js_sys::JSON::parse(&raw).ok())
        .and_then(|value| value.as_string())
        .unwrap_or_default()
}

/// Saves `value`; a full or blocked localStorage is reported, not hidden.
pub fn set(key: &str, value: &str) -> Result<(), String> {
    let text = js_sys::JSON::stringify(&JsValue::from_str(value))
        .map_err(|e| describe(&e))?
        .as_string()
        .unwrap_or_default();
    storage()?
        .set_item(&format!("{PREFIX}{key}"), &text)
        .map_err(|e| describe(&e))
}

pub fn forget(key: &str) {
    if let Ok(storage) = storage() {
        let _ = storage.remove_item(&format!("{PREFIX}{key}"));
    }
}

/// Preferences of this tab alone (sessionStorage: gone when the tab
/// closes, and never seen by other tabs), as plain text: which workspace
/// the tab shows, say, which another tab must not follow.
pub mod tab {
    use super::PREFIX;

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.session_storage().ok()?
    }

    pub fn get(key: &str) -> String {
        storage()
            .and_then(|s| s.get_item(&format!("{PREFIX}{key}")).ok().flatten())
            .unwrap_or_default()
    }

    /// Saves `value`; a blocked or full sessionStorage is reported.
    pub fn set(key: &str, value: &str) -> Result<(), String> {
        storage()
            .ok_or("this tab keeps nothing (sessionStorage is blocked)")?
            .set_item(&format!("{PREFIX}{key}"), value)
            .map_err(|_| "this tab has no room to keep it".to_owned())
    }

    pub fn forget(key: &str) {
        if let Some(storage) = storage() {
            let _ = storage.remove_item(&format!("{PREFIX}{key}"));
        }
    }
}
