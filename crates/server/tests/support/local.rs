//! A device's history made with the domain, as the app would make it,
//! for the suites that push hand-made batches.

use chrono::{DateTime, Duration, Utc};
use portal_domain::process::{self, Issued};
use portal_domain::*;
use uuid::Uuid;

pub fn t0() -> DateTime<Utc> {
    "2026-03-01T09:00:00Z".parse().unwrap()
}

pub fn app_id(n: u128) -> AppId {
    AppId(Uuid::from_u128(n))
}

pub fn credential(n: u128, expires_at: DateTime<Utc>) -> NewCredential {
    NewCredential {
        id: CredentialId(Uuid::from_u128(0xC0DE_0000 + n)),
        key: CredentialKey::parse(&format!("pl_{n:04}"), &format!("{n:064x}")).unwrap(),
        expires_at,
    }
}

/// Application `app`, owned by ada, with credential `credential_n`.
pub fn create(app: u128, credential_n: u128) -> Action {
    create_for(app, credential_n, "ada@example.com")
}

pub fn create_for(app: u128, credential_n: u128, owner: &str) -> Action {
    Action::CreateApplication {
        app_id: app_id(app),
        name: AppName::parse(&format!("App {app}")).unwrap(),
        owner: Owner::parse(owner).unwrap(),
        plan: Plan::Free,
        credential: credential(credential_n, t0() + Duration::days(30)),
    }
}

pub fn add(app: u128, product: &str) -> Action {
    Action::AddApiProduct {
        app_id: app_id(app),
        product: ProductName::parse(product).unwrap(),
    }
}

pub fn remove(app: u128, product: &str) -> Action {
    Action::RemoveApiProduct {
        app_id: app_id(app),
        product: ProductName::parse(product).unwrap(),
        reason: None,
    }
}

/// One device's history, decided by the domain as the app would.
pub struct Local {
    pub portal: Portal,
    pub ids: SeededIds,
    pub now: DateTime<Utc>,
    pub actor: Actor,
}

impl Local {
    /// A device of ada's.
    pub fn new(seed: u64) -> Self {
        Local::of(seed, "ada@example.com")
    }

    pub fn of(seed: u64, actor: &str) -> Self {
        Local {
            portal: Portal::new(),
            ids: SeededIds::new(seed),
            now: t0(),
            actor: Actor::parse(actor).unwrap(),
        }
    }

    /// Takes in what another device stored, as a pull would.
    pub fn learn(&mut self, events: &[Envelope]) {
        for e in events {
            self.portal.append(e.clone()).unwrap();
        }
    }

    pub fn run(&mut self, action: Action) -> Vec<Envelope> {
        self.now += Duration::minutes(1);
        let meta = CommandMeta::by(self.actor.clone(), DeviceId(Uuid::from_u128(7)));
        self.issue(Issued {
            command: Command::new(self.now, action),
            meta,
        })
    }

    pub fn issue(&mut self, issued: Issued) -> Vec<Envelope> {
        let events = self
            .portal
            .execute(&issued.command, &issued.meta, &mut self.ids)
            .unwrap_or_else(|e| panic!("{} is allowed here: {e}", issued.command.action.name()));
        for e in &events {
            self.portal.append(e.clone()).unwrap();
        }
        events
    }

    /// What a process does next in reaction to `event`.
    pub fn react(&mut self, event: &Envelope) -> Vec<Envelope> {
        let issued = process::react(event, &self.portal, DeviceId(Uuid::from_u128(7)));
        issued.into_iter().flat_map(|i| self.issue(i)).collect()
    }

    pub fn version(&self, stream: StreamId) -> u64 {
        self.portal.version_of(stream)
    }
}
