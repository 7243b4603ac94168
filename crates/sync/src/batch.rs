//! The binary push body: a batch of events in their stored shape
//! (`binary`), postcard-encoded, as a pull page carries them. The browser
//! writes it without building JSON and the server reads it without parsing
//! JSON; JSON stays the documented form, which every client may send.
//!
//! Sent with `Content-Type: application/vnd.portal-ledger.batch; schema=N`.
//! A server that reads another schema answers 415 `unsupported_media_type`,
//! and the client sends the same batch as JSON instead.

use crate::binary::{EventShape, EVENT_SCHEMA};
use portal_domain::{Envelope, Interner};
use serde::{Deserialize, Serialize};

pub const MEDIA_TYPE: &str = "application/vnd.portal-ledger.batch";

/// The `Content-Type` of a batch in this build's event schema.
pub fn content_type() -> String {
    format!("{MEDIA_TYPE}; schema={EVENT_SCHEMA}")
}

/// Whether a `Content-Type` names the binary batch, in any schema.
pub fn is_batch(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(MEDIA_TYPE))
}

/// The event schema a batch's `Content-Type` names, if it names one.
pub fn schema_of(content_type: &str) -> Option<u16> {
    content_type.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        (k.trim() == "schema").then(|| v.trim().parse().ok())?
    })
}

#[derive(Serialize, Deserialize)]
struct BatchShape<'a> {
    /// Read first, so that a batch in another schema is refused by name
    /// instead of misread.
    schema: u16,
    #[serde(borrow)]
    events: Vec<EventShape<'a>>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BatchError {
    #[error("the batch is in event schema {0}, and this server reads {EVENT_SCHEMA}")]
    Schema(u16),
    #[error("the batch cannot be read: {0}")]
    Unreadable(String),
    #[error("events[{index}]: {why}")]
    Invalid { index: usize, why: String },
}

/// Writes a batch of events to push. What the server assigns (global
/// position, recorded time) is not written.
pub fn encode(events: &[Envelope]) -> Vec<u8> {
    let batch = BatchShape {
        schema: EVENT_SCHEMA,
        events: events.iter().map(EventShape::from).collect(),
    };
    postcard::to_allocvec(&batch).expect("postcard encodes a batch into a Vec")
}

/// Reads a batch, checking every event's values as the JSON codec would.
/// Bytes after the batch are refused: a body is one batch.
pub fn decode(bytes: &[u8]) -> Result<Vec<Envelope>, BatchError> {
    let (schema, _) = postcard::take_from_bytes::<u16>(bytes)
        .map_err(|e| BatchError::Unreadable(e.to_string()))?;
    if !crate::binary::readable(schema) {
        return Err(BatchError::Schema(schema));
    }
    let (batch, rest) = postcard::take_from_bytes::<BatchShape<'_>>(bytes)
        .map_err(|e| BatchError::Unreadable(e.to_string()))?;
    if !rest.is_empty() {
        return Err(BatchError::Unreadable(format!(
            "{} bytes follow the batch",
            rest.len()
        )));
    }
    let mut interner = Interner::new();
    batch
        .events
        .into_iter()
        .enumerate()
        .map(|(index, shape)| {
            shape
                .into_envelope(&mut interner)
                .map_err(|e| BatchError::Invalid {
                    index,
                    why: e.to_string(),
                })
        })
        .collect()
}
