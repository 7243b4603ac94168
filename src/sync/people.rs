//! The workspace's people, as the server lists them (`GET /api/v1/people`),
//! for the owner picker. Read with the browser's own JSON, so that no JSON
//! library comes with it. The last list the server gave is kept on the
//! device, so that the picker works offline.

use super::settings::Settings;
use gloo_net::http::Request;
use portal_store::prefs;
use wasm_bindgen::{JsCast, JsValue};

/// A field of a JSON object the browser parsed, as text.
pub fn field(object: &JsValue, path: &[&str]) -> String {
    let mut value = object.clone();
    for key in path {
        value = js_sys::Reflect::get(&value, &JsValue::from_str(key)).unwrap_or(JsValue::NULL);
    }
    value.as_string().unwrap_or_default()
}

/// Someone an application can be handed over to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Colleague {
    pub email: String,
    pub name: String,
}

const REMEMBERED: &str = "sync.people";

/// The active people of the signed-in person's workspace; `None` when
/// nobody is signed in, or the server cannot be reached or says no.
pub async fn colleagues(settings: &Settings) -> Option<Vec<Colleague>> {
    settings.person.as_ref()?;
    let response = Request::get(&format!("{}/people", settings.api()))
        .header(
            "authorization",
            &format!("Bearer {}", settings.token.trim()),
        )
        .send()
        .await
        .ok()?;
    if !response.ok() {
        return None;
    }
    let text = response.text().await.ok()?;
    let list = read(&text)?;
    // Only a convenience: without it, the picker waits for the network.
    let _ = prefs::set(REMEMBERED, &text);
    Some(list)
}

/// The list the server gave last, on this device.
pub fn remembered() -> Option<Vec<Colleague>> {
    read(&prefs::get(REMEMBERED)).filter(|list| !list.is_empty())
}

/// Forgets the remembered list (on signing out: the next person may be of
/// another workspace).
pub fn forget() {
    let _ = prefs::set(REMEMBERED, "");
}

fn read(text: &str) -> Option<Vec<Colleague>> {
    let list: js_sys::Array = js_sys::JSON::parse(text).ok()?.dyn_into().ok()?;
    Some(
        list.iter()
            .map(|p| Colleague {
                email: field(&p, &["email"]),
                name: field(&p, &["display_name"]),
            })
            .filter(|c| !c.email.is_empty())
            .collect(),
    )
}
