//! The stored and wire format: round trips, and refusals that name the problem.

use portal_domain::demo::{DemoConfig, DemoGenerator};
use portal_sync::{decode, decode_ndjson, encode, encode_ndjson, DecodeError};

fn sample() -> Vec<portal_domain::Envelope> {
    DemoGenerator::generate(DemoConfig::year(3, 3000))
}

#[test]
fn every_envelope_survives_a_round_trip() {
    let log = sample();
    let text = encode_ndjson(&log);
    assert_eq!(decode_ndjson(&text).unwrap(), log);
}

#[test]
fn an_encoded_envelope_names_its_type_kind_and_schema_version() {
    let log = sample();
    let value: serde_json::Value = serde_json::from_str(&encode(&log[0])).unwrap();
    assert_eq!(value["type"], "APPLICATION_INSERT");
    assert_eq!(value["kind"], "domain_model");
    assert_eq!(value["schema_version"], 1);
    assert_eq!(value["stream_version"], 1);
    assert!(value["data"]["name"].is_string());
}

#[test]
fn a_credential_event_holds_a_prefix_and_a_hash_but_no_secret() {
    let log = sample();
    let insert = log
        .iter()
        .find(|e| e.event_type() == portal_domain::EventType::CredentialInsert)
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(&encode(insert)).unwrap();
    let data = value["data"].as_object().unwrap();
    assert!(data.contains_key("key_prefix") && data.contains_key("secret_hash"));
    assert!(!data
        .keys()
        .any(|k| k.contains("secret") && k != "secret_hash"));
}

fn mutate(f: impl FnOnce(&mut serde_json::Value)) -> String {
    let log = sample();
    let mut value: serde_json::Value = serde_json::from_str(&encode(&log[2])).unwrap();
    f(&mut value);
    value.to_string()
}

#[test]
fn an_unknown_event_type_is_refused_by_name() {
    let line = mutate(|v| v["type"] = "APPLICATION_TELEPORTED".into());
    assert_eq!(
        decode(&line),
        Err(DecodeError::UnknownType("APPLICATION_TELEPORTED".into()))
    );
}

#[test]
fn a_future_schema_version_is_refused() {
    let line = mutate(|v| v["schema_version"] = 9.into());
    assert!(matches!(
        decode(&line),
        Err(DecodeError::FutureVersion {
            found: 9,
            known: 1,
            ..
        })
    ));
}

#[test]
fn a_kind_that_contradicts_the_type_is_refused() {
    let line = mutate(|v| {
        let flipped = if v["kind"] == "business" {
            "domain_model"
        } else {
            "business"
        };
        v["kind"] = flipped.into();
    });
    assert!(matches!(decode(&line), Err(DecodeError::WrongKind { .. })));
}

#[test]
fn data_that_breaks_a_rule_is_refused() {
    let log = sample();
    let mut value: serde_json::Value = serde_json::from_str(&encode(&log[0])).unwrap();
    value["data"]["name"] = "x".repeat(101).into();
    let error = decode(&value.to_string()).unwrap_err();
    assert!(
        matches!(error, DecodeError::Invalid(ref m) if m.contains("at most 100 characters")),
        "{error}"
    );
}

#[test]
fn a_missing_field_is_refused() {
    let line = mutate(|v| {
        v.as_object_mut().unwrap().remove("stream_id");
    });
    assert!(matches!(decode(&line), Err(DecodeError::Invalid(ref m)) if m.contains("stream_id")));
}

#[test]
fn a_bad_line_is_reported_with_its_number() {
    let log = sample();
    let mut lines: Vec<String> = log[..5].iter().map(encode).collect();
    lines[3] = "{not json".into();
    let error = decode_ndjson(&lines.join("\n")).unwrap_err();
    assert_eq!(error.line, 4);
    assert!(matches!(error.error, DecodeError::Json(_)));
}

#[test]
fn blank_lines_are_skipped() {
    let log = sample();
    let text = format!("\n{}\n\n{}\n", encode(&log[0]), encode(&log[1]));
    assert_eq!(decode_ndjson(&text).unwrap(), log[..2].to_vec());
}

#[test]
fn repeated_product_names_and_reasons_share_one_copy_after_decoding() {
    use portal_domain::Event;
    let log = decode_ndjson(&encode_ndjson(&sample())).unwrap();
    let mut first: std::collections::HashMap<String, *const u8> = Default::default();
    let mut shared = 0;
    for e in &log {
        if let Event::ApiProductAdded { product, .. } | Event::ApiProductRemoved { product, .. } =
            &e.event
        {
            let ptr = product.as_str().as_ptr();
            match first.get(product.as_str()) {
                Some(&seen) => {
                    assert_eq!(seen, ptr, "{product} decoded twice");
                    shared += 1;
                }
                None => {
                    first.insert(product.to_string(), ptr);
                }
            }
        }
    }
    assert!(shared > 100, "{shared}");
}

#[test]
fn times_are_read_to_the_microsecond() {
    let log = sample();
    // An application record and a credential: every time they carry.
    for wanted in [
        portal_domain::EventType::ApplicationInsert,
        portal_domain::EventType::CredentialInsert,
    ] {
        let event = log.iter().find(|e| e.event_type() == wanted).unwrap();
        let mut value: serde_json::Value = serde_json::from_str(&encode(event)).unwrap();
        let fine = serde_json::json!("2026-03-01T10:00:00.123456789Z");
        value["occurred_at"] = fine.clone();
        value["recorded_at"] = fine.clone();
        for field in [
            "plan_since",
            "created_at",
            "updated_at",
            "issued_at",
            "expires_at",
        ] {
            if value["data"].get(field).is_some() {
                value["data"][field] = fine.clone();
            }
        }
        let read = decode(&value.to_string()).unwrap();
        let text = encode(&read);
        assert!(!text.contains("123456789"), "{text}");
        assert!(text.contains("2026-03-01T10:00:00.123456Z"), "{text}");
        assert_eq!(decode(&text).unwrap(), read, "already canonical");
    }
}
