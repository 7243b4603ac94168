//! The sync algorithm as a property (issue 5): three devices, each a store,
//! the domain and the rebase, edit the same applications in any order,
//! going offline and syncing in any order, against the server's router
//! called in process on a fresh SQLite file. Whatever the order, once all
//! are online and synced: every device's log is the server's, nothing is
//! lost (every event decided is on the server, superseded or rejected) and
//! nothing is there twice. The soak (`tests/soak/`) runs the same devices
//! for minutes against the real binary.

#[path = "soak/checks.rs"]
mod checks;
#[path = "soak/client.rs"]
mod client;
#[path = "soak/remote.rs"]
mod remote;

use checks::{check_end, pull_all, settle_all};
use client::Client;
use portal_server::auth::Tokens;
use portal_server::limits::Limits;
use portal_server::storage::{Database, Storage};
use portal_server::{router, ServerState};
use proptest::prelude::*;
use remote::SoakRemote;

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
    settle_all(&mut devices).await;
    let on_server = pull_all(&remote).await;
    check_end(&devices, &on_server).await;
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
}
