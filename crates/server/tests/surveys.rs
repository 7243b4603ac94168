//! The survey form writes back (ADR 34), over real HTTP on SQLite and
//! PostgreSQL: the processors send a survey after a removal; its link and
//! secret go to its owner (not another developer); an answer signed with
//! the secret is recorded once, as the owner's, caused by the sending; the
//! same answer again changes nothing; another answer is refused by the
//! rules; a forged, stale or missing signature is a 401, and stores nothing.

mod support;

use portal_domain::*;
use portal_server::processors;
use portal_server::surveys::sign;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;
use support::http::*;
use support::local::*;
use support::BackendKind;

const ADA: &str = "ada@example.com";
const BOB: &str = "bob@example.com";

/// Ada's application, a product removed from it, and the survey the
/// processors sent: its id.
async fn a_sent_survey(app: &TestApp, token: &str) -> SurveyId {
    let mut ada = Local::new(1);
    let mut history = ada.run(create(1, 1));
    history.extend(ada.run(add(1, "maps")));
    history.extend(ada.run(remove(1, "maps")));
    let (status, reply) = app.push(token, &history).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    for _ in 0..200 {
        let sent = app.log().await.into_iter().find_map(|e| match e.event {
            Event::SurveySent { survey_id, .. } => Some(survey_id),
            _ => None,
        });
        if let Some(survey) = sent {
            return survey;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the processors sent the survey");
}

async fn post(
    app: &TestApp,
    survey: SurveyId,
    body: &str,
    signature: Option<String>,
) -> (StatusCode, Value) {
    let mut request = app
        .client
        .post(format!(
            "{}/api/v1/surveys/{}/responses",
            app.base, survey.0
        ))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(signature) = signature {
        request = request.header("portal-signature", signature);
    }
    let response = request.send().await.unwrap();
    (
        response.status(),
        response.json().await.unwrap_or(Value::Null),
    )
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn an_answer_signed_with_the_surveys_secret_is_recorded_once(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let ada = person(&app, ADA, Role::Developer).await;
    let bob = person(&app, BOB, Role::Developer).await;
    let ada = app.session(ADA, &ada).await;
    let bob = app.session(BOB, &bob).await;
    let survey = a_sent_survey(&app, &ada).await;
    let link_path = format!("/surveys/{}/link", survey.0);

    let (status, link) = app.call(reqwest::Method::GET, &link_path, &ada, None).await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let key = link["key"].as_str().unwrap().to_owned();
    assert_eq!(
        link["url"],
        format!("/surveys/{}?key={key}", survey.0),
        "the link is a page of the portal"
    );
    let (status, other) = app.call(reqwest::Method::GET, &link_path, &bob, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{other}");
    let (status, machine) = app
        .call(reqwest::Method::GET, &link_path, ALPHA, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(machine["key"], link["key"], "one secret per survey");

    let before = app.log().await;
    let body = r#"{"rating":4,"comment":"maps was too slow for us"}"#;
    for (signature, why) in [
        (None, "unsigned"),
        (Some(sign("not the key", now(), body.as_bytes())), "forged"),
        (Some(sign(&key, now() - 3600, body.as_bytes())), "stale"),
        (
            Some(sign(&key, now(), br#"{"rating":5}"#)),
            "signed for another body",
        ),
    ] {
        let (status, reply) = post(&app, survey, body, signature).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{why}: {reply}");
        assert_eq!(reply["code"], "bad_signature", "{why}: {reply}");
    }
    assert_eq!(app.log().await, before, "nothing of them is stored");

    let (status, reply) = post(&app, survey, body, Some(sign(&key, now(), body.as_bytes()))).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["outcome"], "recorded");
    let log = app.log().await;
    assert_eq!(log.len(), before.len() + 1);
    let recorded = log.last().unwrap();
    match &recorded.event {
        Event::SurveyFeedbackRecorded {
            rating, comment, ..
        } => {
            assert_eq!(rating.get(), 4);
            assert_eq!(
                comment.as_ref().unwrap().as_str(),
                "maps was too slow for us"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(recorded.actor.as_str(), ADA, "as the owner's answer");
    assert_eq!(recorded.device, processors::device_of("alpha"));
    let sent = before
        .iter()
        .find(|e| e.event_type() == EventType::SurveySent)
        .unwrap();
    assert_eq!(recorded.causation_id, Some(sent.event_id));

    // The same answer delivered again: taken, and nothing new.
    let (status, reply) = post(&app, survey, body, Some(sign(&key, now(), body.as_bytes()))).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["outcome"], "already_recorded");
    assert_eq!(app.log().await, log);

    // Another answer after it: the rules say no.
    let other = r#"{"rating":1}"#;
    let (status, reply) = post(
        &app,
        survey,
        other,
        Some(sign(&key, now(), other.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");
    assert_eq!(reply["code"], "rule_broken");
    assert_eq!(reply["rule"], "survey_already_answered");
    assert_eq!(app.log().await, log);

    // A survey nobody has: the signature cannot be right.
    let nobody = SurveyId(uuid::Uuid::from_u128(77));
    let (status, reply) = post(&app, nobody, body, Some(sign(&key, now(), body.as_bytes()))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{reply}");
}

support::on_both_backends!(an_answer_signed_with_the_surveys_secret_is_recorded_once);
