//! One simulated device: it edits the shared applications through the
//! client crate's [`Device`] (decide, store, let the process managers
//! react), keeps its log in an in-memory store, and syncs with the round
//! the app ships (`portal_client::round`) over HTTP or the server's router.

use crate::remote::SoakRemote;
use chrono::Utc;
use portal_client::{round, Device};
use portal_domain::{
    Action, Actor, AppId, AppName, Command, CommandMeta, CredentialId, CredentialKey, DeviceId,
    NewCredential, Owner, Plan, ProductName, SeededIds, Text,
};
use portal_store::MemoryStore;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const PRODUCTS: [&str; 6] = ["payments", "maps", "search", "weather", "sms", "storage"];

/// What a device has done, to check that the counts add up.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub commands: usize,
    /// Events this device decided: its commands', the processes' they
    /// set off, and the ones decided again after a conflict.
    pub produced: usize,
    pub pushed: usize,
    pub pulled: usize,
    pub rebased_commands: usize,
    pub superseded: usize,
    pub rejected: usize,
    pub syncs: usize,
}

pub struct Client {
    pub name: String,
    pub device: Device<MemoryStore>,
    pub tally: Tally,
    pub online: bool,
    rng: ChaCha8Rng,
    /// Ids of new applications and credentials (the device makes event ids).
    ids: SeededIds,
    remote: SoakRemote,
    /// Who applications are handed over to.
    owners: Vec<String>,
}

impl Client {
    pub async fn new(name: &str, seed: u64, remote: SoakRemote) -> Self {
        let store_name = format!("soak-{name}-{seed}");
        MemoryStore::delete(&store_name);
        let mut ids = SeededIds::new(seed);
        let candidate = DeviceId(ids.next_uuid());
        let store = MemoryStore::open(&store_name).await.unwrap();
        let event_ids = Box::new(SeededIds::new(seed ^ 0x5eed));
        let (device, opened) = Device::open(store, candidate, event_ids).await.unwrap();
        assert_eq!(opened.quarantined, 0, "{name}: nothing is quarantined");
        Client {
            name: name.to_owned(),
            device,
            tally: Tally::default(),
            online: true,
            rng: ChaCha8Rng::seed_from_u64(seed),
            ids,
            remote,
            owners: (0..5).map(|i| format!("owner-{i}")).collect(),
        }
    }

    /// Hands applications over to `owners` only (the workspace's people).
    #[allow(dead_code)] // The soak's devices hand over to anyone.
    pub fn handing_over_to(self, owners: Vec<String>) -> Self {
        Client { owners, ..self }
    }

    /// One edit a person might make, decided against what this device
    /// knows. A command the domain refuses here is simply not made.
    pub async fn edit(&mut self) {
        let Some(action) = self.pick_action() else {
            return;
        };
        let command = Command::new(Utc::now(), action);
        let meta = CommandMeta::by(Actor::parse(&self.name).unwrap(), self.device.id());
        match self.device.execute(command, meta).await {
            Ok(stored) => {
                self.tally.commands += 1;
                self.tally.produced += stored.len();
            }
            Err(portal_client::Refused::Domain(_)) => {}
            Err(other) => panic!("{}: a memory store refused a write: {other}", self.name),
        }
    }

    fn pick_action(&mut self) -> Option<Action> {
        let head = self.device.machine();
        let live: Vec<AppId> = head
            .head()
            .apps()
            .filter(|a| !a.is_deleted())
            .map(|a| a.id())
            .collect();
        let roll = self.rng.random_range(0..100);
        if live.len() < 4 || roll < 8 {
            return Some(Action::CreateApplication {
                app_id: AppId(self.ids.next_uuid()),
                name: AppName::parse(&format!("{} app {}", self.name, self.tally.commands)).ok()?,
                owner: Owner::parse(&self.name).ok()?,
                plan: Plan::Free,
                credential: NewCredential {
                    id: CredentialId(self.ids.next_uuid()),
                    key: CredentialKey::parse("pl_abababab", &"ab".repeat(32)).ok()?,
                    expires_at: Utc::now() + chrono::Duration::days(90),
                },
            });
        }
        let app_id = live[self.rng.random_range(0..live.len())];
        let product =
            ProductName::parse(PRODUCTS[self.rng.random_range(0..PRODUCTS.len())]).ok()?;
        let app = head.head().app(app_id)?;
        Some(match roll {
            8..=45 if !app.record.has_product(&product) => {
                Action::AddApiProduct { app_id, product }
            }
            8..=70 => {
                let products = &app.record.products;
                if products.is_empty() {
                    return None;
                }
                let product = products[self.rng.random_range(0..products.len())].clone();
                Action::RemoveApiProduct {
                    app_id,
                    product,
                    reason: Text::parse_optional("reason", "soak: not needed").ok()?,
                }
            }
            71..=82 => Action::ChangePlan {
                app_id,
                plan: if app.record.plan == Plan::Free {
                    Plan::Paid
                } else {
                    Plan::Free
                },
            },
            83..=95 => Action::ChangeOwner {
                app_id,
                owner: Owner::parse(&self.owners[self.rng.random_range(0..self.owners.len())])
                    .ok()?,
            },
            _ => Action::DeleteApplication { app_id },
        })
    }

    /// A sync round: the app's own (`portal_client::round`).
    pub async fn sync(&mut self) -> Result<(), String> {
        self.tally.syncs += 1;
        let done = round(&self.device, &self.remote)
            .await
            .map_err(|e| e.to_string())?;
        self.tally.pulled += done.pulled;
        self.tally.pushed += done.pushed;
        self.tally.produced += done.redecided;
        self.tally.rebased_commands += done.rebased;
        self.tally.superseded += done.superseded;
        self.tally.rejected += done.rejected;
        Ok(())
    }

    pub fn pending(&self) -> usize {
        self.device.pending_count()
    }

    /// The events that wait to be sent, in local order.
    pub fn pending_events(&self) -> Vec<portal_domain::Envelope> {
        let sync = self.device.sync_states();
        let machine = self.device.machine();
        machine
            .log()
            .iter()
            .zip(sync.iter())
            .filter(|(_, s)| **s == portal_store::SyncState::Pending)
            .map(|(e, _)| e.clone())
            .collect()
    }
}
