//! Per-stream state. Entries hold the log positions of their latest record
//! images (see `log.rs`); [`App`] and [`Credential`] are the resolved views
//! that `decide`, the projections and the UI read.

use crate::envelope::EventRef;
use crate::event::{Event, SurveyTopic};
use crate::ids::{AppId, CampaignId, CredentialId, SurveyId};
use crate::log::SharedLog;
use crate::offer::{Offer, OfferAnswer};
use crate::persistent::Shared;
use crate::records::{ApplicationRecord, CredentialRecord, CredentialStatus};
use crate::values::{Actor, Owner, Rating, Text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialEntry {
    pub id: CredentialId,
    /// The position of the credential's latest CREDENTIAL_INSERT or _UPDATE.
    pub(crate) record_at: u32,
    /// The position of the event that issued it: the cause of its expiry.
    pub(crate) issued_at: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lifecycle {
    Active,
    /// Deleted by the APPLICATION_DELETE at this log position.
    Deleted {
        tombstone_at: u32,
    },
}

/// An application as the projections keep it: small and inline in its map,
/// so that a record change touches one node and nothing else. Records and
/// causes are log positions (see `log.rs`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppEntry {
    /// The position of the application's latest APPLICATION_INSERT or _UPDATE.
    pub(crate) record_at: u32,
    /// The position of the event that put the application on its current plan.
    pub(crate) plan_cause: u32,
    /// The stream version of the last record change.
    pub version: u64,
    pub lifecycle: Lifecycle,
    /// Oldest first. Behind its own pointer so that copying an entry (when a
    /// checkpoint shares its node) does not copy every credential.
    pub credentials: Shared<Vec<CredentialEntry>>,
    /// Offers made to it, oldest first; most applications have none.
    pub offers: Shared<Vec<OfferEntry>>,
}

/// An offer as an application keeps it: log positions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferEntry {
    pub campaign_id: CampaignId,
    /// The position of its OFFER_MADE.
    pub(crate) made_at: u32,
    /// How it was answered, and the position of that answer.
    pub(crate) answer: Option<(OfferAnswer, u32)>,
}

pub(crate) fn app_record(log: &SharedLog, position: u32) -> Option<&ApplicationRecord> {
    match &log.get(position as usize)?.event {
        Event::ApplicationInsert(r) | Event::ApplicationUpdate(r) => Some(r),
        _ => None,
    }
}

pub(crate) fn credential_record(log: &SharedLog, position: u32) -> Option<&CredentialRecord> {
    match &log.get(position as usize)?.event {
        Event::CredentialInsert(c) | Event::CredentialUpdate(c) => Some(&c.record),
        _ => None,
    }
}

/// An application with its current record.
#[derive(Clone, Copy, Debug)]
pub struct App<'a> {
    id: AppId,
    pub entry: &'a AppEntry,
    pub record: &'a ApplicationRecord,
    log: &'a SharedLog,
}

impl PartialEq for App<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.entry == other.entry && self.record == other.record
    }
}

impl<'a> App<'a> {
    pub(crate) fn resolve(id: AppId, entry: &'a AppEntry, log: &'a SharedLog) -> Option<Self> {
        Some(Self {
            id,
            entry,
            record: app_record(log, entry.record_at)?,
            log,
        })
    }

    pub fn id(&self) -> AppId {
        self.id
    }

    /// When it was deleted, if it was.
    pub fn deleted_at(&self) -> Option<DateTime<Utc>> {
        match self.entry.lifecycle {
            Lifecycle::Active => None,
            Lifecycle::Deleted { tombstone_at } => {
                match &self.log.get(tombstone_at as usize)?.event {
                    Event::ApplicationDelete(t) => Some(t.deleted_at),
                    _ => None,
                }
            }
        }
    }

    pub fn is_deleted(&self) -> bool {
        matches!(self.entry.lifecycle, Lifecycle::Deleted { .. })
    }

    pub fn version(&self) -> u64 {
        self.entry.version
    }

    /// The event that put the application on its current plan.
    pub fn plan_cause(&self) -> Option<EventRef> {
        Some(self.log.get(self.entry.plan_cause as usize)?.as_cause())
    }

    /// Its credentials, oldest first.
    pub fn credentials(&self) -> impl DoubleEndedIterator<Item = Credential<'a>> + 'a {
        let log = self.log;
        self.entry
            .credentials
            .iter()
            .filter_map(move |entry| Credential::resolve(entry, log))
    }

    pub fn credential(&self, id: CredentialId) -> Option<Credential<'a>> {
        let entry = self.entry.credentials.iter().find(|c| c.id == id)?;
        Credential::resolve(entry, self.log)
    }

    /// The offers made to it, oldest first.
    pub fn offers(&self) -> impl DoubleEndedIterator<Item = AppOffer<'a>> + 'a {
        let (id, log) = (self.id, self.log);
        self.entry
            .offers
            .iter()
            .filter_map(move |entry| AppOffer::resolve(id, entry, log))
    }

    pub fn offer(&self, campaign_id: CampaignId) -> Option<AppOffer<'a>> {
        let entry = self
            .entry
            .offers
            .iter()
            .find(|o| o.campaign_id == campaign_id)?;
        AppOffer::resolve(self.id, entry, self.log)
    }
}

/// An offer made to an application, with what its events say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppOffer<'a> {
    pub app_id: AppId,
    pub offer: &'a Offer,
    /// Who owned the application when the offer was made.
    pub made_to: &'a Owner,
    pub made_at: DateTime<Utc>,
    pub made_by: EventRef,
    /// Who made it: the product owner or admin who started the campaign.
    pub by: &'a Actor,
    /// How and when it was answered, if it was.
    pub answer: Option<(OfferAnswer, DateTime<Utc>)>,
}

impl<'a> AppOffer<'a> {
    fn resolve(app_id: AppId, entry: &OfferEntry, log: &'a SharedLog) -> Option<Self> {
        let made = log.get(entry.made_at as usize)?;
        let Event::OfferMade { owner, offer, .. } = &made.event else {
            return None;
        };
        let answer = match entry.answer {
            None => None,
            Some((answer, at)) => Some((answer, log.get(at as usize)?.occurred_at)),
        };
        Some(Self {
            app_id,
            offer,
            made_to: owner,
            made_at: made.occurred_at,
            made_by: made.as_cause(),
            by: &made.actor,
            answer,
        })
    }

    /// Not answered, and not past its end at `at`.
    pub fn is_open_at(&self, at: DateTime<Utc>) -> bool {
        self.answer.is_none() && at < self.offer.ends_at
    }
}

/// A credential with its current record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Credential<'a> {
    pub entry: &'a CredentialEntry,
    pub record: &'a CredentialRecord,
    /// The event that issued it: the cause of its expiry.
    pub issued_by: EventRef,
}

impl<'a> Credential<'a> {
    fn resolve(entry: &'a CredentialEntry, log: &'a SharedLog) -> Option<Self> {
        Some(Self {
            entry,
            record: credential_record(log, entry.record_at)?,
            issued_by: log.get(entry.issued_at as usize)?.as_cause(),
        })
    }

    pub fn status_at(&self, at: DateTime<Utc>) -> CredentialStatus {
        self.record.status_at(at)
    }
}

/// An application stream's state, for `decide`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AppState<'a> {
    Absent,
    Active(App<'a>),
    Deleted(App<'a>),
}

impl<'a> AppState<'a> {
    pub fn of(app: Option<App<'a>>) -> Self {
        match app {
            None => AppState::Absent,
            Some(a) if a.is_deleted() => AppState::Deleted(a),
            Some(a) => AppState::Active(a),
        }
    }
}

/// How far a survey has got, as log positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Progress {
    Added,
    Sent { sent_at: u32 },
    Answered { sent_at: u32, answered_at: u32 },
}

/// A feedback survey as the projections keep it: small and inline in its
/// map; what it says is read from its SURVEY_ADDED event (see `log.rs`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyEntry {
    /// The position of its SURVEY_ADDED event.
    pub(crate) added_at: u32,
    pub progress: Progress,
    pub version: u64,
}

/// Where a survey is, with what its events say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SurveyStatus {
    Added,
    Sent {
        at: DateTime<Utc>,
        /// The SURVEY_SENT event, the cause of the answer.
        sent_by: EventRef,
    },
    Answered {
        at: DateTime<Utc>,
        rating: Rating,
        comment: Option<Text>,
    },
}

/// A survey with what its events say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Survey<'a> {
    pub id: SurveyId,
    pub app_id: AppId,
    pub owner: &'a Owner,
    pub topic: &'a SurveyTopic,
    pub added_at: DateTime<Utc>,
    pub added_by: EventRef,
    pub status: SurveyStatus,
    pub version: u64,
}

impl<'a> Survey<'a> {
    pub(crate) fn resolve(id: SurveyId, entry: &SurveyEntry, log: &'a SharedLog) -> Option<Self> {
        let added = log.get(entry.added_at as usize)?;
        let Event::SurveyAdded {
            app_id,
            owner,
            topic,
            ..
        } = &added.event
        else {
            return None;
        };
        let status = match entry.progress {
            Progress::Added => SurveyStatus::Added,
            Progress::Sent { sent_at } => {
                let sent = log.get(sent_at as usize)?;
                SurveyStatus::Sent {
                    at: sent.occurred_at,
                    sent_by: sent.as_cause(),
                }
            }
            Progress::Answered { answered_at, .. } => {
                let answered = log.get(answered_at as usize)?;
                match &answered.event {
                    Event::SurveyFeedbackRecorded {
                        rating, comment, ..
                    } => SurveyStatus::Answered {
                        at: answered.occurred_at,
                        rating: *rating,
                        comment: comment.clone(),
                    },
                    _ => return None,
                }
            }
        };
        Some(Self {
            id,
            app_id: *app_id,
            owner,
            topic,
            added_at: added.occurred_at,
            added_by: added.as_cause(),
            status,
            version: entry.version,
        })
    }

    /// Sent and waiting for the owner's answer.
    pub fn is_pending(&self) -> bool {
        matches!(self.status, SurveyStatus::Sent { .. })
    }
}

/// A survey stream's state, for `decide`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SurveyState<'a> {
    Absent,
    Exists(Survey<'a>),
}
