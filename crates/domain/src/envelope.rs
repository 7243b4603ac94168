//! The envelope every stored event travels in (ARCHITECTURE.md, and ADR 5
//! for its stored form).

use crate::command::CommandMeta;
use crate::event::{Event, EventKind, EventType};
use crate::ids::{CorrelationId, DeviceId, EventId, IdSource, StreamId};
use crate::values::Actor;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

// `repr(C)` keeps the fields folding reads (stream, version, time, event)
// together at the front, so replaying a long log touches fewer cache lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(C)]
pub struct Envelope {
    pub stream_id: StreamId,
    /// 1 for a stream's first event, then +1 for each event.
    pub stream_version: u64,
    /// The deciding device's clock. Order follows the log, never this clock.
    pub occurred_at: DateTime<Utc>,
    #[serde(flatten)]
    pub event: Event,
    /// A UUID v7 made on the deciding device: the idempotency key.
    pub event_id: EventId,
    pub correlation_id: CorrelationId,
    pub causation_id: Option<EventId>,
    pub actor: Actor,
    pub device: DeviceId,
    /// The server's clock, once synced.
    pub recorded_at: Option<DateTime<Utc>>,
    /// The server-assigned position, once synced.
    pub global_position: Option<u64>,
}

impl Envelope {
    pub fn event_type(&self) -> EventType {
        self.event.event_type()
    }

    pub fn kind(&self) -> EventKind {
        self.event.kind()
    }

    pub fn schema_version(&self) -> u16 {
        self.event.schema_version()
    }

    /// A reference other events can name as their cause.
    pub fn as_cause(&self) -> EventRef {
        EventRef {
            event_id: self.event_id,
            correlation_id: self.correlation_id,
        }
    }
}

/// An event as a cause: its id, and the correlation its effects inherit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EventRef {
    pub event_id: EventId,
    pub correlation_id: CorrelationId,
}

impl EventRef {
    /// Metadata for a command a process issues in reaction to this event.
    pub fn meta_for(&self, actor: Actor, device: DeviceId) -> CommandMeta {
        CommandMeta {
            actor,
            device,
            causation_id: Some(self.event_id),
            correlation_id: Some(self.correlation_id),
        }
    }
}

/// Wraps the events one command decided into envelopes, numbering them from
/// `current_version + 1`. Ids come from `ids`, stamped with the command's time.
pub fn seal(
    events: Vec<Event>,
    at: DateTime<Utc>,
    meta: &CommandMeta,
    current_version: u64,
    ids: &mut impl IdSource,
) -> Vec<Envelope> {
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    let mut correlation = meta.correlation_id;
    events
        .into_iter()
        .zip(current_version + 1..)
        .map(|(event, stream_version)| {
            let event_id = EventId(ids.next_v7(millis));
            let correlation_id = *correlation.get_or_insert(CorrelationId(event_id.0));
            Envelope {
                event_id,
                stream_id: event.stream_id(),
                stream_version,
                occurred_at: at,
                recorded_at: None,
                global_position: None,
                actor: meta.actor.clone(),
                device: meta.device,
                causation_id: meta.causation_id,
                correlation_id,
                event,
            }
        })
        .collect()
}
