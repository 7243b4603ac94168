//! Issue 6, item 17: the soak. Four simulated devices edit the same
//! applications, go offline for seconds at a time, and sync against the
//! real server binary, on SQLite and on PostgreSQL. When time is up every
//! device comes online and syncs until nothing moves. "Nothing lost" means:
//! - every device's log is the server's: the same events, with the same
//!   content and global positions, and nothing pending; the applications
//!   each device folds are the ones the server's order folds;
//! - the counts add up: every event a device decided is on the server,
//!   superseded (decided again after a conflict) or rejected, exactly one of
//!   these, and the server holds nothing else;
//! - the server's memory stays flat.
//!
//! CI runs SOAK_SECONDS=20 per backend (the default). The long run:
//! `SOAK_SECONDS=1800 cargo test --release -p portal-server --test soak -- --nocapture --test-threads 1`

#[path = "../support/mod.rs"]
mod support;

mod client;

use client::Client;
use portal_domain::{Envelope, EventId, Portal};
use portal_store::SyncState;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::binary::{database_for_binary, free_port, rss_kib, start, until_healthy};
use support::Backend;

const TOKEN: &str = "soak-token-0001";
const DEVICES: usize = 4;

/// When each device next does what.
struct Schedule {
    edit: Instant,
    sync: Instant,
    offline_until: Option<Instant>,
}

async fn soak(backend: Backend) {
    let seconds: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let database = database_for_binary(backend.database(dir.path()).await);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(&database, port, TOKEN, "soak");
    until_healthy(&reqwest::Client::new(), &base).await;

    let mut devices = Vec::new();
    for i in 0..DEVICES {
        devices.push(Client::new(&format!("dev-{i}"), 100 + i as u64, &base, TOKEN).await);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut schedule: Vec<Schedule> = (0..DEVICES)
        .map(|_| Schedule {
            edit: started,
            sync: started,
            offline_until: None,
        })
        .collect();
    let mut rss = Vec::new();
    let mut next_sample = started;
    let mut offline_spells = 0;
    let mut sync_errors = 0;

    while Instant::now() < deadline {
        let now = Instant::now();
        if now >= next_sample {
            rss.push(rss_kib(server.id()).expect("the server's memory is readable"));
            next_sample += Duration::from_secs(1);
        }
        for (device, when) in devices.iter_mut().zip(&mut schedule) {
            if when.offline_until.is_some_and(|t| now >= t) {
                when.offline_until = None;
                device.online = true;
            }
            if now >= when.edit {
                device.edit().await;
                when.edit = now + Duration::from_millis(rng.random_range(100..400));
            }
            if now >= when.sync && device.online {
                if device.sync().await.is_err() {
                    sync_errors += 1;
                }
                when.sync = now + Duration::from_millis(rng.random_range(300..1500));
                // Now and then the device loses the network for a while.
                if rng.random_bool(0.05) {
                    device.online = false;
                    offline_spells += 1;
                    let spell = Duration::from_millis(rng.random_range(2_000..12_000));
                    when.offline_until = Some(now + spell);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // Everyone comes online and syncs until nothing moves.
    let mut quiet_rounds = 0;
    for _ in 0..50 {
        let before: Vec<usize> = devices.iter().map(|d| d.tally.pulled).collect();
        for device in &mut devices {
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
            break;
        }
    }
    assert_eq!(quiet_rounds, 2, "the devices settle once all are online");

    let on_server = pull_all(&base).await;
    let _ = server.kill();
    let _ = server.wait();
    let elapsed = started.elapsed();

    for (event, position) in on_server.iter().zip(1u64..) {
        assert_eq!(event.global_position, Some(position), "gap-free");
    }
    let server_portal = Portal::fold(on_server.iter());
    let by_device = count_by_device(&on_server);
    for device in &devices {
        check_device(device, &on_server, &server_portal).await;
        let t = &device.tally;
        let stored = by_device.get(&device.device.0).copied().unwrap_or(0);
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
        "the server holds only the devices' events"
    );
    check_memory_flat(&rss);

    let tallies: Vec<String> = devices.iter().map(|d| format!("{:?}", d.tally)).collect();
    println!(
        "soak {backend:?}: {:.0} s, {} events on the server, {offline_spells} offline spells, \
         {sync_errors} syncs failed and were retried, server RSS KiB first {} max {} last {}\n  {}",
        elapsed.as_secs_f64(),
        on_server.len(),
        rss.first().unwrap(),
        rss.iter().max().unwrap(),
        rss.last().unwrap(),
        tallies.join("\n  ")
    );
    assert!(
        devices.iter().all(|d| d.tally.commands > 0),
        "every device edited"
    );
}

async fn pull_all(base: &str) -> Vec<Envelope> {
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page: serde_json::Value = http
            .get(format!("{base}/api/v1/pull?after={after}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
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
    let mut counted: Vec<(u64, &Envelope)> = device
        .portal
        .log()
        .iter()
        .zip(&device.states)
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
    let loaded = portal_store::EventStore::read_all(&device.store)
        .await
        .unwrap();
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
        let mine = device
            .portal
            .app(app.id())
            .expect("the device knows every application");
        assert_eq!(
            mine.record, app.record,
            "{}: the same application",
            device.name
        );
        assert_eq!(mine.is_deleted(), app.is_deleted(), "{}", device.name);
    }
    assert_eq!(device.portal.apps().count(), server_portal.apps().count());
}

/// After a warm-up (the first fifth), the second half's peak is within a
/// quarter (plus 8 MiB of allocator slack) of the first half's.
fn check_memory_flat(rss: &[u64]) {
    assert!(rss.len() >= 5, "the server's memory was sampled");
    let warm = &rss[rss.len() / 5..];
    let (first, second) = warm.split_at(warm.len() / 2);
    let (Some(a), Some(b)) = (first.iter().max(), second.iter().max()) else {
        return;
    };
    assert!(
        *b <= a + a / 4 + 8 * 1024,
        "the server's memory grew: {a} KiB then {b} KiB ({rss:?})"
    );
}

#[tokio::test]
async fn four_devices_on_sqlite_end_with_the_servers_log() {
    soak(Backend::Sqlite).await;
}

#[tokio::test]
async fn four_devices_on_postgres_end_with_the_servers_log() {
    soak(Backend::Postgres).await;
}
