//! Two instances over one PostgreSQL database (ADR 36), with a real NATS
//! JetStream: both take pushes (a person's, so the processors react),
//! serve subscriptions and pulls; one is killed (SIGKILL) halfway, and the
//! other goes on alone. At the end: the log is gap-free and each process
//! event is in it once for its cause (the survey of every removal, also of
//! those after the kill, once the survivor holds the lease); the broker
//! holds every event once, in order; the survivor's subscriber saw every
//! event once, in order, and the killed one's a gap-free beginning of it.

mod support;

use portal_domain::{Action, AppName, Envelope, EventType, Owner, Plan, Role};
use portal_server::broker;
use reqwest::StatusCode;
use std::collections::HashSet;
use std::time::Duration;
use support::binary;
use support::http::*;
use support::local::*;
use support::nats::Nats;
use support::sse::Subscription;
use support::BackendKind;

const ADA: &str = "ada@example.com";

/// Application `n` of Ada's, with a product added and removed: three
/// commands, for the instances `first` and `second` in turn.
fn lifecycle(ada: &mut Local, n: u128) -> [Vec<Envelope>; 3] {
    let created = ada.run(Action::CreateApplication {
        app_id: app_id(n),
        name: AppName::parse(&format!("App {n}")).unwrap(),
        owner: Owner::parse(ADA).unwrap(),
        plan: Plan::Free,
        // Nothing falls due during the test.
        credential: credential(n, chrono::Utc::now() + chrono::Duration::days(365)),
    });
    let added = ada.run(add(n, "maps"));
    let removed = ada.run(remove(n, "maps"));
    [created, added, removed]
}

async fn pushed(app: &TestApp, token: &str, events: &[Envelope]) {
    let (status, reply) = app.push(token, events).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
}

/// The log, once it holds `surveys` sent surveys.
async fn until_surveys(app: &TestApp, surveys: usize) -> Vec<Envelope> {
    for _ in 0..400 {
        let log = app.log().await;
        let sent = log
            .iter()
            .filter(|e| e.event_type() == EventType::SurveySent)
            .count();
        if sent >= surveys {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{surveys} surveys were sent");
}

#[tokio::test]
async fn two_instances_over_one_postgres_write_publish_and_stream_each_event_once() {
    let nats = Nats::start().await;
    let dir = tempfile::tempdir().unwrap();
    let database = BackendKind::Postgres.database(dir.path()).await;
    let (port_a, port_b) = (binary::free_port(), binary::free_port());
    let start = |port: u16| {
        let mut command = binary::command(&database, port, ALPHA, "alpha");
        command.env("NATS_URL", &nats.url);
        command.spawn().expect("an instance starts")
    };
    let mut a = start(port_a);
    let mut b = start(port_b);
    let one = TestApp::at(&format!("http://127.0.0.1:{port_a}"), database.clone());
    let other = TestApp::at(&format!("http://127.0.0.1:{port_b}"), database.clone());
    binary::until_healthy(&one.client, &one.base).await;
    binary::until_healthy(&other.client, &other.base).await;
    let password = person(&one, ADA, Role::Developer).await;
    let (token_one, token_other) = (
        one.session(ADA, &password).await,
        other.session(ADA, &password).await,
    );
    let mut watch_one = Subscription::open(&one, ALPHA, "?after=0", None).await;
    let mut watch_other = Subscription::open(&other, ALPHA, "?after=0", None).await;

    // Both take pushes, in turn.
    let mut ada = Local::new(1);
    for n in 1..=6 {
        let [created, added, removed] = lifecycle(&mut ada, n);
        let (first, second) = if n % 2 == 1 {
            ((&one, &token_one), (&other, &token_other))
        } else {
            ((&other, &token_other), (&one, &token_one))
        };
        pushed(first.0, first.1, &created).await;
        pushed(second.0, second.1, &added).await;
        pushed(first.0, first.1, &removed).await;
    }
    until_surveys(&other, 6).await;

    // One instance goes; the other goes on alone, and takes the lease if
    // it did not hold it.
    a.kill().expect("SIGKILL");
    let _ = a.wait();
    for n in 7..=9 {
        for events in lifecycle(&mut ada, n) {
            pushed(&other, &token_other, &events).await;
        }
    }
    let log = until_surveys(&other, 9).await;
    // A while longer: nothing more is written (no survey twice).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let log_then = other.log().await;
    assert_eq!(log_then.len(), log.len(), "nothing written twice");
    let log = log_then;

    for (event, position) in log.iter().zip(1u64..) {
        assert_eq!(event.global_position, Some(position), "gap-free");
    }
    let mut causes = HashSet::new();
    for event in log.iter().filter(|e| e.actor.is_process()) {
        assert!(
            causes.insert((event.causation_id, event.event_type())),
            "a process event twice for one cause: {event:?}"
        );
    }
    let added = log
        .iter()
        .filter(|e| e.event_type() == EventType::SurveyAdded)
        .count();
    assert_eq!(added, 9, "one survey per removal");

    // The broker holds every event once, in log order.
    let mut delivered = Vec::new();
    let consuming = broker::consume(&nats.url, "alpha", "two-instances", |d| {
        delivered.push(d);
        delivered.len() < log.len()
    });
    tokio::time::timeout(Duration::from_secs(20), consuming)
        .await
        .expect("every event reached the broker")
        .expect("the consumer follows");
    let published: Vec<_> = delivered
        .iter()
        .map(|d| portal_sync::codec::decode(&d.data).unwrap().event_id)
        .collect();
    let stored: Vec<_> = log.iter().map(|e| e.event_id).collect();
    assert_eq!(published, stored, "each once, in order");

    // The survivor's subscriber: every event once, in order.
    let seen = watch_other.next(log.len()).await;
    let ids: Vec<u64> = seen.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, (1..=log.len() as u64).collect::<Vec<_>>());
    // The killed instance's: a gap-free beginning.
    let before = watch_one.drain().await;
    for ((id, event), position) in before.iter().zip(1u64..) {
        assert_eq!(*id, position, "no gap before it went");
        assert_eq!(event.event_id, log[position as usize - 1].event_id);
    }
    assert!(!before.is_empty(), "it streamed until it went");
    let _ = b.kill();
    let _ = b.wait();
}
