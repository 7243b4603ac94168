//! Settling a pulled page: confirmations, other devices' events, and this
//! device's pending commands decided again or rejected.

use chrono::{DateTime, Duration, TimeZone, Utc};
use portal_domain::*;
use portal_sync::rebase::{refused, settle_page, LocalEvent};
use uuid::Uuid;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

const APP: AppId = AppId(Uuid::from_u128(0xA1));

/// One device: its view of the portal, and its clock and ids.
struct Device {
    portal: Portal,
    ids: SeededIds,
    now: DateTime<Utc>,
    id: DeviceId,
}

impl Device {
    fn new(seed: u64) -> Self {
        Device {
            portal: Portal::new(),
            ids: SeededIds::new(seed),
            now: t0(),
            id: DeviceId(Uuid::from_u128(seed as u128)),
        }
    }

    fn run(&mut self, action: Action) -> Vec<Envelope> {
        self.now += Duration::minutes(1);
        let meta = CommandMeta::by(Actor::parse("ada@example.com").unwrap(), self.id);
        let events = self
            .portal
            .execute(&Command::new(self.now, action), &meta, &mut self.ids)
            .expect("a valid command");
        self.see(&events);
        events
    }

    fn see(&mut self, events: &[Envelope]) {
        for e in events {
            self.portal.append(e.clone()).unwrap();
        }
    }
}

fn product(name: &str) -> ProductName {
    ProductName::parse(name).unwrap()
}

fn create() -> Action {
    Action::CreateApplication {
        app_id: APP,
        name: AppName::parse("Weather").unwrap(),
        owner: Owner::parse("ada@example.com").unwrap(),
        plan: Plan::Free,
        credential: NewCredential {
            id: CredentialId(Uuid::from_u128(0xC1)),
            key: CredentialKey::parse("pl_0001", &format!("{:064x}", 1)).unwrap(),
            expires_at: t0() + Duration::days(90),
        },
    }
}

fn add(name: &str) -> Action {
    Action::AddApiProduct {
        app_id: APP,
        product: product(name),
    }
}

fn remove(name: &str) -> Action {
    Action::RemoveApiProduct {
        app_id: APP,
        product: product(name),
        reason: None,
    }
}

/// Places `events` as the server would, from `first` on.
fn placed(events: &[Envelope], first: u64) -> Vec<Envelope> {
    events
        .iter()
        .zip(first..)
        .map(|(e, g)| Envelope {
            global_position: Some(g),
            recorded_at: Some(t0() + Duration::hours(g as i64)),
            ..e.clone()
        })
        .collect()
}

fn local<'a>(synced: &'a [Envelope], pending: &'a [Envelope]) -> Vec<LocalEvent<'a>> {
    synced
        .iter()
        .map(|envelope| LocalEvent {
            envelope,
            pending: false,
        })
        .chain(pending.iter().map(|envelope| LocalEvent {
            envelope,
            pending: true,
        }))
        .collect()
}

/// Two devices that both have the application, synced.
fn two_devices() -> (Device, Device, Vec<Envelope>) {
    let mut here = Device::new(1);
    let created = placed(&here.run(create()), 1);
    let mut there = Device::new(2);
    there.see(&created);
    (here, there, created)
}

#[test]
fn a_page_of_this_devices_own_events_confirms_them() {
    let (mut here, _, created) = two_devices();
    let mine = here.run(add("Maps"));
    let page = placed(&mine, created.len() as u64 + 1);
    let settled = settle_page(&local(&created, &mine), &page, &mut here.ids);
    assert_eq!(settled.confirmed.len(), mine.len());
    assert_eq!(settled.confirmed[0].0, mine[0].event_id);
    assert_eq!(settled.confirmed[0].1, created.len() as u64 + 1);
    assert!(settled.foreign.is_empty() && settled.rebased.is_empty());
    assert!(!settled.rewrites());
}

#[test]
fn other_devices_events_on_quiet_streams_are_simply_taken() {
    let (mut here, mut there, created) = two_devices();
    let theirs = placed(&there.run(add("Payments")), created.len() as u64 + 1);
    let settled = settle_page(&local(&created, &[]), &theirs, &mut here.ids);
    assert_eq!(settled.foreign, theirs);
    assert!(!settled.rewrites());
}

#[test]
fn a_pending_command_that_still_holds_is_decided_again_after_theirs() {
    let (mut here, mut there, created) = two_devices();
    let theirs = placed(&there.run(add("Payments")), created.len() as u64 + 1);
    let mine = here.run(add("Maps"));
    assert_eq!(
        mine[0].stream_version, theirs[0].stream_version,
        "a conflict"
    );

    let settled = settle_page(&local(&created, &mine), &theirs, &mut here.ids);
    assert_eq!(settled.foreign, theirs);
    assert!(settled.rejected.is_empty());
    let rebased = &settled.rebased;
    assert_eq!(rebased.len(), mine.len());
    // Numbered after theirs, with new ids, the same cause and author.
    let after = theirs.last().unwrap().stream_version;
    for (i, (new, old)) in rebased.iter().zip(&mine).enumerate() {
        assert_eq!(new.stream_version, after + 1 + i as u64);
        assert_ne!(new.event_id, old.event_id);
        assert_eq!(new.actor, old.actor);
        assert_eq!(new.device, old.device);
        assert_eq!(new.occurred_at, old.occurred_at);
    }
    assert_eq!(
        settled.superseded,
        mine.iter()
            .map(|e| (e.event_id, rebased[0].event_id))
            .collect::<Vec<_>>()
    );
    // The record now holds both products: theirs is not overwritten.
    let record = rebased
        .iter()
        .find_map(|e| match &e.event {
            Event::ApplicationUpdate(record) => Some(record.clone()),
            _ => None,
        })
        .expect("the record's new shape");
    assert!(record.has_product(&product("Payments")));
    assert!(record.has_product(&product("Maps")));
}

#[test]
fn a_pending_command_that_no_longer_holds_is_rejected_with_the_domains_reason() {
    let (mut here, mut there, created) = two_devices();
    let theirs = placed(
        &there.run(Action::DeleteApplication { app_id: APP }),
        created.len() as u64 + 1,
    );
    let mine = here.run(add("Maps"));
    let settled = settle_page(&local(&created, &mine), &theirs, &mut here.ids);
    assert!(settled.rebased.is_empty());
    assert_eq!(settled.rejected.len(), mine.len());
    for ((id, reason), old) in settled.rejected.iter().zip(&mine) {
        assert_eq!(*id, old.event_id);
        assert!(
            reason.starts_with("another device changed this first: "),
            "{reason}"
        );
        assert!(reason.contains("deleted"), "{reason}");
    }
}

#[test]
fn what_a_process_did_because_of_a_rejected_command_is_rejected_with_it() {
    let (mut here, mut there, created) = two_devices();
    let with_maps = placed(&here.run(add("Maps")), created.len() as u64 + 1);
    there.see(&with_maps);
    let synced: Vec<Envelope> = created.iter().chain(&with_maps).cloned().collect();
    let theirs = placed(
        &there.run(Action::DeleteApplication { app_id: APP }),
        synced.len() as u64 + 1,
    );
    // Here, offline: Maps removed, and the survey process asks why.
    let removal = here.run(remove("Maps"));
    let mut mine = removal.clone();
    let cause = removal
        .iter()
        .find(|e| e.event.event_type() == EventType::ApiProductRemoved)
        .expect("the removal");
    let issued = portal_domain::process::react(cause, &here.portal, here.id);
    assert!(!issued.is_empty(), "the survey process reacts");
    for reaction in issued {
        let events = here
            .portal
            .execute(&reaction.command, &reaction.meta, &mut here.ids)
            .expect("the reaction holds here");
        here.see(&events);
        mine.extend(events);
    }
    let reactions = &mine[removal.len()..];
    assert!(reactions
        .iter()
        .all(|e| e.stream_id != removal[0].stream_id));

    let settled = settle_page(&local(&synced, &mine), &theirs, &mut here.ids);
    let rejected: Vec<EventId> = settled.rejected.iter().map(|(id, _)| *id).collect();
    let expected: Vec<EventId> = mine.iter().map(|e| e.event_id).collect();
    assert_eq!(rejected, expected, "the removal and what followed from it");
    for (id, reason) in &settled.rejected {
        if reactions.iter().any(|e| e.event_id == *id) {
            assert_eq!(reason, "it followed from a change that was rejected");
        }
    }
}

#[test]
fn each_pending_command_is_judged_on_its_own_in_order() {
    let (mut here, mut there, created) = two_devices();
    let base = placed(&there.run(add("Payments")), created.len() as u64 + 1);
    here.see(&base);
    let synced: Vec<Envelope> = created.iter().chain(&base).cloned().collect();
    // They remove Payments; offline, this device removes it too, then adds Maps.
    let theirs = placed(&there.run(remove("Payments")), synced.len() as u64 + 1);
    let mut mine = here.run(remove("Payments"));
    let second = here.run(add("Maps"));
    mine.extend(second.clone());

    let settled = settle_page(&local(&synced, &mine), &theirs, &mut here.ids);
    let first_len = mine.len() - second.len();
    assert_eq!(
        settled
            .rejected
            .iter()
            .map(|(id, _)| *id)
            .collect::<Vec<_>>(),
        mine[..first_len]
            .iter()
            .map(|e| e.event_id)
            .collect::<Vec<_>>()
    );
    assert_eq!(settled.rebased.len(), second.len());
    assert_eq!(
        settled.rebased[0].stream_version,
        theirs.last().unwrap().stream_version + 1
    );
}

/// Issue 6, item 8: a device whose clock is a day off. Order follows the
/// server's log, never the clocks: other devices' events are taken in page
/// order, and a command decided again keeps its own time but comes after.
#[test]
fn a_skewed_clock_reorders_nothing() {
    for skew in [Duration::days(-1), Duration::days(1)] {
        let (mut here, mut there, created) = two_devices();
        there.now += skew;
        let mut theirs = there.run(add("Payments"));
        theirs.extend(there.run(add("Search")));
        let theirs = placed(&theirs, created.len() as u64 + 1);
        let mine = here.run(add("Maps"));

        let settled = settle_page(&local(&created, &mine), &theirs, &mut here.ids);
        assert_eq!(
            settled.foreign, theirs,
            "the page's order, whatever the clocks"
        );
        let last = theirs.last().unwrap().stream_version;
        assert_eq!(settled.rebased[0].stream_version, last + 1);
        assert_eq!(settled.rebased[0].occurred_at, mine[0].occurred_at);

        // Folded in log order, the portal holds all three products, and its
        // clock never moves back.
        let mut portal = Portal::new();
        let mut clock = None;
        for e in created.iter().chain(&theirs).chain(&settled.rebased) {
            portal.append(e.clone()).unwrap();
            assert!(portal.clock() >= clock, "the clock never moves back");
            clock = portal.clock();
        }
        let app = portal.app(APP).expect("the application");
        for name in ["Payments", "Search", "Maps"] {
            assert!(app.record.has_product(&product(name)), "{name}");
        }
    }
}

#[test]
fn a_command_the_server_refuses_takes_the_later_commands_of_its_stream_with_it() {
    let (mut here, _, created) = two_devices();
    let first = here.run(add("Maps"));
    let second = here.run(add("Payments"));
    let elsewhere = here.run(Action::CreateApplication {
        app_id: AppId(Uuid::from_u128(0xA2)),
        name: AppName::parse("Other").unwrap(),
        owner: Owner::parse("ada@example.com").unwrap(),
        plan: Plan::Free,
        credential: NewCredential {
            id: CredentialId(Uuid::from_u128(0xC2)),
            key: CredentialKey::parse("pl_0002", &format!("{:064x}", 2)).unwrap(),
            expires_at: t0() + Duration::days(90),
        },
    });
    let pending: Vec<Envelope> = first
        .iter()
        .chain(&second)
        .chain(&elsewhere)
        .cloned()
        .collect();
    let rejected = refused(&local(&created, &pending), &first, "data: too long");
    let ids: Vec<EventId> = rejected.iter().map(|(id, _)| *id).collect();
    let expected: Vec<EventId> = first.iter().chain(&second).map(|e| e.event_id).collect();
    assert_eq!(
        ids, expected,
        "the command and what came after it in its stream, nothing else"
    );
    assert_eq!(rejected[0].1, "the server refused it: data: too long");
    assert_eq!(
        rejected.last().unwrap().1,
        "it came after a change the server refused"
    );
}
