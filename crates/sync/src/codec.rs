//! Encoding and decoding envelopes, with the type and schema version checked
//! before the data is trusted.

use chrono::{DateTime, Utc};
use portal_domain::{
    Actor, CorrelationId, DeviceId, Envelope, Event, EventId, EventKind, EventType, Interner,
    StreamId,
};
use serde::{Deserialize, Serialize};
use serde_json::error::Category;
use serde_json::value::RawValue;
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
    #[error("{0}")]
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
/// An envelope as it arrives: read in one pass, with the event's data kept
/// as raw text until its type has been checked. (Reading the envelope
/// directly would go through its flattened event, which buffers every
/// field; this is several times faster.)
#[derive(Deserialize)]
struct Incoming<'a> {
    stream_id: StreamId,
    stream_version: u64,
    occurred_at: DateTime<Utc>,
    #[serde(rename = "type", borrow)]
    event_type: std::borrow::Cow<'a, str>,
    schema_version: u16,
    kind: EventKind,
    #[serde(borrow)]
    data: &'a RawValue,
    event_id: EventId,
    correlation_id: CorrelationId,
    causation_id: Option<EventId>,
    actor: Actor,
    device: DeviceId,
    recorded_at: Option<DateTime<Utc>>,
    global_position: Option<u64>,
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
    let incoming: Incoming<'_> = serde_json::from_str(line).map_err(|e| match e.classify() {
        Category::Data => DecodeError::Invalid(e.to_string()),
        _ => DecodeError::Json(e.to_string()),
    })?;
    let event_type = EventType::from_name(&incoming.event_type)
        .ok_or_else(|| DecodeError::UnknownType(incoming.event_type.to_string()))?;
    if incoming.schema_version > event_type.schema_version() {
        return Err(DecodeError::FutureVersion {
            event_type,
            found: incoming.schema_version,
            known: event_type.schema_version(),
        });
    }
    if incoming.kind != event_type.kind() {
        return Err(DecodeError::WrongKind {
            event_type,
            expected: event_type.kind().label(),
            found: incoming.kind.label(),
        });
    }
    let tagged = format!(
        "{{\"type\":\"{}\",\"data\":{}}}",
        event_type.name(),
        incoming.data.get()
    );
    let event: Event =
        serde_json::from_str(&tagged).map_err(|e| DecodeError::Invalid(format!("data: {e}")))?;
    Ok(Envelope {
        stream_id: incoming.stream_id,
        stream_version: incoming.stream_version,
        occurred_at: incoming.occurred_at,
        event,
        event_id: incoming.event_id,
        correlation_id: incoming.correlation_id,
        causation_id: incoming.causation_id,
        actor: incoming.actor,
        device: incoming.device,
        recorded_at: incoming.recorded_at,
        global_position: incoming.global_position,
    }
    // Kept to the microsecond, as every store keeps it (ADR 12).
    .into_microseconds())
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
