//! The real server binary, started as an operator runs it, for the tests
//! that kill it or watch its memory.
#![allow(dead_code)] // Each test crate uses part of it.

use portal_server::storage::Database;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// The binary keeps its SQLite file as `portal.sqlite3` in its data directory.
pub fn database_for_binary(database: Database) -> Database {
    match database {
        Database::Sqlite(path) => Database::Sqlite(path.with_file_name("portal.sqlite3")),
        other => other,
    }
}

/// Starts the binary on `port` with one token for tenant `tenant`, and a
/// rate limit high enough not to get in the way.
pub fn start(database: &Database, port: u16, token: &str, tenant: &str) -> Child {
    command(database, port, token, tenant)
        .spawn()
        .expect("the server starts")
}

/// The command [`start`] runs, to add to before it is spawned.
pub fn command(database: &Database, port: u16, token: &str, tenant: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portal-server"));
    command
        .env("PORTAL_LISTEN", format!("127.0.0.1:{port}"))
        .env("PORTAL_TOKENS", format!("{token}={tenant}"))
        .env("PORTAL_RATE", "100000")
        .env("PORTAL_DIST", "/nonexistent")
        .env_remove("DATABASE_URL")
        .env_remove("NATS_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    match database {
        Database::Sqlite(path) => command.env("PORTAL_DATA_DIR", path.parent().unwrap()),
        Database::Postgres(url) => command.env("DATABASE_URL", url),
    };
    command
}

pub async fn until_healthy(client: &reqwest::Client, base: &str) {
    let started = Instant::now();
    while client
        .get(format!("{base}/api/v1/health"))
        .send()
        .await
        .map_or(true, |r| !r.status().is_success())
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A process's resident memory, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
