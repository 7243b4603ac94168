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

mod checks;
mod client;
mod remote;

use checks::{check_end, pull_all, settle_all};
use client::Client;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use remote::SoakRemote;
use std::time::{Duration, Instant};
use support::binary::{database_for_binary, free_port, rss_kib, start, until_healthy};
use support::BackendKind;

const TOKEN: &str = "soak-token-0001";
const DEVICES: usize = 4;

/// When each device next does what.
struct Schedule {
    edit: Instant,
    sync: Instant,
    offline_until: Option<Instant>,
}

async fn soak(backend: BackendKind) {
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
        let remote = SoakRemote::http(&base, TOKEN);
        devices.push(Client::new(&format!("dev-{i}"), 100 + i as u64, remote).await);
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

    settle_all(&mut devices).await;
    let on_server = pull_all(&SoakRemote::http(&base, TOKEN)).await;
    let _ = server.kill();
    let _ = server.wait();
    let elapsed = started.elapsed();
    check_end(&devices, &on_server).await;
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
    soak(BackendKind::Sqlite).await;
}

#[tokio::test]
async fn four_devices_on_postgres_end_with_the_servers_log() {
    soak(BackendKind::Postgres).await;
}
