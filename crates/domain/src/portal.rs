//! `Portal`: every projection that has state, folded from the log one
//! envelope at a time. Folding is the only way it changes; it never fails and
//! holds no rules (those are in `decide`).
//!
//! Collections are persistent, so a clone costs O(1) and shares all
//! structure: the time machine keeps many checkpoints for the memory of few.
//! Record images are not copied: entries keep their log positions.

use crate::catalogue::{ProductEntry, ProductState};
use crate::command::{Action, Command, CommandMeta};
use crate::decide::{decide, StreamState};
use crate::envelope::{seal, Envelope};
use crate::error::DomainError;
use crate::event::Event;
use crate::ids::{AppId, IdSource, ProductId, StreamId, SurveyId};
use crate::log::SharedLog;
use crate::offer::OfferAnswer;
use crate::persistent::{HashedMap, List, Shared};
use crate::projections::adoption::Adoption;
use crate::projections::surveys::Funnel;
use crate::state::{
    App, AppEntry, AppState, CredentialEntry, Lifecycle, OfferEntry, Progress, Survey, SurveyEntry,
    SurveyState,
};
use crate::values::Owner;
use chrono::{DateTime, Utc};

#[derive(Clone, Debug, Default)]
pub struct Portal {
    pub(crate) log: SharedLog,
    /// How many events have been folded: the log position this state is at.
    pub(crate) position: u64,
    /// The latest `occurred_at` folded so far: the time of this position.
    /// A skewed client clock can make an event look older than the one
    /// before it; time only moves forward here, and order follows the log.
    pub(crate) clock: Option<DateTime<Utc>>,
    pub(crate) apps: HashedMap<AppId, AppEntry>,
    pub(crate) surveys: HashedMap<SurveyId, SurveyEntry>,
    /// The catalogue's products, retired ones included.
    pub(crate) products: HashedMap<ProductId, ProductEntry>,
    pub(crate) adoption: Adoption,
    pub(crate) funnel: Funnel,
    /// Positions of APPLICATION_OWNER_CHANGED events.
    pub(crate) owner_changes: List<u32>,
}

/// Two states are equal when every projection is. Projections hold log
/// positions, so this compares states folded from the same events (the same
/// log, or copies of it); which handle to the log they read is not compared.
impl PartialEq for Portal {
    fn eq(&self, other: &Self) -> bool {
        self.position == other.position
            && self.clock == other.clock
            && self.apps == other.apps
            && self.surveys == other.surveys
            && self.products == other.products
            && self.adoption == other.adoption
            && self.funnel == other.funnel
            && self.owner_changes == other.owner_changes
    }
}

/// Appending to a state that is not at the end of its log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotAtHead {
    pub position: u64,
    pub log_len: usize,
}

impl Portal {
    /// An empty portal with a log of its own.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty portal over `log`, ready to fold it with [`Portal::advance`].
    pub fn over(log: SharedLog) -> Self {
        Self {
            log,
            ..Self::default()
        }
    }

    /// A plain fold of `log`, copied into a log of its own.
    pub fn fold<'a>(log: impl IntoIterator<Item = &'a Envelope>) -> Self {
        let mut portal = Self::new();
        for envelope in log {
            // A fresh portal is always at the head of its own log.
            let _ = portal.append(envelope.clone());
        }
        portal
    }

    pub fn log(&self) -> &SharedLog {
        &self.log
    }

    pub fn position(&self) -> u64 {
        self.position
    }

    /// The time of this position; `None` before the first event.
    pub fn clock(&self) -> Option<DateTime<Utc>> {
        self.clock
    }

    pub fn app(&self, id: AppId) -> Option<App<'_>> {
        App::resolve(id, self.apps.get(&id)?, &self.log)
    }

    /// Who owns the application now (deleted ones keep their last owner).
    pub fn owner_of(&self, id: AppId) -> Option<&Owner> {
        self.app(id).map(|a| &a.record.owner)
    }

    pub fn survey(&self, id: SurveyId) -> Option<Survey<'_>> {
        Survey::resolve(id, self.surveys.get(&id)?, &self.log)
    }

    /// Every application ever created, deleted ones included, in no
    /// particular (but a deterministic) order.
    pub fn apps(&self) -> impl Iterator<Item = App<'_>> {
        self.apps
            .iter()
            .filter_map(|(id, entry)| App::resolve(*id, entry, &self.log))
    }

    pub fn surveys(&self) -> impl Iterator<Item = Survey<'_>> {
        self.surveys
            .iter()
            .filter_map(|(id, entry)| Survey::resolve(*id, entry, &self.log))
    }

    /// The state `command` is decided against.
    pub fn stream_state(&self, command: &Command) -> StreamState<'_> {
        let id = command.action.stream_id().0;
        match command.action {
            Action::AddSurvey { .. }
            | Action::SendSurvey { .. }
            | Action::RecordSurveyFeedback { .. } => {
                StreamState::Survey(match self.survey(SurveyId(id)) {
                    Some(survey) => SurveyState::Exists(survey),
                    None => SurveyState::Absent,
                })
            }
            Action::CreateApiProduct { .. }
            | Action::DescribeApiProduct { .. }
            | Action::RetireApiProduct { .. } => StreamState::Product(
                match self.catalogue_product(ProductId(id)) {
                    Some(product) => ProductState::Exists(product),
                    None => ProductState::Absent,
                },
                self.catalogue_unsorted(),
            ),
            _ => StreamState::App(AppState::of(self.app(AppId(id))), self.catalogue_unsorted()),
        }
    }

    /// The version of `stream`, whichever kind of stream it is: 0 for one
    /// with no events.
    pub fn version_of(&self, stream: StreamId) -> u64 {
        let app = self.app(AppId(stream.0)).map(|a| a.version());
        app.or_else(|| self.survey(SurveyId(stream.0)).map(|s| s.version))
            .or_else(|| self.products.get(&ProductId(stream.0)).map(|p| p.version))
            .unwrap_or(0)
    }

    /// The current version of `command`'s stream: what an append expects.
    pub fn stream_version(&self, command: &Command) -> u64 {
        self.stream_state(command).version()
    }

    /// Decides `command` against this state and seals its events, ready to
    /// append. Nothing changes until the caller appends them.
    pub fn execute(
        &self,
        command: &Command,
        meta: &CommandMeta,
        ids: &mut impl IdSource,
    ) -> Result<Vec<Envelope>, DomainError> {
        let state = self.stream_state(command);
        let version = state.version();
        let events = decide(command, state)?;
        Ok(seal(events, command.at, meta, version, ids))
    }

    /// Appends `envelope` to the log and folds it. Only a state at the end of
    /// its log can append; an older one (a checkpoint) is refused.
    pub fn append(&mut self, envelope: Envelope) -> Result<(), NotAtHead> {
        if self.position as usize != self.log.len() {
            return Err(NotAtHead {
                position: self.position,
                log_len: self.log.len(),
            });
        }
        self.log.push(envelope);
        self.advance();
        Ok(())
    }

    /// Folds the next event of the log, if there is one. Returns whether it did.
    pub fn advance(&mut self) -> bool {
        let log = self.log.clone();
        let Some(envelope) = log.get(self.position as usize) else {
            return false;
        };
        self.apply(envelope);
        true
    }

    /// Folds events until the state is at position `k` (or the end of the log).
    pub fn advance_to(&mut self, k: u64) {
        while self.position < k && self.advance() {}
    }

    /// Folds `envelope`, which must be the log's event at this position.
    /// Unknown streams are ignored rather than failing, so a log that lost a
    /// record still loads everything else.
    ///
    /// Application records change only through domain-model events, which
    /// carry the record's new shape; business events feed the analytics. An
    /// application's version is therefore the stream version of its last
    /// record change or offer, which at a command boundary is the stream's
    /// version, since every application command ends with its domain-model
    /// event or is an offer's alone.
    fn apply(&mut self, envelope: &Envelope) {
        let position = self.position as u32;
        self.position += 1;
        if self.clock.is_none_or(|c| envelope.occurred_at > c) {
            self.clock = Some(envelope.occurred_at);
        }
        let at = envelope.occurred_at;
        let version = envelope.stream_version;
        // Routed by the envelope's stream id, which is inline, so folding
        // a record change never reads the record itself.
        let stream = AppId(envelope.stream_id.0);
        match &envelope.event {
            Event::ApplicationInsert(_) => {
                self.apps.insert(
                    stream,
                    AppEntry {
                        record_at: position,
                        plan_cause: position,
                        version,
                        lifecycle: Lifecycle::Active,
                        credentials: Shared::default(),
                        offers: Shared::default(),
                    },
                );
            }
            Event::ApplicationUpdate(_) => {
                self.with_app(stream, version, |app| app.record_at = position)
            }
            Event::ApplicationDelete(_) => self.with_app(stream, version, |app| {
                app.lifecycle = Lifecycle::Deleted {
                    tombstone_at: position,
                };
            }),
            Event::ApplicationDeleted { app_id, .. } => {
                if let Some(app) = self.app(*app_id) {
                    let products = app.record.products.clone();
                    self.adoption.app_deleted(&products);
                }
            }
            Event::ApiProductAdded { product, .. } => self.adoption.added(at, product),
            Event::ApiProductRemoved {
                app_id,
                product,
                reason,
            } => {
                self.adoption.removed(at, product, reason);
                if let Some(owner) = self.owner_of(*app_id).cloned() {
                    self.adoption.removed_by(&owner, product, reason);
                }
            }
            Event::OwnerChanged { .. } => self.owner_changes.push_back(position),
            Event::PlanChanged { app_id, .. } => {
                self.with_app_unversioned(*app_id, |app| app.plan_cause = position);
            }
            Event::CredentialInsert(image) => {
                let id = image.id;
                self.with_app(stream, version, |app| {
                    Shared::make_mut(&mut app.credentials).push(CredentialEntry {
                        id,
                        record_at: position,
                        issued_at: position,
                    });
                });
            }
            Event::CredentialRevoked { .. } | Event::CredentialExpired { .. } => {}
            Event::CredentialUpdate(image) => {
                let id = image.id;
                self.with_app(stream, version, |app| {
                    // Only live credentials change, and they are the newest.
                    let credentials = Shared::make_mut(&mut app.credentials);
                    if let Some(entry) = credentials.iter_mut().rev().find(|c| c.id == id) {
                        entry.record_at = position;
                    }
                })
            }
            Event::OfferMade { offer, .. } => {
                let campaign_id = offer.campaign_id;
                self.with_app(stream, version, |app| {
                    Shared::make_mut(&mut app.offers).push(OfferEntry {
                        campaign_id,
                        made_at: position,
                        answer: None,
                    });
                });
            }
            Event::OfferTakenUp { campaign_id, .. } => self.answer_offer(
                stream,
                version,
                *campaign_id,
                (OfferAnswer::TakenUp, position),
            ),
            Event::OfferDeclined { campaign_id, .. } => self.answer_offer(
                stream,
                version,
                *campaign_id,
                (OfferAnswer::Declined, position),
            ),
            Event::ApiProductInsert(record) => {
                self.products.insert(
                    record.id,
                    ProductEntry {
                        record_at: position,
                        version,
                    },
                );
            }
            Event::ApiProductUpdate(record) => {
                if let Some(product) = self.products.get_mut(&record.id) {
                    product.record_at = position;
                    product.version = version;
                }
            }
            Event::ApiProductRetired { .. } => {}
            Event::SurveyAdded { survey_id, .. } => {
                self.funnel.added += 1;
                self.surveys.insert(
                    *survey_id,
                    SurveyEntry {
                        added_at: position,
                        progress: Progress::Added,
                        version,
                    },
                );
            }
            Event::SurveySent { survey_id, .. } => {
                self.funnel.sent += 1;
                self.with_survey(*survey_id, version, |s| {
                    s.progress = Progress::Sent { sent_at: position }
                });
            }
            Event::SurveyFeedbackRecorded {
                survey_id, rating, ..
            } => {
                // One lookup serves both the funnel and the survey's progress.
                if let Some(survey) = self.surveys.get_mut(survey_id) {
                    survey.version = version;
                    if let Some(Event::SurveyAdded { topic, .. }) =
                        self.log.get(survey.added_at as usize).map(|e| &e.event)
                    {
                        self.funnel.answered(topic.products(), *rating);
                    }
                    if let Progress::Sent { sent_at } = survey.progress {
                        survey.progress = Progress::Answered {
                            sent_at,
                            answered_at: position,
                        };
                    }
                }
            }
        }
    }

    fn with_app(&mut self, id: AppId, version: u64, change: impl FnOnce(&mut AppEntry)) {
        if let Some(app) = self.apps.get_mut(&id) {
            app.version = version;
            change(app);
        }
    }

    fn answer_offer(
        &mut self,
        app: AppId,
        version: u64,
        campaign_id: crate::ids::CampaignId,
        answer: (OfferAnswer, u32),
    ) {
        self.with_app(app, version, |app| {
            let offers = Shared::make_mut(&mut app.offers);
            if let Some(offer) = offers.iter_mut().find(|o| o.campaign_id == campaign_id) {
                offer.answer = Some(answer);
            }
        });
    }

    /// For effects on an application recorded by a business event, which
    /// does not change the record (and so not the version).
    fn with_app_unversioned(&mut self, id: AppId, change: impl FnOnce(&mut AppEntry)) {
        if let Some(app) = self.apps.get_mut(&id) {
            change(app);
        }
    }

    fn with_survey(&mut self, id: SurveyId, version: u64, change: impl FnOnce(&mut SurveyEntry)) {
        if let Some(survey) = self.surveys.get_mut(&id) {
            survey.version = version;
            change(survey);
        }
    }
}
