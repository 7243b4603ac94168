//! The API product catalogue: product owners create, describe and retire
//! products, each a stream of its own; applications add catalogue products
//! in the catalogue's spelling, on a plan the product is offered on, and
//! never a retired one. Rules, who may do what, and reading it back.

mod support;

use portal_domain::*;
use support::*;

fn pid(n: u128) -> ProductId {
    ProductId(uuid::Uuid::from_u128(0xB000 + n))
}

fn described(name: &str, plans: &[Plan]) -> ProductDescription {
    ProductDescription {
        name: product(name),
        summary: Text::parse("summary", &format!("{name}, as a service.")).unwrap(),
        documentation: DocsLink::parse_optional(&format!(
            "https://docs.example.com/{}",
            name.trim()
        ))
        .unwrap(),
        plans: plans.to_vec(),
    }
}

fn create_product(n: u128, name: &str, plans: &[Plan]) -> Action {
    Action::CreateApiProduct {
        product_id: pid(n),
        description: described(name, plans),
    }
}

fn describe(n: u128, description: ProductDescription) -> Action {
    Action::DescribeApiProduct {
        product_id: pid(n),
        description,
    }
}

fn retire(n: u128) -> Action {
    Action::RetireApiProduct { product_id: pid(n) }
}

const BOTH: [Plan; 2] = [Plan::Free, Plan::Paid];

fn catalogue() -> Scenario {
    given([
        create_product(1, "Payments", &BOTH),
        create_product(2, "Analytics", &[Plan::Paid]),
        create(1, Plan::Free),
    ])
}

fn code<T: std::fmt::Debug>(result: Result<T, DomainError>) -> &'static str {
    result.unwrap_err().code()
}

#[test]
fn a_product_is_a_stream_of_its_own_whose_record_is_a_domain_model_event() {
    let s = given([]);
    let events = s.when(create_product(1, "Payments", &BOTH)).unwrap();
    assert_eq!(types(&events), [EventType::ApiProductInsert]);
    assert_eq!(events[0].kind(), EventKind::DomainModel);
    assert_eq!(events[0].stream_id(), StreamId::from(pid(1)));
    assert_eq!(events[0].app_id(), None);
    assert_eq!(events[0].products(), [product("Payments")]);
    let mut s = s;
    s.attempt(create_product(1, "Payments", &BOTH)).unwrap();
    let made = s.portal.catalogue_product(pid(1)).unwrap();
    assert_eq!(made.record.description, described("Payments", &BOTH));
    assert_eq!(made.record.created_at, s.now);
    assert!(!made.record.is_retired());
    assert_eq!(made.version, 1);
}

#[test]
fn a_name_is_one_products_whatever_its_case_and_plans_are_kept_sorted_and_never_empty() {
    let s = catalogue();
    assert_eq!(
        code(s.when(create_product(3, "  payments ", &BOTH))),
        "product_name_taken"
    );
    assert_eq!(
        code(s.when(create_product(1, "Maps", &BOTH))),
        "product_already_exists"
    );
    assert_eq!(
        code(s.when(create_product(3, "Maps", &[]))),
        "product_on_no_plan"
    );
    let events = s
        .when(create_product(
            3,
            "Maps",
            &[Plan::Paid, Plan::Free, Plan::Paid],
        ))
        .unwrap();
    let Event::ApiProductInsert(record) = &events[0] else {
        unreachable!()
    };
    assert_eq!(record.description.plans, BOTH);
    assert_eq!(
        DocsLink::parse("not a link").unwrap_err().code(),
        "documentation_link_invalid"
    );
}

#[test]
fn describing_a_product_changes_its_record_and_may_not_take_another_products_name() {
    let mut s = catalogue();
    let mut new = described("Payments", &BOTH);
    new.summary = Text::parse("summary", "Cards, wallets and payouts.").unwrap();
    let envelopes = s.attempt(describe(1, new.clone())).unwrap();
    assert_eq!(Scenario::types(&envelopes), [EventType::ApiProductUpdate]);
    let record = s.portal.catalogue_product(pid(1)).unwrap().record;
    assert_eq!(record.description, new);
    assert_eq!(record.updated_at, s.now);
    assert_eq!(
        code(s.when(describe(1, new.clone()))),
        "product_description_unchanged"
    );
    assert_eq!(
        code(s.when(describe(1, described("analytics", &BOTH)))),
        "product_name_taken"
    );
    assert_eq!(code(s.when(describe(9, new))), "product_not_found");
    // Its own name in another case is a rename, not a clash.
    assert!(s.when(describe(1, described("PAYMENTS", &BOTH))).is_ok());
}

#[test]
fn applications_add_catalogue_products_in_its_spelling_and_on_a_plan_it_is_offered_on() {
    let mut s = catalogue();
    let envelopes = s.attempt(add(1, "payments")).unwrap();
    assert_eq!(
        envelopes[0].event,
        Event::ApiProductAdded {
            app_id: app(1),
            product: product("Payments"),
        }
    );
    assert!(s
        .portal
        .app(app(1))
        .unwrap()
        .record
        .has_product(&product("Payments")));
    assert_eq!(code(s.when(add(1, "PAYMENTS"))), "product_already_added");
    assert_eq!(code(s.when(add(1, "analytics"))), "product_not_on_plan");
    // A name the catalogue does not hold stays free text (ADR 40).
    assert!(s.when(add(1, "sms")).is_ok());
    s.attempt(Action::ChangePlan {
        app_id: app(1),
        plan: Plan::Paid,
    })
    .unwrap();
    assert!(s.when(add(1, "analytics")).is_ok());
}

#[test]
fn a_retired_product_can_no_longer_be_added_or_offered_but_stays_where_it_is() {
    let mut s = catalogue();
    s.attempt(add(1, "Payments")).unwrap();
    s.attempt(create(2, Plan::Free)).unwrap();
    let envelopes = s.attempt(retire(1)).unwrap();
    assert_eq!(
        Scenario::types(&envelopes),
        [EventType::ApiProductRetired, EventType::ApiProductUpdate]
    );
    assert_eq!(EventType::ApiProductRetired.kind(), EventKind::Business);
    let record = s.portal.catalogue_product(pid(1)).unwrap().record;
    assert_eq!(record.retired_at, Some(s.now));
    assert_eq!(code(s.when(add(2, "payments"))), "product_retired");
    let offer = Offer {
        campaign_id: CampaignId(uuid::Uuid::from_u128(0xca01)),
        product: product("Payments"),
        plan: Plan::Paid,
        terms: Text::parse("terms", "Half price").unwrap(),
        ends_at: s.now + chrono::Duration::days(21),
    };
    assert_eq!(
        code(s.when(Action::MakeOffer {
            app_id: app(2),
            offer
        })),
        "product_retired"
    );
    // The application that has it keeps it, and may still remove it.
    assert!(s
        .portal
        .app(app(1))
        .unwrap()
        .record
        .has_product(&product("Payments")));
    assert!(s.when(remove(1, "Payments", "It was retired")).is_ok());
    assert_eq!(code(s.when(retire(1))), "product_already_retired");
    let mut renamed = described("Payments", &BOTH);
    renamed.summary = Text::parse("summary", "Gone.").unwrap();
    assert_eq!(
        code(s.when(describe(1, renamed))),
        "product_already_retired"
    );
    // A retired name stays taken: it is still that product in the analytics.
    assert_eq!(
        code(s.when(create_product(3, "payments", &BOTH))),
        "product_name_taken"
    );
}

#[test]
fn an_offer_takes_the_catalogue_spelling_and_a_plan_the_product_is_on() {
    let s = catalogue();
    let offer = |product_name: &str, plan| Offer {
        campaign_id: CampaignId(uuid::Uuid::from_u128(0xca01)),
        product: product(product_name),
        plan,
        terms: Text::parse("terms", "Half price").unwrap(),
        ends_at: t0() + chrono::Duration::days(21),
    };
    let events = s
        .when(Action::MakeOffer {
            app_id: app(1),
            offer: offer("analytics", Plan::Paid),
        })
        .unwrap();
    let Event::OfferMade { offer: made, .. } = &events[0] else {
        unreachable!()
    };
    assert_eq!(made.product, product("Analytics"));
}

#[test]
fn product_owners_and_admins_keep_the_catalogue_and_developers_do_not() {
    let s = catalogue();
    for (who, role, allowed) in [
        ("pat@example.com", Role::ProductOwner, true),
        ("bob@example.com", Role::Admin, true),
        ("ada@example.com", Role::Developer, false),
    ] {
        let actor = Actor::parse(who).unwrap();
        for action in [
            create_product(3, "Maps", &BOTH),
            describe(1, described("Payments", &[Plan::Paid])),
            retire(2),
        ] {
            let command = s.command(action);
            let verdict = may(
                Person {
                    actor: &actor,
                    role,
                },
                &command,
                &s.portal.stream_state(&command),
            );
            match allowed {
                true => assert_eq!(verdict, Ok(()), "{who}"),
                false => assert_eq!(verdict.unwrap_err().code(), "catalogue_by_product_owners"),
            }
        }
    }
}

#[test]
fn the_catalogue_survives_a_snapshot_and_every_command_is_recovered_from_its_events() {
    let mut s = catalogue();
    s.attempt(add(1, "payments")).unwrap();
    let mut new = described("Payments", &BOTH);
    new.documentation = None;
    s.attempt(describe(1, new)).unwrap();
    s.attempt(retire(2)).unwrap();
    let log = s.log();
    let restored = Portal::restore(s.portal.log().clone(), s.portal.snapshot()).unwrap();
    assert_eq!(restored, s.portal);
    assert_eq!(Portal::fold(&log), s.portal);
    let names: Vec<_> = s
        .portal
        .catalogue()
        .into_iter()
        .map(|p| (p.record.name().to_string(), p.record.is_retired()))
        .collect();
    assert_eq!(
        names,
        [
            ("Analytics".to_owned(), true),
            ("Payments".to_owned(), false)
        ]
    );
    every_command_recovers(&log);
}

#[test]
fn a_comparison_of_two_positions_names_the_catalogue_products_that_changed() {
    let mut s = catalogue();
    let before = s.portal.clone();
    s.attempt(retire(2)).unwrap();
    s.attempt(create_product(3, "Maps", &BOTH)).unwrap();
    let log = s.log();
    let diff = PortalDiff::between(&before, &s.portal, &log[before.position() as usize..]);
    assert_eq!(
        diff.catalogue,
        [Change::Changed(pid(2)), Change::Added(pid(3))]
    );
    assert!(!diff.is_empty());
}
