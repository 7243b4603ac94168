//! Who may do what: one test per rule of `may`, against portals built by
//! `decide`, so the states are the ones the rules will really meet.

mod support;

use chrono::Duration;
use portal_domain::*;
use support::*;

fn actor(s: &str) -> Actor {
    Actor::parse(s).unwrap()
}

fn check(scenario: &Scenario, who: &str, role: Role, action: Action) -> Result<(), Forbidden> {
    let command = scenario.command(action);
    let person = Person {
        actor: &actor(who),
        role,
    };
    may(person, &command, &scenario.portal.stream_state(&command))
}

fn all_allowed(scenario: &Scenario, who: &str, role: Role, actions: Vec<Action>) {
    for action in actions {
        let name = action.name();
        assert_eq!(check(scenario, who, role, action), Ok(()), "{name}");
    }
}

/// Every command a person may ask for on application 1, which holds the
/// product "Payments" and credential 1.
fn application_commands() -> Vec<Action> {
    vec![
        add(1, "Maps"),
        remove(1, "Payments", "not needed"),
        Action::ChangeOwner {
            app_id: app(1),
            owner: owner("bob@example.com"),
        },
        Action::ChangePlan {
            app_id: app(1),
            plan: Plan::Paid,
        },
        Action::GenerateCredential {
            app_id: app(1),
            credential: new_credential(2, t0() + Duration::days(30)),
        },
        Action::RevokeCredential {
            app_id: app(1),
            credential_id: cred(1),
        },
        Action::DeleteApplication { app_id: app(1) },
    ]
}

fn adas_application() -> Scenario {
    given([create(1, Plan::Free), add(1, "Payments")])
}

#[test]
fn a_developer_changes_their_own_application_in_every_way() {
    let scenario = adas_application();
    all_allowed(
        &scenario,
        "ada@example.com",
        Role::Developer,
        application_commands(),
    );
}

#[test]
fn a_developer_changes_nobody_elses_application() {
    let scenario = adas_application();
    for action in application_commands() {
        let refused = check(&scenario, "bob@example.com", Role::Developer, action).unwrap_err();
        assert_eq!(refused.code(), "not_owner");
        assert_eq!(
            refused,
            Forbidden::NotOwner {
                app_id: app(1),
                owner: owner("ada@example.com")
            }
        );
    }
}

#[test]
fn an_application_handed_over_is_the_new_owners_and_no_longer_the_old() {
    let mut scenario = adas_application();
    scenario
        .attempt(Action::ChangeOwner {
            app_id: app(1),
            owner: owner("bob@example.com"),
        })
        .unwrap();
    let late = check(
        &scenario,
        "ada@example.com",
        Role::Developer,
        add(1, "Maps"),
    );
    assert_eq!(late.unwrap_err().code(), "not_owner");
    assert_eq!(
        check(
            &scenario,
            "bob@example.com",
            Role::Developer,
            add(1, "Maps")
        ),
        Ok(())
    );
}

#[test]
fn a_deleted_application_is_still_its_owners_to_be_told_it_is_deleted() {
    let mut scenario = adas_application();
    scenario
        .attempt(Action::DeleteApplication { app_id: app(1) })
        .unwrap();
    // `may` lets the owner through, so `decide` gives the real reason.
    assert_eq!(
        check(
            &scenario,
            "ada@example.com",
            Role::Developer,
            add(1, "Maps")
        ),
        Ok(())
    );
    assert!(matches!(
        scenario.when(add(1, "Maps")),
        Err(DomainError::ApplicationDeleted { .. })
    ));
    assert_eq!(
        check(
            &scenario,
            "bob@example.com",
            Role::Developer,
            add(1, "Maps")
        )
        .unwrap_err()
        .code(),
        "not_owner"
    );
}

#[test]
fn a_command_on_an_application_that_does_not_exist_is_left_to_decide() {
    let scenario = given([]);
    assert_eq!(
        check(
            &scenario,
            "bob@example.com",
            Role::Developer,
            add(7, "Maps")
        ),
        Ok(())
    );
    assert!(matches!(
        scenario.when(add(7, "Maps")),
        Err(DomainError::ApplicationNotFound { .. })
    ));
}

#[test]
fn a_developer_creates_applications_only_for_themselves() {
    let scenario = given([]);
    assert_eq!(
        check(
            &scenario,
            "ada@example.com",
            Role::Developer,
            create(1, Plan::Free)
        ),
        Ok(())
    );
    let refused = check(
        &scenario,
        "bob@example.com",
        Role::Developer,
        create(1, Plan::Free),
    )
    .unwrap_err();
    assert_eq!(refused.code(), "create_for_other");
    assert!(refused.to_string().contains("ada@example.com"), "{refused}");
}

#[test]
fn a_product_owner_changes_no_application_not_even_to_create_one() {
    let scenario = adas_application();
    let mut actions = application_commands();
    actions.push(create(2, Plan::Free));
    for action in actions {
        // Not even one they would own: reading is the role.
        let refused = check(&scenario, "ada@example.com", Role::ProductOwner, action).unwrap_err();
        assert_eq!(refused.code(), "read_only_role");
    }
}

#[test]
fn an_admin_changes_anyones_application_and_creates_for_anyone() {
    let scenario = adas_application();
    let mut actions = application_commands();
    actions.push(create(2, Plan::Free));
    all_allowed(&scenario, "root@example.com", Role::Admin, actions);
}

#[test]
fn no_person_writes_what_only_processes_write() {
    let scenario = adas_application();
    let process_only = [
        Action::ExpireCredential {
            app_id: app(1),
            credential_id: cred(1),
        },
        Action::AddSurvey {
            survey_id: survey(1),
            app_id: app(1),
            owner: owner("ada@example.com"),
            topic: SurveyTopic::PaidPlanFeedback { products: vec![] },
        },
        Action::SendSurvey {
            survey_id: survey(1),
        },
    ];
    for action in process_only {
        assert!(action.is_process_only());
        for role in Role::ALL {
            let refused = check(&scenario, "ada@example.com", role, action.clone()).unwrap_err();
            assert_eq!(refused.code(), "process_only", "{role}");
        }
    }
    assert!(application_commands()
        .iter()
        .all(|action| !action.is_process_only()));
}

#[test]
fn a_survey_is_answered_only_by_the_person_it_was_sent_to() {
    let mut scenario = adas_application();
    let removed = scenario
        .attempt(remove(1, "Payments", "too slow"))
        .unwrap()
        .remove(0);
    let added = scenario.react_to(&removed);
    scenario.react_to(&added);
    let Event::SurveyAdded { survey_id, .. } = added.event else {
        panic!("a survey was added: {:?}", added.event);
    };
    let answer = Action::RecordSurveyFeedback {
        survey_id,
        rating: Rating::parse(4).unwrap(),
        comment: None,
    };
    assert_eq!(
        check(
            &scenario,
            "ada@example.com",
            Role::Developer,
            answer.clone()
        ),
        Ok(())
    );
    for role in Role::ALL {
        let refused = check(&scenario, "bob@example.com", role, answer.clone()).unwrap_err();
        assert_eq!(refused.code(), "not_your_survey", "{role}");
    }
}

#[test]
fn roles_read_back_from_their_stored_names() {
    for role in Role::ALL {
        assert_eq!(Role::parse(role.as_str()), Some(role));
        let json = serde_json::to_string(&role).unwrap();
        assert_eq!(json, format!("\"{}\"", role.as_str()));
    }
    assert_eq!(Role::parse("owner"), None);
}

#[test]
fn every_rule_has_its_own_code() {
    let scenario = adas_application();
    let errors = [
        scenario.when(add(1, "Payments")).unwrap_err(),
        scenario.when(remove(1, "Maps", "")).unwrap_err(),
        scenario.when(create(1, Plan::Free)).unwrap_err(),
        scenario.when(add(9, "Maps")).unwrap_err(),
        scenario
            .when(Action::ChangePlan {
                app_id: app(1),
                plan: Plan::Free,
            })
            .unwrap_err(),
    ];
    let codes: Vec<&str> = errors.iter().map(DomainError::code).collect();
    assert_eq!(
        codes,
        [
            "product_already_added",
            "product_not_on_application",
            "application_already_exists",
            "application_not_found",
            "same_plan"
        ]
    );
}

#[test]
fn a_new_owner_is_one_of_the_workspace_s_people() {
    let scenario = adas_application();
    let people = ["ada@example.com", "bob@example.com"];
    let known = |who: &str| people.contains(&who);
    let hand_over = |to: &str| {
        scenario.command(Action::ChangeOwner {
            app_id: app(1),
            owner: owner(to),
        })
    };
    assert_eq!(owner_known(&hand_over("bob@example.com"), known), Ok(()));
    let refused = owner_known(&hand_over("eve@example.com"), known).unwrap_err();
    assert_eq!(refused.code(), "unknown_owner");
    assert!(refused.to_string().contains("eve@example.com"));
    assert!(owner_known(&scenario.command(create(2, Plan::Free)), known).is_ok());
    assert!(owner_known(&scenario.command(create(2, Plan::Free)), |_| false).is_err());
    assert!(owner_known(&scenario.command(add(1, "Maps")), |_| false).is_ok());
}

#[test]
fn the_page_asks_once_what_may_says_of_every_change() {
    let scenario = adas_application();
    let app = scenario.portal.app(app(1)).unwrap();
    for (who, role) in [
        ("ada@example.com", Role::Developer),
        ("bob@example.com", Role::Developer),
        ("pat@example.com", Role::ProductOwner),
        ("root@example.com", Role::Admin),
    ] {
        let actor = actor(who);
        let person = Person {
            actor: &actor,
            role,
        };
        let once = may_change(person, app.id(), &app.record.owner);
        for action in application_commands() {
            let each = check(&scenario, who, role, action);
            assert_eq!(each.is_ok(), once.is_ok(), "{who}");
        }
        assert_eq!(may_create(person), role != Role::ProductOwner);
    }
}
