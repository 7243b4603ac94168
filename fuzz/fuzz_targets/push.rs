//! Any push body, read as JSON and as a binary batch (ADR 37), gets either
//! a checked batch or a 4xx that says what is wrong, never a panic or a
//! 5xx. An accepted batch is within limits, holds each id once, and every
//! stored body reads back as the event it came from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portal_server::api::{read_binary_push, read_push, MAX_BATCH};
use portal_server::error::ApiError;
use portal_server::storage::Incoming;
use std::collections::HashSet;

fuzz_target!(|data: &[u8]| {
    checked(read_push(data));
    checked(read_binary_push(data));
});

fn checked(read: Result<Vec<Incoming>, ApiError>) {
    let batch = match read {
        Ok(batch) => batch,
        Err(e) => {
            assert!(e.status.is_client_error(), "{}: {}", e.status, e.message);
            assert!(!e.message.is_empty(), "a refusal says why");
            return;
        }
    };
    assert!(!batch.is_empty() && batch.len() <= MAX_BATCH);
    let mut ids = HashSet::new();
    for incoming in &batch {
        assert!(ids.insert(incoming.event_id), "an id twice in one batch");
        let stored = portal_sync::decode(&incoming.body).expect("a stored body decodes");
        assert_eq!(stored.event_id.0, incoming.event_id);
        assert_eq!(stored.stream_id.0, incoming.stream_id);
        assert_eq!(stored.stream_version, incoming.stream_version);
        assert!(stored.global_position.is_none() && stored.recorded_at.is_none());
    }
}
