//! The OpenAPI schemas of what this crate puts on the wire, for the
//! server's document (the `openapi` feature; the browser never builds it).
//! Each enumeration is read from the type it documents, so a new event
//! type or error code is in the document the moment it exists; the
//! server's tests check the envelope's fields against what the codec
//! writes and requires.

use crate::problem::ErrorCode;
use portal_domain::values::MAX_NAME_CHARS;
use portal_domain::{EventKind, EventType};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

impl PartialSchema for ErrorCode {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(ErrorCode::ALL.iter().map(|c| c.as_str())))
            .description(Some(
                "Stable: programs match on it. A newer server may add codes; read an unknown one by its status.",
            ))
            .into()
    }
}

impl ToSchema for ErrorCode {}

/// The schema of `portal_domain::Envelope`, one event as the codec writes
/// it (`codec::encode`) and reads it (`codec::decode`).
pub struct EnvelopeSchema;

impl PartialSchema for EnvelopeSchema {
    fn schema() -> RefOr<Schema> {
        let uuid = || format(Type::String, KnownFormat::Uuid);
        let time = || format(Type::String, KnownFormat::DateTime);
        let kinds = [EventKind::Business, EventKind::DomainModel]
            .map(|k| serde_json::to_value(k).unwrap_or_default());
        let schema = ObjectBuilder::new()
            .description(Some(
                "One event as the shared codec writes it (ADR 5). `global_position` and `recorded_at` are assigned by the server and ignored on push.",
            ))
            .property("event_id", uuid())
            .property("stream_id", uuid())
            .property("stream_version", integer(1))
            .property("occurred_at", time())
            .property(
                "type",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(EventType::ALL.iter().map(|t| t.name()))),
            )
            .property(
                "kind",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(kinds)),
            )
            .property("schema_version", integer(1))
            .property(
                "data",
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .description(Some("The event's own fields; which ones depends on `type`.")),
            )
            .property("correlation_id", uuid())
            .property("causation_id", nullable(Type::String).format(uuid_format()))
            .property(
                "actor",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(MAX_NAME_CHARS)),
            )
            .property("device", uuid())
            .property("global_position", nullable(Type::Integer).minimum(Some(1)))
            .property(
                "recorded_at",
                nullable(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
            );
        let required = [
            "event_id",
            "stream_id",
            "stream_version",
            "occurred_at",
            "type",
            "kind",
            "schema_version",
            "data",
            "correlation_id",
            "actor",
            "device",
        ];
        required
            .into_iter()
            .fold(schema, |s, field| s.required(field))
            .into()
    }
}

impl ToSchema for EnvelopeSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "Envelope".into()
    }
}

fn format(of: Type, known: KnownFormat) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(of)
        .format(Some(SchemaFormat::KnownFormat(known)))
}

fn uuid_format() -> Option<SchemaFormat> {
    Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))
}

fn integer(minimum: u64) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(minimum))
}

fn nullable(of: Type) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::from_iter([of, Type::Null]))
}
