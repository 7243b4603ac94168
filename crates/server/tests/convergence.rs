//! The sync algorithm as a property (issue 5): three devices, each a store,
//! the domain and the rebase, edit the same applications in any order,
//! going offline and syncing in any order, against the server's router
//! called in process on a fresh SQLite file. Whatever the order, once all
//! are online and synced: every device's log is the server's, nothing is
//! lost (every event decided is on the server, superseded or rejected) and
//! nothing is there twice. With people signed in with random roles, the
//! same holds, and every stored command was allowed for its actor at its
//! position. The soak (`tests/soak/`) runs the same devices for minutes
//! against the real binary.

#[path = "soak/checks.rs"]
mod checks;
#[path = "soak/client.rs"]
mod client;
#[path = "soak/remote.rs"]
mod remote;

use checks::{check_end, pull_all, settle_all};
use client::Client;
use portal_domain::recover::{commands, recover};
use portal_domain::{decide, may, owner_known, Envelope, Person, Portal, Role};
use portal_server::auth::Tokens;
use portal_server::limits::Limits;
use portal_server::people::hash_password;
use portal_server::storage::NewPerson;
use portal_server::storage::{Database, Storage};
use portal_server::{router, ServerState};
use proptest::prelude::*;
use remote::SoakRemote;
use std::collections::HashMap;

const TOKEN: &str = "convergence-token";
const DEVICES: usize = 3;

/// What one device does next.
#[derive(Clone, Debug)]
enum Step {
    Edit,
    Sync,
    GoOffline,
    ComeBack,
}

fn step() -> impl Strategy<Value = (usize, Step)> {
    let what = prop_oneof![
        5 => Just(Step::Edit),
        3 => Just(Step::Sync),
        1 => Just(Step::GoOffline),
        1 => Just(Step::ComeBack),
    ];
    (0..DEVICES, what)
}

/// Each device does its steps in turn, then all come online and settle.
async fn play(devices: &mut [Client], steps: Vec<(usize, Step)>) {
    for (who, what) in steps {
        let device = &mut devices[who];
        match what {
            Step::Edit => device.edit().await,
            Step::Sync if device.online => device.sync().await.expect("a sync succeeds"),
            Step::Sync => {}
            Step::GoOffline => device.online = false,
            Step::ComeBack => device.online = true,
        }
    }
    settle_all(devices).await;
}

async fn run(seed: u64, steps: Vec<(usize, Step)>) {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(&Database::Sqlite(dir.path().join("log.sqlite3")))
        .await
        .expect("SQLite opens");
    let state = ServerState::new(
        storage,
        Tokens::parse(&format!("{TOKEN}=team")).unwrap(),
        Limits::per_second(1_000_000),
    );
    let remote = SoakRemote::InProcess {
        router: router(state, None, &[]),
        token: TOKEN.to_owned(),
    };
    let mut devices = Vec::new();
    for i in 0..DEVICES {
        let name = format!("dev-{i}");
        devices.push(Client::new(&name, seed.wrapping_add(i as u64), remote.clone()).await);
    }
    play(&mut devices, steps).await;
    let on_server = pull_all(&remote).await;
    check_end(&devices, &on_server).await;
}

/// The people of the workspace, one a device, each with a role.
fn roles() -> impl Strategy<Value = Vec<Role>> {
    let role = prop_oneof![
        Just(Role::Developer),
        Just(Role::ProductOwner),
        Just(Role::Admin)
    ];
    prop::collection::vec(role, DEVICES)
}

/// The same histories, each device signed in as a person with a role: a
/// command the role or the ownership forbids is refused by the server and
/// shows as rejected on its device.
async fn run_people(seed: u64, roles: Vec<Role>, steps: Vec<(usize, Step)>) {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(&Database::Sqlite(dir.path().join("log.sqlite3")))
        .await
        .expect("SQLite opens");
    let emails: Vec<String> = (0..DEVICES)
        .map(|i| format!("person-{i}@example.com"))
        .collect();
    let hash = hash_password("the same long password").unwrap();
    for (email, role) in emails.iter().zip(&roles) {
        storage
            .add_person(&NewPerson {
                tenant: "team",
                email,
                display_name: email,
                role: *role,
                password_hash: &hash,
            })
            .await
            .unwrap();
    }
    let state = ServerState::new(
        storage,
        Tokens::parse(&format!("{TOKEN}=team")).unwrap(),
        Limits::per_second(1_000_000),
    );
    let machine = SoakRemote::InProcess {
        router: router(state, None, &[]),
        token: TOKEN.to_owned(),
    };
    let mut devices = Vec::new();
    for (i, email) in emails.iter().enumerate() {
        let body = format!(r#"{{"email":"{email}","password":"the same long password"}}"#);
        let (status, reply) = machine.post("/api/v1/sessions", body).await.unwrap();
        assert_eq!(status, 201, "{reply}");
        let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
        let token = reply["token"].as_str().unwrap();
        let device = Client::new(
            email,
            seed.wrapping_add(i as u64),
            machine.with_token(token),
        )
        .await;
        devices.push(device.handing_over_to(emails.clone()));
    }
    play(&mut devices, steps).await;
    let on_server = pull_all(&machine).await;
    check_end(&devices, &on_server).await;
    let roles: HashMap<&str, Role> = emails.iter().map(String::as_str).zip(roles).collect();
    every_event_was_allowed(&on_server, &roles);
}

/// Each stored command was its actor's to give at its position: a process
/// writes only what processes write, a person only what `may` allows, to
/// owners of the workspace, and each is what `decide` gives there.
fn every_event_was_allowed(log: &[Envelope], roles: &HashMap<&str, Role>) {
    let mut portal = Portal::new();
    for events in commands(log) {
        let (command, meta) = recover(events).expect("every stored batch is commands");
        let state = portal.stream_state(&command);
        if meta.actor.is_process() {
            assert!(command.action.is_process_only(), "{:?}", command.action);
        } else {
            let role = roles[meta.actor.as_str()];
            let person = Person {
                actor: &meta.actor,
                role,
            };
            may(person, &command, &state).unwrap_or_else(|e| {
                panic!("{} by {} ({role}): {e}", command.action.name(), meta.actor)
            });
            owner_known(&command, |who| roles.contains_key(who)).unwrap();
        }
        let decided = decide(&command, state).expect("stored commands keep the rules");
        assert!(decided.iter().eq(events.iter().map(|e| &e.event)));
        for e in events {
            portal.append(e.clone()).unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn devices_converge_whatever_the_order(
        seed in any::<u64>(),
        steps in prop::collection::vec(step(), 5..80),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(run(seed, steps));
    }

    #[test]
    fn people_with_roles_converge_and_only_what_they_may_do_is_stored(
        seed in any::<u64>(),
        roles in roles(),
        steps in prop::collection::vec(step(), 5..80),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(run_people(seed, roles, steps));
    }
}
