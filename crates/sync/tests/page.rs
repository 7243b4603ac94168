//! The binary pull page: what the JSON page says, in fewer bytes, and
//! refusals that name the problem.

use chrono::{TimeZone, Utc};
use portal_domain::demo::{DemoConfig, DemoGenerator};
use portal_domain::Envelope;
use portal_sync::binary::{self, EVENT_SCHEMA};
use portal_sync::page::{self, PageError};

/// A demo history as a server hands it out: placed, in order.
fn placed() -> Vec<Envelope> {
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    DemoGenerator::generate(DemoConfig::year(5, 2000))
        .into_iter()
        .enumerate()
        .map(|(i, mut e)| {
            e.global_position = Some(i as u64 + 1);
            e.recorded_at = Some(start + chrono::Duration::microseconds(i as i64 * 1_234_567));
            e
        })
        .collect()
}

#[test]
fn a_page_reads_back_event_for_event() {
    let events = placed();
    let bytes = page::encode(&events, 2000, true).unwrap();
    let read = page::decode(&bytes).unwrap();
    assert_eq!(read.next, 2000);
    assert!(read.more);
    assert_eq!(read.events, events);
}

#[test]
fn equal_texts_in_a_page_share_one_copy_after_decoding() {
    use portal_domain::Event;
    let read = page::decode(&page::encode(&placed(), 2000, false).unwrap()).unwrap();
    // Each text once per kind: its first copy's address.
    let mut first: std::collections::HashMap<(&str, String), *const u8> = Default::default();
    let mut shared = 0;
    let mut check = |kind: &'static str, text: &str| match first.get(&(kind, text.to_owned())) {
        Some(&seen) => {
            assert_eq!(seen, text.as_ptr(), "the {kind} {text} decoded twice");
            shared += 1;
        }
        None => {
            first.insert((kind, text.to_owned()), text.as_ptr());
        }
    };
    for e in &read.events {
        check("actor", e.actor.as_str());
        match &e.event {
            Event::ApiProductAdded { product, .. } | Event::ApiProductRemoved { product, .. } => {
                check("product", product.as_str())
            }
            Event::ApplicationInsert(app) | Event::ApplicationUpdate(app) => {
                check("name", app.name.as_str());
                check("owner", app.owner.as_str());
            }
            _ => {}
        }
    }
    assert!(shared > 1000, "{shared}");
}

#[test]
fn an_empty_last_page_reads_back() {
    let read = page::decode(&page::encode(&[], 17, false).unwrap()).unwrap();
    assert_eq!((read.events.len(), read.next, read.more), (0, 17, false));
}

#[test]
fn a_page_is_several_times_smaller_than_the_same_events_as_json() {
    let events = placed();
    let binary = page::encode(&events, 2000, false).unwrap().len();
    let json: usize = events
        .iter()
        .map(|e| portal_sync::encode(e).len() + 1)
        .sum();
    assert!(binary * 2 < json, "binary {binary} B against JSON {json} B");
}

#[test]
fn an_event_without_its_place_is_not_written() {
    let mut events = placed();
    events[3].global_position = None;
    assert_eq!(
        page::encode(&events, 4, false),
        Err(PageError::Unplaced(events[3].event_id))
    );
}

#[test]
fn a_page_in_another_schema_is_refused_by_name() {
    let mut bytes = page::encode(&placed()[..3], 3, false).unwrap();
    // The schema is the first field: a u16 varint, one byte below 128.
    bytes[0] = (EVENT_SCHEMA + 1) as u8;
    let err = page::decode(&bytes).unwrap_err();
    assert_eq!(err, PageError::Schema(EVENT_SCHEMA + 1));
    assert!(err.to_string().contains("schema"));
}

#[test]
fn a_cut_short_page_is_an_error_at_every_length() {
    let bytes = page::encode(&placed()[..20], 20, false).unwrap();
    for cut in 0..bytes.len() {
        assert!(
            page::decode(&bytes[..cut]).is_err(),
            "{cut} of {} bytes read as a page",
            bytes.len()
        );
    }
}

#[test]
fn an_invalid_event_inside_a_page_is_named_by_its_index() {
    let events = placed();
    let bytes = page::encode(&events[..10], 10, false).unwrap();
    // Blank the first byte of every occurrence of the first event's actor:
    // the text is still UTF-8 of the same length, but not a valid actor.
    let actor = events[0].actor.as_str().as_bytes().to_vec();
    let mut broken = bytes.clone();
    let at = broken
        .windows(actor.len())
        .position(|w| w == actor.as_slice())
        .expect("the actor is in the page");
    broken[at..at + actor.len()].fill(b' ');
    match page::decode(&broken) {
        Err(PageError::Invalid { index, why }) => {
            assert_eq!(index, 0, "{why}");
        }
        other => panic!("expected an invalid event, got {other:?}"),
    }
}

#[test]
fn only_a_request_for_this_schema_gets_the_binary_page() {
    let this = page::content_type();
    assert!(page::accepts(&this));
    assert!(page::accepts(&format!("application/json;q=0.5, {this}")));
    assert!(page::accepts(&format!(
        "{}; q=1 ; schema = {EVENT_SCHEMA}",
        page::MEDIA_TYPE.to_uppercase()
    )));
    for other in [
        "",
        "*/*",
        "application/json",
        page::MEDIA_TYPE,
        &format!("{}; schema={}", page::MEDIA_TYPE, EVENT_SCHEMA + 1),
        &format!("application/json; schema={EVENT_SCHEMA}"),
    ] {
        assert!(!page::accepts(other), "{other:?}");
    }
}

#[test]
fn a_page_written_from_shapes_is_the_page_written_from_events() {
    let events = placed();
    let shapes: Vec<Vec<u8>> = events.iter().map(binary::encode).collect();
    let shaped: Vec<page::Shaped<'_>> = events
        .iter()
        .zip(&shapes)
        .map(|(e, shape)| page::Shaped {
            global_position: e.global_position.unwrap(),
            recorded_at: e.recorded_at.unwrap(),
            shape,
        })
        .collect();
    for (range, next, more) in [
        (0..0, 0, false),
        (0..1, 1, true),
        (0..events.len(), 9, false),
    ] {
        assert_eq!(
            page::encode_shaped(&shaped[range.clone()], next, more),
            page::encode(&events[range], next, more).unwrap()
        );
    }
}

#[test]
fn a_tagged_shape_is_read_only_in_this_builds_schema() {
    let event = &placed()[0];
    let tagged = binary::tagged(event);
    assert_eq!(
        binary::untag(&tagged),
        Some(binary::encode(event).as_slice())
    );
    let mut newer = tagged.clone();
    newer[..2].copy_from_slice(&(EVENT_SCHEMA + 1).to_le_bytes());
    assert_eq!(binary::untag(&newer), None);
    assert_eq!(binary::untag(&tagged[..1]), None);
    // A shape the first schema wrote reads as it is: schemas 2 and 3 only
    // added types.
    let mut first = tagged.clone();
    first[..2].copy_from_slice(&binary::READS_FROM.to_le_bytes());
    assert_eq!(binary::untag(&first), Some(&tagged[2..]));
}

#[test]
fn a_page_of_the_first_schema_reads_and_each_type_names_its_schema() {
    let events = placed();
    let mut bytes = page::encode(&events[..3], 3, false).unwrap();
    bytes[0] = binary::READS_FROM as u8;
    assert_eq!(page::decode(&bytes).unwrap().events, events[..3]);
    use portal_domain::EventType;
    let of_schema = |schema| -> Vec<EventType> {
        EventType::ALL
            .into_iter()
            .filter(|t| binary::introduced_in(*t) == schema)
            .collect()
    };
    assert_eq!(
        of_schema(2),
        [
            EventType::OfferMade,
            EventType::OfferTakenUp,
            EventType::OfferDeclined
        ]
    );
    assert_eq!(
        of_schema(EVENT_SCHEMA),
        [
            EventType::ApiProductInsert,
            EventType::ApiProductUpdate,
            EventType::ApiProductRetired
        ]
    );
    assert!(EventType::ALL
        .into_iter()
        .all(|t| binary::readable(binary::introduced_in(t))));
}

#[test]
fn the_schema_an_older_build_asks_in_is_read_from_its_accept_header() {
    let old = format!("{}; schema=1, application/json;q=0.5", page::MEDIA_TYPE);
    assert_eq!(page::schema_asked(&old), Some(1));
    assert_eq!(
        page::schema_asked(&page::content_type()),
        Some(EVENT_SCHEMA)
    );
    assert_eq!(page::schema_asked("application/json"), None);
    assert_eq!(page::schema_asked("*/*"), None);
}
