//! One call to the server's API as the signed-in person, read with the
//! browser's own JSON by the caller: the account's pages use it.

use super::settings::Settings;
use gloo_net::http::{Request, RequestBuilder};
use portal_client::{json, CallError};

/// `method` on `path` (below `/api/v1`) with the session's token and, if
/// given, a JSON body; the answer's text when its status is `expected`.
pub async fn call(
    settings: &Settings,
    method: &str,
    path: &str,
    body: Option<String>,
    expected: u16,
) -> Result<String, CallError> {
    let url = format!("{}{path}", settings.api());
    let builder = match method {
        "POST" => Request::post(&url),
        "DELETE" => Request::delete(&url),
        _ => Request::get(&url),
    };
    let builder: RequestBuilder = if settings.token.is_empty() {
        builder
    } else {
        builder.header(
            "authorization",
            &format!("Bearer {}", settings.token.trim()),
        )
    };
    let unreachable = |e: gloo_net::Error| CallError::Unreachable(e.to_string());
    let request = match body {
        Some(body) => builder
            .header("content-type", "application/json")
            .body(body)
            .map_err(unreachable)?,
        None => builder.build().map_err(unreachable)?,
    };
    let response = request.send().await.map_err(unreachable)?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.parse().ok());
    let text = response.text().await.unwrap_or_default();
    if status == expected {
        Ok(text)
    } else {
        Err(json::refusal(status, &text, retry_after))
    }
}

/// A JSON object's text, from `pairs` of names and text values.
pub fn object(pairs: &[(&str, &str)]) -> String {
    let body = js_sys::Object::new();
    for (key, value) in pairs {
        let _ = js_sys::Reflect::set(&body, &(*key).into(), &(*value).into());
    }
    js_sys::JSON::stringify(&body)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}
