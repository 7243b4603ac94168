//! The broker (ADR 33), with a real NATS JetStream server (a throwaway one
//! per test) and the server over real HTTP on SQLite and PostgreSQL: every
//! accepted event, the processors' included, reaches a durable consumer
//! once and in log order, on its subject, with its id as `Nats-Msg-Id`; a
//! server killed between storing and publishing publishes after it starts
//! again, once; publishing everything again is taken once.

mod support;

use portal_domain::{Envelope, Role};
use portal_server::broker::{self, Broker, Delivered};
use reqwest::StatusCode;
use std::time::Duration;
use support::binary;
use support::http::*;
use support::local::*;
use support::nats::Nats;
use support::BackendKind;

/// The first `count` events a new durable consumer of `tenant` gets,
/// within a few seconds.
async fn consumed(url: &str, tenant: &str, durable: &str, count: usize) -> Vec<Delivered> {
    let mut got = Vec::new();
    let consuming = broker::consume(url, tenant, durable, |delivered| {
        got.push(delivered);
        got.len() < count
    });
    tokio::time::timeout(Duration::from_secs(20), consuming)
        .await
        .unwrap_or_else(|_| panic!("{count} events reached the consumer"))
        .expect("the consumer follows");
    got
}

fn envelope(delivered: &Delivered) -> Envelope {
    portal_sync::codec::decode(&delivered.data).expect("a readable event")
}

/// Every event reached the consumer once, in log order, as stored.
fn in_log_order(delivered: &[Delivered], log: &[Envelope], tenant: &str) {
    assert_eq!(delivered.len(), log.len());
    for (got, stored) in delivered.iter().zip(log) {
        let event = envelope(got);
        assert_eq!(event, *stored, "as stored, in log order");
        assert_eq!(
            got.message_id.as_deref(),
            Some(stored.event_id.0.to_string().as_str())
        );
        assert_eq!(got.subject, broker::subject(tenant, stored));
    }
    let mut sequences: Vec<u64> = delivered.iter().map(|d| d.stream_sequence).collect();
    sequences.dedup();
    assert_eq!(sequences.len(), delivered.len(), "each once");
}

async fn every_accepted_event_reaches_the_broker_once_and_in_order(backend: BackendKind) {
    let nats = Nats::start().await;
    let connected = Broker::connect(&nats.url).await.expect("NATS answers");
    let app = spawn_app_configured(backend, 10_000, None, move |state| {
        state.judges.publish_to(connected);
        state
    })
    .await;
    let password = person(&app, "ada@example.com", Role::Developer).await;
    let token = app.session("ada@example.com", &password).await;
    let mut ada = Local::new(1);
    let mut history = ada.run(create(1, 1));
    history.extend(ada.run(add(1, "maps")));
    let (status, reply) = app.push(&token, &history).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    // A removal: the processors add and send a survey, published too.
    let (status, reply) = app.push(&token, &ada.run(remove(1, "maps"))).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let log = loop {
        let log = app.log().await;
        if log.iter().any(|e| e.event_type().name() == "SURVEY_SENT") {
            break log;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(log.len(), 8);
    let delivered = consumed(&nats.url, "alpha", "test-follower", log.len()).await;
    in_log_order(&delivered, &log, "alpha");
    assert_eq!(
        delivered[6].subject, "portal.alpha.survey.SURVEY_ADDED",
        "the processors' events, on the survey's subject"
    );
    assert_eq!(
        delivered[0].subject,
        "portal.alpha.application.APPLICATION_INSERT"
    );
}

support::on_both_backends!(every_accepted_event_reaches_the_broker_once_and_in_order);

/// The real binary, with the broker away: what it stores waits. Killed
/// (SIGKILL) and started again with the broker back, it publishes all of
/// it, once. Then its published position is lost (set back to 0 behind
/// its back, as a crash between publishing and recording would leave
/// it), and it publishes everything again: JetStream takes each once.
async fn a_server_killed_before_it_published_publishes_after_its_restart_once(
    backend: BackendKind,
) {
    let mut nats = Nats::start().await;
    nats.stop();
    let dir = tempfile::tempdir().unwrap();
    let database = binary::database_for_binary(backend.database(dir.path()).await);
    let port = binary::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let url = nats.url.clone();
    let start = |database: &portal_server::storage::Database| {
        let mut command = binary::command(database, port, ALPHA, "alpha");
        command.env("NATS_URL", &url);
        command.spawn().expect("the server starts")
    };
    let mut server = start(&database);
    let app = TestApp::at(&base, database.clone());
    binary::until_healthy(&app.client, &base).await;
    // Now, with a credential a year long: the binary's processors go by
    // the system clock, and nothing here falls due.
    let mut ada = Local::new(1);
    ada.now = chrono::Utc::now() - chrono::Duration::minutes(10);
    let mut history = ada.run(portal_domain::Action::CreateApplication {
        app_id: app_id(1),
        name: portal_domain::AppName::parse("App 1").unwrap(),
        owner: portal_domain::Owner::parse("ada@example.com").unwrap(),
        plan: portal_domain::Plan::Free,
        credential: credential(1, chrono::Utc::now() + chrono::Duration::days(365)),
    });
    history.extend(ada.run(add(1, "maps")));
    history.extend(ada.run(add(1, "search")));
    let (status, reply) = app.push(ALPHA, &history).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    server.kill().expect("SIGKILL");
    let _ = server.wait();

    nats.run().await;
    let mut server = start(&database);
    binary::until_healthy(&app.client, &base).await;
    let log = app.log().await;
    let delivered = consumed(&nats.url, "alpha", "after-restart", log.len()).await;
    in_log_order(&delivered, &log, "alpha");

    // Everything published again: the same message ids, taken once.
    server.kill().expect("SIGKILL");
    let _ = server.wait();
    support::execute(&database, "UPDATE published SET through = 0").await;
    let mut server = start(&database);
    binary::until_healthy(&app.client, &base).await;
    let more = ada.run(add(1, "weather"));
    let (status, reply) = app.push(ALPHA, &more).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let all = [log.clone(), more.clone()].concat();
    let fresh = consumed(&nats.url, "alpha", "after-republish", all.len()).await;
    assert_eq!(fresh.len(), all.len());
    for (got, stored) in fresh.iter().zip(&all) {
        assert_eq!(
            envelope(got).event_id,
            stored.event_id,
            "once each, in order"
        );
    }
    let _ = server.kill();
    let _ = server.wait();
}

#[tokio::test]
async fn sqlite_publishes_what_a_killed_server_left_once() {
    a_server_killed_before_it_published_publishes_after_its_restart_once(BackendKind::Sqlite).await;
}

#[tokio::test]
async fn postgres_publishes_what_a_killed_server_left_once() {
    a_server_killed_before_it_published_publishes_after_its_restart_once(BackendKind::Postgres)
        .await;
}

#[test]
fn a_tenants_name_is_one_token_of_a_subject() {
    assert_eq!(broker::subject_token("acme.eu *>"), "acme_eu___");
    assert_eq!(broker::subject_token("local"), "local");
}
