//! A deterministic demo history: developers, API products and applications
//! over a year, with every business process and survey flow. Every command
//! goes through `decide`, so the history is valid by construction; the same
//! seed always gives the same log.

use crate::catalogue::{DocsLink, ProductDescription};
use crate::command::{Action, Command, CommandMeta, NewCredential};
use crate::envelope::Envelope;
use crate::event::Event;
use crate::ids::{AppId, CampaignId, CredentialId, DeviceId, ProductId, SeededIds, SurveyId};
use crate::offer::Offer;
use crate::portal::Portal;
use crate::process::{self, Issued};
use crate::records::{CredentialKey, CredentialStatus};
use crate::values::{Actor, AppName, Owner, Plan, ProductName, Rating, Text};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// Who runs the demo's offer campaigns.
pub const PRODUCT_OWNER: &str = "product.owner@example.com";

const PRODUCTS: [&str; 12] = [
    "payments",
    "accounts",
    "identity",
    "notifications",
    "maps",
    "search",
    "analytics",
    "storage",
    "messaging",
    "billing",
    "weather",
    "translate",
];
/// What the demo's catalogue says of each product.
const SUMMARIES: [&str; 12] = [
    "Take card and wallet payments, with refunds and payouts.",
    "Open, read and close customer accounts.",
    "Sign people in and check who they are.",
    "Send e-mail, SMS and push notifications.",
    "Maps, routes and geocoding.",
    "Full-text search over your own content.",
    "Usage reports and dashboards, for paid plans.",
    "Files and objects, kept and served.",
    "Chat between your users, with history.",
    "Invoices, subscriptions and tax.",
    "Forecasts and weather history.",
    "Machine translation between 40 languages.",
];
/// The demo's product only paid plans are offered.
const PAID_ONLY: &str = "analytics";
/// The demo's product retired halfway through its history.
const RETIRED: &str = "translate";

const FIRST: [&str; 16] = [
    "ada",
    "grace",
    "alan",
    "edsger",
    "barbara",
    "ken",
    "margaret",
    "linus",
    "radia",
    "donald",
    "frances",
    "john",
    "katherine",
    "dennis",
    "hedy",
    "tim",
];
const LAST: [&str; 12] = [
    "lovelace", "hopper", "turing", "dijkstra", "liskov", "thompson", "hamilton", "torvalds",
    "perlman", "knuth", "allen", "backus",
];
const ADJECTIVES: [&str; 12] = [
    "Swift", "Quiet", "Bright", "Bold", "Lucky", "Clever", "Steady", "Rapid", "Silver", "Golden",
    "Northern", "Open",
];
const NOUNS: [&str; 12] = [
    "Checkout", "Ledger", "Courier", "Atlas", "Beacon", "Harbor", "Orchard", "Relay", "Compass",
    "Garden", "Signal", "Market",
];
const REASONS: [&str; 6] = [
    "Too expensive",
    "Moved to a competitor",
    "Project cancelled",
    "Missing features",
    "Performance problems",
    "Only needed it for a trial",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoConfig {
    pub seed: u64,
    /// The generator stops at the first command boundary at or past this many events.
    pub target_events: usize,
    pub start: DateTime<Utc>,
    pub days: i64,
}

impl DemoConfig {
    /// A year of history from 2025-01-01 with about `target_events` events.
    pub fn year(seed: u64, target_events: usize) -> Self {
        let start = NaiveDate::from_ymd_opt(2025, 1, 1)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .map(|d| d.and_utc())
            .unwrap_or_default();
        Self {
            seed,
            target_events,
            start,
            days: 365,
        }
    }

    /// A year of history ending on `last_day`, as a portal in use today
    /// would have: plans, expiries and surveys read as of now.
    pub fn year_ending(seed: u64, target_events: usize, last_day: NaiveDate) -> Self {
        let year = Self::year(seed, target_events);
        let start = (last_day - Duration::days(year.days))
            .and_hms_opt(8, 0, 0)
            .map_or(year.start, |d| d.and_utc());
        Self { start, ..year }
    }
}

struct Developer {
    owner: Owner,
    actor: Actor,
    device: DeviceId,
}

/// Generates the history in chunks, so a caller can show progress.
pub struct DemoGenerator {
    config: DemoConfig,
    rng: ChaCha8Rng,
    ids: SeededIds,
    products: Vec<ProductName>,
    portal: Portal,
    developers: Vec<Developer>,
    live: Vec<AppId>,
    pending_surveys: Vec<SurveyId>,
    /// Offers made and not yet answered (some never will be).
    pending_offers: Vec<(AppId, CampaignId)>,
    now: DateTime<Utc>,
    end: DateTime<Utc>,
    last_tick: NaiveDate,
    produced: usize,
    steps: u64,
    out: VecDeque<Envelope>,
}

impl DemoGenerator {
    pub fn new(config: DemoConfig) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let ids = SeededIds::new(rng.next_u64());
        let apps_target = (config.target_events / 120).max(20);
        let developer_count = (apps_target / 3).clamp(8, FIRST.len() * LAST.len() * 50);
        let developers = (0..developer_count)
            .filter_map(|i| {
                let first = FIRST[i % FIRST.len()];
                let last = LAST[(i / FIRST.len()) % LAST.len()];
                let n = i / (FIRST.len() * LAST.len());
                let handle = if n == 0 {
                    format!("{first}.{last}@example.com")
                } else {
                    format!("{first}.{last}{n}@example.com")
                };
                let mut device = [0u8; 16];
                rng.fill_bytes(&mut device);
                Some(Developer {
                    owner: Owner::parse(&handle).ok()?,
                    actor: Actor::parse(&handle).ok()?,
                    device: DeviceId(uuid::Builder::from_random_bytes(device).into_uuid()),
                })
            })
            .collect();
        let start = config.start;
        Self {
            end: start + Duration::days(config.days.max(1)),
            now: start,
            last_tick: start.date_naive(),
            rng,
            ids,
            products: PRODUCTS
                .iter()
                .filter_map(|p| ProductName::parse(p).ok())
                .collect(),
            portal: Portal::new(),
            developers,
            live: Vec::new(),
            pending_surveys: Vec::new(),
            pending_offers: Vec::new(),
            produced: 0,
            steps: 0,
            out: VecDeque::new(),
            config,
        }
    }

    pub fn is_done(&self) -> bool {
        self.produced >= self.config.target_events && self.out.is_empty()
    }

    /// Events produced so far, including those not yet handed out.
    pub fn produced(&self) -> usize {
        self.produced
    }

    pub fn target(&self) -> usize {
        self.config.target_events
    }

    /// Up to `max` more events (fewer only at the end).
    pub fn next_chunk(&mut self, max: usize) -> Vec<Envelope> {
        while self.out.len() < max && self.produced < self.config.target_events {
            self.step();
        }
        let n = max.min(self.out.len());
        self.out.drain(..n).collect()
    }

    /// The whole history at once.
    pub fn generate(config: DemoConfig) -> Vec<Envelope> {
        let mut generator = Self::new(config);
        let mut log = Vec::with_capacity(generator.target() + 8);
        while !generator.is_done() {
            log.extend(generator.next_chunk(4096));
        }
        log
    }

    fn step(&mut self) {
        self.advance_clock();
        let today = self.now.date_naive();
        if today != self.last_tick {
            self.last_tick = today;
            let device = self.developers[0].device;
            for issued in process::on_tick(self.now, &self.portal, device) {
                if self.produced >= self.config.target_events {
                    return;
                }
                self.run(issued);
            }
            self.keep_catalogue();
            if chrono::Datelike::day(&today) == 1 {
                self.start_campaign();
            }
        }
        self.act();
    }

    /// Spreads the remaining events evenly over the remaining time, using the
    /// events per step seen so far (commands plus the reactions they cause).
    fn advance_clock(&mut self) {
        self.steps += 1;
        let remaining_events = self
            .config
            .target_events
            .saturating_sub(self.produced)
            .max(1) as i64;
        let remaining_ms = (self.end - self.now).num_milliseconds().max(1);
        let per_step = if self.steps > 1 {
            (self.produced as f64 / (self.steps - 1) as f64).max(0.5)
        } else {
            2.0
        };
        let mean = ((remaining_ms as f64 * per_step) / remaining_events as f64).max(1.0) as i64;
        let step = self.rng.random_range(mean / 2..=mean + mean / 2).max(1);
        self.now += Duration::milliseconds(step);
    }

    fn act(&mut self) {
        let elapsed = (self.now - self.config.start).num_milliseconds() as f64
            / (self.end - self.config.start).num_milliseconds().max(1) as f64;
        let apps_target = (self.config.target_events / 120).max(20) as f64;
        let wanted_live = 5.0 + apps_target * elapsed.clamp(0.0, 1.0);
        if self.live.is_empty() || (self.live.len() as f64) < wanted_live * 0.8 {
            self.create_application();
            return;
        }
        let roll = self.rng.random_range(0..1000);
        let app = self.live[self.rng.random_range(0..self.live.len())];
        match roll {
            0..=219 => self.add_product(app),
            220..=339 => self.remove_product(app),
            340..=399 => self.change_owner(app),
            400..=479 => self.change_plan(app),
            480..=619 => self.generate_credential(app),
            620..=699 => self.revoke_credential(app),
            700..=702 => self.delete_application(app),
            703..=849 => self.answer_survey(),
            850..=869 => self.answer_offer(),
            // New applications come from the growth curve above, not from here.
            _ => self.add_product(app),
        }
    }

    fn developer(&mut self) -> usize {
        self.rng.random_range(0..self.developers.len())
    }

    fn owner_of(&self, app: AppId) -> Option<usize> {
        let owner = &self.portal.app(app)?.record.owner;
        self.developers.iter().position(|d| &d.owner == owner)
    }

    fn as_owner(&mut self, app: AppId, action: Action) {
        let dev = self.owner_of(app).unwrap_or(0);
        let meta = CommandMeta::by(
            self.developers[dev].actor.clone(),
            self.developers[dev].device,
        );
        self.run(Issued {
            command: Command::new(self.now, action),
            meta,
        });
    }

    fn new_credential(&mut self) -> Option<NewCredential> {
        let mut hash = [0u8; 32];
        self.rng.fill_bytes(&mut hash);
        let hash: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        let prefix = format!("pl_{}", &hash[..8]);
        let days = self.rng.random_range(30..=365);
        Some(NewCredential {
            id: CredentialId(self.ids.next_uuid()),
            // Demo secrets are never made: the hash is random bytes.
            key: CredentialKey::parse(&prefix, &hash).ok()?,
            expires_at: self.now + Duration::days(days),
        })
    }

    fn create_application(&mut self) {
        let dev = self.developer();
        let name = format!(
            "{} {} {}",
            ADJECTIVES[self.rng.random_range(0..ADJECTIVES.len())],
            NOUNS[self.rng.random_range(0..NOUNS.len())],
            self.rng.random_range(1..1000)
        );
        let plan = if self.rng.random_bool(0.7) {
            Plan::Free
        } else {
            Plan::Paid
        };
        let app_id = AppId(self.ids.next_uuid());
        let (Some(credential), Ok(name)) = (self.new_credential(), AppName::parse(&name)) else {
            return;
        };
        let action = Action::CreateApplication {
            app_id,
            name,
            owner: self.developers[dev].owner.clone(),
            plan,
            credential,
        };
        let meta = CommandMeta::by(
            self.developers[dev].actor.clone(),
            self.developers[dev].device,
        );
        if self.run(Issued {
            command: Command::new(self.now, action),
            meta,
        }) {
            self.live.push(app_id);
            // New applications start with one or two products.
            for _ in 0..self.rng.random_range(1..=2) {
                self.add_product(app_id);
            }
        }
    }

    fn product(&mut self) -> ProductName {
        // Earlier products in the catalogue are more popular.
        let i = self.rng.random_range(0..self.products.len());
        let j = self.rng.random_range(0..=i);
        self.products[j].clone()
    }

    fn add_product(&mut self, app: AppId) {
        let product = self.product();
        let Some(entry) = self.portal.app(app) else {
            return;
        };
        if entry.record.has_product(&product) {
            return;
        }
        self.as_owner(
            app,
            Action::AddApiProduct {
                app_id: app,
                product,
            },
        );
    }

    fn remove_product(&mut self, app: AppId) {
        let Some(entry) = self.portal.app(app) else {
            return;
        };
        if entry.record.products.is_empty() {
            return self.add_product(app);
        }
        let product =
            entry.record.products[self.rng.random_range(0..entry.record.products.len())].clone();
        let reason = if self.rng.random_bool(0.8) {
            Text::parse_optional("reason", REASONS[self.rng.random_range(0..REASONS.len())])
                .ok()
                .flatten()
        } else {
            None
        };
        self.as_owner(
            app,
            Action::RemoveApiProduct {
                app_id: app,
                product,
                reason,
            },
        );
    }

    fn change_owner(&mut self, app: AppId) {
        let dev = self.developer();
        let owner = self.developers[dev].owner.clone();
        if self
            .portal
            .app(app)
            .is_some_and(|a| a.record.owner == owner)
        {
            return;
        }
        self.as_owner(app, Action::ChangeOwner { app_id: app, owner });
    }

    fn change_plan(&mut self, app: AppId) {
        let Some(entry) = self.portal.app(app) else {
            return;
        };
        let plan = match entry.record.plan {
            Plan::Free => Plan::Paid,
            Plan::Paid => Plan::Free,
        };
        self.as_owner(app, Action::ChangePlan { app_id: app, plan });
    }

    fn generate_credential(&mut self, app: AppId) {
        let Some(credential) = self.new_credential() else {
            return;
        };
        self.as_owner(
            app,
            Action::GenerateCredential {
                app_id: app,
                credential,
            },
        );
    }

    fn revoke_credential(&mut self, app: AppId) {
        let now = self.now;
        let Some(entry) = self.portal.app(app) else {
            return;
        };
        let active: Vec<CredentialId> = entry
            .credentials()
            .filter(|c| c.record.status_at(now) == CredentialStatus::Active)
            .map(|c| c.record.id)
            .collect();
        // Keep at least one working credential: rotate first, then revoke.
        if active.len() < 2 {
            return self.generate_credential(app);
        }
        let credential_id = active[self.rng.random_range(0..active.len())];
        self.as_owner(
            app,
            Action::RevokeCredential {
                app_id: app,
                credential_id,
            },
        );
    }

    fn delete_application(&mut self, app: AppId) {
        self.as_owner(app, Action::DeleteApplication { app_id: app });
        if self.portal.app(app).is_some_and(|a| a.is_deleted()) {
            self.live.retain(|&a| a != app);
        }
    }

    fn answer_survey(&mut self) {
        if self.pending_surveys.is_empty() {
            return;
        }
        let i = self.rng.random_range(0..self.pending_surveys.len());
        let survey_id = self.pending_surveys.swap_remove(i);
        // About a third of sent surveys are never answered.
        if self.rng.random_bool(0.35) {
            return;
        }
        let Ok(rating) = Rating::parse(self.rng.random_range(1..=5)) else {
            return;
        };
        let comment = self
            .rng
            .random_bool(0.4)
            .then(|| Text::parse("comment", "Thanks for asking.").ok())
            .flatten();
        let Some(device) = self.developers.first().map(|d| d.device) else {
            return;
        };
        if let Ok(issued) =
            process::answer(&self.portal, survey_id, rating, comment, self.now, device)
        {
            self.run(issued);
        }
    }

    /// On the first of each month the product owner offers a product on the
    /// paid plan to the applications longest on the free plan.
    fn start_campaign(&mut self) {
        let targets: Vec<AppId> = self
            .portal
            .upsell_targets_at(self.now)
            .iter()
            .take(6)
            .map(|t| t.app.id())
            .collect();
        if targets.is_empty() {
            return;
        }
        let product = self.product();
        let Ok(terms) = Text::parse(
            "terms",
            &format!("Three months of {product} on the paid plan at half price."),
        ) else {
            return;
        };
        let offer = Offer {
            campaign_id: CampaignId(self.ids.next_uuid()),
            product,
            plan: Plan::Paid,
            terms,
            ends_at: self.now + Duration::days(21),
        };
        let (Ok(actor), Some(device)) = (
            Actor::parse(PRODUCT_OWNER),
            self.developers.first().map(|d| d.device),
        ) else {
            return;
        };
        for app_id in targets {
            let issued = Issued {
                command: Command::new(
                    self.now,
                    Action::MakeOffer {
                        app_id,
                        offer: offer.clone(),
                    },
                ),
                meta: CommandMeta::by(actor.clone(), device),
            };
            if self.run(issued) {
                self.pending_offers.push((app_id, offer.campaign_id));
            }
        }
    }

    /// The product owner's work on the catalogue: every product on the
    /// first day after the first application (which added its products by
    /// name, as before there was a catalogue); halfway, a new description
    /// of the first and the retirement of `RETIRED`, which applications
    /// then no longer add.
    fn keep_catalogue(&mut self) {
        let halfway = self.produced * 2 >= self.config.target_events;
        let catalogue = self.portal.catalogue();
        let retired = catalogue
            .named(RETIRED)
            .is_some_and(|p| p.record.is_retired());
        let waits = match catalogue.is_empty() {
            // The first applications come before the catalogue.
            true => self.live.is_empty(),
            false => retired || !halfway,
        };
        if waits {
            return;
        }
        let (Ok(actor), Some(device)) = (
            Actor::parse(PRODUCT_OWNER),
            self.developers.first().map(|d| d.device),
        ) else {
            return;
        };
        let mut actions = Vec::new();
        let first = self
            .products
            .first()
            .and_then(|p| catalogue.named(p.as_str()));
        let to_retire = catalogue.named(RETIRED).map(|p| p.id);
        if catalogue.is_empty() {
            for (i, name) in self.products.clone().into_iter().enumerate() {
                let Ok(summary) = Text::parse("summary", SUMMARIES[i % SUMMARIES.len()]) else {
                    continue;
                };
                let product_id = ProductId(self.ids.next_uuid());
                let description = ProductDescription {
                    summary,
                    documentation: DocsLink::parse(&format!("https://docs.example.com/{name}"))
                        .ok(),
                    plans: match name.as_str() {
                        PAID_ONLY => vec![Plan::Paid],
                        _ => vec![Plan::Free, Plan::Paid],
                    },
                    name: name.clone(),
                };
                actions.push(Action::CreateApiProduct {
                    product_id,
                    description,
                });
            }
        } else {
            if let Some(product) = first {
                let mut description = product.record.description.clone();
                if let Ok(summary) = Text::parse(
                    "summary",
                    &format!("{} Now with instant payouts.", description.summary),
                ) {
                    description.summary = summary;
                }
                actions.push(Action::DescribeApiProduct {
                    product_id: product.id,
                    description,
                });
            }
            if let Some(product_id) = to_retire {
                actions.push(Action::RetireApiProduct { product_id });
            }
            self.products.retain(|p| p.as_str() != RETIRED);
        }
        for action in actions {
            if self.produced >= self.config.target_events {
                return;
            }
            self.run(Issued {
                command: Command::new(self.now, action),
                meta: CommandMeta::by(actor.clone(), device),
            });
        }
    }

    fn answer_offer(&mut self) {
        if self.pending_offers.is_empty() {
            return;
        }
        let i = self.rng.random_range(0..self.pending_offers.len());
        let (app_id, campaign_id) = self.pending_offers.swap_remove(i);
        let action = match self.rng.random_range(0..10) {
            0..=3 => Action::TakeUpOffer {
                app_id,
                campaign_id,
            },
            4..=6 => Action::DeclineOffer {
                app_id,
                campaign_id,
            },
            // Left to lapse.
            _ => return,
        };
        self.as_owner(app_id, action);
    }

    /// Executes a command and, in turn, whatever the process managers issue
    /// in reaction to its events. Returns whether the first command was valid.
    fn run(&mut self, first: Issued) -> bool {
        let mut queue = VecDeque::from([first]);
        let mut first_ok = None;
        while let Some(issued) = queue.pop_front() {
            let result = self
                .portal
                .execute(&issued.command, &issued.meta, &mut self.ids);
            first_ok.get_or_insert(result.is_ok());
            let Ok(envelopes) = result else {
                continue;
            };
            for envelope in envelopes {
                // The generator's portal is always at the head of its own log.
                let _ = self.portal.append(envelope.clone());
                if let Event::SurveySent { survey_id, .. } = envelope.event {
                    self.pending_surveys.push(survey_id);
                }
                queue.extend(process::react(&envelope, &self.portal, issued.meta.device));
                self.produced += 1;
                self.out.push_back(envelope);
            }
        }
        first_ok.unwrap_or(false)
    }
}
