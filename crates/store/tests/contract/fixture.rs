//! Real events for the suite: commands decided by the domain.

use chrono::{DateTime, Duration, TimeZone, Utc};
use portal_domain::demo::{DemoConfig, DemoGenerator};
use portal_domain::*;
use uuid::Uuid;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0)
        .single()
        .expect("valid date")
}

pub fn app(n: u128) -> AppId {
    AppId(Uuid::from_u128(0xA000 + n))
}

/// Decides commands against its own portal, so each command's events come
/// with the stream version they expect.
pub struct Fixture {
    pub portal: Portal,
    ids: SeededIds,
    now: DateTime<Utc>,
    next_credential: u128,
}

/// One command's events and the stream version they were decided against.
pub struct Batch {
    pub expected: u64,
    pub events: Vec<Envelope>,
}

impl Fixture {
    pub fn new(seed: u64) -> Self {
        Fixture {
            portal: Portal::new(),
            ids: SeededIds::new(seed),
            now: t0(),
            next_credential: 1,
        }
    }

    pub fn run(&mut self, action: Action) -> Batch {
        self.now += Duration::minutes(1);
        let command = Command::new(self.now, action);
        let expected = self.portal.stream_version(&command);
        let meta = CommandMeta::by(
            Actor::parse("ada@example.com").expect("valid actor"),
            DeviceId(Uuid::from_u128(0xD0)),
        );
        let events = self
            .portal
            .execute(&command, &meta, &mut self.ids)
            .expect("the fixture issues valid commands");
        for e in &events {
            self.portal.append(e.clone()).expect("at head");
        }
        Batch { expected, events }
    }

    pub fn create(&mut self, n: u128) -> Batch {
        let c = self.next_credential;
        self.next_credential += 1;
        self.run(Action::CreateApplication {
            app_id: app(n),
            name: AppName::parse(&format!("App {n}")).expect("valid"),
            owner: Owner::parse("ada@example.com").expect("valid"),
            plan: Plan::Free,
            credential: NewCredential {
                id: CredentialId(Uuid::from_u128(0xC000 + c)),
                key: CredentialKey::parse(&format!("pl_{c:04}"), &format!("{c:064x}"))
                    .expect("valid key"),
                expires_at: t0() + Duration::days(90),
            },
        })
    }

    pub fn add(&mut self, n: u128, product: &str) -> Batch {
        self.run(Action::AddApiProduct {
            app_id: app(n),
            product: ProductName::parse(product).expect("valid"),
        })
    }

    pub fn remove(&mut self, n: u128, product: &str, reason: &str) -> Batch {
        self.run(Action::RemoveApiProduct {
            app_id: app(n),
            product: ProductName::parse(product).expect("valid"),
            reason: Text::parse_optional("reason", reason).expect("valid"),
        })
    }
}

/// A generated history of about `n` events.
pub fn demo(seed: u64, n: usize) -> Vec<Envelope> {
    DemoGenerator::generate(DemoConfig::year(seed, n))
}
