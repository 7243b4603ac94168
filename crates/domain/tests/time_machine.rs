//! Time travel over the whole portal.

mod support;

use chrono::Duration;
use portal_domain::demo::{DemoConfig, DemoGenerator};
use portal_domain::*;
use support::*;

fn demo(events: usize) -> Vec<Envelope> {
    DemoGenerator::generate(DemoConfig::year(7, events))
}

#[test]
fn the_state_at_every_position_equals_a_plain_fold_of_the_first_k_events() {
    let log = demo(1500);
    let machine = TimeMachine::from_log(log.clone(), 64);
    for k in (0..=log.len()).step_by(7).chain([log.len()]) {
        assert_eq!(machine.state_at(k), Portal::fold(&log[..k]), "position {k}");
    }
}

#[test]
fn a_machine_resumed_from_its_head_answers_as_one_built_from_the_log() {
    let log = demo(1200);
    let built = TimeMachine::from_log(log.clone(), 64);
    let head = Portal::fold(&log[..1000]);
    let mut resumed = TimeMachine::resume(head, 64);
    assert_eq!(
        resumed.checkpoint_count(),
        1,
        "nothing folded before it is asked"
    );
    // Events appended after resuming, before and after the first look back.
    for envelope in &log[1000..1100] {
        resumed.push(envelope.clone());
    }
    assert_eq!(resumed.state_at(700), built.state_at(700));
    for envelope in &log[1100..] {
        resumed.push(envelope.clone());
    }
    for k in (0..=log.len()).step_by(37).chain([log.len()]) {
        assert_eq!(resumed.state_at(k), built.state_at(k), "position {k}");
    }
    assert_eq!(resumed.checkpoint_count(), built.checkpoint_count());
    let app = log[0]
        .event
        .app_id()
        .expect("the demo begins with an application");
    assert_eq!(
        resumed.app_history(app, log.len()).len(),
        built.app_history(app, log.len()).len()
    );
}

#[test]
fn checkpoints_are_taken_every_n_events() {
    let log = demo(1000);
    let machine = TimeMachine::from_log(log.clone(), 100);
    assert_eq!(machine.checkpoint_every(), 100);
    assert_eq!(machine.checkpoint_count(), 1 + log.len() / 100);
}

#[test]
fn positions_past_the_head_are_clamped_to_the_head() {
    let log = demo(300);
    let machine = TimeMachine::from_log(log.clone(), 50);
    assert_eq!(machine.state_at(log.len() + 1000), *machine.head());
    assert_eq!(machine.state_at(0), Portal::new());
}

#[test]
fn time_derived_state_is_evaluated_at_the_positions_time() {
    let mut s = given([create(1, Plan::Free)]);
    s.advance(Duration::days(95));
    s.attempt(Action::CreateApplication {
        app_id: app(2),
        name: name("Later"),
        owner: owner("grace@example.com"),
        plan: Plan::Paid,
        credential: new_credential(2, s.now + Duration::days(400)),
    })
    .unwrap();
    let machine = TimeMachine::from_log(s.log(), 2);
    let at = |k| {
        let state = machine.state_at(k);
        let clock = state.clock().unwrap();
        let status = state
            .app_credentials_at(app(1), clock)
            .next()
            .unwrap()
            .status;
        (status, state.upsell_targets_at(clock).len())
    };
    // Right after creation: the credential is active and the app is new.
    assert_eq!(at(2), (CredentialStatus::Active, 0));
    // 95 days later the first credential has expired (no event recorded it)
    // and the first app has been free for more than 30 days.
    assert_eq!(at(4), (CredentialStatus::Expired, 1));
}

#[test]
fn a_diff_lists_what_changed_per_projection() {
    let mut s = given([create(1, Plan::Free)]);
    let from = s.portal.position() as usize;
    s.attempt(add(1, "maps")).unwrap();
    s.attempt(Action::ChangeOwner {
        app_id: app(1),
        owner: owner("grace@example.com"),
    })
    .unwrap();
    s.attempt(create(2, Plan::Paid)).unwrap();
    let machine = TimeMachine::from_log(s.log(), 3);
    let diff = machine.diff(from, machine.len());
    assert_eq!(
        diff.applications,
        [Change::Changed(app(1)), Change::Added(app(2))]
    );
    assert_eq!(diff.credentials, [Change::Added(cred(2))]);
    assert_eq!(diff.adoption, [(product("maps"), 0, 1)]);
    assert_eq!(diff.owner_changes.len(), 1);
    assert_eq!(
        diff.events_by_type.get(&EventType::ApplicationUpdate),
        Some(&2)
    );
    assert_eq!(
        diff.events_by_type.values().sum::<usize>(),
        machine.len() - from
    );
    // Backwards, the same changes read the other way.
    let back = machine.diff(machine.len(), from);
    assert_eq!(
        back.applications,
        [Change::Changed(app(1)), Change::Removed(app(2))]
    );
}

#[test]
fn a_diff_of_a_position_with_itself_is_empty() {
    let log = demo(500);
    let machine = TimeMachine::from_log(log, 32);
    assert!(machine.diff(250, 250).is_empty());
    assert!(!machine.diff(0, 250).is_empty());
}

#[test]
fn appending_to_a_past_state_is_refused() {
    let log = demo(200);
    let machine = TimeMachine::from_log(log.clone(), 32);
    let mut past = machine.state_at(100);
    assert_eq!(
        past.append(log[100].clone()),
        Err(NotAtHead {
            position: 100,
            log_len: log.len()
        })
    );
}
