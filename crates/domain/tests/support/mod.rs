//! Given/when/then scaffolding shared by the domain tests.
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use portal_domain::*;
use uuid::Uuid;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0)
        .single()
        .expect("valid date")
}

pub fn app(n: u128) -> AppId {
    AppId(Uuid::from_u128(0xA000 + n))
}

pub fn cred(n: u128) -> CredentialId {
    CredentialId(Uuid::from_u128(0xC000 + n))
}

pub fn survey(n: u128) -> SurveyId {
    SurveyId(Uuid::from_u128(0x5000 + n))
}

pub fn device() -> DeviceId {
    DeviceId(Uuid::from_u128(0xD0))
}

pub fn name(s: &str) -> AppName {
    AppName::parse(s).expect("valid name")
}

pub fn owner(s: &str) -> Owner {
    Owner::parse(s).expect("valid owner")
}

pub fn product(s: &str) -> ProductName {
    ProductName::parse(s).expect("valid product")
}

pub fn reason(s: &str) -> Option<Text> {
    Text::parse_optional("reason", s).expect("valid reason")
}

pub fn new_credential(n: u128, expires_at: DateTime<Utc>) -> NewCredential {
    NewCredential {
        id: cred(n),
        key: CredentialKey::parse(&format!("pl_{n:04}"), &format!("{:064x}", n))
            .expect("valid key"),
        expires_at,
    }
}

/// Creates application `n`, owned by ada, with credential `n` valid for 90 days.
pub fn create(n: u128, plan: Plan) -> Action {
    Action::CreateApplication {
        app_id: app(n),
        name: name(&format!("App {n}")),
        owner: owner("ada@example.com"),
        plan,
        credential: new_credential(n, t0() + Duration::days(90)),
    }
}

pub fn add(n: u128, p: &str) -> Action {
    Action::AddApiProduct {
        app_id: app(n),
        product: product(p),
    }
}

pub fn remove(n: u128, p: &str, why: &str) -> Action {
    Action::RemoveApiProduct {
        app_id: app(n),
        product: product(p),
        reason: reason(why),
    }
}

/// A portal built by executing commands one minute apart from `t0`.
pub struct Scenario {
    pub portal: Portal,
    pub ids: SeededIds,
    pub now: DateTime<Utc>,
    pub actor: Actor,
}

pub fn given(actions: impl IntoIterator<Item = Action>) -> Scenario {
    let mut scenario = Scenario {
        portal: Portal::new(),
        ids: SeededIds::new(1),
        now: t0(),
        actor: Actor::parse("ada@example.com").expect("valid actor"),
    };
    for action in actions {
        scenario
            .attempt(action)
            .expect("every given command is valid");
    }
    scenario
}

impl Scenario {
    pub fn command(&self, action: Action) -> Command {
        Command::new(self.now, action)
    }

    /// What `decide` says about `action` now, without appending anything.
    pub fn when(&self, action: Action) -> Result<Vec<Event>, DomainError> {
        decide(
            &self.command(action.clone()),
            self.portal.stream_state(&self.command(action)),
        )
    }

    /// Executes `action`; appends its events when valid. A rejected command
    /// must leave every projection exactly as it was.
    pub fn attempt(&mut self, action: Action) -> Result<Vec<Envelope>, DomainError> {
        self.attempt_with(action, CommandMeta::by(self.actor.clone(), device()))
    }

    pub fn attempt_with(
        &mut self,
        action: Action,
        meta: CommandMeta,
    ) -> Result<Vec<Envelope>, DomainError> {
        self.now += Duration::minutes(1);
        let before = self.portal.clone();
        let command = self.command(action);
        match self.portal.execute(&command, &meta, &mut self.ids) {
            Ok(envelopes) => {
                for e in &envelopes {
                    self.portal
                        .append(e.clone())
                        .expect("scenario portal is at its head");
                }
                Ok(envelopes)
            }
            Err(error) => {
                assert_eq!(self.portal, before, "a rejected command changed the state");
                assert_eq!(self.portal.log().len(), before.log().len());
                Err(error)
            }
        }
    }

    /// Executes an issued command (from a process manager).
    pub fn run(&mut self, issued: process::Issued) -> Result<Vec<Envelope>, DomainError> {
        let command = issued.command;
        self.now = self.now.max(command.at);
        let envelopes = self.portal.execute(&command, &issued.meta, &mut self.ids)?;
        for e in &envelopes {
            self.portal
                .append(e.clone())
                .expect("scenario portal is at its head");
        }
        Ok(envelopes)
    }

    /// Runs the first command a process manager issues in reaction to
    /// `event` and returns the first event it appends.
    pub fn react_to(&mut self, event: &Envelope) -> Envelope {
        let issued = process::react(event, &self.portal, device()).remove(0);
        self.run(issued).expect("the reaction is valid").remove(0)
    }

    pub fn advance(&mut self, by: Duration) {
        self.now += by;
    }

    pub fn log(&self) -> Vec<Envelope> {
        self.portal.log().iter().cloned().collect()
    }

    pub fn types(envelopes: &[Envelope]) -> Vec<EventType> {
        envelopes.iter().map(Envelope::event_type).collect()
    }
}

pub fn types(events: &[Event]) -> Vec<EventType> {
    events.iter().map(Event::event_type).collect()
}

/// Checks a log is a valid history: unique v7 ids; each stream's versions run
/// 1, 2, 3…; causes precede effects; every application event follows its
/// creation and none follows its deletion; products are added only when
/// absent and removed only when present; each record image matches the state
/// it follows from.
pub fn validate(log: &[Envelope]) -> Result<(), String> {
    use std::collections::{HashMap, HashSet};
    let mut seen = HashSet::new();
    let mut versions: HashMap<StreamId, u64> = HashMap::new();
    let mut portal = Portal::new();
    for (i, e) in log.iter().enumerate() {
        let at = |m: &str| format!("event {i} ({}): {m}", e.event_type());
        if !e.event_id.is_v7() || !seen.insert(e.event_id) {
            return Err(at("id is not a fresh v7 id"));
        }
        let v = versions.entry(e.stream_id).or_default();
        if e.stream_version != *v + 1 {
            return Err(at(&format!("version {} after {}", e.stream_version, v)));
        }
        *v += 1;
        if let Some(cause) = e.causation_id {
            if !seen.contains(&cause) {
                return Err(at("cause not earlier in the log"));
            }
        }
        let app = e.event.app_id().and_then(|id| portal.app(id));
        match &e.event {
            Event::ApplicationInsert(_) if app.is_some() => return Err(at("app exists")),
            Event::ApiProductInsert(_)
            | Event::ApiProductUpdate(_)
            | Event::ApiProductRetired { .. } => {}
            Event::ApplicationInsert(_)
            | Event::SurveyAdded { .. }
            | Event::SurveySent { .. }
            | Event::SurveyFeedbackRecorded { .. } => {}
            _ => match app {
                None => return Err(at("unknown app")),
                Some(a) if a.is_deleted() => return Err(at("app was deleted")),
                Some(a) => match &e.event {
                    Event::ApiProductAdded { product, .. } if a.record.has_product(product) => {
                        return Err(at("product already there"))
                    }
                    Event::ApiProductRemoved { product, .. } if !a.record.has_product(product) => {
                        return Err(at("product not there"))
                    }
                    Event::ApplicationUpdate(r)
                        if r.id != a.id() || r.created_at != a.record.created_at =>
                    {
                        return Err(at("record does not follow from the state"))
                    }
                    _ => {}
                },
            },
        }
        portal.append(e.clone()).map_err(|_| at("not at head"))?;
    }
    Ok(())
}

/// Every command of `log` read back from its events (`recover`) and decided
/// again against the state it was decided against gives those events.
pub fn every_command_recovers(log: &[Envelope]) {
    let mut again = Portal::new();
    for group in recover::commands(log) {
        let (command, _) = recover::recover(group).expect("a command's events");
        let decided = decide(&command, again.stream_state(&command)).expect("decided again");
        assert_eq!(
            decided,
            group.iter().map(|e| e.event.clone()).collect::<Vec<_>>()
        );
        for e in group {
            again.append(e.clone()).expect("at the head");
        }
    }
}
