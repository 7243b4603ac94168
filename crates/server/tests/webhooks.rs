//! Outbound webhooks (ADR 35), over real HTTP on SQLite and PostgreSQL,
//! delivering to a receiver on loopback: an admin registers one (a
//! developer may not); the events of the types it wants, from then on,
//! arrive in log order, each signed with the hook's secret; a receiver that
//! fails gets the same event again with backoff, and the events after it
//! wait; the delivery log shows every attempt with its status; an admin
//! replays one; a removed hook gets nothing more.

mod support;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use portal_domain::{Envelope, Role};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::http::*;
use support::local::*;
use support::BackendKind;

/// What a receiver was sent.
#[derive(Clone, Debug)]
struct Received {
    signature: String,
    event_type: String,
    body: String,
}

/// A receiver on loopback that answers 500 to its first `failing`
/// requests, then 200, and keeps what it was sent (answered 200 or not).
async fn receiver(failing: usize) -> (String, Arc<Mutex<Vec<Received>>>) {
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    let kept = got.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let kept = kept.clone();
            async move {
                let mut kept = kept.lock().unwrap();
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                kept.push(Received {
                    signature: header("portal-signature"),
                    event_type: header("portal-event-type"),
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
                if kept.len() <= failing {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

/// Whether `received` is signed with `secret`.
fn signed_with(received: &Received, secret: &str) -> bool {
    let time: i64 = received
        .signature
        .split(',')
        .find_map(|p| p.strip_prefix("t="))
        .and_then(|t| t.parse().ok())
        .unwrap_or_default();
    portal_server::surveys::sign(secret, time, received.body.as_bytes()) == received.signature
}

async fn until_received(got: &Arc<Mutex<Vec<Received>>>, count: usize) -> Vec<Received> {
    for _ in 0..400 {
        let now = got.lock().unwrap().clone();
        if now.len() >= count {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{count} deliveries arrived");
}

async fn pushed(app: &TestApp, events: &[Envelope]) {
    let (status, reply) = app.push(ALPHA, events).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
}

async fn a_webhook_gets_its_events_in_order_signed_and_retried(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let admin = person(&app, "root@example.com", Role::Admin).await;
    let admin = app.session("root@example.com", &admin).await;
    let developer = person(&app, "ada@example.com", Role::Developer).await;
    let developer = app.session("ada@example.com", &developer).await;
    let mut ada = Local::new(1);
    // Before the hook: not delivered to it.
    pushed(&app, &ada.run(create(1, 1))).await;

    let (url, got) = receiver(2).await;
    let wanted = json!({
        "url": url,
        "event_types": ["APPLICATION_INSERT", "ADD_API_PRODUCT_TO_APPLICATION"]
    });
    let (status, refused) = app
        .call(
            reqwest::Method::POST,
            "/webhooks",
            &developer,
            Some(wanted.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let (status, bad) = app
        .call(
            reqwest::Method::POST,
            "/webhooks",
            &admin,
            Some(json!({ "url": "ftp://example.com", "event_types": [] })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    let (status, hook) = app
        .call(reqwest::Method::POST, "/webhooks", &admin, Some(wanted))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let id = hook["id"].as_str().unwrap().to_owned();
    let (_, listed) = app
        .call(reqwest::Method::GET, "/webhooks", &admin, None)
        .await;
    assert_eq!(listed[0]["id"], id.as_str());
    assert!(listed[0].get("secret").is_none(), "shown once: {listed}");

    let mut history = ada.run(create(2, 2));
    history.extend(ada.run(add(2, "maps")));
    history.extend(ada.run(add(2, "search")));
    history.extend(ada.run(remove(2, "maps")));
    pushed(&app, &history).await;

    // Two failures (500), then the same event again, then the others.
    let received = until_received(&got, 5).await;
    let types: Vec<&str> = received.iter().map(|r| r.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "APPLICATION_INSERT",
            "APPLICATION_INSERT",
            "APPLICATION_INSERT",
            "ADD_API_PRODUCT_TO_APPLICATION",
            "ADD_API_PRODUCT_TO_APPLICATION"
        ],
        "in log order, the failing one first, and only the types asked for"
    );
    for r in &received {
        assert!(signed_with(r, &secret), "signed with the hook's secret");
        assert!(!signed_with(r, "another secret"));
    }
    let first: Value = serde_json::from_str(&received[0].body).unwrap();
    assert_eq!(first["event_id"], history[0].event_id.0.to_string());
    assert!(first["global_position"].as_u64().is_some(), "placed");

    let log_path = format!("/webhooks/{id}/deliveries");
    let log = loop {
        let (_, log) = app
            .call(reqwest::Method::GET, &log_path, &admin, None)
            .await;
        if log.as_array().unwrap().len() >= 5 {
            break log;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let attempts: Vec<(String, u64, Option<u64>)> = log
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|d| {
            (
                d["outcome"].as_str().unwrap().to_owned(),
                d["attempt"].as_u64().unwrap(),
                d["status_code"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        attempts,
        [
            ("failed".to_owned(), 1, Some(500)),
            ("failed".to_owned(), 2, Some(500)),
            ("delivered".to_owned(), 3, Some(200)),
            ("delivered".to_owned(), 1, Some(200)),
            ("delivered".to_owned(), 1, Some(200)),
        ]
    );

    // An admin replays the first delivery: sent once more.
    let first_delivery = log.as_array().unwrap().last().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, replayed) = app
        .call(
            reqwest::Method::POST,
            &format!("/webhooks/{id}/deliveries/{first_delivery}/replay"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{replayed}");
    assert_eq!(replayed["outcome"], "replayed");
    assert_eq!(replayed["attempt"], 4);
    let received = until_received(&got, 6).await;
    assert_eq!(received[5].body, received[0].body, "the same event");

    // Removed: nothing more.
    let (status, _) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/webhooks/{id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    pushed(&app, &ada.run(add(2, "weather"))).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(got.lock().unwrap().len(), 6);
}

support::on_both_backends!(a_webhook_gets_its_events_in_order_signed_and_retried);
