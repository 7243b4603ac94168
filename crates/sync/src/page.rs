//! The binary pull page: the events of a pull in their stored shape
//! (`binary`), postcard-encoded. A fresh browser reads it several times
//! faster than JSON and stores it without a second encoding step's worth of
//! parsing; JSON stays the default and the documented form.
//!
//! A client asks for it with `Accept: application/vnd.portal-ledger.page;
//! schema=N`. The server answers in it only when it writes that event
//! schema; otherwise it answers JSON, unless the page holds an event type
//! newer than schema N: a build of schema N cannot read it, and is told to
//! update (`update_required`) rather than given what it would fail on.

use crate::binary::{EventShape, Micros, EVENT_SCHEMA};
use chrono::{DateTime, Utc};
use portal_domain::Envelope;
use serde::{Deserialize, Serialize};

pub const MEDIA_TYPE: &str = "application/vnd.portal-ledger.page";

/// The `Accept` and `Content-Type` value for this build's event schema.
pub fn content_type() -> String {
    format!("{MEDIA_TYPE}; schema={EVENT_SCHEMA}")
}

/// Whether an `Accept` header asks for the binary page in the schema this
/// build writes. Anything else (`*/*`, JSON, another schema) gets JSON.
pub fn accepts(accept: &str) -> bool {
    accept.split(',').any(|range| {
        let mut parts = range.split(';').map(str::trim);
        parts
            .next()
            .is_some_and(|t| t.eq_ignore_ascii_case(MEDIA_TYPE))
            && parts.any(|param| {
                param.split_once('=').is_some_and(|(k, v)| {
                    k.trim() == "schema" && v.trim().parse() == Ok(EVENT_SCHEMA)
                })
            })
    })
}

/// The event schema an `Accept` header names for the binary page, if it
/// asks for one: the schema of the portal build asking.
pub fn schema_asked(accept: &str) -> Option<u16> {
    accept.split(',').find_map(|range| {
        let mut parts = range.split(';').map(str::trim);
        if !parts.next()?.eq_ignore_ascii_case(MEDIA_TYPE) {
            return None;
        }
        parts.find_map(|param| {
            let (k, v) = param.split_once('=')?;
            (k.trim() == "schema").then(|| v.trim().parse().ok())?
        })
    })
}

#[derive(Serialize, Deserialize)]
struct PageShape<'a> {
    /// Read first, so that a page written in another schema is refused by
    /// name instead of misread.
    schema: u16,
    next: u64,
    more: bool,
    #[serde(borrow)]
    events: Vec<PlacedEvent<'a>>,
}

#[derive(Serialize, Deserialize)]
struct PlacedEvent<'a> {
    global_position: u64,
    recorded_at: Micros,
    #[serde(borrow)]
    event: EventShape<'a>,
}

/// A page of pulled events, read.
#[derive(Debug, PartialEq)]
pub struct Page {
    pub events: Vec<Envelope>,
    pub next: u64,
    pub more: bool,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PageError {
    #[error("every pulled event needs its global position and recorded time (event {0})")]
    Unplaced(portal_domain::EventId),
    #[error("the page is in event schema {0}, and this build reads {EVENT_SCHEMA}")]
    Schema(u16),
    #[error("the page cannot be read: {0}")]
    Unreadable(String),
    #[error("event {index} of the page is invalid: {why}")]
    Invalid { index: usize, why: String },
}

/// Writes a page of placed events (each with its global position and
/// recorded time).
pub fn encode(events: &[Envelope], next: u64, more: bool) -> Result<Vec<u8>, PageError> {
    let events = events
        .iter()
        .map(|e| match (e.global_position, e.recorded_at) {
            (Some(global_position), Some(recorded_at)) => Ok(PlacedEvent {
                global_position,
                recorded_at: recorded_at.into(),
                event: EventShape::from(e),
            }),
            _ => Err(PageError::Unplaced(e.event_id)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let page = PageShape {
        schema: EVENT_SCHEMA,
        next,
        more,
        events,
    };
    Ok(postcard::to_allocvec(&page).expect("postcard encodes a page into a Vec"))
}

/// An event already in its shape (`binary::encode`), with its place.
pub struct Shaped<'a> {
    pub global_position: u64,
    pub recorded_at: DateTime<Utc>,
    pub shape: &'a [u8],
}

/// Writes a page from events already in their shape, byte for byte what
/// `encode` writes for the same events: a postcard struct is its fields
/// one after another, and a sequence its length before its items.
pub fn encode_shaped(events: &[Shaped<'_>], next: u64, more: bool) -> Vec<u8> {
    let size = events.iter().map(|e| e.shape.len() + 16).sum::<usize>() + 24;
    let mut out = Vec::with_capacity(size);
    put(&(EVENT_SCHEMA, next, more, events.len()), &mut out);
    for event in events {
        put(
            &(event.global_position, Micros::from(event.recorded_at)),
            &mut out,
        );
        out.extend_from_slice(event.shape);
    }
    out
}

fn put<T: Serialize>(value: &T, out: &mut Vec<u8>) {
    let bytes = postcard::to_allocvec(value).expect("postcard encodes into a Vec");
    out.extend_from_slice(&bytes);
}

/// Reads a page, checking every event as the JSON codec would.
pub fn decode(bytes: &[u8]) -> Result<Page, PageError> {
    let (schema, _) = postcard::take_from_bytes::<u16>(bytes)
        .map_err(|e| PageError::Unreadable(e.to_string()))?;
    if !crate::binary::readable(schema) {
        return Err(PageError::Schema(schema));
    }
    let page: PageShape<'_> =
        postcard::from_bytes(bytes).map_err(|e| PageError::Unreadable(e.to_string()))?;
    let mut interner = portal_domain::Interner::new();
    let events = page
        .events
        .into_iter()
        .enumerate()
        .map(|(index, placed)| {
            let invalid = |why: String| PageError::Invalid { index, why };
            let mut envelope = placed
                .event
                .into_envelope(&mut interner)
                .map_err(|e| invalid(e.to_string()))?;
            let recorded_at: DateTime<Utc> = placed
                .recorded_at
                .try_into()
                .map_err(|e: crate::binary::StoredShapeError| invalid(e.to_string()))?;
            envelope.recorded_at = Some(recorded_at);
            envelope.global_position = Some(placed.global_position);
            Ok(envelope)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        events,
        next: page.next,
        more: page.more,
    })
}
