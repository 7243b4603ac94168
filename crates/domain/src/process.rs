//! Process managers: pure functions from an event (or the passing of time),
//! plus the state they need, to the commands they issue. Each command carries
//! its cause's id as causation id and its cause's correlation id, and ids are
//! derived from the cause, so reacting twice issues nothing new.

use crate::command::{Action, Command, CommandMeta};
use crate::envelope::Envelope;
use crate::error::DomainError;
use crate::event::{Event, SurveyTopic};
use crate::ids::{derived_id, AppId, CredentialId, DeviceId, SurveyId};
use crate::portal::Portal;
use crate::records::CredentialStatus;
use crate::state::SurveyStatus;
use crate::values::{Actor, Plan, Rating, Text};
use chrono::{DateTime, Duration, Utc};

/// How long on the paid plan before the product-feedback survey.
pub const PAID_SURVEY_AFTER: Duration = Duration::days(90);

/// A command a process wants executed, with the metadata it must carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    pub command: Command,
    pub meta: CommandMeta,
}

fn actor(name: &'static str) -> Actor {
    Actor::process(name)
}

pub const SURVEYS_PROCESS: &str = "process:feedback-surveys";
pub const EXPIRY_PROCESS: &str = "process:credential-expiry";

/// What a process is called where people read it; `None` for a person (or
/// a process this build does not know).
pub fn title(actor: &Actor) -> Option<&'static str> {
    match actor.as_str() {
        SURVEYS_PROCESS => Some("Feedback surveys"),
        EXPIRY_PROCESS => Some("Credential expiry"),
        _ => None,
    }
}

/// Reacts to one event that `portal` has already folded.
///
/// - a product removed: a feedback survey for the app's owner;
/// - a survey added: send it.
pub fn react(event: &Envelope, portal: &Portal, device: DeviceId) -> Vec<Issued> {
    let cause = event.as_cause();
    match &event.event {
        Event::ApiProductRemoved {
            app_id,
            product,
            reason,
        } => {
            let survey_id = SurveyId(derived_id(event.event_id.0, "product-removed-survey"));
            if portal.survey(survey_id).is_some() {
                return Vec::new();
            }
            let Some(app) = portal.app(*app_id) else {
                return Vec::new();
            };
            vec![Issued {
                command: Command::new(
                    event.occurred_at,
                    Action::AddSurvey {
                        survey_id,
                        app_id: *app_id,
                        owner: app.record.owner.clone(),
                        topic: SurveyTopic::ProductRemoved {
                            product: product.clone(),
                            reason: reason.clone(),
                        },
                    },
                ),
                meta: cause.meta_for(actor(SURVEYS_PROCESS), device),
            }]
        }
        Event::SurveyAdded { survey_id, .. } => match portal.survey(*survey_id) {
            Some(survey) if survey.status == SurveyStatus::Added => vec![Issued {
                command: Command::new(
                    event.occurred_at,
                    Action::SendSurvey {
                        survey_id: *survey_id,
                    },
                ),
                meta: cause.meta_for(actor(SURVEYS_PROCESS), device),
            }],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// What the processors will issue because of `events` (a device's changes
/// not sent yet), as `portal` stands: a device shows it as what will
/// happen once its changes reach the server, and writes none of it
/// (ADR 30).
pub fn foreseen<'a>(
    events: impl IntoIterator<Item = &'a Envelope>,
    portal: &Portal,
) -> Vec<Issued> {
    let nowhere = DeviceId(uuid::Uuid::nil());
    events
        .into_iter()
        .flat_map(|e| react(e, portal, nowhere))
        .collect()
}

/// Work the passing of time brings, for one application: the seed's
/// time-driven processors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Due {
    /// A credential reaches its expiry: it is recorded as expired.
    Expiry {
        app_id: AppId,
        credential_id: CredentialId,
    },
    /// An application has been on the paid plan for more than 90 days: it
    /// gets one product-feedback survey.
    PaidPlanSurvey { app_id: AppId },
}

/// What falls due for application `app_id`, and when, as `portal` stands:
/// each active credential at its expiry, and the paid-plan survey just
/// after 90 days on the paid plan, unless it was added. A scheduler keeps
/// these (again after each event on the application) and wakes at the
/// earliest, instead of looking at every credential on every tick.
pub fn due_for(portal: &Portal, app_id: AppId) -> Vec<(DateTime<Utc>, Due)> {
    let Some(app) = portal.app(app_id).filter(|a| !a.is_deleted()) else {
        return Vec::new();
    };
    let mut due: Vec<_> = app
        .credentials()
        .filter(|c| c.record.status == CredentialStatus::Active)
        .map(|c| {
            (
                c.record.expires_at,
                Due::Expiry {
                    app_id,
                    credential_id: c.record.id,
                },
            )
        })
        .collect();
    if app.record.plan == Plan::Paid && portal.survey(paid_plan_survey(app_id)).is_none() {
        due.push((
            app.record.plan_since + PAID_SURVEY_AFTER + Duration::microseconds(1),
            Due::PaidPlanSurvey { app_id },
        ));
    }
    due
}

/// Everything that falls due, for every application (a scheduler's start).
pub fn all_due(portal: &Portal) -> Vec<(DateTime<Utc>, Due)> {
    portal
        .apps()
        .flat_map(|a| due_for(portal, a.id()))
        .collect()
}

fn paid_plan_survey(app_id: AppId) -> SurveyId {
    // Derived from the application alone, so there is one per application.
    SurveyId(derived_id(app_id.0, "paid-plan-survey"))
}

/// The command `due` issues, dated `at`, if it is still to do as `portal`
/// stands at `at` (a credential revoked meanwhile, or a survey already
/// added, issues nothing). A scheduler that catches up after downtime dates
/// it when it fell due.
pub fn run_due(due: Due, at: DateTime<Utc>, portal: &Portal, device: DeviceId) -> Option<Issued> {
    match due {
        Due::Expiry {
            app_id,
            credential_id,
        } => {
            let app = portal.app(app_id).filter(|a| !a.is_deleted())?;
            let credential = app.credential(credential_id)?;
            let record = credential.record;
            (record.status == CredentialStatus::Active && record.expires_at <= at).then(|| Issued {
                command: Command::new(
                    at,
                    Action::ExpireCredential {
                        app_id,
                        credential_id,
                    },
                ),
                meta: credential.issued_by.meta_for(actor(EXPIRY_PROCESS), device),
            })
        }
        Due::PaidPlanSurvey { app_id } => {
            let app = portal.app(app_id).filter(|a| !a.is_deleted())?;
            let survey_id = paid_plan_survey(app_id);
            let paid_long_enough =
                app.record.plan == Plan::Paid && at - app.record.plan_since > PAID_SURVEY_AFTER;
            if !paid_long_enough || portal.survey(survey_id).is_some() {
                return None;
            }
            let cause = app.plan_cause()?;
            Some(Issued {
                command: Command::new(
                    at,
                    Action::AddSurvey {
                        survey_id,
                        app_id,
                        owner: app.record.owner.clone(),
                        topic: SurveyTopic::PaidPlanFeedback {
                            products: app.record.products.to_vec(),
                        },
                    },
                ),
                meta: cause.meta_for(actor(SURVEYS_PROCESS), device),
            })
        }
    }
}

/// Reacts to the passing of time, as of `now`: everything due by then
/// ([`due_for`]), each dated `now`.
///
/// - a credential past its expiry is recorded as expired (caused by its insert);
/// - an app on the paid plan for more than 90 days gets one product-feedback
///   survey (caused by the event that put it on the paid plan).
pub fn on_tick(now: DateTime<Utc>, portal: &Portal, device: DeviceId) -> Vec<Issued> {
    all_due(portal)
        .into_iter()
        .filter(|(at, _)| *at <= now)
        .filter_map(|(_, work)| run_due(work, now, portal, device))
        .collect()
}

/// An owner's answer to a sent survey, as the command that records it (caused
/// by the SURVEY_SENT event).
pub fn answer(
    portal: &Portal,
    survey_id: SurveyId,
    rating: Rating,
    comment: Option<Text>,
    at: DateTime<Utc>,
    device: DeviceId,
) -> Result<Issued, DomainError> {
    let survey = portal
        .survey(survey_id)
        .ok_or(DomainError::SurveyNotFound { survey_id })?;
    let sent_by = match &survey.status {
        SurveyStatus::Added => return Err(DomainError::SurveyNotSent { survey_id }),
        SurveyStatus::Answered { .. } => {
            return Err(DomainError::SurveyAlreadyAnswered { survey_id })
        }
        SurveyStatus::Sent { sent_by, .. } => *sent_by,
    };
    let owner = Actor::parse(survey.owner.as_str())?;
    Ok(Issued {
        command: Command::new(
            at,
            Action::RecordSurveyFeedback {
                survey_id,
                rating,
                comment,
            },
        ),
        meta: sent_by.meta_for(owner, device),
    })
}
