//! Encoding and decoding envelopes, with the type and schema version checked
//! before the data is trusted.

use portal_domain::{Envelope, EventKind, EventType, Interner};
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("unknown event type \"{0}\"")]
    UnknownType(String),
    #[error("{event_type} has schema version {found}, newer than this build knows ({known})")]
    FutureVersion {
        event_type: EventType,
        found: u16,
        known: u16,
    },
    #[error("{event_type} is a {expected} event, but the envelope says {found}")]
    WrongKind {
        event_type: EventType,
        expected: &'static str,
        found: &'static str,
    },
    #[error("invalid {0}")]
    Invalid(String),
}

/// A line of NDJSON that failed to decode, numbered from 1.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("line {line}: {error}")]
pub struct LineError {
    pub line: usize,
    pub error: DecodeError,
}

#[derive(Serialize)]
struct Outgoing<'a> {
    schema_version: u16,
    kind: EventKind,
    #[serde(flatten)]
    envelope: &'a Envelope,
}

/// The fields checked before the rest of the envelope is decoded.
#[derive(Deserialize)]
struct Header<'a> {
    #[serde(rename = "type", borrow)]
    event_type: std::borrow::Cow<'a, str>,
    schema_version: u16,
    kind: EventKind,
}

pub fn encode(envelope: &Envelope) -> String {
    serde_json::to_string(&Outgoing {
        schema_version: envelope.schema_version(),
        kind: envelope.kind(),
        envelope,
    })
    .unwrap_or_default()
}

pub fn decode(line: &str) -> Result<Envelope, DecodeError> {
    let header: Header<'_> =
        serde_json::from_str(line).map_err(|e| DecodeError::Json(e.to_string()))?;
    let event_type = EventType::from_name(&header.event_type)
        .ok_or_else(|| DecodeError::UnknownType(header.event_type.to_string()))?;
    if header.schema_version > event_type.schema_version() {
        return Err(DecodeError::FutureVersion {
            event_type,
            found: header.schema_version,
            known: event_type.schema_version(),
        });
    }
    if header.kind != event_type.kind() {
        return Err(DecodeError::WrongKind {
            event_type,
            expected: event_type.kind().label(),
            found: header.kind.label(),
        });
    }
    // Every type is at version 1, so there is nothing to upcast yet; an older
    // version would be rewritten to the current shape here.
    serde_json::from_str(line).map_err(|e| DecodeError::Invalid(e.to_string()))
}

pub fn encode_ndjson<'a>(log: impl IntoIterator<Item = &'a Envelope>) -> String {
    let mut out = String::new();
    for envelope in log {
        out.push_str(&encode(envelope));
        out.push('\n');
    }
    out
}

/// Decodes a whole NDJSON document, or reports the first bad line. Blank
/// lines are skipped. Repeated product names and reasons share one copy.
pub fn decode_ndjson(text: &str) -> Result<Vec<Envelope>, LineError> {
    let mut interner = Interner::new();
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let mut envelope = decode(line).map_err(|error| LineError { line: i + 1, error })?;
            interner.intern(&mut envelope);
            Ok(envelope)
        })
        .collect()
}
