//! Projections read from a folded log.

mod support;

use chrono::Duration;
use portal_domain::process;
use portal_domain::projections::credentials::EXPIRING_SOON;
use portal_domain::*;
use support::*;

fn named(n: u128, label: &str, who: &str, plan: Plan) -> Action {
    Action::CreateApplication {
        app_id: app(n),
        name: name(label),
        owner: owner(who),
        plan,
        credential: new_credential(n, t0() + Duration::days(90)),
    }
}

fn portfolio() -> Scenario {
    given([
        named(1, "Checkout Service", "ada@example.com", Plan::Free),
        named(2, "Mobile CHECKOUT", "grace@example.com", Plan::Paid),
        named(3, "Weather Widget", "ada@example.com", Plan::Free),
        add(1, "payments"),
        add(2, "payments"),
        add(3, "weather"),
        Action::DeleteApplication { app_id: app(3) },
    ])
}

fn names(apps: &[App<'_>]) -> Vec<String> {
    apps.iter().map(|a| a.record.name.to_string()).collect()
}

#[test]
fn applications_are_searchable_by_name_ignoring_case() {
    let s = portfolio();
    let found = s.portal.applications(&AppQuery {
        text: "checkout".into(),
        ..AppQuery::default()
    });
    assert_eq!(names(&found), ["Checkout Service", "Mobile CHECKOUT"]);
}

#[test]
fn applications_filter_by_owner_product_plan_and_status() {
    let s = portfolio();
    let by = |q: AppQuery| names(&s.portal.applications(&q));
    assert_eq!(
        by(AppQuery {
            owner: Some(owner("ada@example.com")),
            ..Default::default()
        }),
        ["Checkout Service", "Weather Widget"]
    );
    assert_eq!(
        by(AppQuery {
            product: Some(product("payments")),
            ..Default::default()
        }),
        ["Checkout Service", "Mobile CHECKOUT"]
    );
    assert_eq!(
        by(AppQuery {
            plan: Some(Plan::Paid),
            ..Default::default()
        }),
        ["Mobile CHECKOUT"]
    );
    assert_eq!(
        by(AppQuery {
            status: Some(AppStatus::Deleted),
            ..Default::default()
        }),
        ["Weather Widget"]
    );
    assert_eq!(s.portal.live_app_count(), 2);
}

#[test]
fn a_page_of_applications_is_the_start_of_the_whole_list() {
    let log = demo::DemoGenerator::generate(demo::DemoConfig::year(5, 20_000));
    let portal = Portal::fold(&log);
    let query = AppQuery::default();
    let all = portal.applications(&query);
    assert!(
        all.len() > 100,
        "enough applications to page: {}",
        all.len()
    );
    for n in [0, 1, 50, all.len() - 1, all.len(), all.len() + 10] {
        let (total, page) = portal.first_applications(&query, n);
        assert_eq!(total, all.len());
        let ids = |apps: &[App<'_>]| apps.iter().map(|a| a.id()).collect::<Vec<_>>();
        assert_eq!(ids(&page), ids(&all[..n.min(all.len())]), "first {n}");
    }
    // Names compare ignoring case, and the id settles equal names.
    let s = portfolio();
    let (total, page) = s.portal.first_applications(&AppQuery::default(), 2);
    assert_eq!(
        (total, names(&page)),
        (3, vec!["Checkout Service".into(), "Mobile CHECKOUT".into()])
    );
}

#[test]
fn the_heads_name_order_pages_every_earlier_state() {
    let log = demo::DemoGenerator::generate(demo::DemoConfig::year(6, 20_000));
    let machine = TimeMachine::from_log(log.clone(), 512);
    let order = NameOrder::of(machine.head());
    assert_eq!(
        order.len(),
        machine.head().applications(&AppQuery::default()).len()
    );
    let ids = |apps: &[App<'_>]| apps.iter().map(|a| a.id()).collect::<Vec<_>>();
    let paid = AppQuery {
        plan: Some(Plan::Paid),
        ..AppQuery::default()
    };
    for k in (0..=log.len()).step_by(997).chain([log.len()]) {
        let state = machine.state_at(k);
        for query in [AppQuery::default(), paid.clone()] {
            let (total, page) = state.first_applications_in(&order, &query, 50);
            let (expected_total, expected) = state.first_applications(&query, 50);
            assert_eq!(
                (total, ids(&page)),
                (expected_total, ids(&expected)),
                "at {k}"
            );
        }
    }
    // An order taken earlier lacks the applications created since: it is
    // not used for a later state.
    let early = NameOrder::of(&machine.state_at(log.len() / 2));
    let (total, page) = machine
        .head()
        .first_applications_in(&early, &AppQuery::default(), 50);
    let (expected_total, expected) = machine.head().first_applications(&AppQuery::default(), 50);
    assert_eq!((total, ids(&page)), (expected_total, ids(&expected)));
}

#[test]
fn an_applications_history_includes_its_surveys() {
    let mut s = given([create(1, Plan::Free), add(1, "maps"), create(2, Plan::Free)]);
    let removed = s.attempt(remove(1, "maps", "")).unwrap().remove(0);
    let added = s
        .run(process::react(&removed, &s.portal, device()).remove(0))
        .unwrap();
    let log = s.log();
    let machine = TimeMachine::from_log(log.clone(), 4);
    let history: Vec<_> = machine
        .app_history(app(1), machine.len())
        .into_iter()
        .map(|(_, e)| e.event_type())
        .collect();
    assert_eq!(
        history,
        [
            EventType::ApplicationInsert,
            EventType::CredentialInsert,
            EventType::ApiProductAdded,
            EventType::ApplicationUpdate,
            EventType::ApiProductRemoved,
            EventType::ApplicationUpdate,
            EventType::SurveyAdded,
        ]
    );
    assert_eq!(added[0].event.app_id(), Some(app(1)));
    // Before the removal, the history stops at the add.
    assert_eq!(machine.app_history(app(1), 4).len(), 4);
}

#[test]
fn removals_count_against_the_owner_the_application_had_when_it_lost_the_product() {
    let s = given([
        create(1, Plan::Free),
        named(2, "Grace's", "grace@example.com", Plan::Free),
        add(1, "maps"),
        add(2, "maps"),
        add(2, "search"),
        remove(1, "maps", "moved to another vendor"),
        remove(2, "maps", "moved to another vendor"),
        Action::ChangeOwner {
            app_id: app(2),
            owner: owner("ada@example.com"),
        },
        remove(2, "search", ""),
    ]);
    let rows: Vec<_> = s
        .portal
        .adoption()
        .removals_by_owner()
        .into_iter()
        .map(|r| {
            (
                r.owner.to_string(),
                r.product.to_string(),
                r.reason.map(|r| r.to_string()),
                r.count,
            )
        })
        .collect();
    let row = |o: &str, p: &str, r: Option<&str>, n| {
        (o.to_owned(), p.to_owned(), r.map(str::to_owned), n)
    };
    assert_eq!(
        rows,
        [
            row(
                "ada@example.com",
                "maps",
                Some("moved to another vendor"),
                1
            ),
            row("ada@example.com", "search", None, 1),
            row(
                "grace@example.com",
                "maps",
                Some("moved to another vendor"),
                1
            ),
        ]
    );
}

#[test]
fn a_products_summary_counts_its_users_adds_removals_and_reasons() {
    let mut s = given([
        create(1, Plan::Free),
        create(2, Plan::Free),
        add(1, "maps"),
        add(2, "maps"),
        add(1, "search"),
        remove(1, "maps", "too dear"),
    ]);
    s.advance(Duration::days(1));
    s.attempt(remove(2, "maps", "too dear")).unwrap();
    s.attempt(add(2, "maps")).unwrap();
    s.attempt(remove(2, "maps", "")).unwrap();
    let adoption = s.portal.adoption();
    let maps = adoption.product(&product("maps")).unwrap();
    assert_eq!((maps.apps, maps.added, maps.removed), (0, 3, 3));
    let names: Vec<_> = adoption
        .products()
        .iter()
        .map(|p| p.product.to_string())
        .collect();
    assert_eq!(names, ["maps", "search"]);
    assert!(
        adoption.product(&product("Maps")).is_none(),
        "names are exact"
    );
    assert_eq!(
        adoption.removals_of(&product("maps")),
        [(reason("too dear").as_ref(), 2), (None, 1)]
    );
    let days = adoption.daily_of(&product("maps"));
    assert_eq!(days.len(), 2, "{days:?}");
    assert_eq!((days[0].1.added, days[0].1.removed), (2, 1));
    assert_eq!((days[1].1.added, days[1].1.removed), (1, 2));
    assert!(days[0].0 < days[1].0);
}

#[test]
fn key_figures_compare_the_portal_at_two_dates() {
    let mut s = given([create(1, Plan::Free), add(1, "maps")]);
    let first_day = s.now;
    s.advance(Duration::days(40));
    s.attempt(create(2, Plan::Paid)).unwrap();
    s.attempt(add(2, "maps")).unwrap();
    s.attempt(add(2, "search")).unwrap();
    s.attempt(remove(1, "maps", "too dear")).unwrap();
    let machine = TimeMachine::from_log(s.log(), 4);
    let then_k = machine.position_at(first_day + Duration::days(1));
    let then = machine
        .state_at(then_k)
        .key_figures(first_day + Duration::days(1));
    let now = machine.head().key_figures(s.now);
    assert_eq!(
        then,
        KeyFigures {
            live_apps: 1,
            free_apps: 1,
            paid_apps: 0,
            upsell_targets: 0,
            products_in_use: 1,
            removals: 0,
            surveys_sent: 0,
            surveys_answered: 0,
            offers_made: 0,
            offers_taken_up: 0,
        }
    );
    assert_eq!(
        now,
        KeyFigures {
            live_apps: 2,
            free_apps: 1,
            paid_apps: 1,
            upsell_targets: 1,
            products_in_use: 2,
            removals: 1,
            surveys_sent: 0,
            surveys_answered: 0,
            offers_made: 0,
            offers_taken_up: 0,
        }
    );
    // Before the first event, nothing; after the last, everything.
    assert_eq!(machine.position_at(t0() - Duration::days(1)), 0);
    assert_eq!(
        machine.position_at(s.now + Duration::days(1)),
        machine.len()
    );
}

#[test]
fn the_position_at_a_time_follows_the_portals_clock_when_a_device_was_behind() {
    let mut s = given([create(1, Plan::Free)]);
    let ahead = s.now;
    s.now -= Duration::days(1);
    s.attempt(add(1, "maps")).unwrap();
    let machine = TimeMachine::from_log(s.log(), 4);
    // Stamped a day early, the add still happened after the creation.
    let before = machine.position_at(ahead - Duration::hours(1));
    assert_eq!(
        before, 0,
        "nothing had happened an hour before the creation"
    );
    assert_eq!(machine.position_at(ahead), machine.len());
}

#[test]
fn adoption_counts_apps_per_product_and_removals_by_reason() {
    let s = given([
        create(1, Plan::Free),
        create(2, Plan::Free),
        add(1, "payments"),
        add(2, "payments"),
        add(1, "maps"),
        remove(1, "payments", "Too expensive"),
        remove(1, "maps", "Too expensive"),
        add(1, "maps"),
        remove(1, "maps", ""),
    ]);
    let adoption = s.portal.adoption();
    assert_eq!(adoption.apps_using(&product("payments")), 1);
    assert_eq!(adoption.apps_using(&product("maps")), 0);
    assert_eq!(
        adoption.removal_reasons(),
        vec![(reason("Too expensive"), 2), (None, 1)]
    );
    let removals: Vec<_> = adoption
        .removals()
        .into_iter()
        .map(|(p, r, n)| (p.to_string(), r.map(|r| r.to_string()), n))
        .collect();
    assert_eq!(
        removals,
        [
            ("maps".to_string(), None, 1),
            ("maps".to_string(), Some("Too expensive".to_string()), 1),
            ("payments".to_string(), Some("Too expensive".to_string()), 1),
        ]
    );
}

#[test]
fn adoption_counts_adds_and_removes_per_day() {
    let mut s = given([create(1, Plan::Free), add(1, "maps")]);
    s.advance(Duration::days(1));
    s.attempt(remove(1, "maps", "")).unwrap();
    s.attempt(add(1, "maps")).unwrap();
    let days: Vec<_> = s
        .portal
        .adoption()
        .daily()
        .into_iter()
        .map(|(d, p, c)| (d.to_string(), p.to_string(), c.added, c.removed))
        .collect();
    assert_eq!(
        days,
        [
            ("2025-03-01".to_string(), "maps".to_string(), 1, 0),
            ("2025-03-02".to_string(), "maps".to_string(), 1, 1),
        ]
    );
}

#[test]
fn deleting_an_app_reduces_adoption_without_counting_a_removal() {
    let s = portfolio();
    let adoption = s.portal.adoption();
    assert_eq!(adoption.apps_using(&product("weather")), 0);
    assert!(adoption.removals().is_empty());
    assert_eq!(adoption.apps_using(&product("payments")), 2);
}

#[test]
fn credentials_expiring_within_seven_days_are_listed_soonest_first() {
    let mut s = given([create(1, Plan::Free), create(2, Plan::Free)]);
    s.attempt(Action::GenerateCredential {
        app_id: app(2),
        credential: new_credential(20, t0() + Duration::days(85)),
    })
    .unwrap();
    let at = t0() + Duration::days(84);
    let soon: Vec<_> = s
        .portal
        .expiring_within(at, EXPIRING_SOON)
        .iter()
        .map(|c| c.record.id)
        .collect();
    assert_eq!(soon, [cred(20), cred(1), cred(2)]);
    assert!(s.portal.expiring_within(t0(), EXPIRING_SOON).is_empty());
}

#[test]
fn a_credential_expires_soon_in_the_window_before_its_expiry_and_not_after() {
    let s = given([create(1, Plan::Free)]);
    let record = s
        .portal
        .app(app(1))
        .unwrap()
        .credentials()
        .next()
        .unwrap()
        .record;
    let expiry = record.expires_at;
    assert!(!record.expires_soon_at(expiry - EXPIRING_SOON - Duration::seconds(1)));
    assert!(record.expires_soon_at(expiry - EXPIRING_SOON));
    assert!(record.expires_soon_at(expiry - Duration::seconds(1)));
    assert!(!record.expires_soon_at(expiry), "expired, not soon");
}

#[test]
fn a_credential_past_its_expiry_reads_as_expired_before_the_event_is_recorded() {
    let s = given([create(1, Plan::Free)]);
    let status = |at| {
        s.portal
            .app_credentials_at(app(1), at)
            .next()
            .unwrap()
            .status
    };
    assert_eq!(status(t0() + Duration::days(89)), CredentialStatus::Active);
    assert_eq!(status(t0() + Duration::days(90)), CredentialStatus::Expired);
    assert_eq!(
        s.portal
            .unrecorded_expiries(t0() + Duration::days(91))
            .count(),
        1
    );
}

#[test]
fn owner_history_lists_every_change_in_order() {
    let change = |to: &str| Action::ChangeOwner {
        app_id: app(1),
        owner: owner(to),
    };
    let s = given([
        create(1, Plan::Free),
        create(2, Plan::Free),
        change("grace@example.com"),
        Action::ChangeOwner {
            app_id: app(2),
            owner: owner("linus@example.com"),
        },
        change("ada@example.com"),
    ]);
    let history: Vec<_> = s
        .portal
        .owner_history(app(1))
        .map(|c| (c.from.to_string(), c.to.to_string()))
        .collect();
    assert_eq!(
        history,
        [
            (
                "ada@example.com".to_string(),
                "grace@example.com".to_string()
            ),
            (
                "grace@example.com".to_string(),
                "ada@example.com".to_string()
            ),
        ]
    );
    assert_eq!(s.portal.owner_change_count(), 3);
}

fn surveyed() -> Scenario {
    let mut s = given([create(1, Plan::Free), add(1, "payments"), add(1, "maps")]);
    for p in ["payments", "maps"] {
        let removed = s.attempt(remove(1, p, "")).unwrap().remove(0);
        let added = s.react_to(&removed);
        s.run(process::react(&added, &s.portal, device()).remove(0))
            .unwrap();
    }
    s
}

#[test]
fn the_survey_funnel_counts_added_sent_answered_and_the_answer_rate() {
    let mut s = surveyed();
    assert_eq!(s.portal.pending_surveys(None).len(), 2);
    let first = s.portal.pending_surveys(None)[0].id;
    let answer = process::answer(
        &s.portal,
        first,
        Rating::parse(2).unwrap(),
        None,
        s.now,
        device(),
    )
    .unwrap();
    s.run(answer).unwrap();
    let funnel = s.portal.funnel();
    assert_eq!((funnel.added, funnel.sent, funnel.answered), (2, 2, 1));
    assert_eq!(funnel.answer_rate(), Some(0.5));
    assert_eq!(s.portal.pending_surveys(None).len(), 1);
    assert!(s
        .portal
        .pending_surveys(Some(&owner("grace@example.com")))
        .is_empty());
}

#[test]
fn survey_answers_are_grouped_by_product() {
    let mut s = surveyed();
    for (survey, rating) in s
        .portal
        .pending_surveys(None)
        .iter()
        .map(|p| p.id)
        .zip([5, 3])
        .collect::<Vec<_>>()
    {
        let answer = process::answer(
            &s.portal,
            survey,
            Rating::parse(rating).unwrap(),
            None,
            s.now,
            device(),
        )
        .unwrap();
        s.run(answer).unwrap();
    }
    let by_product: Vec<_> = s
        .portal
        .funnel()
        .answers_by_product()
        .into_iter()
        .map(|(p, a)| (p.to_string(), a.answers, a.average_rating()))
        .collect();
    assert_eq!(
        by_product,
        [
            ("maps".to_string(), 1, Some(3.0)),
            ("payments".to_string(), 1, Some(5.0)),
        ]
    );
}

#[test]
fn upsell_targets_are_live_free_apps_on_the_plan_for_more_than_30_days() {
    let s = portfolio();
    let at = t0() + Duration::days(31);
    let targets: Vec<_> = s
        .portal
        .upsell_targets_at(at)
        .iter()
        .map(|t| t.app.record.name.to_string())
        .collect();
    // The deleted free app and the paid one are not targets.
    assert_eq!(targets, ["Checkout Service"]);
    assert!(s
        .portal
        .upsell_targets_at(t0() + Duration::days(29))
        .is_empty());
}

#[test]
fn upsell_counts_time_on_the_free_plan_not_the_apps_age() {
    let mut s = given([create(1, Plan::Paid)]);
    s.advance(Duration::days(60));
    s.attempt(Action::ChangePlan {
        app_id: app(1),
        plan: Plan::Free,
    })
    .unwrap();
    assert!(s
        .portal
        .upsell_targets_at(s.now + Duration::days(10))
        .is_empty());
    assert_eq!(
        s.portal.upsell_targets_at(s.now + Duration::days(31)).len(),
        1
    );
}

#[test]
fn the_timeline_is_newest_first_and_filters_by_type_kind_app_actor_and_dates() {
    let mut s = given([create(1, Plan::Free)]);
    s.actor = Actor::parse("grace@example.com").unwrap();
    s.attempt(create(2, Plan::Free)).unwrap();
    s.advance(Duration::days(2));
    s.attempt(add(2, "maps")).unwrap();
    let machine = TimeMachine::from_log(s.log(), 3);
    let all: Vec<_> = machine
        .timeline(machine.len(), &TimelineFilter::default())
        .map(|(p, _)| p)
        .collect();
    assert_eq!(all, [5, 4, 3, 2, 1, 0]);
    let count = |f: TimelineFilter| machine.timeline(machine.len(), &f).count();
    assert_eq!(
        count(TimelineFilter {
            types: vec![EventType::CredentialInsert],
            ..Default::default()
        }),
        2
    );
    assert_eq!(
        count(TimelineFilter {
            kind: Some(EventKind::Business),
            ..Default::default()
        }),
        1
    );
    assert_eq!(
        count(TimelineFilter {
            app: Some(app(2)),
            ..Default::default()
        }),
        4
    );
    assert_eq!(
        count(TimelineFilter {
            actor: Some(Actor::parse("ada@example.com").unwrap()),
            ..Default::default()
        }),
        2
    );
    assert_eq!(
        count(TimelineFilter {
            from: Some(t0() + Duration::days(1)),
            ..Default::default()
        }),
        2
    );
    assert_eq!(
        count(TimelineFilter {
            until: Some(t0() + Duration::days(1)),
            ..Default::default()
        }),
        4
    );
    // As of position 2, only the first two events exist.
    assert_eq!(machine.timeline(2, &TimelineFilter::default()).count(), 2);
}

#[test]
fn a_causation_chain_links_a_removal_to_its_survey_and_the_answer() {
    let mut s = given([create(1, Plan::Free), add(1, "maps")]);
    let removed = s.attempt(remove(1, "maps", "")).unwrap().remove(0);
    let added = s.react_to(&removed);
    let sent = s.react_to(&added);
    let Event::SurveySent { survey_id, .. } = sent.event else {
        panic!()
    };
    let answer = process::answer(
        &s.portal,
        survey_id,
        Rating::parse(4).unwrap(),
        None,
        s.now,
        device(),
    )
    .unwrap();
    s.run(answer).unwrap();
    let machine = TimeMachine::from_log(s.log(), 8);
    let position = |id| machine.log().iter().position(|e| e.event_id == id).unwrap();
    let (r, a, se) = (
        position(removed.event_id),
        position(added.event_id),
        position(sent.event_id),
    );
    let answered = machine.len() - 1;

    let from_removal = machine.causation(r, machine.len());
    assert!(from_removal.causes.is_empty());
    assert_eq!(from_removal.effects, [a, se, answered]);

    let from_answer = machine.causation(answered, machine.len());
    assert_eq!(from_answer.causes, [r, a, se]);
    assert!(from_answer.effects.is_empty());

    // Before the answer existed, the removal had caused less.
    assert_eq!(machine.causation(r, answered).effects, [a, se]);
}

#[test]
fn a_causation_graph_holds_the_whole_command_and_what_the_processes_did_below_each_event() {
    let mut s = given([create(1, Plan::Free), add(1, "maps")]);
    let decided = s.attempt(remove(1, "maps", "too dear")).unwrap();
    assert!(
        decided.len() > 1,
        "a removal decides a business and a domain model event"
    );
    let removed = decided[0].clone();
    let added = s.react_to(&removed);
    let sent = s.react_to(&added);
    s.attempt(add(1, "search")).unwrap();
    let machine = TimeMachine::from_log(s.log(), 8);
    let position = |id| machine.log().iter().position(|e| e.event_id == id).unwrap();
    let command: Vec<usize> = decided.iter().map(|e| position(e.event_id)).collect();
    let (r, a, se) = (
        position(removed.event_id),
        position(added.event_id),
        position(sent.event_id),
    );
    let node = |position, parent, depth| GraphNode {
        position,
        parent,
        depth,
    };
    let mut expected = vec![node(r, None, 0), node(a, Some(r), 1), node(se, Some(a), 2)];
    expected.extend(command[1..].iter().map(|&p| node(p, None, 0)));
    let whole = CausationGraph {
        nodes: expected,
        truncated: false,
    };
    // The same graph from any of its events; the next command is not in it.
    for p in command.iter().copied().chain([a, se]) {
        assert_eq!(
            machine.causation_graph(p, machine.len(), 64),
            whole,
            "from {p}"
        );
    }
    // As of before the survey was sent, it is not in the graph.
    let earlier = machine.causation_graph(r, se, 64);
    assert!(earlier.nodes.iter().all(|n| n.position < se), "{earlier:?}");
    assert_eq!(earlier.nodes.len(), whole.nodes.len() - 1);
    // A limit keeps the first nodes and says some were left out.
    let cut = machine.causation_graph(r, machine.len(), 2);
    assert_eq!(cut.nodes, whole.nodes[..2]);
    assert!(cut.truncated);
}

#[test]
fn the_timeline_filters_by_product_whatever_its_case_and_by_the_owner_at_the_head() {
    let mut s = given([create(1, Plan::Free), add(1, "Maps")]);
    s.attempt(named(2, "Grace's", "grace@example.com", Plan::Free))
        .unwrap();
    s.attempt(add(2, "search")).unwrap();
    s.attempt(remove(1, "Maps", "")).unwrap();
    let machine = TimeMachine::from_log(s.log(), 3);
    let positions = |f: TimelineFilter| -> Vec<usize> {
        machine
            .timeline(machine.len(), &f)
            .map(|(p, _)| p)
            .collect()
    };
    let maps = positions(TimelineFilter {
        product: Some(ProductName::parse("maps").unwrap()),
        ..Default::default()
    });
    assert_eq!(maps.len(), 2, "added and removed: {maps:?}");
    for p in &maps {
        let event = &machine.log().get(*p).unwrap().event;
        assert!(matches!(
            event,
            Event::ApiProductAdded { .. } | Event::ApiProductRemoved { .. }
        ));
    }
    let owner = |who: &str| {
        positions(TimelineFilter {
            owner: Some(Owner::parse(who).unwrap()),
            ..Default::default()
        })
    };
    let everything = positions(TimelineFilter::default());
    let (ada, grace) = (owner("ada@example.com"), owner("grace@example.com"));
    assert!(!ada.is_empty() && !grace.is_empty());
    assert_eq!(ada.len() + grace.len(), everything.len());
    assert!(ada
        .iter()
        .all(|p| machine.log().get(*p).unwrap().event.app_id() == Some(app(1))));
    assert!(owner("nobody@example.com").is_empty());
}

#[test]
fn the_clock_follows_the_log_even_when_a_device_clock_is_behind() {
    let mut s = given([create(1, Plan::Free)]);
    let ahead = s.portal.clock().unwrap();
    s.now -= Duration::days(1);
    s.attempt(add(1, "maps")).unwrap();
    assert_eq!(s.portal.clock(), Some(ahead));
    assert_eq!(s.portal.position(), 4);
}
