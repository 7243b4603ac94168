//! Offer campaigns: a product owner offers applications on the free plan a
//! plan with a product; the application's owner takes it up, which moves
//! the plan (and adds the product), or declines it. Rules, who may do
//! what, and how campaigns tally.

mod support;

use chrono::Duration;
use portal_domain::*;
use support::*;

fn campaign(n: u128) -> CampaignId {
    CampaignId(uuid::Uuid::from_u128(0xca00 + n))
}

fn offer(n: u128, product_name: &str) -> Offer {
    Offer {
        campaign_id: campaign(n),
        product: product(product_name),
        plan: Plan::Paid,
        terms: Text::parse("terms", "Three months at half price").unwrap(),
        ends_at: t0() + Duration::days(21),
    }
}

fn make(app_n: u128, campaign_n: u128, product_name: &str) -> Action {
    Action::MakeOffer {
        app_id: app(app_n),
        offer: offer(campaign_n, product_name),
    }
}

fn take_up(app_n: u128, campaign_n: u128) -> Action {
    Action::TakeUpOffer {
        app_id: app(app_n),
        campaign_id: campaign(campaign_n),
    }
}

fn decline(app_n: u128, campaign_n: u128) -> Action {
    Action::DeclineOffer {
        app_id: app(app_n),
        campaign_id: campaign(campaign_n),
    }
}

fn offered() -> Scenario {
    given([
        create(1, Plan::Free),
        add(1, "Maps"),
        make(1, 1, "Payments"),
    ])
}

#[test]
fn an_offer_is_one_business_event_naming_the_owner_then() {
    let s = given([create(1, Plan::Free)]);
    let events = s.when(make(1, 1, "Payments")).unwrap();
    assert_eq!(types(&events), [EventType::OfferMade]);
    assert_eq!(EventType::OfferMade.kind(), EventKind::Business);
    let Event::OfferMade {
        owner: to,
        offer: o,
        ..
    } = &events[0]
    else {
        unreachable!()
    };
    assert_eq!(to, &owner("ada@example.com"));
    assert_eq!(o, &offer(1, "Payments"));
}

#[test]
fn taking_an_offer_up_moves_the_plan_and_adds_the_product() {
    let mut s = offered();
    let envelopes = s.attempt(take_up(1, 1)).unwrap();
    assert_eq!(
        Scenario::types(&envelopes),
        [
            EventType::OfferTakenUp,
            EventType::PlanChanged,
            EventType::ApiProductAdded,
            EventType::ApplicationUpdate
        ]
    );
    let app = s.portal.app(app(1)).unwrap();
    assert_eq!(app.record.plan, Plan::Paid);
    assert_eq!(app.record.plan_since, s.now);
    assert!(app.record.has_product(&product("Payments")));
    assert!(app.record.has_product(&product("Maps")));
    let answered = app.offer(campaign(1)).unwrap();
    assert_eq!(answered.answer, Some((OfferAnswer::TakenUp, s.now)));
    assert!(!answered.is_open_at(s.now));
    // The plan's cause is the take-up's plan change, for the paid-plan survey.
    assert_eq!(app.plan_cause().unwrap().event_id, envelopes[1].event_id);
    assert_eq!(app.version(), envelopes[3].stream_version);
}

#[test]
fn taking_up_an_offer_for_a_product_already_there_only_moves_the_plan() {
    let mut s = given([
        create(1, Plan::Free),
        add(1, "Payments"),
        make(1, 1, "Payments"),
    ]);
    let envelopes = s.attempt(take_up(1, 1)).unwrap();
    assert_eq!(
        Scenario::types(&envelopes),
        [
            EventType::OfferTakenUp,
            EventType::PlanChanged,
            EventType::ApplicationUpdate
        ]
    );
}

#[test]
fn an_offer_taken_up_after_the_plan_moved_anyway_records_the_answer_alone() {
    let mut s = given([
        create(1, Plan::Free),
        add(1, "Payments"),
        make(1, 1, "Payments"),
        Action::ChangePlan {
            app_id: app(1),
            plan: Plan::Paid,
        },
    ]);
    let envelopes = s.attempt(take_up(1, 1)).unwrap();
    assert_eq!(Scenario::types(&envelopes), [EventType::OfferTakenUp]);
    // The stream's version moves with it, so the next command appends after it.
    assert_eq!(
        s.portal.app(app(1)).unwrap().version(),
        envelopes[0].stream_version
    );
    s.attempt(Action::ChangePlan {
        app_id: app(1),
        plan: Plan::Free,
    })
    .unwrap();
}

#[test]
fn a_declined_offer_changes_nothing_else_and_cannot_be_taken_up() {
    let mut s = offered();
    let before = s.portal.app(app(1)).unwrap().record.clone();
    let envelopes = s.attempt(decline(1, 1)).unwrap();
    assert_eq!(Scenario::types(&envelopes), [EventType::OfferDeclined]);
    assert_eq!(s.portal.app(app(1)).unwrap().record, &before);
    assert_eq!(
        s.attempt(take_up(1, 1)),
        Err(DomainError::OfferAlreadyAnswered {
            campaign_id: campaign(1),
            answer: OfferAnswer::Declined
        })
    );
}

#[test]
fn an_offer_is_answered_once() {
    let mut s = offered();
    s.attempt(take_up(1, 1)).unwrap();
    for again in [take_up(1, 1), decline(1, 1)] {
        assert_eq!(
            s.attempt(again).unwrap_err().code(),
            "offer_already_answered"
        );
    }
}

#[test]
fn an_ended_offer_can_be_neither_taken_up_nor_declined() {
    let mut s = offered();
    s.advance(Duration::days(22));
    let ends_at = offer(1, "Payments").ends_at;
    for late in [take_up(1, 1), decline(1, 1)] {
        assert_eq!(
            s.attempt(late),
            Err(DomainError::OfferEnded {
                campaign_id: campaign(1),
                ends_at
            })
        );
    }
    let app = s.portal.app(app(1)).unwrap();
    assert_eq!(app.record.plan, Plan::Free);
    assert!(!app.offer(campaign(1)).unwrap().is_open_at(s.now));
}

#[test]
fn an_unknown_offer_cannot_be_answered() {
    let mut s = given([create(1, Plan::Free)]);
    assert_eq!(
        s.attempt(take_up(1, 9)),
        Err(DomainError::OfferNotFound {
            campaign_id: campaign(9)
        })
    );
}

#[test]
fn a_campaign_offers_an_application_once() {
    let mut s = offered();
    assert_eq!(
        s.attempt(make(1, 1, "Payments")),
        Err(DomainError::OfferAlreadyMade {
            campaign_id: campaign(1)
        })
    );
    // Another campaign may make its own offer.
    s.attempt(make(1, 2, "Maps")).unwrap();
    assert_eq!(s.portal.app(app(1)).unwrap().offers().count(), 2);
}

#[test]
fn nothing_is_offered_that_the_application_already_has_or_that_has_ended() {
    let mut s = given([create(1, Plan::Paid), create(2, Plan::Free)]);
    assert_eq!(
        s.attempt(make(1, 1, "Payments")),
        Err(DomainError::OfferPlanAlreadyHeld { plan: Plan::Paid })
    );
    s.advance(Duration::days(30));
    assert_eq!(
        s.attempt(make(2, 1, "Payments")).unwrap_err().code(),
        "offer_ends_before_made"
    );
    let mut blank = offer(1, "Payments");
    blank.terms = Text::parse("terms", "   ").unwrap();
    blank.ends_at = s.now + Duration::days(60);
    assert_eq!(
        s.attempt(Action::MakeOffer {
            app_id: app(2),
            offer: blank
        })
        .unwrap_err()
        .code(),
        "empty_name"
    );
}

#[test]
fn a_deleted_application_gets_no_offer_and_answers_none() {
    let mut s = offered();
    s.attempt(Action::DeleteApplication { app_id: app(1) })
        .unwrap();
    assert_eq!(
        s.attempt(make(1, 2, "Maps")).unwrap_err().code(),
        "application_deleted"
    );
    assert_eq!(
        s.attempt(take_up(1, 1)).unwrap_err().code(),
        "application_deleted"
    );
}

// --- who may ------------------------------------------------------------

fn person(who: &'static str, role: Role) -> (Actor, Role) {
    (Actor::parse(who).unwrap(), role)
}

fn may_do(s: &Scenario, (actor, role): &(Actor, Role), action: Action) -> Result<(), Forbidden> {
    let command = s.command(action);
    let person = Person { actor, role: *role };
    may(person, &command, &s.portal.stream_state(&command))
}

#[test]
fn product_owners_and_admins_make_offers_and_developers_do_not() {
    let s = given([create(1, Plan::Free)]);
    let grace = person("grace@example.com", Role::ProductOwner);
    let bob = person("bob@example.com", Role::Admin);
    assert_eq!(may_do(&s, &grace, make(1, 1, "Payments")), Ok(()));
    assert_eq!(may_do(&s, &bob, make(1, 1, "Payments")), Ok(()));
    // Not even the application's own owner offers themselves a deal.
    let ada = person("ada@example.com", Role::Developer);
    let refused = may_do(&s, &ada, make(1, 1, "Payments")).unwrap_err();
    assert_eq!(refused.code(), "offers_by_product_owners");
    assert!(may_offer(Person {
        actor: &grace.0,
        role: Role::ProductOwner
    }));
}

#[test]
fn the_owner_answers_an_offer_and_a_product_owner_does_not() {
    let s = offered();
    let ada = person("ada@example.com", Role::Developer);
    let carol = person("carol@example.com", Role::Developer);
    let grace = person("grace@example.com", Role::ProductOwner);
    for answer in [take_up(1, 1), decline(1, 1)] {
        assert_eq!(may_do(&s, &ada, answer.clone()), Ok(()));
        assert_eq!(
            may_do(&s, &carol, answer.clone()).unwrap_err().code(),
            "not_owner"
        );
        assert_eq!(
            may_do(&s, &grace, answer).unwrap_err().code(),
            "read_only_role"
        );
    }
}

// --- campaigns --------------------------------------------------------------

#[test]
fn a_campaign_tallies_its_offers_answers() {
    let mut s = given([
        create(1, Plan::Free),
        create(2, Plan::Free),
        create(3, Plan::Free),
        create(4, Plan::Free),
    ]);
    for n in 1..=4 {
        s.attempt(make(n, 1, "Payments")).unwrap();
    }
    s.attempt(make(1, 2, "Maps")).unwrap();
    s.attempt(take_up(1, 1)).unwrap();
    s.attempt(decline(2, 1)).unwrap();
    let campaigns = s.portal.campaigns();
    assert_eq!(campaigns.len(), 2);
    // The latest started first.
    assert_eq!(campaigns[0].id(), campaign(2));
    let first = s.portal.campaign(campaign(1)).unwrap();
    assert_eq!(first.offer().product, product("Payments"));
    assert_eq!(first.started_by().as_str(), "ada@example.com");
    assert_eq!(
        first.offers.iter().map(|o| o.app_id).collect::<Vec<_>>(),
        [app(1), app(2), app(3), app(4)]
    );
    let now = first.tally_at(s.now);
    assert_eq!(
        now,
        CampaignTally {
            made: 4,
            taken_up: 1,
            declined: 1,
            open: 2,
            lapsed: 0
        }
    );
    let later = first.tally_at(s.now + Duration::days(30));
    assert_eq!((later.open, later.lapsed), (0, 2));
    let figures = s.portal.key_figures(s.now);
    assert_eq!((figures.offers_made, figures.offers_taken_up), (5, 1));
    assert_eq!((figures.free_apps, figures.paid_apps), (3, 1));
}

#[test]
fn offers_survive_a_snapshot_and_every_command_is_recovered_from_its_events() {
    let mut s = offered();
    s.attempt(take_up(1, 1)).unwrap();
    let log = s.log();
    let restored = Portal::restore(s.portal.log().clone(), s.portal.snapshot()).unwrap();
    assert_eq!(restored, s.portal);
    assert_eq!(Portal::fold(&log), s.portal);
    every_command_recovers(&log);
}
