//! Listening to the server's live subscription (`GET /api/v1/events`,
//! Server-Sent Events) so that another device's change is pulled at once
//! instead of at the next poll. Only that something arrived matters: the
//! round pulls what it is, in its own shape. `fetch` reads the stream,
//! since an `EventSource` cannot send the session token.

use super::settings::Settings;
use gloo_net::http::Request;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Why a subscription ended.
pub type Ended = String;

/// Follows the tenant's log after `after`, calling `arrived` whenever an
/// event comes, until the stream ends or fails, or `wanted` says to stop
/// (checked with each chunk; the server's heartbeat comes every 15 s).
pub async fn listen(
    settings: Settings,
    after: u64,
    arrived: &dyn Fn(),
    wanted: &dyn Fn() -> bool,
) -> Result<(), Ended> {
    let url = format!("{}/events?after={after}", settings.api());
    let response = Request::get(&url)
        .header(
            "authorization",
            &format!("Bearer {}", settings.token.trim()),
        )
        .header("accept", "text/event-stream")
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.ok() {
        return Err(format!("the server answered {}", response.status()));
    }
    let body = response.body().ok_or("an answer without a body")?;
    let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|_| "the stream broke".to_owned())?;
        let done = Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            return Ok(());
        }
        let bytes: Uint8Array = Reflect::get(&chunk, &"value".into())
            .map_err(|_| "an unreadable chunk".to_owned())?
            .unchecked_into();
        // An event is a line starting with `data:`; a heartbeat is a comment.
        if String::from_utf8_lossy(&bytes.to_vec()).contains("data:") {
            arrived();
        }
        if !wanted() {
            let _ = reader.cancel();
            return Ok(());
        }
    }
}
