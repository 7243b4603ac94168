//! The server's processors (ADR 30), over real HTTP on SQLite and
//! PostgreSQL, with no device open: a credential is recorded as expired
//! when it falls due, once, dated when it fell due, also when the server
//! was down at that time; a product removed gets its feedback survey added
//! and sent, once; an application 90 days on the paid plan gets its survey.
//! The processors' events carry ids derived from their cause, so a second
//! writing of them is the same events.

mod support;

use chrono::{DateTime, Duration, Utc};
use portal_domain::process::{EXPIRY_PROCESS, SURVEYS_PROCESS};
use portal_domain::*;
use portal_server::clock::Clock;
use portal_server::processors;
use reqwest::StatusCode;
use std::time::Instant;
use support::binary;
use support::http::*;
use support::local::*;
use support::BackendKind;

const ADA: &str = "ada@example.com";

/// A session of Ada's, a developer of tenant `alpha`: the processors react
/// to what people push (a machine token's push is imported history, with
/// its own processes' events).
async fn ada(app: &TestApp) -> String {
    let password = person(app, ADA, Role::Developer).await;
    app.session(ADA, &password).await
}

async fn pushed(app: &TestApp, token: &str, events: &[Envelope]) {
    let (status, reply) = app.push(token, events).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
}

/// The tenant's log, once it holds an event of `wanted`'s type `count`
/// times (the processors write after the push is answered).
async fn until_written(app: &TestApp, wanted: EventType, count: usize) -> Vec<Envelope> {
    let started = Instant::now();
    loop {
        let log = app.log().await;
        let found = log.iter().filter(|e| e.event_type() == wanted).count();
        if found >= count {
            return log;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{} written {found} times, not {count}",
            wanted.name()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn of_type(log: &[Envelope], wanted: EventType) -> Vec<&Envelope> {
    log.iter().filter(|e| e.event_type() == wanted).collect()
}

/// Application 1 with a credential expiring at `expires_at`.
fn created_with_expiry(local: &mut Local, expires_at: DateTime<Utc>) -> Vec<Envelope> {
    let Action::CreateApplication {
        app_id,
        name,
        owner,
        plan,
        credential,
    } = create(1, 1)
    else {
        unreachable!("create makes an application")
    };
    local.run(Action::CreateApplication {
        app_id,
        name,
        owner,
        plan,
        credential: NewCredential {
            expires_at,
            ..credential
        },
    })
}

async fn a_credential_is_recorded_as_expired_once_when_it_falls_due(backend: BackendKind) {
    // The server's now is a minute after the device's last command.
    let app = spawn_app_clocked(backend, Clock::starting_at(t0() + Duration::minutes(1))).await;
    let mut ada = Local::new(1);
    let due = t0() + Duration::minutes(1) + Duration::seconds(2);
    let created = created_with_expiry(&mut ada, due);
    pushed(&app, ALPHA, &created).await;
    let before = app.log().await;
    assert!(
        of_type(&before, EventType::CredentialExpired).is_empty(),
        "not before it falls due"
    );

    let log = until_written(&app, EventType::CredentialExpired, 1).await;
    let expired = of_type(&log, EventType::CredentialExpired)[0];
    assert_eq!(expired.actor.as_str(), EXPIRY_PROCESS);
    assert_eq!(expired.occurred_at, due, "dated when it fell due");
    assert_eq!(expired.device, processors::device_of("alpha"));
    assert_eq!(expired.causation_id, Some(created[1].event_id));
    assert_eq!(
        of_type(&log, EventType::CredentialUpdate).len(),
        1,
        "with its record's new image"
    );
    // Written once: a while later, still once.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let later = app.log().await;
    assert_eq!(of_type(&later, EventType::CredentialExpired).len(), 1);
    assert_eq!(later.len(), created.len() + 2);
}

async fn a_removed_product_gets_its_feedback_survey_added_and_sent_once(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let token = ada(&app).await;
    let mut local = Local::new(1);
    let mut history = local.run(create(1, 1));
    history.extend(local.run(add(1, "maps")));
    pushed(&app, &token, &history).await;
    let removed = local.run(remove(1, "maps"));
    pushed(&app, &token, &removed).await;

    let log = until_written(&app, EventType::SurveySent, 1).await;
    let added = of_type(&log, EventType::SurveyAdded);
    let sent = of_type(&log, EventType::SurveySent);
    assert_eq!((added.len(), sent.len()), (1, 1));
    assert_eq!(added[0].actor.as_str(), SURVEYS_PROCESS);
    assert_eq!(added[0].causation_id, Some(removed[0].event_id));
    assert_eq!(sent[0].causation_id, Some(added[0].event_id));
    assert_eq!(
        added[0].correlation_id, removed[0].correlation_id,
        "one conversation"
    );
    // The same removal again (a retry) sets off nothing new.
    pushed(&app, &token, &removed).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let again = app.log().await;
    assert_eq!(again.len(), log.len());

    // The processors' events, written again (a second instance, a retry
    // after a lost answer), are the same events: taken once, in place.
    let theirs: Vec<Envelope> = again
        .iter()
        .filter(|e| e.actor.is_process())
        .map(|e| Envelope {
            global_position: None,
            recorded_at: None,
            ..e.clone()
        })
        .collect();
    let (status, reply) = app.push(ALPHA, &theirs).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(app.log().await.len(), again.len());
}

async fn an_application_90_days_on_the_paid_plan_gets_its_survey(backend: BackendKind) {
    // 91 days after the device's history.
    let app = spawn_app_clocked(backend, Clock::starting_at(t0() + Duration::days(91))).await;
    let token = ada(&app).await;
    let mut local = Local::new(1);
    let mut history = local.run(create(1, 1));
    history.extend(local.run(Action::ChangePlan {
        app_id: app_id(1),
        plan: Plan::Paid,
    }));
    pushed(&app, &token, &history).await;
    let log = until_written(&app, EventType::SurveySent, 1).await;
    let added = of_type(&log, EventType::SurveyAdded);
    assert_eq!(added.len(), 1);
    match &added[0].event {
        Event::SurveyAdded { topic, .. } => {
            assert!(matches!(topic, SurveyTopic::PaidPlanFeedback { .. }))
        }
        other => panic!("{other:?}"),
    }
    // And the credential, 30 days long, expired on the way.
    assert_eq!(of_type(&log, EventType::CredentialExpired).len(), 1);
}

support::on_both_backends!(
    a_credential_is_recorded_as_expired_once_when_it_falls_due,
    a_removed_product_gets_its_feedback_survey_added_and_sent_once,
    an_application_90_days_on_the_paid_plan_gets_its_survey,
);

/// The real binary, killed before a credential falls due and started again
/// after: at its start it writes the expiry, once, dated when it fell due.
async fn what_fell_due_while_the_server_was_down_is_written_at_its_start(backend: BackendKind) {
    let dir = tempfile::tempdir().unwrap();
    let database = binary::database_for_binary(backend.database(dir.path()).await);
    let port = binary::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut server = binary::start(&database, port, ALPHA, "alpha");
    binary::until_healthy(&client, &base).await;

    // To the microsecond, as every store keeps times.
    let due = DateTime::from_timestamp_micros(Utc::now().timestamp_micros() + 2_000_000).unwrap();
    let mut ada = Local::new(1);
    ada.now = Utc::now() - Duration::minutes(2);
    let created = created_with_expiry(&mut ada, due);
    let app = TestApp::at(&base, database.clone());
    pushed(&app, ALPHA, &created).await;
    server.kill().expect("SIGKILL");
    let _ = server.wait();
    // Down past the due time.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert!(Utc::now() > due);

    let mut server = binary::start(&database, port, ALPHA, "alpha");
    binary::until_healthy(&client, &base).await;
    let log = until_written(&app, EventType::CredentialExpired, 1).await;
    let expired = of_type(&log, EventType::CredentialExpired);
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].occurred_at, due, "dated when it fell due");
    let _ = server.kill();
    let _ = server.wait();
}

#[tokio::test]
async fn sqlite_writes_what_fell_due_while_the_server_was_down() {
    what_fell_due_while_the_server_was_down_is_written_at_its_start(BackendKind::Sqlite).await;
}

#[tokio::test]
async fn postgres_writes_what_fell_due_while_the_server_was_down() {
    what_fell_due_while_the_server_was_down_is_written_at_its_start(BackendKind::Postgres).await;
}
