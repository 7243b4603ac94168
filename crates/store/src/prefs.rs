//! Small preferences kept in localStorage: never events, which live in the
//! store. A missing or unreadable value reads as the default.

use gloo_storage::{LocalStorage, Storage};
use serde::{de::DeserializeOwned, Serialize};

const PREFIX: &str = "portal-ledger.";

pub fn get<T: DeserializeOwned + Default>(key: &str) -> T {
    LocalStorage::get(format!("{PREFIX}{key}")).unwrap_or_default()
}

/// Saves `value`; a full or blocked localStorage is reported, not hidden.
pub fn set<T: Serialize>(key: &str, value: &T) -> Result<(), String> {
    LocalStorage::set(format!("{PREFIX}{key}"), value).map_err(|e| e.to_string())
}

pub fn forget(key: &str) {
    LocalStorage::delete(format!("{PREFIX}{key}"));
}
