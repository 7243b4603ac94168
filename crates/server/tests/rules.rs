//! The server decides again: a hand-made batch that breaks a rule of
//! `decide` is refused whole, with the rule's code, and nothing of it is
//! stored. One case per rule, each over real HTTP against SQLite and
//! PostgreSQL.
//!
//! A forged command is made the way a broken or hostile client would: a
//! command decided where it was allowed (an earlier state, or another
//! history), its events sent again as the stream's next versions.

mod support;

use chrono::Duration;
use portal_domain::process;
use portal_domain::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use support::http::*;
use support::local::*;
use support::BackendKind;
use uuid::Uuid;

/// `events` sent again as the next versions of their stream on a server
/// that holds what `server` holds, with ids of their own.
fn again(events: &[Envelope], server: &Local) -> Vec<Envelope> {
    at_version(events, server.version(events[0].stream_id))
}

fn at_version(events: &[Envelope], current: u64) -> Vec<Envelope> {
    events
        .iter()
        .zip(1..)
        .map(|(e, i)| Envelope {
            event_id: EventId(Uuid::from_u128(
                0xF0_0000_0000 ^ e.event_id.0.as_u128() ^ u128::from(i),
            )),
            stream_version: current + i,
            ..e.clone()
        })
        .collect()
}

async fn pushed(app: &TestApp, events: &[Envelope]) {
    let (status, reply) = app.push(ALPHA, events).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
}

/// The batch `valid` then `forged` is refused for `rule`, and the log is
/// as it was.
async fn refused(app: &TestApp, valid: &[Envelope], forged: &[Envelope], rule: &str) -> Value {
    let before = app.pull_all(ALPHA).await;
    let batch: Vec<Envelope> = valid.iter().chain(forged).cloned().collect();
    let (status, reply) = app.push(ALPHA, &batch).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");
    assert_eq!(reply["code"], "rule_broken", "{reply}");
    assert_eq!(reply["rule"], rule, "{reply}");
    assert_eq!(
        app.pull_all(ALPHA).await,
        before,
        "nothing of the batch is stored"
    );
    // The valid part alone is still taken: the refusal was the forged command's.
    if !valid.is_empty() {
        pushed(app, valid).await;
    }
    reply
}

/// A server holding application 1 (with "Payments" and credential 1), and
/// the device that wrote it.
async fn with_application(backend: BackendKind) -> (TestApp, Local) {
    let app = spawn_app_on(backend).await;
    let mut local = Local::new(1);
    let mut events = local.run(create(1, 1));
    events.extend(local.run(add(1, "Payments")));
    pushed(&app, &events).await;
    (app, local)
}

async fn application_already_exists(backend: BackendKind) {
    let (app, local) = with_application(backend).await;
    let log: Vec<Envelope> = local.portal.log().iter().cloned().collect();
    let created = &log[..2];
    let reply = refused(
        &app,
        &[],
        &again(created, &local),
        "application_already_exists",
    )
    .await;
    assert!(
        reply["error"].as_str().unwrap().contains("already exists"),
        "the domain's reason: {reply}"
    );
}

async fn application_not_found(backend: BackendKind) {
    let (app, mut local) = with_application(backend).await;
    // Another history, where application 9 exists.
    let mut elsewhere = Local::new(2);
    elsewhere.run(create(9, 9));
    let added = elsewhere.run(add(9, "Maps"));
    let valid = local.run(add(1, "Maps"));
    refused(
        &app,
        &valid,
        &again(&added, &Local::new(3)),
        "application_not_found",
    )
    .await;
}

async fn application_deleted(backend: BackendKind) {
    let (app, mut local) = with_application(backend).await;
    let mut before_delete = Local::new(1);
    before_delete.run(create(1, 1));
    before_delete.run(add(1, "Payments"));
    let added = before_delete.run(add(1, "Maps"));
    pushed(
        &app,
        &local.run(Action::DeleteApplication { app_id: app_id(1) }),
    )
    .await;
    refused(&app, &[], &again(&added, &local), "application_deleted").await;
}

async fn product_already_added(backend: BackendKind) {
    let (app, mut local) = with_application(backend).await;
    let added = local.run(add(1, "Maps"));
    pushed(&app, &added).await;
    refused(&app, &[], &again(&added, &local), "product_already_added").await;
}

async fn product_not_on_application(backend: BackendKind) {
    let (app, mut local) = with_application(backend).await;
    let removed = local.run(remove(1, "Payments"));
    pushed(&app, &removed).await;
    refused(
        &app,
        &[],
        &again(&removed, &local),
        "product_not_on_application",
    )
    .await;
}

async fn same_owner(backend: BackendKind) {
    let (app, mut local) = with_application(backend).await;
    let changed = local.run(Action::ChangeOwner {
        app_id: app_id(1),
        owner: Owner::parse("bob@example.com").unwrap(),
    });
    pushed(&app, &changed).await;
    refused(&app, &[], &again(&changed, &local), "same_owner").await;
}

async fn same_plan(backend: BackendKind) {
    let (app, mut local) = with_application(backend).await;
    let changed = local.run(Action::ChangePlan {
        app_id: app_id(1),
        plan: Plan::Paid,
    });
    pushed(&app, &changed).await;
    refused(&app, &[], &again(&changed, &local), "same_plan").await;
}

async fn credential_already_exists(backend: BackendKind) {
    let (app, mut local) = with_application(backend).await;
    let generated = local.run(Action::GenerateCredential {
        app_id: app_id(1),
        credential: credential(2, t0() + Duration::days(10)),
    });
    pushed(&app, &generated).await;
    refused(
        &app,
        &[],
        &again(&generated, &local),
        "credential_already_exists",
    )
    .await;
}

async fn expiry_not_after_issue(backend: BackendKind) {
    let (app, mut local) = with_application(backend).await;
    let mut generated = local.run(Action::GenerateCredential {
        app_id: app_id(1),
        credential: credential(2, t0() + Duration::days(10)),
    });
    // Issued after it expires: the command's time is its events' time.
    for e in &mut generated {
        e.occurred_at = t0() + Duration::days(11);
    }
    refused(&app, &[], &generated, "expiry_not_after_issue").await;
}

async fn credential_not_found(backend: BackendKind) {
    let (app, local) = with_application(backend).await;
    // Another history, where application 1 holds credential 9.
    let mut elsewhere = Local::new(2);
    elsewhere.run(create(1, 9));
    let revoked = elsewhere.run(Action::RevokeCredential {
        app_id: app_id(1),
        credential_id: credential(9, t0()).id,
    });
    refused(&app, &[], &again(&revoked, &local), "credential_not_found").await;
}

async fn credential_not_active(backend: BackendKind) {
    let (app, mut local) = with_application(backend).await;
    let revoked = local.run(Action::RevokeCredential {
        app_id: app_id(1),
        credential_id: credential(1, t0()).id,
    });
    pushed(&app, &revoked).await;
    refused(&app, &[], &again(&revoked, &local), "credential_not_active").await;
}

/// An expiry is written for a credential with time left to run.
async fn credential_not_yet_expired(backend: BackendKind) {
    let (app, mut local) = with_application(backend).await;
    let issued = process::on_tick(
        t0() + Duration::days(31),
        &local.portal,
        DeviceId(Uuid::from_u128(7)),
    );
    let mut expired = local.issue(issued.into_iter().next().expect("an expiry is due"));
    for e in &mut expired {
        e.occurred_at = t0() + Duration::days(2);
    }
    refused(&app, &[], &expired, "credential_not_yet_expired").await;
}

async fn credential_already_ended(backend: BackendKind) {
    let (app, mut local) = with_application(backend).await;
    let mut unrevoked = Local::new(1);
    unrevoked.run(create(1, 1));
    unrevoked.run(add(1, "Payments"));
    let due = process::on_tick(
        t0() + Duration::days(31),
        &unrevoked.portal,
        DeviceId(Uuid::from_u128(7)),
    );
    let expired = unrevoked.issue(due.into_iter().next().expect("an expiry is due"));
    pushed(
        &app,
        &local.run(Action::RevokeCredential {
            app_id: app_id(1),
            credential_id: credential(1, t0()).id,
        }),
    )
    .await;
    refused(
        &app,
        &[],
        &again(&expired, &local),
        "credential_already_ended",
    )
    .await;
}

/// A server holding a sent survey about the removal of "Payments", and
/// the device that wrote it; its events: removal, added, sent.
async fn with_survey(backend: BackendKind) -> (TestApp, Local, Vec<Envelope>, Vec<Envelope>) {
    let (app, mut local) = with_application(backend).await;
    let removed = local.run(remove(1, "Payments"));
    let added = local.react(&removed[0]);
    let sent = local.react(&added[0]);
    let all: Vec<Envelope> = removed.iter().chain(&added).chain(&sent).cloned().collect();
    pushed(&app, &all).await;
    (app, local, added, sent)
}

fn survey_of(events: &[Envelope]) -> SurveyId {
    SurveyId(events[0].stream_id.0)
}

fn answer(local: &mut Local, survey: SurveyId) -> Vec<Envelope> {
    let issued = process::answer(
        &local.portal,
        survey,
        Rating::parse(4).unwrap(),
        None,
        local.now + Duration::minutes(1),
        DeviceId(Uuid::from_u128(7)),
    )
    .unwrap();
    local.issue(issued)
}

async fn survey_already_exists(backend: BackendKind) {
    let (app, local, added, _) = with_survey(backend).await;
    refused(&app, &[], &again(&added, &local), "survey_already_exists").await;
}

async fn survey_already_sent(backend: BackendKind) {
    let (app, local, _, sent) = with_survey(backend).await;
    refused(&app, &[], &again(&sent, &local), "survey_already_sent").await;
}

async fn survey_not_found(backend: BackendKind) {
    let (app, _, _, sent) = with_survey(backend).await;
    // Sent again as the first event of a survey nobody added.
    let mut unknown = again(&sent, &Local::new(5));
    unknown[0].stream_id = StreamId(Uuid::from_u128(0x5EED));
    if let Event::SurveySent { survey_id, .. } = &mut unknown[0].event {
        *survey_id = SurveyId(Uuid::from_u128(0x5EED));
    }
    refused(&app, &[], &unknown, "survey_not_found").await;
}

async fn survey_not_sent(backend: BackendKind) {
    let (app, mut local) = with_application(backend).await;
    let removed = local.run(remove(1, "Payments"));
    let added = local.react(&removed[0]);
    // Only the survey's creation reaches the server.
    let stored: Vec<Envelope> = removed.iter().chain(&added).cloned().collect();
    pushed(&app, &stored).await;
    let on_server = stored
        .iter()
        .filter(|e| e.stream_id == added[0].stream_id)
        .count() as u64;
    local.react(&added[0]);
    let answered = answer(&mut local, survey_of(&added));
    refused(
        &app,
        &[],
        &at_version(&answered, on_server),
        "survey_not_sent",
    )
    .await;
}

async fn survey_already_answered(backend: BackendKind) {
    let (app, mut local, added, _) = with_survey(backend).await;
    let answered = answer(&mut local, survey_of(&added));
    pushed(&app, &answered).await;
    refused(
        &app,
        &[],
        &again(&answered, &local),
        "survey_already_answered",
    )
    .await;
}

/// Events changed after they were decided: the record says another name.
async fn events_changed_after_deciding(backend: BackendKind) {
    let (app, mut local) = with_application(backend).await;
    let mut added = local.run(add(1, "Maps"));
    for e in &mut added {
        if let Event::ApplicationUpdate(record) = &mut e.event {
            Arc::make_mut(record).name = AppName::parse("Renamed on the quiet").unwrap();
        }
    }
    let reply = refused(&app, &[], &added, "not_decided").await;
    assert!(
        reply["error"].as_str().unwrap().contains("AddApiProduct"),
        "{reply}"
    );
}

/// A command's events cut in two: half a command is no command.
async fn half_a_command(backend: BackendKind) {
    let (app, mut local) = with_application(backend).await;
    let created = local.run(create(2, 2));
    assert_eq!(created.len(), 2);
    refused(&app, &[], &created[..1], "not_decided").await;
}

support::on_both_backends!(
    application_already_exists,
    application_not_found,
    application_deleted,
    product_already_added,
    product_not_on_application,
    same_owner,
    same_plan,
    credential_already_exists,
    expiry_not_after_issue,
    credential_not_found,
    credential_not_active,
    credential_not_yet_expired,
    credential_already_ended,
    survey_already_exists,
    survey_already_sent,
    survey_not_found,
    survey_not_sent,
    survey_already_answered,
    events_changed_after_deciding,
    half_a_command,
);
