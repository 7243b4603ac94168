//! The server over real HTTP. The storage contract runs twice, against a
//! real SQLite file and a real PostgreSQL database per test (see
//! `on_both_backends!` at the end); the rest is about HTTP and runs on SQLite.

mod support;

use portal_domain::recover::{batches, whole};
use portal_domain::Envelope;
use portal_server::storage::{Incoming, Reading, Storage};
use portal_sync::binary::EVENT_SCHEMA;
use portal_sync::{batch, page};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;
use support::http::*;
use support::BackendKind;

/// The release build writes a compressed twin of each file (cargo xtask post-build):
/// a client that accepts one gets it, any other the file itself, and the
/// client-side routes get the page the same way. A file the build does not
/// have is not found, rather than answered with the page.
#[tokio::test]
async fn the_app_is_sent_compressed_to_clients_that_accept_it() {
    let dist = tempfile::tempdir().expect("a temporary directory");
    for (name, body) in [
        ("index.html", "<!doctype html>"),
        ("index.html.gz", "the page, gzipped"),
        ("index.html.br", "the page, in brotli"),
        ("app.wasm", "the module"),
        ("app.wasm.gz", "the module, gzipped"),
        ("app.wasm.br", "the module, in brotli"),
    ] {
        std::fs::write(dist.path().join(name), body).expect("the file is written");
    }
    let app = spawn_app_with(BackendKind::Sqlite, 10_000, Some(dist.path().to_owned())).await;
    let get = async |path: &str, accept: &str| {
        let response = app
            .client
            .get(format!("{}{path}", app.base))
            .header("accept-encoding", accept)
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let header = |name: &str| {
            let value = response.headers().get(name);
            value.map(|v| v.to_str().expect("a text header").to_owned())
        };
        let (encoding, vary) = (header("content-encoding"), header("vary"));
        assert_eq!(vary.as_deref(), Some("accept-encoding"), "{path}");
        (encoding, response.text().await.expect("a body"))
    };
    let sent = |encoding: Option<&str>, body: &str| (encoding.map(str::to_owned), body.to_owned());
    assert_eq!(
        get("/app.wasm", "gzip").await,
        sent(Some("gzip"), "the module, gzipped")
    );
    assert_eq!(
        get("/app.wasm", "gzip, deflate, br").await,
        sent(Some("br"), "the module, in brotli")
    );
    assert_eq!(get("/app.wasm", "identity").await, sent(None, "the module"));
    assert_eq!(
        get("/applications/7", "gzip").await,
        sent(Some("gzip"), "the page, gzipped")
    );
    assert_eq!(get("/", "identity").await, sent(None, "<!doctype html>"));
    for missing in [
        "/split_sync-0123456789abcdef.wasm",
        "/app.js",
        "/a/b/style.css",
    ] {
        let response = app
            .client
            .get(format!("{}{missing}", app.base))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{missing}");
    }
}

/// A file named by its content hash is kept by browsers for good; the page,
/// its client-side routes and the service worker are asked for again each
/// time, so a reload after a release gets the new page.
#[tokio::test]
async fn hashed_files_are_kept_for_good_and_the_page_is_asked_for_again() {
    let dist = tempfile::tempdir().expect("a temporary directory");
    for name in ["index.html", "sw.js", "split_sync-0123456789abcdef.wasm"] {
        std::fs::write(dist.path().join(name), name).expect("the file is written");
    }
    let app = spawn_app_with(BackendKind::Sqlite, 10_000, Some(dist.path().to_owned())).await;
    let policy = async |path: &str| {
        let response = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .expect("the server answers");
        let value = response.headers().get("cache-control");
        value.map(|v| v.to_str().expect("a text header").to_owned())
    };
    assert_eq!(
        policy("/split_sync-0123456789abcdef.wasm").await.as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    for asked_again in [
        "/",
        "/index.html",
        "/sw.js",
        "/applications/7",
        "/split_sync-fedcba9876543210.wasm",
    ] {
        assert_eq!(
            policy(asked_again).await.as_deref(),
            Some("no-cache"),
            "{asked_again}"
        );
    }
}

async fn health_answers_without_a_token(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let response = app.health().await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "ok");
}

async fn pushed_events_pull_back_in_order_with_gap_free_positions(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let log = demo(300);
    let first = whole(&log, 100);
    let n = first.len() as u64;
    let (status, reply) = app.push(ALPHA, first).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(positions(&reply), (1..=n).collect::<Vec<_>>());
    let (status, reply) = app.push(ALPHA, &log[first.len()..]).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(
        positions(&reply),
        (n + 1..=log.len() as u64).collect::<Vec<_>>()
    );
    let pulled = app.pull_all(ALPHA).await;
    let ids: Vec<String> = pulled
        .iter()
        .map(|e| e["event_id"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = log.iter().map(|e| e.event_id.to_string()).collect();
    assert_eq!(ids, expected);
    for (event, position) in pulled.iter().zip(1..) {
        assert_eq!(event["global_position"], position);
        assert!(event["recorded_at"].is_string());
        // What comes back decodes as the envelope that was pushed.
        let decoded = portal_sync::codec::decode(&event.to_string()).unwrap();
        assert_eq!(decoded.event, log[position as usize - 1].event);
    }
}

async fn a_retried_batch_gets_the_same_positions_and_stores_nothing_twice(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let log = demo(50);
    let (_, first) = app.push(ALPHA, &log).await;
    let (status, again) = app.push(ALPHA, &log).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(positions(&again), positions(&first));
    assert_eq!(
        again["events"][0]["recorded_at"],
        first["events"][0]["recorded_at"]
    );
    assert_eq!(app.pull_all(ALPHA).await.len(), log.len());
}

async fn the_same_id_with_another_payload_is_a_409_naming_it_and_writes_nothing(
    backend: BackendKind,
) {
    let app = spawn_app_on(backend).await;
    let log = demo(40);
    let stored = whole(&log, 20);
    app.push(ALPHA, stored).await;
    let mut forged = whole(&log[stored.len()..], 10).to_vec();
    forged.insert(
        0,
        Envelope {
            actor: portal_domain::Actor::parse("mallory@example.com").unwrap(),
            ..log[5].clone()
        },
    );
    let (status, reply) = app.push(ALPHA, &forged).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(reply["code"], "event_id_conflict", "{reply}");
    assert!(
        reply["error"]
            .as_str()
            .unwrap()
            .contains(&log[5].event_id.to_string()),
        "{reply}"
    );
    assert_eq!(app.pull_all(ALPHA).await.len(), 20);
}

async fn a_stream_version_conflict_is_a_409_with_the_current_version_and_writes_nothing(
    backend: BackendKind,
) {
    let app = spawn_app_on(backend).await;
    let log = demo(60);
    let stored = whole(&log, 30);
    app.push(ALPHA, stored).await;
    // A new event for a stored stream that skips versions, as from a device
    // that did not see the latest changes.
    let stream = log[0].stream_id;
    let current = stored.iter().filter(|e| e.stream_id == stream).count() as u64;
    let skipping = Envelope {
        event_id: portal_domain::EventId(uuid::Uuid::from_u128(0xFEED)),
        stream_version: current + 5,
        ..log[0].clone()
    };
    let mut batch: Vec<Envelope> = whole(&log[stored.len()..], 5)
        .iter()
        .filter(|e| e.stream_id != stream)
        .cloned()
        .collect();
    assert!(!batch.is_empty());
    batch.push(skipping);
    let (status, reply) = app.push(ALPHA, &batch).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(reply["code"], "stream_version_conflict", "{reply}");
    let message = reply["error"].as_str().unwrap();
    assert!(
        message.contains(&format!("at version {current}")),
        "{message}"
    );
    assert_eq!(
        app.pull_all(ALPHA).await.len(),
        30,
        "nothing of the batch is kept"
    );
}

#[tokio::test]
async fn malformed_json_is_a_400_that_says_so() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/api/v1/push", app.base))
        .bearer_auth(ALPHA)
        .header("content-type", "application/json")
        .body("{\"events\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "an RFC 9457 problem document"
    );
    let reply: Value = response.json().await.unwrap();
    assert_eq!(reply["code"], "bad_request", "{reply}");
    assert_eq!(reply["status"], 400, "{reply}");
    assert_eq!(reply["title"], "Bad Request", "{reply}");
    assert_eq!(reply["type"], "about:blank", "{reply}");
    assert_eq!(reply["detail"], reply["error"], "{reply}");
    assert!(
        reply["error"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("json"),
        "{reply}"
    );
}

#[tokio::test]
async fn an_unknown_event_type_is_a_422_naming_the_event_and_the_type() {
    let app = spawn_app().await;
    let log = demo(5);
    let mut body = wire(&log);
    body["events"][3]["type"] = json!("APPLICATION_TELEPORTED");
    let (status, reply) = app.push(ALPHA, &[]).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an empty batch: {reply}"
    );
    let (status, reply) = app.push_json(Some(ALPHA), &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = reply["error"].as_str().unwrap();
    assert!(
        message.contains("events[3]") && message.contains("APPLICATION_TELEPORTED"),
        "{message}"
    );
    assert!(app.pull_all(ALPHA).await.is_empty());
}

#[tokio::test]
async fn a_missing_field_or_a_future_version_is_a_422() {
    let app = spawn_app().await;
    let log = demo(5);
    let mut missing = wire(&log);
    missing["events"][1]
        .as_object_mut()
        .unwrap()
        .remove("stream_version");
    let (status, reply) = app.push_json(Some(ALPHA), &missing).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply["code"], "invalid_event", "{reply}");
    assert!(
        reply["error"].as_str().unwrap().contains("stream_version"),
        "{reply}"
    );
    let mut future = wire(&log);
    future["events"][0]["schema_version"] = json!(99);
    let (status, reply) = app.push_json(Some(ALPHA), &future).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply["error"]
            .as_str()
            .unwrap()
            .contains("schema version 99"),
        "{reply}"
    );
}

#[tokio::test]
async fn a_batch_repeating_an_id_is_refused() {
    let app = spawn_app().await;
    let log = demo(5);
    let mut batch = log.clone();
    batch.push(log[2].clone());
    let (status, reply) = app.push(ALPHA, &batch).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply["code"], "invalid_batch", "{reply}");
    assert!(
        reply["error"].as_str().unwrap().contains("twice"),
        "{reply}"
    );
}

#[tokio::test]
async fn a_missing_or_unknown_token_is_a_401() {
    let app = spawn_app().await;
    let body = wire(&demo(3));
    let (status, reply) = app.push_json(None, &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply["error"], "missing bearer token");
    assert_eq!(reply["code"], "unauthorized");
    let (status, reply) = app.push_json(Some("forged-token-000"), &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply["error"], "unknown token");
    assert_eq!(reply["code"], "unauthorized");
    // A token one character off a real one is just as unknown.
    let near = format!("{}x", &ALPHA[..ALPHA.len() - 1]);
    let (status, _) = app.push_json(Some(&near), &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, reply) = app.push_json(Some(EXPIRED), &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply["code"], "token_expired", "{reply}");
    assert!(
        reply["error"].as_str().unwrap().contains("expired"),
        "{reply}"
    );
    // None of those wrote anything; a token that expires later still works.
    assert!(app.pull_all(ALPHA).await.is_empty());
    let (status, _) = app.push_json(Some(LATER), &body).await;
    assert_eq!(status, StatusCode::OK);
    let response = app
        .client
        .get(format!("{}/api/v1/pull", app.base))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

async fn a_tenant_sees_and_changes_only_its_own_log(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let log = demo(30);
    app.push(ALPHA, &log).await;
    assert!(app.pull_all(BETA).await.is_empty());
    // The same events are new to another tenant, with positions of its own.
    let first = whole(&log, 10);
    let (status, reply) = app.push(BETA, first).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        positions(&reply),
        (1..=first.len() as u64).collect::<Vec<_>>()
    );
    assert_eq!(app.pull_all(ALPHA).await.len(), log.len());
}

#[tokio::test]
async fn an_oversized_body_is_a_413() {
    let app = spawn_app().await;
    let huge = "x".repeat(portal_server::api::MAX_BODY + 1);
    let response = app
        .client
        .post(format!("{}/api/v1/push", app.base))
        .bearer_auth(ALPHA)
        .header("content-type", "application/json")
        .body(format!("{{\"events\": [\"{huge}\"]}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // And the server keeps serving.
    let (status, _) = app.push(ALPHA, &demo(3)).await;
    assert_eq!(status, StatusCode::OK);
}

async fn pull_pages_with_next_and_more(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let log = demo(250);
    app.push(ALPHA, &log).await;
    let first = app.pull(ALPHA, 0, 100).await;
    assert_eq!(first["events"].as_array().unwrap().len(), 100);
    assert_eq!(first["next"], 100);
    assert_eq!(first["more"], true);
    let last = app.pull(ALPHA, 200, 100).await;
    assert_eq!(last["events"].as_array().unwrap().len(), log.len() - 200);
    assert_eq!(last["more"], false);
    let beyond = app.pull(ALPHA, 10_000, 100).await;
    assert!(beyond["events"].as_array().unwrap().is_empty());
    assert_eq!(beyond["next"], 10_000);
}

impl TestApp {
    async fn pull_accepting(&self, accept: &str, after: u64, limit: u32) -> reqwest::Response {
        let response = self
            .client
            .get(format!(
                "{}/api/v1/pull?after={after}&limit={limit}",
                self.base
            ))
            .bearer_auth(ALPHA)
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["vary"], "accept");
        response
    }
}

async fn a_binary_page_holds_what_the_json_page_holds(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    app.push(ALPHA, &demo(250)).await;
    let binary = page::content_type();
    for (after, limit) in [(0, 100), (100, 1000), (250, 10)] {
        let json = app.pull(ALPHA, after, limit).await;
        let from_json: Vec<Envelope> = json["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| portal_sync::decode(&e.to_string()).unwrap())
            .collect();
        let response = app
            .pull_accepting(&format!("application/json;q=0.5, {binary}"), after, limit)
            .await;
        assert_eq!(response.headers()["content-type"], binary.as_str());
        let read = page::decode(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(read.events, from_json, "after {after}");
        assert_eq!(read.next, json["next"].as_u64().unwrap());
        assert_eq!(read.more, json["more"].as_bool().unwrap());
    }
}

/// A batch pushed in the binary form is stored as its JSON twin would be:
/// the same canonical events, and a retry in either form is the same batch.
async fn a_binary_batch_is_stored_as_its_json_twin_would_be(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let log = demo(300);
    let (first, rest) = log.split_at(whole(&log, 120).len());
    let (status, reply) = app
        .push_bytes(ALPHA, &batch::content_type(), batch::encode(first))
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(
        positions(&reply),
        (1..=first.len() as u64).collect::<Vec<_>>()
    );
    let (status, again) = app
        .push_bytes(ALPHA, &batch::content_type(), batch::encode(first))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(positions(&again), positions(&reply));
    let (status, twin) = app.push(ALPHA, first).await;
    assert_eq!(status, StatusCode::OK, "{twin}");
    assert_eq!(positions(&twin), positions(&reply));
    let (status, reply) = app.push(ALPHA, rest).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let stored: Vec<Envelope> = app
        .log()
        .await
        .into_iter()
        .map(|e| Envelope {
            global_position: None,
            recorded_at: None,
            ..e
        })
        .collect();
    assert_eq!(stored, log);
}

/// Every way a binary batch can be wrong gets its status and code, and
/// nothing of it is stored.
#[tokio::test]
async fn a_binary_batch_the_server_cannot_take_is_refused_by_code_and_stores_nothing() {
    let app = spawn_app().await;
    let log = demo(20);
    let batch_type = batch::content_type();
    let batch_type = batch_type.as_str();
    let other_schema = format!("{}; schema={}", batch::MEDIA_TYPE, EVENT_SCHEMA + 1);
    let mut schema_inside = batch::encode(&log);
    schema_inside[0] += 1;
    let whole_batch = batch::encode(&log);
    let cut = whole_batch[..whole_batch.len() - 5].to_vec();
    let mut first_version_zero = log.clone();
    first_version_zero[0].stream_version = 0;
    let mut elsewhere = log.clone();
    elsewhere[2].stream_id = portal_domain::StreamId(uuid::Uuid::from_u128(7));
    let mut repeated = log.clone();
    repeated.push(log[1].clone());
    let unsupported = (
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "schema",
    );
    let unreadable = (StatusCode::BAD_REQUEST, "bad_request", "cannot be read");
    let invalid = |code, says| (StatusCode::UNPROCESSABLE_ENTITY, code, says);
    let cases = [
        (
            "another schema",
            other_schema.as_str(),
            whole_batch.clone(),
            unsupported,
        ),
        (
            "no schema",
            batch::MEDIA_TYPE,
            whole_batch.clone(),
            unsupported,
        ),
        (
            "another schema inside",
            batch_type,
            schema_inside,
            unsupported,
        ),
        (
            "its schema, then no batch",
            batch_type,
            vec![
                1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            ],
            unreadable,
        ),
        ("cut short", batch_type, cut, unreadable),
        (
            "empty",
            batch_type,
            batch::encode(&[]),
            invalid("invalid_batch", "empty"),
        ),
        (
            "version 0",
            batch_type,
            batch::encode(&first_version_zero),
            invalid("invalid_event", "events[0]"),
        ),
        (
            "another stream",
            batch_type,
            batch::encode(&elsewhere),
            invalid("invalid_event", "events[2]"),
        ),
        (
            "an id twice",
            batch_type,
            batch::encode(&repeated),
            invalid("invalid_batch", "twice"),
        ),
    ];
    for (case, content_type, body, (status, code, says)) in cases {
        let (got, reply) = app.push_bytes(ALPHA, content_type, body).await;
        assert_eq!(got, status, "{case}: {reply}");
        assert_eq!(reply["code"], code, "{case}: {reply}");
        let message = reply["error"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{case}: {message}");
    }
    assert!(app.pull_all(ALPHA).await.is_empty(), "nothing was stored");
    // And the same events, sent right, are taken.
    let (status, reply) = app.push_bytes(ALPHA, batch_type, whole_batch).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(app.log().await.len(), log.len());
}

/// Events stored before shapes were kept have none, and a shape written in
/// another schema cannot be sent as this one: both are shaped again from
/// their bodies, and the page is still the JSON page's events.
async fn events_without_a_usable_shape_are_shaped_from_their_bodies(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    app.push(ALPHA, &demo(60)).await;
    support::execute(
        &app.database,
        "UPDATE events SET shape = NULL WHERE global_position <= 10",
    )
    .await;
    let foreign = match backend {
        BackendKind::Sqlite => "UPDATE events SET shape = X'6300FFFF' WHERE global_position > 20",
        BackendKind::Postgres => {
            "UPDATE events SET shape = '\\x6300ffff'::bytea WHERE global_position > 20"
        }
    };
    support::execute(&app.database, foreign).await;
    let json = app.pull_all(ALPHA).await;
    let from_json: Vec<Envelope> = json
        .iter()
        .map(|e| portal_sync::decode(&e.to_string()).unwrap())
        .collect();
    let response = app.pull_accepting(&page::content_type(), 0, 1000).await;
    let read = page::decode(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(read.events, from_json);
}

#[tokio::test]
async fn a_client_asking_for_another_schema_or_anything_gets_json() {
    let app = spawn_app().await;
    let log = demo(5);
    app.push(ALPHA, &log).await;
    let other = format!(
        "{}; schema={}",
        page::MEDIA_TYPE,
        portal_sync::binary::EVENT_SCHEMA + 1
    );
    for accept in [other.as_str(), "*/*", "application/json", page::MEDIA_TYPE] {
        let response = app.pull_accepting(accept, 0, 1000).await;
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["events"].as_array().unwrap().len(),
            log.len(),
            "{accept}"
        );
    }
}

async fn concurrent_pushers_and_a_puller_skip_nothing(backend: BackendKind) {
    let app = Arc::new(spawn_app_on(backend).await);
    let log = demo(2_000);
    // Four pushers own disjoint streams, each pushing its events in order.
    let mut groups: Vec<Vec<Envelope>> = vec![Vec::new(); 4];
    for e in &log {
        groups[(e.stream_id.0.as_u128() % 4) as usize].push(e.clone());
    }
    let total = log.len();
    let puller = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut after = 0;
            while seen.len() < total {
                let page = app.pull(ALPHA, after, 97).await;
                for event in page["events"].as_array().unwrap() {
                    let position = event["global_position"].as_u64().unwrap();
                    assert_eq!(position, after + 1, "a puller never skips a position");
                    after = position;
                    seen.push(event["event_id"].as_str().unwrap().to_owned());
                }
            }
            seen
        })
    };
    let pushers: Vec<_> = groups
        .into_iter()
        .map(|group| {
            let app = app.clone();
            tokio::spawn(async move {
                for batch in batches(&group, 37) {
                    let (status, reply) = app.push(ALPHA, batch).await;
                    assert_eq!(status, StatusCode::OK, "{reply}");
                }
            })
        })
        .collect();
    for pusher in pushers {
        pusher.await.unwrap();
    }
    let seen = puller.await.unwrap();
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), total, "every event once");
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let app = spawn_app().await;
    let response = app.health().await;
    let id = response
        .headers()
        .get("x-request-id")
        .expect("a request id");
    assert_eq!(id.to_str().unwrap().len(), 36, "a UUID");
}

#[tokio::test]
async fn the_apps_origin_may_call_the_api_and_others_may_not() {
    let app = spawn_app().await;
    let preflight = |origin: &'static str| {
        app.client
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/api/v1/push", app.base),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let allowed = preflight(APP_ORIGIN).await.unwrap();
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .unwrap(),
        APP_ORIGIN
    );
    let other = preflight("http://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn the_openapi_document_describes_what_the_server_does() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    // Exactly the routes the server has, each answering as documented.
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    assert_eq!(
        paths,
        [
            "/applications",
            "/applications/{id}",
            "/credentials/verify",
            "/events",
            "/health",
            "/openapi.json",
            "/people",
            "/pull",
            "/push",
            "/sessions",
            "/sessions/current",
            "/surveys/{id}/link",
            "/surveys/{id}/responses",
            "/tokens",
            "/tokens/{id}",
            "/webhooks",
            "/webhooks/{id}",
            "/webhooks/{id}/deliveries",
            "/webhooks/{id}/deliveries/{delivery}/replay"
        ]
    );
    for (path, method) in [
        ("/applications", "get"),
        ("/events", "get"),
        ("/health", "get"),
        ("/openapi.json", "get"),
        ("/pull", "get"),
        ("/people", "get"),
        ("/sessions/current", "get"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
        let answer = app
            .client
            .get(format!("{}/api/v1{path}", app.base))
            .bearer_auth(ALPHA)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
    }
    let pulled = &doc["paths"]["/pull"]["get"]["responses"]["200"]["content"];
    assert!(
        pulled[page::MEDIA_TYPE].is_object(),
        "the binary page is documented"
    );
    // The limits it states are the server's.
    let batch = &doc["components"]["schemas"]["PushBody"]["properties"]["events"];
    assert_eq!(batch["maxItems"], json!(portal_server::api::MAX_BATCH));
    let limit = &doc["paths"]["/pull"]["get"]["parameters"][1];
    assert_eq!(limit["name"], "limit");
    assert_eq!(
        limit["schema"]["maximum"],
        json!(portal_server::api::MAX_PAGE)
    );

    // Every reference names a schema the document holds.
    fn refs<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(to)) = map.get("$ref") {
                    out.push(to);
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut named = Vec::new();
    refs(&doc, &mut named);
    assert!(
        named.contains(&"#/components/schemas/Envelope"),
        "{named:?}"
    );
    for to in named {
        let name = to.strip_prefix("#/components/schemas/").unwrap();
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{to} names no schema"
        );
    }

    // The envelope's fields are those the codec writes and pull returns;
    // the ones it requires are those without which the codec refuses one.
    let envelope = &doc["components"]["schemas"]["Envelope"];
    let fields: BTreeSet<&str> = envelope["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let log = demo(3);
    app.push(ALPHA, &log).await;
    let pulled = app.pull_all(ALPHA).await;
    let written: BTreeSet<&str> = pulled[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(fields, written, "the envelope's fields");
    let required: BTreeSet<&str> = envelope["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    let line: Value = serde_json::from_str(&portal_sync::codec::encode(&log[0])).unwrap();
    for field in &fields {
        let mut without = line.clone();
        without.as_object_mut().unwrap().remove(*field);
        let read = portal_sync::codec::decode(&without.to_string());
        assert_eq!(
            read.is_err(),
            required.contains(field),
            "{field}: required in the document exactly when the codec needs it"
        );
    }
    // The error codes it lists are the ones the server sends, and every
    // error answer is documented with them.
    let codes: Vec<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let sent: Vec<&str> = portal_sync::problem::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(codes, sent, "the document lists every error code");
    let problem = &doc["components"]["schemas"]["Problem"];
    assert_eq!(problem["required"], json!(["code", "error"]));
    let types = envelope["properties"]["type"]["enum"].as_array().unwrap();
    assert_eq!(types.len(), portal_domain::EventType::ALL.len());
    for t in portal_domain::EventType::ALL {
        assert!(
            types.iter().any(|v| v == t.name()),
            "{} is documented",
            t.name()
        );
    }
}

#[tokio::test]
async fn a_flooding_token_gets_429_while_another_tenant_is_served() {
    let app = spawn_app_limited(BackendKind::Sqlite, 5).await;
    let mut limited = 0;
    for _ in 0..30 {
        let response = app
            .client
            .get(format!("{}/api/v1/pull", app.base))
            .bearer_auth(ALPHA)
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(response.headers().get("retry-after").is_some());
            let reply: Value = response.json().await.unwrap();
            assert!(reply["error"]
                .as_str()
                .unwrap()
                .contains("too many requests"));
            assert_eq!(reply["code"], "rate_limited");
            limited += 1;
        }
    }
    assert!(limited >= 15, "{limited} of 30 were limited");
    // Another token keeps its own allowance.
    assert_eq!(app.pull(BETA, 0, 10).await["events"], json!([]));
}

async fn concurrent_copies_of_one_batch_are_stored_once(backend: BackendKind) {
    let app = Arc::new(spawn_app_on(backend).await);
    let log = demo(120);
    let stored = whole(&log, 20);
    app.push(ALPHA, stored).await;
    let batch = log[stored.len()..].to_vec();
    let copies: Vec<_> = (0..5)
        .map(|_| {
            let (app, batch) = (app.clone(), batch.clone());
            tokio::spawn(async move { app.push(ALPHA, &batch).await })
        })
        .collect();
    let mut answers = Vec::new();
    for copy in copies {
        let (status, reply) = copy.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{reply}");
        answers.push(positions(&reply));
    }
    let expected: Vec<u64> = (stored.len() as u64 + 1..=log.len() as u64).collect();
    for answer in &answers {
        assert_eq!(answer, &expected, "every copy is told the same places");
    }
    assert_eq!(app.pull_all(ALPHA).await.len(), log.len());
}

async fn what_was_acknowledged_survives_a_restart(backend: BackendKind) {
    let dir = tempfile::tempdir().unwrap();
    let database = backend.database(dir.path()).await;
    let log = demo(80);
    let batch: Vec<Incoming> = log.iter().map(Incoming::of).collect();
    let placed = {
        let storage = Storage::open(&database).await.unwrap();
        storage.push("alpha", &batch).await.unwrap()
    };
    // Opened again, as after a restart: the migrations run again, harmlessly.
    let storage = Storage::open(&database).await.unwrap();
    let pulled = storage
        .pull("alpha", 0, 1_000, Reading::Bodies)
        .await
        .unwrap();
    assert_eq!(pulled.len(), log.len());
    for ((row, event), place) in pulled.iter().zip(&batch).zip(&placed) {
        assert_eq!(row.body, event.body);
        assert_eq!(row.global_position, place.global_position);
        assert_eq!(row.recorded_at, place.recorded_at);
    }
    assert_eq!(
        storage.push("alpha", &batch).await.unwrap(),
        placed,
        "a retry after the restart is told the same places"
    );
}

/// Issue 6, item 12: each hostile request gets a 4xx that says what is
/// wrong; nothing is written ("nothing lost" here: the log is exactly what
/// it was, one good batch); the server keeps answering.
#[tokio::test]
async fn hostile_requests_get_a_clear_4xx_and_change_nothing() {
    let app = spawn_app().await;
    let good = demo(20);
    let (status, _) = app.push(ALPHA, &good).await;
    assert_eq!(status, StatusCode::OK);
    let before = app.pull_all(ALPHA).await;

    let valid = serde_json::to_string(&wire(&good[..1])["events"][0]).unwrap();
    let mut huge_name: Value = serde_json::from_str(&valid).unwrap();
    huge_name["data"]["name"] = Value::String("n".repeat(1_000_000));
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let pushes: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "a 100k-element array",
            format!("{{\"events\":[{}]}}", vec!["1"; 100_000].join(",")).into_bytes(),
            "",
        ),
        (
            "deeply nested JSON",
            format!("{{\"events\":[{nested}]}}").into_bytes(),
            "events[0]",
        ),
        (
            "a huge string",
            json!({ "events": [huge_name] }).to_string().into_bytes(),
            "events[0]",
        ),
        (
            "invalid UTF-8",
            [b"{\"events\":[\"".as_slice(), &[0xff, 0xfe, 0xfd], b"\"]}"].concat(),
            "",
        ),
        (
            "an event that is not an object",
            b"{\"events\":[42]}".to_vec(),
            "events[0]",
        ),
        ("no events field", b"{}".to_vec(), "events"),
    ];
    for (what, body, names) in pushes {
        let response = app
            .client
            .post(format!("{}/api/v1/push", app.base))
            .bearer_auth(ALPHA)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_client_error(), "{what}: {status} {text}");
        let body = serde_json::from_str::<portal_sync::problem::ErrorBody>(&text)
            .unwrap_or_else(|e| panic!("{what}: an error body, not {text:?}: {e}"));
        assert_ne!(
            body.code,
            portal_sync::problem::ErrorCode::Unknown,
            "{what}: a code this build knows, in {text:?}"
        );
        let message = body.error;
        assert!(!message.is_empty(), "{what}: a message, not {text:?}");
        assert!(
            message.contains(names),
            "{what}: {message:?} names {names:?}"
        );
    }
    for query in [
        "after=-1",
        "after=99999999999999999999",
        "after=abc",
        "limit=-5",
        "limit=0",
        "limit=1001",
    ] {
        let response = app
            .client
            .get(format!("{}/api/v1/pull?{query}", app.base))
            .bearer_auth(ALPHA)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
    }
    assert_eq!(app.pull_all(ALPHA).await, before, "nothing was written");
    assert_eq!(app.health().await.status(), StatusCode::OK);
}

support::on_both_backends!(
    health_answers_without_a_token,
    pushed_events_pull_back_in_order_with_gap_free_positions,
    a_retried_batch_gets_the_same_positions_and_stores_nothing_twice,
    the_same_id_with_another_payload_is_a_409_naming_it_and_writes_nothing,
    a_stream_version_conflict_is_a_409_with_the_current_version_and_writes_nothing,
    a_tenant_sees_and_changes_only_its_own_log,
    pull_pages_with_next_and_more,
    a_binary_page_holds_what_the_json_page_holds,
    a_binary_batch_is_stored_as_its_json_twin_would_be,
    events_without_a_usable_shape_are_shaped_from_their_bodies,
    concurrent_pushers_and_a_puller_skip_nothing,
    concurrent_copies_of_one_batch_are_stored_once,
    what_was_acknowledged_survives_a_restart,
);

/// A device still running the build of event schema 1 (before offers and
/// the catalogue) against this server: it syncs as before while the log
/// holds only what it can read, its binary batches are still taken, and
/// once the log holds an event of a later schema its pull is refused with
/// `update_required` in words its sync status shows, instead of a page it
/// would fail on. Nothing it sent is lost.
#[tokio::test]
async fn a_build_of_an_older_event_schema_is_told_to_update_before_the_first_event_it_cannot_read()
{
    let app = spawn_app().await;
    let log = demo(3_000);
    let first_new = log
        .iter()
        .position(|e| portal_sync::binary::introduced_in(e.event_type()) > 1)
        .expect("the demo year holds its catalogue and campaigns");
    let unreadable = log[first_new].event_type().name();
    let before = whole(&log[..first_new], first_new);
    assert!(!before.is_empty());
    // Its batches, in its schema, are still read: later schemas only added types.
    let old_type = format!("{}; schema=1", batch::MEDIA_TYPE);
    for part in batches(before, 500) {
        let mut old_batch = batch::encode(part);
        assert_eq!(
            u16::from(old_batch[0]),
            EVENT_SCHEMA,
            "the schema leads the batch"
        );
        old_batch[0] = 1;
        let (status, reply) = app.push_bytes(ALPHA, &old_type, old_batch).await;
        assert_eq!(status, StatusCode::OK, "{reply}");
    }
    for part in batches(&log[before.len()..], 500) {
        let (status, reply) = app.push(ALPHA, part).await;
        assert_eq!(status, StatusCode::OK, "{reply}");
    }

    let old_accept = format!("{}; schema=1, application/json;q=0.5", page::MEDIA_TYPE);
    let readable = app.pull_accepting(&old_accept, 0, first_new as u32).await;
    assert_eq!(readable.headers()["content-type"], "application/json");
    let body: Value = readable.json().await.unwrap();
    assert_eq!(body["events"].as_array().unwrap().len(), first_new);

    let refused = app
        .client
        .get(format!(
            "{}/api/v1/pull?after={}&limit=1000",
            app.base, first_new
        ))
        .bearer_auth(ALPHA)
        .header("accept", &old_accept)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UPGRADE_REQUIRED);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "update_required");
    let words = problem["error"].as_str().unwrap();
    assert!(
        words.contains(unreadable) && words.contains("reload"),
        "{words}"
    );

    // This build, and clients that read JSON only, get every event.
    let all = app.pull_all(ALPHA).await;
    assert_eq!(all.len(), log.len());
    let current = app.pull_accepting(&page::content_type(), 0, 1000).await;
    let read = page::decode(&current.bytes().await.unwrap()).unwrap();
    assert_eq!(read.events.len(), 1000.min(log.len()));
}
