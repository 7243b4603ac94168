//! The sync round against the real server over HTTP (an in-memory store
//! per device, a fresh SQLite file per test, port 0): one device's work
//! reaches another; two devices that changed the same application offline
//! converge, the later one's command decided again on top; and a command
//! that no longer applies after another device's change becomes a visible
//! rejection with the domain's reason, on the device that made it only.

mod support;

use portal_client::{json, round, CallError, Device, Page, Placed, Remote};
use portal_domain::{Action, Actor, AppId, Command, CommandMeta, DeviceId, Envelope, SeededIds};
use portal_server::auth::Tokens;
use portal_server::limits::Limits;
use portal_server::storage::{Database, Storage};
use portal_server::{router, ServerState};
use portal_store::{EventStore, MemoryStore, SyncState};
use support::{add, at, create};

const TOKEN: &str = "round-token-123";

/// The sync API over reqwest, in the JSON forms.
struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    async fn answer(response: reqwest::Response) -> Result<String, CallError> {
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|e| CallError::Unreachable(e.to_string()))?;
        match status {
            200 => Ok(text),
            _ => Err(json::refusal(status, &text, None)),
        }
    }
}

impl Remote for Http {
    async fn pull(&self, after: u64, limit: u32) -> Result<Page, CallError> {
        let response = self
            .client
            .get(format!(
                "{}/api/v1/pull?after={after}&limit={limit}",
                self.base
            ))
            .bearer_auth(TOKEN)
            .send()
            .await
            .map_err(|e| CallError::Unreachable(e.to_string()))?;
        json::read_pull(&Self::answer(response).await?)
    }

    async fn push(&self, events: &[Envelope]) -> Result<Vec<Placed>, CallError> {
        let response = self
            .client
            .post(format!("{}/api/v1/push", self.base))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(json::push_body(events))
            .send()
            .await
            .map_err(|e| CallError::Unreachable(e.to_string()))?;
        json::read_push(&Self::answer(response).await?)
    }
}

/// A server on a fresh SQLite file, on a port of its own.
async fn server(dir: &tempfile::TempDir) -> Http {
    let storage = Storage::open(&Database::Sqlite(dir.path().join("round.sqlite3")))
        .await
        .expect("the database opens");
    let state = ServerState::new(
        storage,
        Tokens::parse(&format!("{TOKEN}=acme")).unwrap(),
        Limits::per_second(10_000),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(state, None, &[])).await });
    Http {
        client: reqwest::Client::new(),
        base,
    }
}

/// A device of its own (its own database, id and id source).
async fn device(name: &str, seed: u64) -> Device<MemoryStore> {
    MemoryStore::delete(name);
    let store = MemoryStore::open(name).await.unwrap();
    let candidate = DeviceId(SeededIds::new(seed).next_uuid());
    let (device, _) = Device::open(store, candidate, Box::new(SeededIds::new(seed)))
        .await
        .unwrap();
    device
}

async fn run(device: &Device<MemoryStore>, command: Command) {
    let meta = CommandMeta::by(Actor::parse("dev@example.com").unwrap(), device.id());
    device.execute(command, meta).await.unwrap();
}

fn products(device: &Device<MemoryStore>, app_id: AppId) -> Vec<String> {
    let machine = device.machine();
    let app = machine
        .head()
        .app(app_id)
        .expect("the application is there");
    let mut names: Vec<String> = app.record.products.iter().map(|p| p.to_string()).collect();
    names.sort();
    names
}

/// Every event the device counts, in its order: the same on every device
/// once all have synced.
fn ids(device: &Device<MemoryStore>) -> Vec<portal_domain::EventId> {
    device.machine().log().iter().map(|e| e.event_id).collect()
}

#[tokio::test]
async fn one_devices_work_reaches_another_and_both_say_synced() {
    let dir = tempfile::tempdir().unwrap();
    let remote = server(&dir).await;
    let (a, b) = (device("round-a1", 11).await, device("round-b1", 12).await);
    let app_id = AppId(uuid::Uuid::from_u128(101));
    run(&a, create(app_id, 0)).await;
    run(&a, add(app_id, "payments", 1)).await;

    let sent = round(&a, &remote).await.unwrap();
    assert_eq!(sent.pushed, a.len() as usize);
    assert_eq!(a.pending_count(), 0);
    let got = round(&b, &remote).await.unwrap();
    assert_eq!((got.pulled, got.pushed), (a.len() as usize, 0));
    assert_eq!(products(&b, app_id), ["payments"]);
    assert_eq!(ids(&a), ids(&b));
    // What the device counts as synced is what its store says.
    let stored = b.store().read_all().await.unwrap();
    assert!(stored
        .events
        .iter()
        .all(|e| matches!(e.sync, SyncState::Synced { .. })));
    // The sender reads its own events back once, as confirmations that
    // change nothing; after that, a round with nothing new moves nothing.
    let before = ids(&a);
    let echo = round(&a, &remote).await.unwrap();
    assert_eq!((echo.pushed, echo.rebased, echo.rejected), (0, 0, 0));
    assert_eq!(ids(&a), before);
    let idle = round(&a, &remote).await.unwrap();
    assert_eq!((idle.pulled, idle.pushed), (0, 0));
}

#[tokio::test]
async fn two_offline_changes_to_one_application_converge_rebased() {
    let dir = tempfile::tempdir().unwrap();
    let remote = server(&dir).await;
    let (a, b) = (device("round-a2", 21).await, device("round-b2", 22).await);
    let app_id = AppId(uuid::Uuid::from_u128(201));
    run(&a, create(app_id, 0)).await;
    round(&a, &remote).await.unwrap();
    round(&b, &remote).await.unwrap();

    // Both change the application offline, at the same stream version.
    run(&a, add(app_id, "maps", 1)).await;
    run(&b, add(app_id, "search", 2)).await;
    round(&a, &remote).await.unwrap();
    let rebased = round(&b, &remote).await.unwrap();
    assert_eq!(rebased.rebased, 1, "{rebased:?}");
    assert_eq!(rebased.rejected, 0);
    round(&a, &remote).await.unwrap();

    assert_eq!(products(&a, app_id), ["maps", "search"]);
    assert_eq!(products(&b, app_id), ["maps", "search"]);
    assert_eq!(ids(&a), ids(&b), "one history on both devices");
    assert_eq!(a.pending_count() + b.pending_count(), 0);
    // The first decision is kept aside as superseded, not lost.
    let kept = b.store().read_all().await.unwrap();
    assert!(kept
        .events
        .iter()
        .any(|e| matches!(e.sync, SyncState::Superseded { .. })));
}

#[tokio::test]
async fn a_change_to_an_application_deleted_meanwhile_is_rejected_with_why() {
    let dir = tempfile::tempdir().unwrap();
    let remote = server(&dir).await;
    let (a, b) = (device("round-a3", 31).await, device("round-b3", 32).await);
    let app_id = AppId(uuid::Uuid::from_u128(301));
    run(&a, create(app_id, 0)).await;
    round(&a, &remote).await.unwrap();
    round(&b, &remote).await.unwrap();

    run(
        &a,
        Command::new(at(1), Action::DeleteApplication { app_id }),
    )
    .await;
    run(&b, add(app_id, "maps", 2)).await;
    round(&a, &remote).await.unwrap();
    let settled = round(&b, &remote).await.unwrap();
    assert!(settled.rejected > 0, "{settled:?}");
    assert_eq!(settled.pushed, 0);

    let rejected = b.rejected();
    assert!(!rejected.is_empty());
    assert!(rejected.iter().all(|e| matches!(
        &e.sync,
        SyncState::Rejected { reason } if reason.contains("deleted")
    )));
    assert!(b.machine().head().app(app_id).unwrap().is_deleted());
    assert_eq!(b.pending_count(), 0, "nothing is left to send");
    assert_eq!(ids(&a), ids(&b));
    assert!(a.rejected().is_empty(), "the other device saw no conflict");
}
