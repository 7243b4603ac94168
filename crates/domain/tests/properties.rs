//! Property tests over random command sequences and generated histories.

mod support;

use chrono::Duration;
use portal_domain::demo::{DemoConfig, DemoGenerator};
use portal_domain::*;
use proptest::prelude::*;
use support::*;

const PRODUCTS: [&str; 4] = ["payments", "maps", "search", "weather"];
const OWNERS: [&str; 3] = ["ada@example.com", "grace@example.com", "linus@example.com"];

/// A command from a small universe, so sequences hit every rule, valid or not.
fn action(kind: u8, a: u128, x: usize, days: i64) -> Action {
    let app_id = app(a);
    match kind % 12 {
        0 => Action::CreateApplication {
            app_id,
            name: name(&format!("App {a}")),
            owner: owner(OWNERS[x % 3]),
            plan: if x % 2 == 0 { Plan::Free } else { Plan::Paid },
            credential: new_credential(a * 10 + x as u128, t0() + Duration::days(days - 20)),
        },
        1 => add(a, PRODUCTS[x % 4]),
        2 => remove(
            a,
            PRODUCTS[x % 4],
            if x % 2 == 0 { "Too expensive" } else { "" },
        ),
        3 => Action::ChangeOwner {
            app_id,
            owner: owner(OWNERS[x % 3]),
        },
        4 => Action::ChangePlan {
            app_id,
            plan: if x % 2 == 0 { Plan::Free } else { Plan::Paid },
        },
        5 => Action::GenerateCredential {
            app_id,
            credential: new_credential(a * 10 + x as u128, t0() + Duration::days(days)),
        },
        6 => Action::RevokeCredential {
            app_id,
            credential_id: cred(a * 10 + x as u128),
        },
        7 => Action::ExpireCredential {
            app_id,
            credential_id: cred(a * 10 + x as u128),
        },
        8 => Action::DeleteApplication { app_id },
        9 => Action::AddSurvey {
            survey_id: survey(x as u128),
            app_id,
            owner: owner(OWNERS[x % 3]),
            topic: SurveyTopic::PaidPlanFeedback {
                products: vec![product(PRODUCTS[x % 4])],
            },
        },
        10 => Action::SendSurvey {
            survey_id: survey(x as u128),
        },
        _ => Action::RecordSurveyFeedback {
            survey_id: survey(x as u128),
            rating: Rating::parse((x % 5) as u8 + 1).unwrap(),
            comment: None,
        },
    }
}

fn actions() -> impl Strategy<Value = Vec<(Action, i64)>> {
    prop::collection::vec(
        (any::<u8>(), 0u128..4, 0usize..6, 0i64..200, 0i64..3),
        1..80,
    )
    .prop_map(|raw| {
        raw.into_iter()
            .map(|(k, a, x, d, step)| (action(k, a, x, d), step))
            .collect()
    })
}

/// Executes every action at its time; rejected ones must change nothing.
fn run(actions: &[(Action, i64)]) -> Scenario {
    let mut s = given([]);
    for (action, step) in actions {
        s.advance(Duration::days(*step));
        let _ = s.attempt(action.clone());
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn decide_never_panics_and_rejections_change_nothing(actions in actions()) {
        // `attempt` asserts that a rejected command leaves the state as it was.
        let s = run(&actions);
        prop_assert!(s.portal.position() as usize <= actions.len() * 2);
    }

    #[test]
    fn replay_is_deterministic(actions in actions()) {
        let first = run(&actions).log();
        let second = run(&actions).log();
        prop_assert_eq!(&first, &second);
        prop_assert_eq!(Portal::fold(&first), Portal::fold(&second));
    }

    #[test]
    fn folding_in_two_halves_equals_folding_whole(actions in actions(), cut in 0.0f64..=1.0) {
        let log = run(&actions).log();
        let m = (log.len() as f64 * cut) as usize;
        let mut halves = Portal::fold(&log[..m]);
        for e in &log[m..] {
            halves.append(e.clone()).unwrap();
        }
        prop_assert_eq!(halves, Portal::fold(&log));
    }

    #[test]
    fn the_time_machine_equals_a_plain_fold_at_every_position(actions in actions(), every in 1usize..20) {
        let log = run(&actions).log();
        let machine = TimeMachine::from_log(log.clone(), every);
        for k in 0..=log.len() {
            prop_assert_eq!(machine.state_at(k), Portal::fold(&log[..k]));
        }
    }

    #[test]
    fn the_owner_choices_are_the_owners_of_live_applications(actions in actions()) {
        let log = run(&actions).log();
        let mut portal = Portal::new();
        for envelope in log {
            portal.append(envelope).unwrap();
            let mut expected: Vec<&Owner> = portal
                .apps()
                .filter(|a| !a.is_deleted())
                .map(|a| &a.record.owner)
                .collect();
            expected.sort();
            expected.dedup();
            prop_assert_eq!(portal.owners(), expected);
        }
    }

    #[test]
    fn command_sequences_make_valid_histories(actions in actions()) {
        let log = run(&actions).log();
        prop_assert_eq!(validate(&log), Ok(()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn generated_histories_are_always_valid(seed in any::<u64>(), size in 200usize..4000) {
        let log = DemoGenerator::generate(DemoConfig::year(seed, size));
        prop_assert!(log.len() >= size);
        prop_assert_eq!(validate(&log), Ok(()));
    }

    #[test]
    fn the_time_machine_answers_positions_in_any_order(
        seed in any::<u64>(),
        every in 1usize..400,
        picks in proptest::collection::vec(0.0f64..=1.0, 1..40),
    ) {
        let log = DemoGenerator::generate(DemoConfig::year(seed, 1_500));
        let machine = TimeMachine::from_log(log.clone(), every);
        for pick in picks {
            let k = (log.len() as f64 * pick) as usize;
            prop_assert_eq!(machine.state_at(k), Portal::fold(&log[..k]), "position {}", k);
        }
    }

    #[test]
    fn the_time_machine_matches_a_fold_on_generated_histories(seed in any::<u64>(), every in 16usize..300) {
        let log = DemoGenerator::generate(DemoConfig::year(seed, 2000));
        let machine = TimeMachine::from_log(log.clone(), every);
        for k in (0..=log.len()).step_by(37) {
            prop_assert_eq!(machine.state_at(k), Portal::fold(&log[..k]));
        }
    }
}
