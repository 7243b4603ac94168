//! The server's three calls, over `fetch`.

use super::settings::Settings;
use gloo_net::http::{Request, Response};
use portal_domain::Envelope;
use portal_sync::page;
use portal_sync::problem::{ErrorBody, ErrorCode};
use serde::Deserialize;
use serde_json::value::RawValue;

/// Why a call did not succeed, sorted by what the engine does next.
#[derive(Clone, Debug, PartialEq)]
pub enum CallError {
    /// No answer: offline, or the server is down. Retry later.
    Unreachable(String),
    /// The token was refused (401/403). Retrying will not help.
    Refused(String),
    /// Too many requests: wait this many seconds.
    Busy(u64),
    /// Another device changed a stream first (409 on a stream version).
    Conflict(String),
    /// The server refuses this content (400, 409 on an id, 413, 422).
    Invalid(String),
    /// The server failed (5xx). Retry later.
    Server(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Unreachable(why) => write!(f, "the server cannot be reached ({why})"),
            CallError::Refused(why) => write!(f, "the server refused the access token: {why}"),
            CallError::Busy(seconds) => write!(f, "the server asks to wait {seconds} s"),
            CallError::Conflict(why) | CallError::Invalid(why) => f.write_str(why),
            CallError::Server(why) => write!(f, "the server failed: {why}"),
        }
    }
}

async fn check(response: Response) -> Result<Response, CallError> {
    let status = response.status();
    if response.ok() {
        return Ok(response);
    }
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let (code, message) = match response.json::<ErrorBody>().await {
        Ok(body) => (body.code, body.error),
        Err(_) => (ErrorCode::Unknown, format!("HTTP {status}")),
    };
    // By the code, never the wording: a conflict is only what the server
    // says is one.
    Err(match (code, status) {
        (ErrorCode::StreamVersionConflict, _) => CallError::Conflict(message),
        (ErrorCode::RateLimited, _) | (_, 429) => CallError::Busy(retry_after),
        (ErrorCode::Unauthorized | ErrorCode::TokenExpired, _) | (_, 401 | 403) => {
            CallError::Refused(message)
        }
        (_, 400..=499) => CallError::Invalid(message),
        _ => CallError::Server(message),
    })
}

fn unreachable(e: gloo_net::Error) -> CallError {
    CallError::Unreachable(e.to_string())
}

/// Each event stays raw text until the codec reads it: no JSON tree.
#[derive(Deserialize)]
struct PullReply {
    events: Vec<Box<RawValue>>,
    next: u64,
    more: bool,
}

/// A page read, from either form.
pub type Page = page::Pulled;

/// The events after `after`, in `pages` pages asked for at once: positions
/// are gap-free, so page k starts after `after + k × PAGE`. The answers
/// travel together while the first ones are read. Stops at the first page
/// that says nothing more follows.
pub async fn pull_many(
    settings: &Settings,
    after: u64,
    pages: u64,
) -> Result<Vec<Page>, CallError> {
    let answers = futures::future::join_all(
        (0..pages).map(|k| pull_page(settings, after + k * u64::from(PAGE))),
    )
    .await;
    let mut out = Vec::new();
    for answer in answers {
        let page = answer?;
        let last = !page.more;
        out.push(page);
        if last {
            break;
        }
    }
    Ok(out)
}

/// The most events a page holds (the server's maximum).
pub const PAGE: u32 = 1_000;

/// One page, asked for in the binary form, which reads several times
/// faster; a server that does not write this build's schema answers JSON.
async fn pull_page(settings: &Settings, after: u64) -> Result<Page, CallError> {
    let url = format!("{}/pull?after={after}&limit={PAGE}", settings.api());
    let response = Request::get(&url)
        .header(
            "authorization",
            &format!("Bearer {}", settings.token.trim()),
        )
        .header(
            "accept",
            &format!("{}, application/json;q=0.5", page::content_type()),
        )
        .send()
        .await
        .map_err(unreachable)?;
    let response = check(response).await?;
    let binary = response
        .headers()
        .get("content-type")
        .is_some_and(|t| t.starts_with(page::MEDIA_TYPE));
    if binary {
        let bytes = response.binary().await.map_err(unreachable)?;
        page::decode(&bytes).map_err(|e| CallError::Server(format!("an unreadable page: {e}")))
    } else {
        let text = response.text().await.map_err(unreachable)?;
        crate::lazy::read_json_page(text).await.map_err(|_| {
            CallError::Unreachable("the JSON page reader could not be fetched".into())
        })?
    }
}

pub(crate) fn decode_page(text: &str) -> Result<Page, CallError> {
    let reply: PullReply = serde_json::from_str(text)
        .map_err(|e| CallError::Server(format!("an unreadable page: {e}")))?;
    let events = reply
        .events
        .iter()
        .map(|v| portal_sync::codec::decode(v.get()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CallError::Server(format!("an unreadable event: {e}")))?;
    Ok(Page {
        events,
        next: reply.next,
        more: reply.more,
    })
}

#[derive(Deserialize)]
struct Pushed {
    event_id: String,
    global_position: u64,
    recorded_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Deserialize)]
struct PushReply {
    events: Vec<Pushed>,
}

/// Stores `events` on the server; where each one was placed.
pub async fn push(
    settings: &Settings,
    events: &[Envelope],
) -> Result<Vec<(String, u64, chrono::DateTime<chrono::Utc>)>, CallError> {
    let lines: Vec<String> = events.iter().map(portal_sync::codec::encode).collect();
    let body = format!("{{\"events\":[{}]}}", lines.join(","));
    let response = Request::post(&format!("{}/push", settings.api()))
        .header(
            "authorization",
            &format!("Bearer {}", settings.token.trim()),
        )
        .header("content-type", "application/json")
        .body(body)
        .map_err(unreachable)?
        .send()
        .await
        .map_err(unreachable)?;
    let reply: PushReply = check(response)
        .await?
        .json()
        .await
        .map_err(|e| CallError::Server(format!("an unreadable answer: {e}")))?;
    Ok(reply
        .events
        .into_iter()
        .map(|p| (p.event_id, p.global_position, p.recorded_at))
        .collect())
}
