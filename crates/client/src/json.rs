//! The sync API's JSON forms, as every client writes and reads them: the
//! body of a push, the answer to a push, and a pulled page (for servers
//! that do not write this build's binary pages). Each event stays raw text
//! until the codec reads it: no JSON tree.

use crate::remote::{CallError, Page, Placed};
use chrono::{DateTime, Utc};
use portal_domain::Envelope;
use portal_sync::problem::ErrorBody;
use serde::Deserialize;
use serde_json::value::RawValue;

/// The body of `POST /push`.
pub fn push_body(events: &[Envelope]) -> String {
    let lines: Vec<String> = events.iter().map(portal_sync::encode).collect();
    format!("{{\"events\":[{}]}}", lines.join(","))
}

#[derive(Deserialize)]
struct PushReply {
    events: Vec<PushedEvent>,
}

#[derive(Deserialize)]
struct PushedEvent {
    global_position: u64,
    recorded_at: DateTime<Utc>,
}

/// Where the server placed each pushed event, from its answer.
pub fn read_push(text: &str) -> Result<Vec<Placed>, CallError> {
    let reply: PushReply = serde_json::from_str(text)
        .map_err(|e| CallError::Server(format!("an unreadable answer: {e}")))?;
    Ok(reply
        .events
        .into_iter()
        .map(|p| Placed {
            global_position: p.global_position,
            recorded_at: p.recorded_at,
        })
        .collect())
}

#[derive(Deserialize)]
struct PullReply {
    events: Vec<Box<RawValue>>,
    next: u64,
    more: bool,
}

/// A pulled page in the JSON form.
pub fn read_pull(text: &str) -> Result<Page, CallError> {
    let reply: PullReply = serde_json::from_str(text)
        .map_err(|e| CallError::Server(format!("an unreadable page: {e}")))?;
    let events = reply
        .events
        .iter()
        .map(|raw| portal_sync::decode(raw.get()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CallError::Server(format!("an unreadable event: {e}")))?;
    Ok(Page {
        events,
        next: reply.next,
        more: reply.more,
    })
}

/// What an error answer with this body means (see [`CallError::from_answer`]).
pub fn refusal(status: u16, text: &str, retry_after: Option<u64>) -> CallError {
    CallError::from_answer(
        status,
        serde_json::from_str::<ErrorBody>(text).ok(),
        retry_after,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use portal_sync::problem::ErrorCode;

    #[test]
    fn a_push_answer_is_read_in_order_and_a_broken_one_is_a_server_fault() {
        let placed = read_push(
            r#"{"events":[
                {"event_id":"a","global_position":7,"recorded_at":"2026-01-02T03:04:05Z"},
                {"event_id":"b","global_position":8,"recorded_at":"2026-01-02T03:04:06Z"}]}"#,
        )
        .unwrap();
        assert_eq!(
            placed.iter().map(|p| p.global_position).collect::<Vec<_>>(),
            [7, 8]
        );
        assert!(matches!(
            read_push("{\"events\":"),
            Err(CallError::Server(_))
        ));
    }

    #[test]
    fn an_empty_page_reads_and_a_broken_event_is_a_server_fault() {
        let page = read_pull(r#"{"events":[],"next":42,"more":false}"#).unwrap();
        assert_eq!((page.events.len(), page.next, page.more), (0, 42, false));
        let broken = read_pull(r#"{"events":[{"type":"NOPE"}],"next":1,"more":false}"#);
        assert!(matches!(broken, Err(CallError::Server(why)) if why.contains("unreadable event")));
    }

    #[test]
    fn an_error_body_is_read_by_its_code() {
        let text = serde_json::to_string(&ErrorBody::bare(
            ErrorCode::StreamVersionConflict,
            "changed",
        ))
        .unwrap();
        assert_eq!(
            refusal(409, &text, None),
            CallError::Conflict("changed".into())
        );
        assert_eq!(
            refusal(502, "<html>bad gateway</html>", None),
            CallError::Server("HTTP 502".into())
        );
    }
}
