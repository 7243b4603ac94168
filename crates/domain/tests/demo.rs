//! The demo history generator.

mod support;

use portal_domain::demo::{self, DemoConfig, DemoGenerator};
use portal_domain::*;
use std::collections::BTreeSet;
use support::validate;

#[test]
fn the_same_seed_gives_the_same_log() {
    let a = DemoGenerator::generate(DemoConfig::year(11, 3000));
    let b = DemoGenerator::generate(DemoConfig::year(11, 3000));
    assert_eq!(a, b);
}

#[test]
fn different_seeds_give_different_logs() {
    let a = DemoGenerator::generate(DemoConfig::year(1, 1000));
    let b = DemoGenerator::generate(DemoConfig::year(2, 1000));
    assert_ne!(a, b);
}

#[test]
fn the_demo_stops_at_the_first_command_boundary_past_its_target() {
    let log = DemoGenerator::generate(DemoConfig::year(3, 5000));
    assert!(log.len() >= 5000 && log.len() < 5010, "{}", log.len());
}

#[test]
fn the_demo_covers_every_event_type_and_both_kinds() {
    let log = DemoGenerator::generate(DemoConfig::year(5, 20_000));
    let seen: BTreeSet<_> = log.iter().map(Envelope::event_type).collect();
    let all: BTreeSet<_> = EventType::ALL.into_iter().collect();
    assert_eq!(seen, all);
}

#[test]
fn the_demo_spans_a_year_in_order() {
    let log = DemoGenerator::generate(DemoConfig::year(5, 10_000));
    let first = log.first().unwrap().occurred_at;
    let last = log.last().unwrap().occurred_at;
    assert!(
        (last - first).num_days() >= 360,
        "{}",
        (last - first).num_days()
    );
    assert!(log.windows(2).all(|w| w[0].occurred_at <= w[1].occurred_at));
}

#[test]
fn the_demo_history_is_valid() {
    let log = DemoGenerator::generate(DemoConfig::year(9, 20_000));
    validate(&log).unwrap();
}

#[test]
fn the_demo_can_be_taken_in_chunks_with_progress() {
    let mut generator = DemoGenerator::new(DemoConfig::year(11, 3000));
    let mut chunks = Vec::new();
    while !generator.is_done() {
        let chunk = generator.next_chunk(500);
        assert!(chunk.len() <= 500);
        chunks.extend(chunk);
    }
    assert!(generator.produced() >= generator.target());
    assert_eq!(chunks, DemoGenerator::generate(DemoConfig::year(11, 3000)));
}

#[test]
fn the_demo_log_has_surveys_answered_and_unanswered() {
    let log = DemoGenerator::generate(DemoConfig::year(5, 20_000));
    let portal = Portal::fold(&log);
    let funnel = portal.funnel();
    assert!(funnel.added >= funnel.sent && funnel.sent > funnel.answered && funnel.answered > 0);
    assert!(!portal.upsell_targets_at(portal.clock().unwrap()).is_empty());
}

#[test]
fn a_year_ending_on_a_day_ends_on_that_day() {
    let last = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    let config = DemoConfig::year_ending(7, 2_000, last);
    assert_eq!(
        config.start.date_naive() + chrono::Duration::days(config.days),
        last
    );
    let log = DemoGenerator::generate(config);
    let latest = log
        .iter()
        .map(|e| e.occurred_at.date_naive())
        .max()
        .unwrap();
    assert!(
        latest <= last && latest > last - chrono::Duration::days(30),
        "{latest}"
    );
}

#[test]
fn the_demo_product_owner_runs_a_campaign_a_month_and_some_offers_are_taken_up() {
    let log = DemoGenerator::generate(DemoConfig::year(5, 20_000));
    let portal = Portal::fold(&log);
    let campaigns = portal.campaigns();
    assert!((10..=13).contains(&campaigns.len()), "{}", campaigns.len());
    assert!(campaigns
        .iter()
        .all(|c| c.started_by().as_str() == demo::PRODUCT_OWNER && c.offers.len() <= 6));
    let end = portal.clock().unwrap();
    let tally = campaigns
        .iter()
        .fold(CampaignTally::default(), |mut all, c| {
            let t = c.tally_at(end);
            all.made += t.made;
            all.taken_up += t.taken_up;
            all.declined += t.declined;
            all.lapsed += t.lapsed;
            all
        });
    assert!(
        tally.taken_up > 0 && tally.declined > 0 && tally.lapsed > 0,
        "{tally:?}"
    );
}
