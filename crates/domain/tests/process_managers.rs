//! Process managers: which commands each event (or the passing of time) issues,
//! with causation and correlation, and that reacting twice issues nothing new.

mod support;

use chrono::Duration;
use portal_domain::process::{self, PAID_SURVEY_AFTER};
use portal_domain::*;
use support::*;

fn removal() -> (Scenario, Envelope) {
    let mut s = given([create(1, Plan::Free), add(1, "payments")]);
    let envelopes = s.attempt(remove(1, "payments", "Too expensive")).unwrap();
    let removed = envelopes[0].clone();
    assert_eq!(removed.event_type(), EventType::ApiProductRemoved);
    (s, removed)
}

#[test]
fn removing_a_product_starts_a_feedback_survey_for_the_owner() {
    let (s, removed) = removal();
    let issued = process::react(&removed, &s.portal, device());
    assert_eq!(issued.len(), 1);
    match &issued[0].command.action {
        Action::AddSurvey {
            app_id,
            owner: o,
            topic,
            ..
        } => {
            assert_eq!(*app_id, app(1));
            assert_eq!(*o, owner("ada@example.com"));
            assert_eq!(
                *topic,
                SurveyTopic::ProductRemoved {
                    product: product("payments"),
                    reason: reason("Too expensive"),
                }
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_process_command_carries_its_cause_and_the_causes_correlation() {
    let (s, removed) = removal();
    let issued = process::react(&removed, &s.portal, device());
    assert_eq!(issued[0].meta.causation_id, Some(removed.event_id));
    assert_eq!(issued[0].meta.correlation_id, Some(removed.correlation_id));
    assert_eq!(issued[0].meta.actor.as_str(), process::SURVEYS_PROCESS);
}

#[test]
fn adding_a_survey_sends_it() {
    let (mut s, removed) = removal();
    let issued = process::react(&removed, &s.portal, device()).remove(0);
    let added = s.run(issued).unwrap().remove(0);
    let send = process::react(&added, &s.portal, device());
    assert_eq!(send.len(), 1);
    assert!(matches!(send[0].command.action, Action::SendSurvey { .. }));
    assert_eq!(send[0].meta.causation_id, Some(added.event_id));
    assert_eq!(send[0].meta.correlation_id, Some(removed.correlation_id));
    let sent = s.run(send[0].clone()).unwrap();
    assert_eq!(Scenario::types(&sent), [EventType::SurveySent]);
}

#[test]
fn reacting_twice_to_a_removal_issues_nothing_new() {
    let (mut s, removed) = removal();
    let first = process::react(&removed, &s.portal, device());
    s.run(first[0].clone()).unwrap();
    assert!(process::react(&removed, &s.portal, device()).is_empty());
}

#[test]
fn a_duplicate_reaction_delivered_before_the_first_is_applied_is_refused() {
    let (mut s, removed) = removal();
    let first = process::react(&removed, &s.portal, device());
    let second = process::react(&removed, &s.portal, device());
    assert_eq!(first, second, "reactions are deterministic");
    s.run(first[0].clone()).unwrap();
    assert!(matches!(
        s.run(second[0].clone()),
        Err(DomainError::SurveyAlreadyExists { .. })
    ));
}

#[test]
fn reacting_twice_to_a_survey_being_added_issues_nothing_new() {
    let (mut s, removed) = removal();
    let added = s.react_to(&removed);
    let send = process::react(&added, &s.portal, device()).remove(0);
    s.run(send).unwrap();
    assert!(process::react(&added, &s.portal, device()).is_empty());
}

#[test]
fn other_events_issue_nothing() {
    let mut s = given([create(1, Plan::Free)]);
    let added = s.attempt(add(1, "maps")).unwrap();
    for e in &added {
        assert!(process::react(e, &s.portal, device()).is_empty());
    }
}

#[test]
fn a_credential_past_its_expiry_is_recorded_as_expired_caused_by_its_insert() {
    let mut s = given([]);
    let created = s.attempt(create(1, Plan::Free)).unwrap();
    let insert = created[1].clone();
    assert_eq!(insert.event_type(), EventType::CredentialInsert);
    let now = t0() + Duration::days(90);
    let issued = process::on_tick(now, &s.portal, device());
    assert_eq!(issued.len(), 1);
    assert_eq!(
        issued[0].command.action,
        Action::ExpireCredential {
            app_id: app(1),
            credential_id: cred(1)
        }
    );
    assert_eq!(issued[0].meta.causation_id, Some(insert.event_id));
    assert_eq!(issued[0].meta.correlation_id, Some(insert.correlation_id));
    assert_eq!(issued[0].meta.actor.as_str(), process::EXPIRY_PROCESS);
    let expired = s.run(issued[0].clone()).unwrap();
    assert_eq!(
        Scenario::types(&expired),
        [EventType::CredentialExpired, EventType::CredentialUpdate]
    );
}

#[test]
fn a_credential_before_its_expiry_is_left_alone() {
    let s = given([create(1, Plan::Free)]);
    let issued = process::on_tick(t0() + Duration::days(89), &s.portal, device());
    assert!(issued.is_empty());
}

#[test]
fn an_expiry_is_recorded_once() {
    let mut s = given([create(1, Plan::Free)]);
    let now = t0() + Duration::days(100);
    let issued = process::on_tick(now, &s.portal, device());
    s.run(issued[0].clone()).unwrap();
    assert!(process::on_tick(now, &s.portal, device()).is_empty());
}

#[test]
fn an_app_paid_for_more_than_90_days_gets_a_product_feedback_survey() {
    let mut s = given([create(1, Plan::Free), add(1, "maps")]);
    let changed = s
        .attempt(Action::ChangePlan {
            app_id: app(1),
            plan: Plan::Paid,
        })
        .unwrap();
    let paid_since = s.now;
    let issued: Vec<_> = process::on_tick(
        paid_since + PAID_SURVEY_AFTER + Duration::hours(1),
        &s.portal,
        device(),
    )
    .into_iter()
    .filter(|i| matches!(i.command.action, Action::AddSurvey { .. }))
    .collect();
    assert_eq!(issued.len(), 1);
    match &issued[0].command.action {
        Action::AddSurvey { topic, .. } => assert_eq!(
            *topic,
            SurveyTopic::PaidPlanFeedback {
                products: vec![product("maps")]
            }
        ),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(issued[0].meta.causation_id, Some(changed[0].event_id));
}

#[test]
fn an_app_paid_for_90_days_or_less_gets_no_survey() {
    let s = given([create(1, Plan::Paid)]);
    let at = s.now + PAID_SURVEY_AFTER - Duration::minutes(2);
    assert!(process::on_tick(at, &s.portal, device())
        .iter()
        .all(|i| !matches!(i.command.action, Action::AddSurvey { .. })));
}

#[test]
fn the_paid_plan_survey_is_issued_once_per_app() {
    let mut s = given([create(1, Plan::Paid)]);
    let later = t0() + Duration::days(95);
    let surveys = |s: &Scenario, at| -> Vec<process::Issued> {
        process::on_tick(at, &s.portal, device())
            .into_iter()
            .filter(|i| matches!(i.command.action, Action::AddSurvey { .. }))
            .collect()
    };
    let first = surveys(&s, later);
    s.run(first[0].clone()).unwrap();
    assert!(surveys(&s, later).is_empty());
    // Free, then paid again for another 90 days: still only the one survey.
    s.now = later;
    s.attempt(Action::ChangePlan {
        app_id: app(1),
        plan: Plan::Free,
    })
    .unwrap();
    s.attempt(Action::ChangePlan {
        app_id: app(1),
        plan: Plan::Paid,
    })
    .unwrap();
    assert!(surveys(&s, later + Duration::days(200)).is_empty());
}

#[test]
fn an_owners_answer_records_feedback_caused_by_the_sent_survey() {
    let (mut s, removed) = removal();
    let added = s.react_to(&removed);
    let sent = s.react_to(&added);
    let Event::SurveySent { survey_id, .. } = sent.event else {
        panic!("expected SURVEY_SENT");
    };
    let issued = process::answer(
        &s.portal,
        survey_id,
        Rating::parse(4).unwrap(),
        Text::parse_optional("comment", "Pricing").unwrap(),
        s.now,
        device(),
    )
    .unwrap();
    assert_eq!(issued.meta.causation_id, Some(sent.event_id));
    assert_eq!(issued.meta.correlation_id, Some(removed.correlation_id));
    assert_eq!(issued.meta.actor.as_str(), "ada@example.com");
    let recorded = s.run(issued).unwrap();
    assert_eq!(
        Scenario::types(&recorded),
        [EventType::SurveyFeedbackRecorded]
    );
    assert!(matches!(
        process::answer(
            &s.portal,
            survey_id,
            Rating::parse(1).unwrap(),
            None,
            s.now,
            device()
        ),
        Err(DomainError::SurveyAlreadyAnswered { .. })
    ));
}

#[test]
fn answering_a_survey_that_was_not_sent_is_refused() {
    let s = given([create(1, Plan::Free)]);
    assert_eq!(
        process::answer(
            &s.portal,
            survey(3),
            Rating::parse(3).unwrap(),
            None,
            s.now,
            device()
        ),
        Err(DomainError::SurveyNotFound {
            survey_id: survey(3)
        })
    );
}

#[test]
fn deleted_applications_get_no_expiry_and_no_survey() {
    let s = given([
        create(1, Plan::Paid),
        Action::DeleteApplication { app_id: app(1) },
    ]);
    assert!(process::on_tick(t0() + Duration::days(400), &s.portal, device()).is_empty());
}

#[test]
fn a_credential_falls_due_at_its_expiry_and_a_paid_application_just_after_90_days() {
    let mut s = given([create(1, Plan::Free)]);
    assert_eq!(
        process::due_for(&s.portal, app(1)),
        [(
            t0() + Duration::days(90),
            process::Due::Expiry {
                app_id: app(1),
                credential_id: cred(1)
            }
        )]
    );
    s.attempt(Action::ChangePlan {
        app_id: app(1),
        plan: Plan::Paid,
    })
    .unwrap();
    let paid_since = s.now;
    let due = process::due_for(&s.portal, app(1));
    assert_eq!(due.len(), 2);
    assert_eq!(
        due[1],
        (
            paid_since + PAID_SURVEY_AFTER + Duration::microseconds(1),
            process::Due::PaidPlanSurvey { app_id: app(1) }
        )
    );
    assert_eq!(process::all_due(&s.portal), due);
}

#[test]
fn a_due_expiry_caught_up_late_is_dated_when_it_fell_due() {
    let s = given([create(1, Plan::Free)]);
    let (at, work) = process::due_for(&s.portal, app(1))[0];
    let issued = process::run_due(work, at, &s.portal, device()).expect("due");
    assert_eq!(issued.command.at, t0() + Duration::days(90));
    assert_eq!(
        issued.command.action,
        Action::ExpireCredential {
            app_id: app(1),
            credential_id: cred(1)
        }
    );
    // Not before its time.
    assert!(process::run_due(work, at - Duration::seconds(1), &s.portal, device()).is_none());
}

#[test]
fn nothing_falls_due_for_a_revoked_credential_or_a_deleted_application() {
    let mut s = given([create(1, Plan::Paid), create(2, Plan::Free)]);
    let (at, work) = process::due_for(&s.portal, app(1))[0];
    s.attempt(Action::RevokeCredential {
        app_id: app(1),
        credential_id: cred(1),
    })
    .unwrap();
    assert!(process::run_due(work, at, &s.portal, device()).is_none());
    assert!(process::due_for(&s.portal, app(1))
        .iter()
        .all(|(_, w)| !matches!(w, process::Due::Expiry { .. })));
    s.attempt(Action::DeleteApplication { app_id: app(2) })
        .unwrap();
    assert!(process::due_for(&s.portal, app(2)).is_empty());
}

#[test]
fn ids_derived_from_a_cause_are_the_same_each_time_and_differ_between_causes() {
    let (_, removed) = removal();
    let cause = removed.event_id.0;
    let millis = 1_750_000_000_000;
    let ids = |cause, purpose| {
        let mut source = DerivedIds::new(cause, purpose);
        [source.next_v7(millis), source.next_v7(millis)]
    };
    let first = ids(cause, "ADD_SURVEY");
    assert_eq!(first, ids(cause, "ADD_SURVEY"), "deterministic");
    assert_ne!(first[0], first[1], "one command's events differ");
    assert_ne!(first, ids(cause, "SEND_SURVEY"));
    assert_ne!(first, ids(uuid::Uuid::nil(), "ADD_SURVEY"));
    assert_eq!(
        first[0].get_version_num(),
        7,
        "time-ordered, like every event id"
    );
}

#[test]
fn a_removal_not_sent_yet_foresees_its_survey_and_one_answered_foresees_nothing() {
    let (mut s, removed) = removal();
    let foreseen = process::foreseen([&removed], &s.portal);
    assert_eq!(foreseen.len(), 1);
    assert!(matches!(
        foreseen[0].command.action,
        Action::AddSurvey { .. }
    ));
    let added = s.react_to(&removed);
    assert!(
        process::foreseen([&removed], &s.portal).is_empty(),
        "once added, nothing more is foreseen for the removal"
    );
    assert_eq!(added.event_type(), EventType::SurveyAdded);
}
