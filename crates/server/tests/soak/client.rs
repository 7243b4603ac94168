//! One simulated device: it edits the shared applications through the
//! domain, keeps its log in a store, and syncs the way the app's engine
//! does (`src/sync/engine.rs`): pull and settle each page, then push what is
//! pending in batches of whole commands; a 409 means pull again; a command
//! the server refuses becomes a rejection.

use crate::remote::Remote;
use chrono::Utc;
use portal_domain::recover::commands;
use portal_domain::{
    Action, Actor, AppId, AppName, Command, CommandMeta, CredentialId, CredentialKey, DeviceId,
    Envelope, EventId, NewCredential, Owner, Plan, Portal, ProductName, SeededIds, Text,
};
use portal_store::checkpoint::cold_start;
use portal_store::settle::{local_events, writes, Writes};
use portal_store::{EventStore, MemoryStore, SyncState};
use portal_sync::rebase::{refused, settle_page};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashSet;

const PRODUCTS: [&str; 6] = ["payments", "maps", "search", "weather", "sms", "storage"];
const PUSH_BATCH: usize = 500;
const MAX_PASSES: usize = 4;

/// What a device has done, to check that the counts add up.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub commands: usize,
    /// Events this device decided, first time or again after a conflict.
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
    pub device: DeviceId,
    pub store: MemoryStore,
    pub portal: Portal,
    /// Sync state of each event of `portal`'s log, in the same order.
    pub states: Vec<SyncState>,
    pub tally: Tally,
    pub online: bool,
    rng: ChaCha8Rng,
    ids: SeededIds,
    remote: Remote,
}

#[derive(Deserialize)]
struct Page {
    events: Vec<Box<RawValue>>,
    next: u64,
    more: bool,
}

/// How a push went.
enum Pushed {
    Done,
    /// Another device changed a stream first: pull, then push again.
    Conflict,
}

impl Client {
    pub async fn new(name: &str, seed: u64, remote: Remote) -> Self {
        let store_name = format!("soak-{name}-{seed}");
        MemoryStore::delete(&store_name);
        let mut ids = SeededIds::new(seed);
        let device = DeviceId(ids.next_uuid());
        let store = MemoryStore::open(&store_name).await.unwrap();
        Client {
            name: name.to_owned(),
            device,
            store,
            portal: Portal::new(),
            states: Vec::new(),
            tally: Tally::default(),
            online: true,
            rng: ChaCha8Rng::seed_from_u64(seed),
            ids,
            remote,
        }
    }

    /// One edit a person might make, decided against what this device
    /// knows. A command the domain refuses here is simply not made.
    pub async fn edit(&mut self) {
        let Some(action) = self.pick_action() else {
            return;
        };
        let command = Command::new(Utc::now(), action);
        let meta = CommandMeta::by(Actor::parse(&self.name).unwrap(), self.device);
        let Ok(events) = self.portal.execute(&command, &meta, &mut self.ids) else {
            return;
        };
        let expected = self.portal.stream_version(&command);
        self.store
            .append(expected, &events)
            .await
            .expect("an append at the portal's own head is stored");
        self.tally.commands += 1;
        self.tally.produced += events.len();
        for event in events {
            self.portal.append(event).unwrap();
            self.states.push(SyncState::Pending);
        }
    }

    fn pick_action(&mut self) -> Option<Action> {
        let live: Vec<AppId> = self
            .portal
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
        let app = self.portal.app(app_id)?;
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
                owner: Owner::parse(&format!("owner-{}", self.rng.random_range(0..5))).ok()?,
            },
            _ => Action::DeleteApplication { app_id },
        })
    }

    /// A sync round, as the app's engine runs it.
    pub async fn sync(&mut self) -> Result<(), String> {
        self.tally.syncs += 1;
        for _ in 0..MAX_PASSES {
            self.pull().await?;
            match self.push().await? {
                Pushed::Done => return Ok(()),
                Pushed::Conflict => continue,
            }
        }
        Ok(())
    }

    pub fn pending(&self) -> usize {
        self.states
            .iter()
            .filter(|s| **s == SyncState::Pending)
            .count()
    }

    async fn pull(&mut self) -> Result<(), String> {
        let mut after = self.store.last_pulled().await.map_err(|e| e.to_string())?;
        loop {
            let (status, text) = self
                .remote
                .get(&format!("/api/v1/pull?after={after}"))
                .await?;
            if status != 200 {
                return Err(format!("pull: {status} {text}"));
            }
            let page: Page = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            let events: Vec<Envelope> = page
                .events
                .iter()
                .map(|raw| portal_sync::decode(raw.get()).map_err(|e| e.to_string()))
                .collect::<Result<_, _>>()?;
            if !events.is_empty() {
                self.tally.pulled += events.len();
                self.settle(&events).await?;
            }
            self.store
                .set_last_pulled(page.next)
                .await
                .map_err(|e| e.to_string())?;
            after = page.next;
            if !page.more {
                return Ok(());
            }
        }
    }

    async fn settle(&mut self, page: &[Envelope]) -> Result<(), String> {
        let local = local_events(self.portal.log().iter(), &self.states, &HashSet::new());
        let s = settle_page(&local, page, &mut self.ids);
        let Writes { updates, incoming } = writes(&s);
        self.tally.produced += s.rebased.len();
        self.tally.rebased_commands += commands(&s.rebased).len();
        self.tally.superseded += s.superseded.len();
        self.tally.rejected += s.rejected.len();
        self.store
            .settle(&updates, incoming.clone())
            .await
            .map_err(|e| e.to_string())?;
        if s.rewrites() {
            return self.reload().await;
        }
        // Nothing this device counted stops counting: the other devices'
        // events follow its own, as in the store.
        self.mark(&updates);
        for (envelope, state) in incoming {
            self.portal.append(envelope).unwrap();
            self.states.push(state);
        }
        Ok(())
    }

    /// Records new sync states for events of the portal's log.
    fn mark(&mut self, updates: &[(EventId, SyncState)]) {
        let updates: std::collections::HashMap<EventId, &SyncState> =
            updates.iter().map(|(id, s)| (*id, s)).collect();
        for (envelope, state) in self.portal.log().iter().zip(self.states.iter_mut()) {
            if let Some(new) = updates.get(&envelope.event_id) {
                *state = (*new).clone();
            }
        }
    }

    async fn push(&mut self) -> Result<Pushed, String> {
        let pending: Vec<Envelope> = self
            .portal
            .log()
            .iter()
            .zip(&self.states)
            .filter(|(_, s)| **s == SyncState::Pending)
            .map(|(e, _)| e.clone())
            .collect();
        let mut batches: Vec<Vec<Envelope>> = Vec::new();
        for command in commands(&pending) {
            match batches.last_mut() {
                Some(b) if b.len() + command.len() <= PUSH_BATCH => b.extend_from_slice(command),
                _ => batches.push(command.to_vec()),
            }
        }
        if batches.is_empty() {
            return Ok(Pushed::Done);
        }
        let mut outcome = Pushed::Done;
        for batch in batches {
            let (status, text) = self.post(&batch).await?;
            match status {
                200 => {
                    let reply: serde_json::Value =
                        serde_json::from_str(&text).map_err(|e| e.to_string())?;
                    let states: Vec<(EventId, SyncState)> = batch
                        .iter()
                        .zip(reply["events"].as_array().unwrap())
                        .map(|(e, placed)| {
                            let state = SyncState::Synced {
                                global_position: placed["global_position"].as_u64().unwrap(),
                                recorded_at: placed["recorded_at"]
                                    .as_str()
                                    .unwrap()
                                    .parse()
                                    .unwrap(),
                            };
                            (e.event_id, state)
                        })
                        .collect();
                    self.store
                        .set_sync_states(&states)
                        .await
                        .map_err(|e| e.to_string())?;
                    self.mark(&states);
                    self.tally.pushed += batch.len();
                }
                409 => {
                    outcome = Pushed::Conflict;
                    break;
                }
                422 => {
                    self.reject_refused(&batch).await?;
                    self.reload().await?;
                }
                status => return Err(format!("push: {status} {text}")),
            }
        }
        Ok(outcome)
    }

    async fn post(&self, batch: &[Envelope]) -> Result<(u16, String), String> {
        let lines: Vec<String> = batch.iter().map(portal_sync::encode).collect();
        let body = format!("{{\"events\":[{}]}}", lines.join(","));
        self.remote.post("/api/v1/push", body).await
    }

    /// Each command of a refused batch is tried alone, latest first; one
    /// the server refuses again is rejected with the later commands of its
    /// stream, as the app does.
    async fn reject_refused(&mut self, batch: &[Envelope]) -> Result<(), String> {
        let mut rejected: HashSet<EventId> = HashSet::new();
        for command in commands(batch).into_iter().rev() {
            if rejected.contains(&command[0].event_id) {
                continue;
            }
            let (status, why) = self.post(command).await?;
            if status == 422 {
                let local = local_events(self.portal.log().iter(), &self.states, &rejected);
                let states: Vec<(EventId, SyncState)> = refused(&local, command, &why)
                    .into_iter()
                    .map(|(id, reason)| (id, SyncState::Rejected { reason }))
                    .collect();
                self.store
                    .set_sync_states(&states)
                    .await
                    .map_err(|e| e.to_string())?;
                self.tally.rejected += states.len();
                rejected.extend(states.iter().map(|(id, _)| *id));
            }
        }
        Ok(())
    }

    /// Folds the portal again from the store, as a tab does after a rebase.
    pub async fn reload(&mut self) -> Result<(), String> {
        let started = cold_start(&self.store).await.map_err(|e| e.to_string())?;
        assert!(
            started.quarantined.is_empty(),
            "{}: nothing is quarantined",
            self.name
        );
        self.states = started.entries.into_iter().map(|(_, s)| s).collect();
        self.portal = started.portal;
        Ok(())
    }
}
