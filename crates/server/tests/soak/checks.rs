//! How the simulated devices end: all online, synced until nothing moves,
//! and then checked against the server's log.

use crate::client::Client;
use crate::remote::SoakRemote;
use portal_domain::{Envelope, EventId, Portal};
use portal_store::SyncState;
use std::collections::HashMap;

/// Every device comes online and syncs, round after round, until two
/// rounds in a row move nothing.
pub async fn settle_all(devices: &mut [Client]) {
    let mut quiet_rounds = 0;
    for _ in 0..50 {
        let before: Vec<usize> = devices.iter().map(|d| d.tally.pulled).collect();
        for device in devices.iter_mut() {
            device.online = true;
            device
                .sync()
                .await
                .expect("a sync with the server up succeeds");
        }
        let moved = devices
            .iter()
            .zip(&before)
            .any(|(d, b)| d.tally.pulled != *b || d.pending() > 0);
        quiet_rounds = if moved { 0 } else { quiet_rounds + 1 };
        if quiet_rounds == 2 {
            return;
        }
    }
    let pending: Vec<(String, usize)> = devices
        .iter()
        .map(|d| (d.name.clone(), d.pending()))
        .collect();
    let stuck: Vec<String> = devices
        .iter()
        .flat_map(|d| d.pending_events())
        .map(|e| {
            format!(
                "{} v{} by {}: {:?}",
                e.stream_id,
                e.stream_version,
                e.actor,
                e.event.event_type()
            )
        })
        .take(10)
        .collect();
    panic!("the devices did not settle once all were online: pending {pending:?}; {stuck:#?}");
}

/// Nothing lost, nothing twice: every device's log is the server's, and
/// every event a device decided is on the server, superseded or rejected.
pub async fn check_end(devices: &[Client], on_server: &[Envelope]) {
    for (event, position) in on_server.iter().zip(1u64..) {
        assert_eq!(event.global_position, Some(position), "gap-free");
    }
    let server_portal = Portal::fold(on_server.iter());
    let by_device = count_by_device(on_server);
    for device in devices {
        check_device(device, on_server, &server_portal).await;
        let t = &device.tally;
        let stored = by_device.get(&device.device.id().0).copied().unwrap_or(0);
        assert_eq!(
            t.produced,
            stored + t.superseded + t.rejected,
            "{}: every event it decided is on the server, superseded or rejected",
            device.name
        );
    }
    assert_eq!(
        by_device.values().sum::<usize>(),
        on_server.len(),
        "the server holds only the devices' events and its processors'"
    );
    // The processes' events are the server's processors' alone (ADR 30),
    // each written once for its cause.
    let ours: std::collections::HashSet<_> = devices.iter().map(|d| d.device.id()).collect();
    let mut causes = std::collections::HashSet::new();
    for event in on_server.iter().filter(|e| e.actor.is_process()) {
        assert!(
            !ours.contains(&event.device),
            "a device wrote a process's event: {event:?}"
        );
        assert!(
            causes.insert((event.causation_id, event.event_type())),
            "a process's event written twice for one cause: {event:?}"
        );
    }
}

/// The server's whole log.
pub async fn pull_all(remote: &SoakRemote) -> Vec<Envelope> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let (status, text) = remote
            .get(&format!("/api/v1/pull?after={after}"))
            .await
            .expect("the server answers");
        assert_eq!(status, 200, "{text}");
        let page: serde_json::Value = serde_json::from_str(&text).unwrap();
        for event in page["events"].as_array().unwrap() {
            out.push(portal_sync::decode(&event.to_string()).unwrap());
        }
        after = page["next"].as_u64().unwrap();
        if page["more"] != serde_json::Value::Bool(true) {
            return out;
        }
    }
}

fn count_by_device(log: &[Envelope]) -> HashMap<uuid::Uuid, usize> {
    let mut counts = HashMap::new();
    for event in log {
        *counts.entry(event.device.0).or_default() += 1;
    }
    counts
}

/// The device's log, in the server's order, is the server's log.
async fn check_device(device: &Client, on_server: &[Envelope], server_portal: &Portal) {
    assert_eq!(device.pending(), 0, "{}: nothing pending", device.name);
    let loaded = portal_store::EventStore::read_all(device.device.store())
        .await
        .unwrap();
    let machine = device.device.machine();
    let states = device.device.sync_states();
    let mut counted: Vec<(u64, &Envelope)> = machine
        .log()
        .iter()
        .zip(states.iter())
        .map(|(e, s)| match s {
            SyncState::Synced {
                global_position, ..
            } => (*global_position, e),
            other => panic!("{}: a counted event is {other:?}", device.name),
        })
        .collect();
    counted.sort_by_key(|(g, _)| *g);
    assert_eq!(
        counted.len(),
        on_server.len(),
        "{}: as many events",
        device.name
    );
    for ((position, mine), theirs) in counted.iter().zip(on_server) {
        assert_eq!(Some(*position), theirs.global_position, "{}", device.name);
        assert_eq!(mine.event_id, theirs.event_id, "{}", device.name);
        let bare = |e: &Envelope| Envelope {
            global_position: None,
            recorded_at: None,
            ..e.clone()
        };
        assert_eq!(
            bare(mine),
            bare(theirs),
            "{}: the same content",
            device.name
        );
    }
    // What the device does not count is exactly what it set aside.
    let set_aside = loaded.events.iter().filter(|e| !e.sync.is_live()).count();
    assert_eq!(
        set_aside,
        device.tally.superseded + device.tally.rejected,
        "{}: set aside is superseded plus rejected",
        device.name
    );
    let ids: std::collections::HashSet<EventId> =
        loaded.events.iter().map(|e| e.envelope.event_id).collect();
    assert_eq!(
        ids.len(),
        loaded.events.len(),
        "{}: no event twice",
        device.name
    );
    for app in server_portal.apps() {
        let mine = machine
            .head()
            .app(app.id())
            .expect("the device knows every application");
        assert_eq!(
            mine.record, app.record,
            "{}: the same application",
            device.name
        );
        assert_eq!(mine.is_deleted(), app.is_deleted(), "{}", device.name);
    }
    assert_eq!(machine.head().apps().count(), server_portal.apps().count());
}
