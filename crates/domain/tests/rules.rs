//! One given/when/then test per rule. A rejected command must change nothing;
//! the `Scenario` harness checks that on every attempt.

mod support;

use chrono::Duration;
use portal_domain::*;
use support::*;

// --- names ---------------------------------------------------------------

#[test]
fn it_should_trim_an_application_name() {
    assert_eq!(AppName::parse("  Checkout  ").unwrap().as_str(), "Checkout");
}

#[test]
fn it_should_reject_an_empty_application_name() {
    assert_eq!(
        AppName::parse(""),
        Err(DomainError::EmptyName {
            field: "application name"
        })
    );
}

#[test]
fn it_should_reject_a_name_of_only_spaces() {
    assert!(matches!(
        AppName::parse("   \t "),
        Err(DomainError::EmptyName { .. })
    ));
}

#[test]
fn it_should_accept_a_name_of_exactly_100_characters() {
    assert_eq!(
        AppName::parse(&"x".repeat(100)).unwrap().as_str().len(),
        100
    );
}

#[test]
fn it_should_reject_a_name_of_101_characters() {
    assert_eq!(
        AppName::parse(&"x".repeat(101)),
        Err(DomainError::NameTooLong {
            field: "application name",
            max: 100,
            actual: 101
        })
    );
}

#[test]
fn it_should_reject_a_500_character_name() {
    assert!(matches!(
        AppName::parse(&"n".repeat(500)),
        Err(DomainError::NameTooLong { actual: 500, .. })
    ));
}

#[test]
fn it_should_count_characters_not_bytes_in_a_name() {
    assert!(AppName::parse(&"é".repeat(100)).is_ok());
    assert!(AppName::parse(&"é".repeat(101)).is_err());
}

#[test]
fn it_should_reject_control_characters_in_a_name() {
    assert!(matches!(
        AppName::parse("bad\u{0}name"),
        Err(DomainError::ControlCharacter { .. })
    ));
}

#[test]
fn it_should_apply_the_name_rules_to_owners_and_products() {
    assert!(matches!(
        Owner::parse(" "),
        Err(DomainError::EmptyName { field: "owner" })
    ));
    assert!(matches!(
        ProductName::parse(&"p".repeat(101)),
        Err(DomainError::NameTooLong {
            field: "API product",
            ..
        })
    ));
}

#[test]
fn it_should_reject_a_name_that_breaks_the_rules_when_decoding_an_event() {
    let json = r#""   ""#;
    assert!(serde_json::from_str::<AppName>(json).is_err());
}

// --- creating ---------------------------------------------------------------

#[test]
fn it_should_create_an_application_with_its_first_credential() {
    let s = given([]);
    let events = s.when(create(1, Plan::Free)).unwrap();
    assert_eq!(
        types(&events),
        [EventType::ApplicationInsert, EventType::CredentialInsert]
    );
    match &events[0] {
        Event::ApplicationInsert(r) => {
            assert_eq!(r.name.as_str(), "App 1");
            assert_eq!(r.plan, Plan::Free);
            assert!(r.products.is_empty());
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn it_should_not_create_an_application_twice() {
    let mut s = given([create(1, Plan::Free)]);
    assert_eq!(
        s.attempt(create(1, Plan::Paid)),
        Err(DomainError::ApplicationAlreadyExists { app_id: app(1) })
    );
}

#[test]
fn it_should_not_recreate_a_deleted_application() {
    let mut s = given([
        create(1, Plan::Free),
        Action::DeleteApplication { app_id: app(1) },
    ]);
    assert_eq!(
        s.attempt(create(1, Plan::Free)),
        Err(DomainError::ApplicationDeleted { app_id: app(1) })
    );
}

#[test]
fn it_should_not_create_an_application_whose_credential_expires_in_the_past() {
    let mut s = given([]);
    let action = Action::CreateApplication {
        app_id: app(1),
        name: name("Late"),
        owner: owner("ada@example.com"),
        plan: Plan::Free,
        credential: new_credential(1, t0() - Duration::days(1)),
    };
    assert!(matches!(
        s.attempt(action),
        Err(DomainError::ExpiryNotAfterIssue { .. })
    ));
}

// --- products ---------------------------------------------------------------

#[test]
fn it_should_add_a_product_with_a_business_and_a_domain_model_event() {
    let s = given([create(1, Plan::Free)]);
    let events = s.when(add(1, "payments")).unwrap();
    assert_eq!(
        types(&events),
        [EventType::ApiProductAdded, EventType::ApplicationUpdate]
    );
    assert_eq!(events[0].kind(), EventKind::Business);
    assert_eq!(events[1].kind(), EventKind::DomainModel);
}

#[test]
fn it_should_not_add_a_product_twice() {
    let mut s = given([create(1, Plan::Free), add(1, "payments")]);
    assert_eq!(
        s.attempt(add(1, "payments")),
        Err(DomainError::ProductAlreadyAdded {
            product: product("payments")
        })
    );
}

#[test]
fn it_should_keep_an_applications_products_sorted() {
    let s = given([
        create(1, Plan::Free),
        add(1, "search"),
        add(1, "maps"),
        add(1, "billing"),
    ]);
    let app = s.portal.app(app(1)).unwrap();
    let names: Vec<_> = app.record.products.iter().map(|p| p.as_str()).collect();
    assert_eq!(names, ["billing", "maps", "search"]);
}

#[test]
fn it_should_remove_a_product_with_its_reason() {
    let s = given([create(1, Plan::Free), add(1, "payments")]);
    let events = s.when(remove(1, "payments", "Too expensive")).unwrap();
    assert_eq!(
        events[0],
        Event::ApiProductRemoved {
            app_id: app(1),
            product: product("payments"),
            reason: reason("Too expensive"),
        }
    );
    match &events[1] {
        Event::ApplicationUpdate(r) => assert!(r.products.is_empty()),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn it_should_not_remove_a_product_that_is_not_on_the_application() {
    let mut s = given([create(1, Plan::Free), add(1, "payments")]);
    assert_eq!(
        s.attempt(remove(1, "maps", "")),
        Err(DomainError::ProductNotOnApplication {
            product: product("maps")
        })
    );
}

#[test]
fn it_should_treat_a_blank_removal_reason_as_no_reason() {
    assert_eq!(Text::parse_optional("reason", "   ").unwrap(), None);
}

#[test]
fn it_should_reject_a_removal_reason_over_1000_characters() {
    assert!(matches!(
        Text::parse_optional("reason", &"r".repeat(1001)),
        Err(DomainError::TextTooLong { actual: 1001, .. })
    ));
}

// --- owner and plan -----------------------------------------------------------

#[test]
fn it_should_change_the_owner_recording_the_previous_one() {
    let s = given([create(1, Plan::Free)]);
    let events = s
        .when(Action::ChangeOwner {
            app_id: app(1),
            owner: owner("grace@example.com"),
        })
        .unwrap();
    assert_eq!(
        events[0],
        Event::OwnerChanged {
            app_id: app(1),
            from: owner("ada@example.com"),
            to: owner("grace@example.com"),
        }
    );
    assert_eq!(events[1].event_type(), EventType::ApplicationUpdate);
}

#[test]
fn it_should_not_change_the_owner_to_the_current_owner() {
    let mut s = given([create(1, Plan::Free)]);
    assert_eq!(
        s.attempt(Action::ChangeOwner {
            app_id: app(1),
            owner: owner("ada@example.com"),
        }),
        Err(DomainError::SameOwner {
            owner: owner("ada@example.com")
        })
    );
}

#[test]
fn it_should_change_the_plan_and_restart_the_time_on_the_plan() {
    let mut s = given([create(1, Plan::Free)]);
    s.attempt(Action::ChangePlan {
        app_id: app(1),
        plan: Plan::Paid,
    })
    .unwrap();
    let record = s.portal.app(app(1)).unwrap().record.clone();
    assert_eq!(record.plan, Plan::Paid);
    assert_eq!(record.plan_since, s.now);
    assert!(record.created_at < record.plan_since);
}

#[test]
fn it_should_not_change_the_plan_to_the_current_plan() {
    let mut s = given([create(1, Plan::Paid)]);
    assert_eq!(
        s.attempt(Action::ChangePlan {
            app_id: app(1),
            plan: Plan::Paid,
        }),
        Err(DomainError::SamePlan { plan: Plan::Paid })
    );
}

// --- credentials ---------------------------------------------------------------

#[test]
fn it_should_generate_another_credential() {
    let mut s = given([create(1, Plan::Free)]);
    let envelopes = s
        .attempt(Action::GenerateCredential {
            app_id: app(1),
            credential: new_credential(2, t0() + Duration::days(30)),
        })
        .unwrap();
    assert_eq!(Scenario::types(&envelopes), [EventType::CredentialInsert]);
    assert_eq!(s.portal.app(app(1)).unwrap().credentials().count(), 2);
}

#[test]
fn it_should_not_generate_a_credential_expiring_at_its_issue_time() {
    let mut s = given([create(1, Plan::Free)]);
    let at = s.now + Duration::minutes(1);
    assert!(matches!(
        s.attempt(Action::GenerateCredential {
            app_id: app(1),
            credential: new_credential(2, at),
        }),
        Err(DomainError::ExpiryNotAfterIssue { .. })
    ));
}

#[test]
fn it_should_not_generate_a_credential_expiring_in_the_past() {
    let mut s = given([create(1, Plan::Free)]);
    assert!(matches!(
        s.attempt(Action::GenerateCredential {
            app_id: app(1),
            credential: new_credential(2, t0() - Duration::days(3)),
        }),
        Err(DomainError::ExpiryNotAfterIssue { .. })
    ));
}

#[test]
fn it_should_not_reuse_a_credential_id() {
    let mut s = given([create(1, Plan::Free)]);
    assert_eq!(
        s.attempt(Action::GenerateCredential {
            app_id: app(1),
            credential: new_credential(1, t0() + Duration::days(30)),
        }),
        Err(DomainError::CredentialAlreadyExists {
            credential_id: cred(1)
        })
    );
}

#[test]
fn it_should_revoke_an_active_credential() {
    let mut s = given([create(1, Plan::Free)]);
    let envelopes = s
        .attempt(Action::RevokeCredential {
            app_id: app(1),
            credential_id: cred(1),
        })
        .unwrap();
    assert_eq!(
        Scenario::types(&envelopes),
        [EventType::CredentialRevoked, EventType::CredentialUpdate]
    );
    let app = s.portal.app(app(1)).unwrap();
    assert_eq!(
        app.credential(cred(1)).unwrap().record.status,
        CredentialStatus::Revoked
    );
}

#[test]
fn it_should_not_revoke_a_revoked_credential() {
    let revoke = Action::RevokeCredential {
        app_id: app(1),
        credential_id: cred(1),
    };
    let mut s = given([create(1, Plan::Free), revoke.clone()]);
    assert_eq!(
        s.attempt(revoke),
        Err(DomainError::CredentialNotActive {
            credential_id: cred(1),
            status: CredentialStatus::Revoked
        })
    );
}

#[test]
fn it_should_not_revoke_a_credential_past_its_expiry() {
    let mut s = given([create(1, Plan::Free)]);
    s.advance(Duration::days(91));
    assert_eq!(
        s.attempt(Action::RevokeCredential {
            app_id: app(1),
            credential_id: cred(1),
        }),
        Err(DomainError::CredentialNotActive {
            credential_id: cred(1),
            status: CredentialStatus::Expired
        })
    );
}

#[test]
fn it_should_not_revoke_an_unknown_credential() {
    let mut s = given([create(1, Plan::Free)]);
    assert_eq!(
        s.attempt(Action::RevokeCredential {
            app_id: app(1),
            credential_id: cred(9),
        }),
        Err(DomainError::CredentialNotFound {
            credential_id: cred(9)
        })
    );
}

#[test]
fn it_should_record_a_credential_past_its_expiry_as_expired() {
    let mut s = given([create(1, Plan::Free)]);
    s.advance(Duration::days(91));
    let envelopes = s
        .attempt(Action::ExpireCredential {
            app_id: app(1),
            credential_id: cred(1),
        })
        .unwrap();
    assert_eq!(
        Scenario::types(&envelopes),
        [EventType::CredentialExpired, EventType::CredentialUpdate]
    );
}

#[test]
fn it_should_not_record_a_credential_as_expired_before_its_expiry() {
    let mut s = given([create(1, Plan::Free)]);
    assert!(matches!(
        s.attempt(Action::ExpireCredential {
            app_id: app(1),
            credential_id: cred(1),
        }),
        Err(DomainError::CredentialNotYetExpired { .. })
    ));
}

#[test]
fn it_should_not_record_a_revoked_credential_as_expired() {
    let mut s = given([
        create(1, Plan::Free),
        Action::RevokeCredential {
            app_id: app(1),
            credential_id: cred(1),
        },
    ]);
    s.advance(Duration::days(91));
    assert_eq!(
        s.attempt(Action::ExpireCredential {
            app_id: app(1),
            credential_id: cred(1),
        }),
        Err(DomainError::CredentialAlreadyEnded {
            credential_id: cred(1),
            status: CredentialStatus::Revoked
        })
    );
}

#[test]
fn it_should_reject_a_secret_hash_that_is_not_sha256_hex() {
    assert_eq!(
        CredentialKey::parse("pl_1234", "my-plain-secret"),
        Err(DomainError::InvalidSecretHash)
    );
    assert_eq!(
        CredentialKey::parse("pl_1234", &"A".repeat(64)),
        Err(DomainError::InvalidSecretHash)
    );
}

#[test]
fn it_should_reject_a_key_prefix_with_spaces_or_the_wrong_length() {
    assert_eq!(
        CredentialKey::parse("pl 1", &"a".repeat(64)),
        Err(DomainError::InvalidKeyPrefix)
    );
    assert_eq!(
        CredentialKey::parse("pl", &"a".repeat(64)),
        Err(DomainError::InvalidKeyPrefix)
    );
}

// --- deleting -----------------------------------------------------------------

#[test]
fn it_should_delete_an_application_with_a_business_and_a_domain_model_event() {
    let s = given([create(1, Plan::Free)]);
    let events = s
        .when(Action::DeleteApplication { app_id: app(1) })
        .unwrap();
    assert_eq!(
        types(&events),
        [EventType::ApplicationDeleted, EventType::ApplicationDelete]
    );
}

fn deleted() -> Scenario {
    given([
        create(1, Plan::Free),
        add(1, "payments"),
        Action::DeleteApplication { app_id: app(1) },
    ])
}

#[test]
fn it_should_not_add_a_product_to_a_deleted_application() {
    assert_eq!(
        deleted().attempt(add(1, "maps")),
        Err(DomainError::ApplicationDeleted { app_id: app(1) })
    );
}

#[test]
fn it_should_not_remove_a_product_from_a_deleted_application() {
    assert_eq!(
        deleted().attempt(remove(1, "payments", "")),
        Err(DomainError::ApplicationDeleted { app_id: app(1) })
    );
}

#[test]
fn it_should_not_change_the_owner_of_a_deleted_application() {
    assert_eq!(
        deleted().attempt(Action::ChangeOwner {
            app_id: app(1),
            owner: owner("grace@example.com")
        }),
        Err(DomainError::ApplicationDeleted { app_id: app(1) })
    );
}

#[test]
fn it_should_not_change_the_plan_of_a_deleted_application() {
    assert_eq!(
        deleted().attempt(Action::ChangePlan {
            app_id: app(1),
            plan: Plan::Paid
        }),
        Err(DomainError::ApplicationDeleted { app_id: app(1) })
    );
}

#[test]
fn it_should_not_generate_a_credential_for_a_deleted_application() {
    assert_eq!(
        deleted().attempt(Action::GenerateCredential {
            app_id: app(1),
            credential: new_credential(2, t0() + Duration::days(30)),
        }),
        Err(DomainError::ApplicationDeleted { app_id: app(1) })
    );
}

#[test]
fn it_should_not_revoke_a_credential_of_a_deleted_application() {
    assert_eq!(
        deleted().attempt(Action::RevokeCredential {
            app_id: app(1),
            credential_id: cred(1),
        }),
        Err(DomainError::ApplicationDeleted { app_id: app(1) })
    );
}

#[test]
fn it_should_not_delete_an_application_twice() {
    assert_eq!(
        deleted().attempt(Action::DeleteApplication { app_id: app(1) }),
        Err(DomainError::ApplicationDeleted { app_id: app(1) })
    );
}

#[test]
fn the_credentials_of_a_deleted_application_stop_working() {
    let s = deleted();
    let views: Vec<_> = s.portal.app_credentials_at(app(1), s.now).collect();
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].status, CredentialStatus::Active);
    assert!(!views[0].is_usable());
}

// --- existence -----------------------------------------------------------------

#[test]
fn it_should_not_add_a_product_to_an_unknown_application() {
    assert_eq!(
        given([]).attempt(add(7, "maps")),
        Err(DomainError::ApplicationNotFound { app_id: app(7) })
    );
}

#[test]
fn it_should_not_change_the_owner_of_an_unknown_application() {
    assert_eq!(
        given([]).attempt(Action::ChangeOwner {
            app_id: app(7),
            owner: owner("grace@example.com")
        }),
        Err(DomainError::ApplicationNotFound { app_id: app(7) })
    );
}

#[test]
fn it_should_not_generate_a_credential_for_an_unknown_application() {
    assert_eq!(
        given([]).attempt(Action::GenerateCredential {
            app_id: app(7),
            credential: new_credential(2, t0() + Duration::days(30)),
        }),
        Err(DomainError::ApplicationNotFound { app_id: app(7) })
    );
}

#[test]
fn it_should_not_delete_an_unknown_application() {
    assert_eq!(
        given([]).attempt(Action::DeleteApplication { app_id: app(7) }),
        Err(DomainError::ApplicationNotFound { app_id: app(7) })
    );
}

// --- surveys -----------------------------------------------------------------

fn add_survey(n: u128) -> Action {
    Action::AddSurvey {
        survey_id: survey(n),
        app_id: app(1),
        owner: owner("ada@example.com"),
        topic: SurveyTopic::ProductRemoved {
            product: product("payments"),
            reason: None,
        },
    }
}

fn feedback(n: u128, rating: u8) -> Action {
    Action::RecordSurveyFeedback {
        survey_id: survey(n),
        rating: Rating::parse(rating).unwrap(),
        comment: None,
    }
}

#[test]
fn it_should_not_add_a_survey_twice() {
    let mut s = given([create(1, Plan::Free), add_survey(1)]);
    assert_eq!(
        s.attempt(add_survey(1)),
        Err(DomainError::SurveyAlreadyExists {
            survey_id: survey(1)
        })
    );
}

#[test]
fn it_should_not_send_an_unknown_survey() {
    assert_eq!(
        given([]).attempt(Action::SendSurvey {
            survey_id: survey(4)
        }),
        Err(DomainError::SurveyNotFound {
            survey_id: survey(4)
        })
    );
}

#[test]
fn it_should_not_send_a_survey_twice() {
    let send = Action::SendSurvey {
        survey_id: survey(1),
    };
    let mut s = given([create(1, Plan::Free), add_survey(1), send.clone()]);
    assert_eq!(
        s.attempt(send),
        Err(DomainError::SurveyAlreadySent {
            survey_id: survey(1)
        })
    );
}

#[test]
fn it_should_not_record_feedback_before_the_survey_is_sent() {
    let mut s = given([create(1, Plan::Free), add_survey(1)]);
    assert_eq!(
        s.attempt(feedback(1, 4)),
        Err(DomainError::SurveyNotSent {
            survey_id: survey(1)
        })
    );
}

#[test]
fn it_should_not_record_feedback_twice() {
    let mut s = given([
        create(1, Plan::Free),
        add_survey(1),
        Action::SendSurvey {
            survey_id: survey(1),
        },
        feedback(1, 4),
    ]);
    assert_eq!(
        s.attempt(feedback(1, 2)),
        Err(DomainError::SurveyAlreadyAnswered {
            survey_id: survey(1)
        })
    );
}

#[test]
fn it_should_reject_a_rating_outside_1_to_5() {
    assert_eq!(
        Rating::parse(0),
        Err(DomainError::RatingOutOfRange { rating: 0 })
    );
    assert_eq!(
        Rating::parse(6),
        Err(DomainError::RatingOutOfRange { rating: 6 })
    );
    assert!(Rating::parse(5).is_ok());
}

#[test]
fn it_should_take_a_credential_lifetime_of_whole_days_from_one_to_ten_years() {
    let refused = Err(DomainError::ExpiryDaysOutOfRange { min: 1, max: 3650 });
    for raw in ["0", "3651", "-5", "1.5", "", "ninety", "99999999"] {
        assert_eq!(ExpiryDays::parse(raw), refused, "{raw:?}");
    }
    assert_eq!(ExpiryDays::parse(" 30 ").map(ExpiryDays::get), Ok(30));
    assert_eq!(ExpiryDays::parse("1").map(ExpiryDays::get), Ok(1));
    assert_eq!(ExpiryDays::parse("3650").map(ExpiryDays::get), Ok(3650));
    assert_eq!(
        ExpiryDays::parse(&ExpiryDays::DEFAULT.to_string()),
        Ok(ExpiryDays::DEFAULT)
    );
    let lifetime = ExpiryDays::parse("30").unwrap();
    assert_eq!(lifetime.expiry_from(t0()), t0() + Duration::days(30));
}

// --- envelopes and messages ------------------------------------------------------

#[test]
fn sealed_events_carry_v7_ids_consecutive_versions_and_one_correlation() {
    let mut s = given([create(1, Plan::Free)]);
    let envelopes = s.attempt(add(1, "maps")).unwrap();
    assert_eq!(envelopes.len(), 2);
    assert!(envelopes.iter().all(|e| e.event_id.is_v7()));
    assert_eq!(envelopes[0].stream_version, 3);
    assert_eq!(envelopes[1].stream_version, 4);
    assert_eq!(envelopes[0].correlation_id.0, envelopes[0].event_id.0);
    assert_eq!(envelopes[1].correlation_id, envelopes[0].correlation_id);
    assert_eq!(envelopes[0].causation_id, None);
    assert_eq!(envelopes[0].device, device());
    assert_eq!(envelopes[0].actor.as_str(), "ada@example.com");
    assert_eq!(envelopes[0].recorded_at, None);
    assert_eq!(envelopes[0].global_position, None);
}

#[test]
fn every_event_type_has_its_catalogue_name_kind_and_schema_version() {
    let domain_model = [
        "APPLICATION_INSERT",
        "APPLICATION_UPDATE",
        "APPLICATION_DELETE",
        "CREDENTIAL_INSERT",
        "CREDENTIAL_UPDATE",
        "API_PRODUCT_INSERT",
        "API_PRODUCT_UPDATE",
    ];
    for t in EventType::ALL {
        assert_eq!(EventType::from_name(t.name()), Some(t));
        let expected = if domain_model.contains(&t.name()) {
            EventKind::DomainModel
        } else {
            EventKind::Business
        };
        assert_eq!(t.kind(), expected, "{t}");
        assert_eq!(t.schema_version(), 1);
    }
    assert_eq!(EventType::ALL.len(), 21);
}

#[test]
fn error_messages_read_as_sentences() {
    let messages = [
        DomainError::ProductNotOnApplication {
            product: product("maps"),
        }
        .to_string(),
        DomainError::SamePlan { plan: Plan::Free }.to_string(),
        DomainError::NameTooLong {
            field: "application name",
            max: 100,
            actual: 140,
        }
        .to_string(),
    ];
    assert_eq!(
        messages,
        [
            "The API product \"maps\" is not on this application, so it cannot be removed.",
            "The application is already on the free plan.",
            "The application name must be at most 100 characters (it has 140).",
        ]
    );
}
