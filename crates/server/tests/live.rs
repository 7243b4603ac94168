//! Live subscriptions (`GET /api/v1/events`), over real HTTP on SQLite and
//! PostgreSQL: what the log holds after a position, then each new event as
//! it is stored, once and in order; resumed from `Last-Event-ID` with
//! nothing missed or twice; filtered by type; a tenant's alone.

mod support;

use portal_domain::Envelope;
use reqwest::StatusCode;
use std::time::Duration;
use support::http::*;
use support::local::*;
use support::sse::Subscription;
use support::BackendKind;

async fn pushed(app: &TestApp, token: &str, events: &[Envelope]) {
    let (status, reply) = app.push(token, events).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
}

async fn a_subscriber_gets_the_log_then_each_new_event_once_and_in_order(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let mut ada = Local::new(1);
    let first = ada.run(create(1, 1));
    pushed(&app, ALPHA, &first).await;
    let mut live = Subscription::open(&app, ALPHA, "?after=0", None).await;
    let got = live.next(first.len()).await;
    assert_eq!(got.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(got[0].1.event_id, first[0].event_id);
    assert_eq!(got[0].1.global_position, Some(1));

    // Written after the subscription opened: sent as it is stored.
    let second = ada.run(add(1, "maps"));
    pushed(&app, ALPHA, &second).await;
    let got = live.next(second.len()).await;
    assert_eq!(got.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [3, 4]);
    assert_eq!(got[1].1.event_id, second[1].event_id);
    live.quiet().await;

    // Resumed from the last id seen: the rest, and nothing twice.
    let third = ada.run(add(1, "search"));
    pushed(&app, ALPHA, &third).await;
    let mut resumed = Subscription::open(&app, ALPHA, "?after=0", Some(4)).await;
    let got = resumed.next(2).await;
    assert_eq!(got.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [5, 6]);
    resumed.quiet().await;
}

async fn a_subscription_is_filtered_by_type_and_is_its_tenants_alone(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let mut ada = Local::new(1);
    let mut history = ada.run(create(1, 1));
    history.extend(ada.run(add(1, "maps")));
    history.extend(ada.run(add(1, "search")));
    pushed(&app, ALPHA, &history).await;
    let mut added = Subscription::open(
        &app,
        ALPHA,
        "?types=ADD_API_PRODUCT_TO_APPLICATION,APPLICATION_INSERT",
        None,
    )
    .await;
    let got = added.next(3).await;
    let types: Vec<&str> = got.iter().map(|(_, e)| e.event_type().name()).collect();
    assert_eq!(
        types,
        [
            "APPLICATION_INSERT",
            "ADD_API_PRODUCT_TO_APPLICATION",
            "ADD_API_PRODUCT_TO_APPLICATION"
        ]
    );
    added.quiet().await;

    // Another tenant's subscriber sees none of it, and its own.
    let mut beta = Subscription::open(&app, BETA, "", None).await;
    beta.quiet().await;
    let mut bob = Local::new(2);
    let theirs = bob.run(create(9, 9));
    pushed(&app, BETA, &theirs).await;
    let got = beta.next(2).await;
    assert_eq!(got[0].1.event_id, theirs[0].event_id);
}

async fn a_subscription_that_cannot_be_refuses_with_a_code(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let get = |query: &'static str, token: Option<&'static str>, last: Option<&'static str>| {
        let mut request = app.client.get(format!("{}/api/v1/events{query}", app.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(last) = last {
            request = request.header("last-event-id", last);
        }
        request.send()
    };
    for (query, token, last, status, code) in [
        ("", None, None, 401, "unauthorized"),
        ("?types=NOT_A_TYPE", Some(ALPHA), None, 400, "bad_request"),
        ("?after=-1", Some(ALPHA), None, 400, "bad_request"),
        ("", Some(ALPHA), Some("yesterday"), 400, "bad_request"),
    ] {
        let response = get(query, token, last).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{query} {last:?}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], code, "{body}");
    }
}

support::on_both_backends!(
    a_subscriber_gets_the_log_then_each_new_event_once_and_in_order,
    a_subscription_is_filtered_by_type_and_is_its_tenants_alone,
    a_subscription_that_cannot_be_refuses_with_a_code,
);

/// The real binary, asked to stop (SIGINT, as Ctrl-C) while a subscriber
/// is connected: the subscription ends and the server stops, instead of
/// waiting for a stream that never ends by itself.
#[tokio::test]
async fn a_stopping_server_ends_its_subscriptions_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let database =
        support::binary::database_for_binary(BackendKind::Sqlite.database(dir.path()).await);
    let port = support::binary::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = support::binary::start(&database, port, ALPHA, "alpha");
    let app = TestApp::at(&base, database);
    support::binary::until_healthy(&app.client, &base).await;
    let mut live = Subscription::open(&app, ALPHA, "", None).await;
    let stopped = std::process::Command::new("kill")
        .args(["-INT", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let ended = tokio::time::timeout(Duration::from_secs(10), live.response.chunk())
        .await
        .expect("the subscription ends");
    assert!(matches!(ended, Ok(None) | Err(_)), "{ended:?}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.try_wait().unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "the server stops");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
