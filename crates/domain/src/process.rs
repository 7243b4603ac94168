//! Process managers: pure functions from an event (or the passing of time),
//! plus the state they need, to the commands they issue. Each command carries
//! its cause's id as causation id and its cause's correlation id, and ids are
//! derived from the cause, so reacting twice issues nothing new.

use crate::command::{Action, Command, CommandMeta};
use crate::envelope::Envelope;
use crate::error::DomainError;
use crate::event::{Event, SurveyTopic};
use crate::ids::{derived_id, DeviceId, SurveyId};
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

/// Reacts to the passing of time, as of `now`:
///
/// - a credential past its expiry is recorded as expired (caused by its insert);
/// - an app on the paid plan for more than 90 days gets one product-feedback
///   survey (caused by the event that put it on the paid plan).
pub fn on_tick(now: DateTime<Utc>, portal: &Portal, device: DeviceId) -> Vec<Issued> {
    let mut issued = Vec::new();
    for app in portal.apps().filter(|a| !a.is_deleted()) {
        for credential in app.credentials() {
            let record = credential.record;
            if record.status == CredentialStatus::Active && record.expires_at <= now {
                issued.push(Issued {
                    command: Command::new(
                        now,
                        Action::ExpireCredential {
                            app_id: app.id(),
                            credential_id: record.id,
                        },
                    ),
                    meta: credential.issued_by.meta_for(actor(EXPIRY_PROCESS), device),
                });
            }
        }
        if app.record.plan == Plan::Paid && now - app.record.plan_since > PAID_SURVEY_AFTER {
            // Derived from the application alone, so there is one per application.
            let survey_id = SurveyId(derived_id(app.id().0, "paid-plan-survey"));
            if let (None, Some(cause)) = (portal.survey(survey_id), app.plan_cause()) {
                issued.push(Issued {
                    command: Command::new(
                        now,
                        Action::AddSurvey {
                            survey_id,
                            app_id: app.id(),
                            owner: app.record.owner.clone(),
                            topic: SurveyTopic::PaidPlanFeedback {
                                products: app.record.products.to_vec(),
                            },
                        },
                    ),
                    meta: cause.meta_for(actor(SURVEYS_PROCESS), device),
                });
            }
        }
    }
    issued
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
