//! The sync server over loopback HTTP, with durable settings: bulk pushes
//! in batches of 500, and the latency of pushing one command's events. On a
//! fresh SQLite file (WAL, full sync), and on a fresh PostgreSQL database
//! when `PORTAL_TEST_POSTGRES` names a server (`scripts/bench-server.sh`
//! starts one). Then the same latency while another token floods the
//! server at the default rate limit (issue 6, item 14).

use crate::Args;
use portal_domain::demo::{DemoConfig, DemoGenerator};
use portal_domain::recover::{batches, commands, whole};
use portal_domain::Envelope;
use portal_server::auth::Tokens;
use portal_server::limits::Limits;
use portal_server::storage::{Database, Storage};
use portal_server::{router, ServerState};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

const TOKEN: &str = "bench-token-000";
const BATCH: usize = 500;
const COMMANDS: usize = 500;

fn body(events: &[Envelope]) -> String {
    let lines: Vec<String> = events.iter().map(portal_sync::codec::encode).collect();
    format!("{{\"events\":[{}]}}", lines.join(","))
}

/// The form a push body is sent in: JSON, or the binary batch the browser
/// sends (`portal_sync::batch`).
#[derive(Clone, Copy, PartialEq)]
enum Wire {
    Json,
    Binary,
}

impl Wire {
    fn name(self) -> &'static str {
        match self {
            Wire::Json => "JSON",
            Wire::Binary => "binary",
        }
    }

    fn content_type(self) -> String {
        match self {
            Wire::Json => "application/json".to_owned(),
            Wire::Binary => portal_sync::batch::content_type(),
        }
    }

    fn body(self, events: &[Envelope]) -> Vec<u8> {
        match self {
            Wire::Json => body(events).into_bytes(),
            Wire::Binary => portal_sync::batch::encode(events),
        }
    }
}

pub fn run(args: &Args) {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let size = args.sizes.first().copied().unwrap_or(100_000);
        let log = DemoGenerator::generate(DemoConfig::year(args.seed, size));
        let dir = tempfile::tempdir().expect("a temporary directory");
        for wire in [Wire::Json, Wire::Binary] {
            let sqlite = Database::Sqlite(dir.path().join(format!("bench-{}.sqlite3", wire.name())));
            bench(&log, "sqlite", &sqlite, wire).await;
        }
        let flooded = Database::Sqlite(dir.path().join("flood.sqlite3"));
        flood(&log, "sqlite", &flooded).await;
        match std::env::var("PORTAL_TEST_POSTGRES") {
            Ok(admin) => {
                for wire in [Wire::Json, Wire::Binary] {
                    let database = Database::scratch_postgres(&admin, "portal_bench")
                        .await
                        .expect("PostgreSQL answers");
                    bench(&log, "postgres", &database, wire).await;
                }
                let flooded = Database::scratch_postgres(&admin, "portal_bench")
                    .await
                    .expect("PostgreSQL answers");
                flood(&log, "postgres", &flooded).await
            },
            Err(_) => eprintln!(
                "PostgreSQL: not measured (PORTAL_TEST_POSTGRES is unset; scripts/bench-server.sh starts a server)"
            ),
        }
    });
}

/// Pushes in batches and one command at a time in the form `wire`; after
/// the JSON run, also pulls the log back and verifies keys.
async fn bench(log: &[Envelope], backend: &str, database: &Database, wire: Wire) {
    {
        // The last events are pushed one command at a time, after the bulk.
        let bulk = whole(log, log.len().saturating_sub(COMMANDS * 3));
        let tail = &log[bulk.len()..];
        let storage = Storage::open(database).await.expect("the database opens");
        let state = ServerState::new(
            storage,
            Tokens::parse(&format!("{TOKEN}=bench")).unwrap(),
            Limits::per_second(1_000_000),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api/v1/push", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router(state, None, &[])).await });
        let client = reqwest::Client::new();
        let content_type = wire.content_type();
        let post = |body: Vec<u8>| {
            client
                .post(&url)
                .bearer_auth(TOKEN)
                .header("content-type", &content_type)
                .body(body)
                .send()
        };
        let form = wire.name();

        let bodies: Vec<Vec<u8>> = batches(bulk, BATCH)
            .into_iter()
            .map(|b| wire.body(b))
            .collect();
        let start = Instant::now();
        for body in bodies {
            let response = post(body).await.expect("the server answers");
            assert!(
                response.status().is_success(),
                "{}",
                response.text().await.unwrap_or_default()
            );
        }
        let seconds = start.elapsed().as_secs_f64();
        let rate = bulk.len() as f64 / seconds;
        println!(
            "{}",
            json!({"figure": "server push, batches of 500", "form": form, "backend": backend,
                   "events": bulk.len(), "seconds": seconds, "events_per_s": rate})
        );
        eprintln!(
            "server push, batches of {BATCH}, {form}, {backend}: {rate:.0} events/s ({} events)",
            bulk.len()
        );

        let mut times: Vec<f64> = Vec::new();
        for command in commands(tail).into_iter().take(COMMANDS) {
            let body = wire.body(command);
            let start = Instant::now();
            let response = post(body).await.expect("the server answers");
            assert!(response.status().is_success());
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
        println!(
            "{}",
            json!({"figure": "push one command", "form": form, "backend": backend,
                   "commands": times.len(), "p50_ms": at(0.5), "p95_ms": at(0.95),
                   "max_ms": times[times.len() - 1]})
        );
        eprintln!(
            "push one command, {form}, {backend}: p50 {:.2} ms, p95 {:.2} ms ({} commands)",
            at(0.5),
            at(0.95),
            times.len()
        );

        if wire == Wire::Binary {
            return;
        }
        let pull_url = url.replace("/push", "/pull");
        for (form, accept) in [
            ("JSON", "application/json".to_owned()),
            ("binary", portal_sync::page::content_type()),
        ] {
            let (events, seconds) = pull_all(&client, &pull_url, &accept).await;
            let rate = events as f64 / seconds;
            println!(
                "{}",
                json!({"figure": "server pull, pages of 1000", "form": form, "backend": backend,
                       "events": events, "seconds": seconds, "events_per_s": rate})
            );
            eprintln!("server pull, pages of 1000, {form}, {backend}: {rate:.0} events/s");
        }
        verify(log, &client, &url.replace("/push", ""), backend).await;
    }
}

/// Applications whose keys the gateway presents.
const KEYED: u128 = 50;
/// Gateway questions asked.
const QUESTIONS: usize = 10_000;

fn secret(n: u128) -> String {
    format!("plk_{n:048x}")
}

/// A gateway's question "does this key open this product now?" against
/// the log of `log` and [`KEYED`] applications with known keys: asked
/// [`QUESTIONS`] times, one after another over loopback HTTP (half for a
/// key that opens the product, a quarter for a product its application
/// does not use, a quarter for a key nobody has), and once per question in
/// process, on the index alone.
async fn verify(log: &[Envelope], client: &reqwest::Client, api: &str, backend: &str) {
    use portal_domain::*;
    let mut portal = Portal::fold(log.iter());
    let mut ids = SeededIds::new(11);
    let actor = Actor::parse("gateway-bench@example.com").unwrap();
    let meta = CommandMeta::by(actor, DeviceId(uuid::Uuid::from_u128(11)));
    let at = portal.clock().unwrap_or_default();
    let mut events = Vec::new();
    for n in 1..=KEYED {
        let secret = secret(n);
        let hash = portal_server::gateway::hash_key(&secret);
        let app_id = AppId(uuid::Uuid::from_u128(0xBE_0000 + n));
        for action in [
            Action::CreateApplication {
                app_id,
                name: AppName::parse(&format!("Gateway {n}")).unwrap(),
                owner: Owner::parse("gateway-bench@example.com").unwrap(),
                plan: Plan::Free,
                credential: NewCredential {
                    id: CredentialId(uuid::Uuid::from_u128(0xBE_1000 + n)),
                    key: CredentialKey::parse(&secret[..12], &hash).unwrap(),
                    expires_at: at + chrono::Duration::days(3650),
                },
            },
            Action::AddApiProduct {
                app_id,
                product: ProductName::parse("maps").unwrap(),
            },
        ] {
            let made = portal
                .execute(&Command::new(at, action), &meta, &mut ids)
                .unwrap();
            for e in &made {
                portal.append(e.clone()).unwrap();
            }
            events.extend(made);
        }
    }
    let response = client
        .post(format!("{api}/push"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(body(&events))
        .send()
        .await
        .expect("the server answers");
    assert!(response.status().is_success());
    let question = |i: usize| -> (String, &'static str) {
        let n = (i as u128 % KEYED) + 1;
        match i % 4 {
            0 | 1 => (secret(n), "maps"),
            2 => (secret(n), "weather"),
            _ => (secret(KEYED + 1 + n), "maps"),
        }
    };
    let mut times = Vec::with_capacity(QUESTIONS);
    for i in 0..QUESTIONS {
        let (key, product) = question(i);
        let start = Instant::now();
        let response = client
            .post(format!("{api}/credentials/verify"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(json!({ "key": key, "product": product }).to_string())
            .send()
            .await
            .expect("the server answers");
        let verdict: serde_json::Value =
            serde_json::from_slice(&response.bytes().await.expect("a verdict"))
                .expect("a JSON verdict");
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(verdict["valid"], i % 4 < 2, "{verdict}");
    }
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    println!(
        "{}",
        json!({"figure": "gateway verify over loopback HTTP", "backend": backend,
               "events": log.len(), "questions": QUESTIONS,
               "p50_ms": at(0.5), "p95_ms": at(0.95), "max_ms": times[times.len() - 1]})
    );
    eprintln!(
        "gateway verify, {backend}, {} events: p50 {:.3} ms, p95 {:.3} ms over loopback HTTP",
        log.len(),
        at(0.5),
        at(0.95)
    );
}

/// Pulls the whole log one page after another, as a fresh device does, and
/// reads each page; how many events, and how long it took.
async fn pull_all(client: &reqwest::Client, url: &str, accept: &str) -> (usize, f64) {
    let start = Instant::now();
    let (mut after, mut events) = (0, 0);
    loop {
        let response = client
            .get(format!("{url}?after={after}&limit=1000"))
            .bearer_auth(TOKEN)
            .header("accept", accept)
            .send()
            .await
            .expect("the server answers");
        assert!(response.status().is_success());
        let bytes = response.bytes().await.expect("a page");
        let (count, next, more) = if accept == "application/json" {
            let page: serde_json::Value = serde_json::from_slice(&bytes).expect("a JSON page");
            (
                page["events"].as_array().map_or(0, Vec::len),
                page["next"].as_u64().unwrap_or(after),
                page["more"].as_bool() == Some(true),
            )
        } else {
            let page = portal_sync::page::decode(&bytes).expect("a binary page");
            (page.events.len(), page.next, page.more)
        };
        events += count;
        after = next;
        if !more {
            return (events, start.elapsed().as_secs_f64());
        }
    }
}

/// Requests a second each token may make: the server's default.
const DEFAULT_RATE: u32 = 200;
/// Concurrent requests the flooding token keeps in flight.
const FLOODERS: usize = 16;

/// One tenant pushes one command at a time while another token sends
/// requests as fast as 16 connections allow. The flooder should mostly get
/// 429; the other tenant's latency should barely move.
async fn flood(log: &[Envelope], backend: &str, database: &Database) {
    let storage = Storage::open(database).await.expect("the database opens");
    let state = ServerState::new(
        storage,
        Tokens::parse(&format!("{TOKEN}=bench,flood-token-00=flood")).unwrap(),
        Limits::per_second(DEFAULT_RATE),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/v1/push", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(state, None, &[])).await });
    let client = reqwest::Client::new();

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood_body = body(commands(log)[0]);
    let flooders: Vec<_> = (0..FLOODERS)
        .map(|_| {
            let (client, url, body, stop) = (
                client.clone(),
                url.clone(),
                flood_body.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let (mut limited, mut served) = (0u64, 0u64);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let response = client
                        .post(&url)
                        .bearer_auth("flood-token-00")
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .expect("the server answers");
                    match response.status().as_u16() {
                        429 => limited += 1,
                        _ => served += 1,
                    }
                }
                (limited, served)
            })
        })
        .collect();

    // Paced like a person's commands, well under the allowance.
    let mut times: Vec<f64> = Vec::new();
    let started = Instant::now();
    for command in commands(log).into_iter().take(COMMANDS / 2) {
        let body = body(command);
        let start = Instant::now();
        let response = client
            .post(&url)
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("the server answers");
        assert!(response.status().is_success(), "the quiet tenant is served");
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (mut limited, mut served) = (0, 0);
    for flooder in flooders {
        let (l, s) = flooder.await.unwrap();
        limited += l;
        served += s;
    }
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    println!(
        "{}",
        json!({"figure": "push one command under a flood", "backend": backend,
               "commands": times.len(), "p50_ms": at(0.5), "p95_ms": at(0.95),
               "flood_requests_per_s": (limited + served) as f64 / seconds,
               "flood_429": limited, "flood_served": served})
    );
    eprintln!(
        "push one command while another token floods, {backend}: p50 {:.2} ms, p95 {:.2} ms; \
         the flood sent {:.0} requests/s, {limited} got 429, {served} were served",
        at(0.5),
        at(0.95),
        (limited + served) as f64 / seconds,
    );
}
