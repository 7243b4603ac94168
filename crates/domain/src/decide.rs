//! `decide`: every rule lives here. Given a command and the state of its
//! stream, it returns the events to append, or the rule that was broken.
//! It never panics and never looks at a clock.

use crate::catalogue::{ApiProductRecord, Catalogue, ProductState};
use crate::command::{Action, Command, NewCredential};
use crate::error::DomainError;
use crate::event::Event;
use crate::ids::{AppId, CampaignId, CredentialId, SurveyId};
use crate::offer::Offer;
use crate::records::{
    ApplicationRecord, CredentialImage, CredentialRecord, CredentialStatus,
    DeletedApplicationRecord,
};
use crate::state::{App, AppOffer, AppState, Credential, SurveyState, SurveyStatus};
use crate::values::ProductName;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// The state a command is decided against: that of the stream it targets,
/// and the catalogue, which an application's products and a new product's
/// name are checked against.
#[derive(Clone, Debug)]
pub enum StreamState<'a> {
    App(AppState<'a>, Catalogue<'a>),
    Survey(SurveyState<'a>),
    Product(ProductState<'a>, Catalogue<'a>),
}

impl StreamState<'_> {
    /// The stream's current version: 0 for a stream with no events yet.
    pub fn version(&self) -> u64 {
        match self {
            StreamState::App(AppState::Active(a) | AppState::Deleted(a), _) => a.version(),
            StreamState::Survey(SurveyState::Exists(s)) => s.version,
            StreamState::Product(ProductState::Exists(p), _) => p.version,
            _ => 0,
        }
    }
}

pub fn decide(command: &Command, state: StreamState<'_>) -> Result<Vec<Event>, DomainError> {
    match state {
        StreamState::App(app, catalogue) => decide_app(command, app, &catalogue),
        StreamState::Survey(survey) => decide_survey(command, survey),
        StreamState::Product(product, catalogue) => decide_product(command, product, &catalogue),
    }
}

fn active<'a>(state: AppState<'a>, command: &Command) -> Result<App<'a>, DomainError> {
    let app_id = AppId(command.action.stream_id().0);
    match state {
        AppState::Absent => Err(DomainError::ApplicationNotFound { app_id }),
        AppState::Deleted(_) => Err(DomainError::ApplicationDeleted { app_id }),
        AppState::Active(app) => Ok(app),
    }
}

fn credential_of(app: App<'_>, id: CredentialId) -> Result<Credential<'_>, DomainError> {
    app.credential(id)
        .ok_or(DomainError::CredentialNotFound { credential_id: id })
}

fn check_expiry(at: DateTime<Utc>, credential: &NewCredential) -> Result<(), DomainError> {
    if credential.expires_at <= at {
        return Err(DomainError::ExpiryNotAfterIssue {
            issued_at: at,
            expires_at: credential.expires_at,
        });
    }
    Ok(())
}

fn issue(app: AppId, at: DateTime<Utc>, credential: &NewCredential) -> CredentialImage {
    CredentialImage::from(Arc::new(CredentialRecord {
        id: credential.id,
        app_id: app,
        key: credential.key.clone(),
        issued_at: at,
        // Kept to the microsecond, like the command's time (`Command::new`).
        expires_at: crate::precision::micros(credential.expires_at),
        status: CredentialStatus::Active,
    }))
}

/// The offer of `campaign_id`, if it can still be answered at `at`.
fn open_offer(
    app: App<'_>,
    campaign_id: CampaignId,
    at: DateTime<Utc>,
) -> Result<AppOffer<'_>, DomainError> {
    let offer = app
        .offer(campaign_id)
        .ok_or(DomainError::OfferNotFound { campaign_id })?;
    if let Some((answer, _)) = offer.answer {
        return Err(DomainError::OfferAlreadyAnswered {
            campaign_id,
            answer,
        });
    }
    if at >= offer.offer.ends_at {
        return Err(DomainError::OfferEnded {
            campaign_id,
            ends_at: offer.offer.ends_at,
        });
    }
    Ok(offer)
}

fn with_product(products: &[ProductName], product: &ProductName) -> Arc<[ProductName]> {
    let mut products = products.to_vec();
    let slot = products.partition_point(|p| p < product);
    products.insert(slot, product.clone());
    products.into()
}

/// The record after a change, stamped with the command's time.
fn updated(app: App<'_>, at: DateTime<Utc>, change: impl FnOnce(&mut ApplicationRecord)) -> Event {
    let mut record = app.record.clone();
    change(&mut record);
    record.updated_at = at;
    Event::ApplicationUpdate(Arc::new(record))
}

fn decide_app(
    command: &Command,
    state: AppState<'_>,
    catalogue: &Catalogue<'_>,
) -> Result<Vec<Event>, DomainError> {
    let at = command.at;
    match &command.action {
        Action::CreateApplication {
            app_id,
            name,
            owner,
            plan,
            credential,
        } => {
            match state {
                AppState::Absent => {}
                AppState::Active(_) => {
                    return Err(DomainError::ApplicationAlreadyExists { app_id: *app_id })
                }
                AppState::Deleted(_) => {
                    return Err(DomainError::ApplicationDeleted { app_id: *app_id })
                }
            }
            check_expiry(at, credential)?;
            Ok(vec![
                Event::ApplicationInsert(Arc::new(ApplicationRecord {
                    id: *app_id,
                    name: name.clone(),
                    owner: owner.clone(),
                    plan: *plan,
                    plan_since: at,
                    products: Arc::from([]),
                    created_at: at,
                    updated_at: at,
                })),
                Event::CredentialInsert(issue(*app_id, at, credential)),
            ])
        }
        Action::AddApiProduct { app_id, product } => {
            let app = active(state, command)?;
            let product = &catalogue.addable(product, app.record.plan)?;
            if app.record.has_product(product) {
                return Err(DomainError::ProductAlreadyAdded {
                    product: product.clone(),
                });
            }
            Ok(vec![
                Event::ApiProductAdded {
                    app_id: *app_id,
                    product: product.clone(),
                },
                updated(app, at, |r| r.products = with_product(&r.products, product)),
            ])
        }
        Action::RemoveApiProduct {
            app_id,
            product,
            reason,
        } => {
            let app = active(state, command)?;
            if !app.record.has_product(product) {
                return Err(DomainError::ProductNotOnApplication {
                    product: product.clone(),
                });
            }
            Ok(vec![
                Event::ApiProductRemoved {
                    app_id: *app_id,
                    product: product.clone(),
                    reason: reason.clone(),
                },
                updated(app, at, |r| {
                    r.products = r
                        .products
                        .iter()
                        .filter(|p| *p != product)
                        .cloned()
                        .collect();
                }),
            ])
        }
        Action::ChangeOwner { app_id, owner } => {
            let app = active(state, command)?;
            if app.record.owner == *owner {
                return Err(DomainError::SameOwner {
                    owner: owner.clone(),
                });
            }
            Ok(vec![
                Event::OwnerChanged {
                    app_id: *app_id,
                    from: app.record.owner.clone(),
                    to: owner.clone(),
                },
                updated(app, at, |r| r.owner = owner.clone()),
            ])
        }
        Action::ChangePlan { app_id, plan } => {
            let app = active(state, command)?;
            if app.record.plan == *plan {
                return Err(DomainError::SamePlan { plan: *plan });
            }
            Ok(vec![
                Event::PlanChanged {
                    app_id: *app_id,
                    from: app.record.plan,
                    to: *plan,
                },
                updated(app, at, |r| {
                    r.plan = *plan;
                    r.plan_since = at;
                }),
            ])
        }
        Action::GenerateCredential { app_id, credential } => {
            let app = active(state, command)?;
            if app.credential(credential.id).is_some() {
                return Err(DomainError::CredentialAlreadyExists {
                    credential_id: credential.id,
                });
            }
            check_expiry(at, credential)?;
            Ok(vec![Event::CredentialInsert(issue(
                *app_id, at, credential,
            ))])
        }
        Action::RevokeCredential {
            app_id,
            credential_id,
        } => {
            let app = active(state, command)?;
            let entry = credential_of(app, *credential_id)?;
            let status = entry.record.status_at(at);
            if status != CredentialStatus::Active {
                return Err(DomainError::CredentialNotActive {
                    credential_id: *credential_id,
                    status,
                });
            }
            let mut record = entry.record.clone();
            record.status = CredentialStatus::Revoked;
            Ok(vec![
                Event::CredentialRevoked {
                    app_id: *app_id,
                    credential_id: *credential_id,
                },
                Event::CredentialUpdate(Arc::new(record).into()),
            ])
        }
        Action::ExpireCredential {
            app_id,
            credential_id,
        } => {
            let app = active(state, command)?;
            let entry = credential_of(app, *credential_id)?;
            if entry.record.status != CredentialStatus::Active {
                return Err(DomainError::CredentialAlreadyEnded {
                    credential_id: *credential_id,
                    status: entry.record.status,
                });
            }
            if entry.record.expires_at > at {
                return Err(DomainError::CredentialNotYetExpired {
                    credential_id: *credential_id,
                    expires_at: entry.record.expires_at,
                });
            }
            let mut record = entry.record.clone();
            record.status = CredentialStatus::Expired;
            Ok(vec![
                Event::CredentialExpired {
                    app_id: *app_id,
                    credential_id: *credential_id,
                    expired_at: entry.record.expires_at,
                },
                Event::CredentialUpdate(Arc::new(record).into()),
            ])
        }
        Action::DeleteApplication { app_id } => {
            let app = active(state, command)?;
            Ok(vec![
                Event::ApplicationDeleted {
                    app_id: *app_id,
                    owner: app.record.owner.clone(),
                },
                Event::ApplicationDelete(DeletedApplicationRecord {
                    id: *app_id,
                    deleted_at: at,
                }),
            ])
        }
        Action::MakeOffer { app_id, offer } => {
            let app = active(state, command)?;
            let product = catalogue.addable(&offer.product, offer.plan)?;
            if app.offer(offer.campaign_id).is_some() {
                return Err(DomainError::OfferAlreadyMade {
                    campaign_id: offer.campaign_id,
                });
            }
            if app.record.plan == offer.plan {
                return Err(DomainError::OfferPlanAlreadyHeld { plan: offer.plan });
            }
            if offer.terms.as_str().is_empty() {
                return Err(DomainError::EmptyName {
                    field: "offer's terms",
                });
            }
            // Kept to the microsecond, like the command's time.
            let ends_at = crate::precision::micros(offer.ends_at);
            if ends_at <= at {
                return Err(DomainError::OfferEndsBeforeMade {
                    made_at: at,
                    ends_at,
                });
            }
            Ok(vec![Event::OfferMade {
                app_id: *app_id,
                owner: app.record.owner.clone(),
                offer: Offer {
                    ends_at,
                    product,
                    ..offer.clone()
                },
            }])
        }
        Action::TakeUpOffer {
            app_id,
            campaign_id,
        } => {
            let app = active(state, command)?;
            let made = open_offer(app, *campaign_id, at)?;
            let Offer { plan, product, .. } = made.offer;
            let moves = app.record.plan != *plan;
            let adds = !app.record.has_product(product);
            if adds {
                catalogue.addable(product, *plan)?;
            }
            // The answer first: it names the command (see `recover`).
            let mut events = vec![Event::OfferTakenUp {
                app_id: *app_id,
                campaign_id: *campaign_id,
            }];
            if moves {
                events.push(Event::PlanChanged {
                    app_id: *app_id,
                    from: app.record.plan,
                    to: *plan,
                });
            }
            if adds {
                events.push(Event::ApiProductAdded {
                    app_id: *app_id,
                    product: product.clone(),
                });
            }
            if moves || adds {
                events.push(updated(app, at, |r| {
                    if moves {
                        r.plan = *plan;
                        r.plan_since = at;
                    }
                    if adds {
                        r.products = with_product(&r.products, product);
                    }
                }));
            }
            Ok(events)
        }
        Action::DeclineOffer {
            app_id,
            campaign_id,
        } => {
            let app = active(state, command)?;
            open_offer(app, *campaign_id, at)?;
            Ok(vec![Event::OfferDeclined {
                app_id: *app_id,
                campaign_id: *campaign_id,
            }])
        }
        _ => Err(DomainError::WrongStream {
            command: command.action.name(),
        }),
    }
}

fn decide_product(
    command: &Command,
    state: ProductState<'_>,
    catalogue: &Catalogue<'_>,
) -> Result<Vec<Event>, DomainError> {
    let at = command.at;
    let product_id = crate::ids::ProductId(command.action.stream_id().0);
    let existing = match state {
        ProductState::Absent => None,
        ProductState::Exists(p) => Some(p),
    };
    let live = || match existing {
        None => Err(DomainError::ProductNotFound { product_id }),
        Some(p) if p.record.is_retired() => Err(DomainError::ProductAlreadyRetired {
            name: p.record.name().clone(),
        }),
        Some(p) => Ok(p),
    };
    // A name is one product's, whatever its case, retired products' too:
    // analytics must never split one product in two.
    let name_free = |name: &crate::values::ProductName| match catalogue.named(name.as_str()) {
        Some(other) if other.id != product_id => Err(DomainError::ProductNameTaken {
            name: other.record.name().clone(),
        }),
        _ => Ok(()),
    };
    match &command.action {
        Action::CreateApiProduct { description, .. } => {
            if existing.is_some() {
                return Err(DomainError::ProductAlreadyExists { product_id });
            }
            let description = description.checked()?;
            name_free(&description.name)?;
            Ok(vec![Event::ApiProductInsert(Arc::new(ApiProductRecord {
                id: product_id,
                description,
                created_at: at,
                updated_at: at,
                retired_at: None,
            }))])
        }
        Action::DescribeApiProduct { description, .. } => {
            let product = live()?;
            let description = description.checked()?;
            if description == product.record.description {
                return Err(DomainError::ProductDescriptionUnchanged {
                    name: description.name,
                });
            }
            name_free(&description.name)?;
            Ok(vec![Event::ApiProductUpdate(Arc::new(ApiProductRecord {
                description,
                updated_at: at,
                ..product.record.clone()
            }))])
        }
        Action::RetireApiProduct { .. } => {
            let product = live()?;
            Ok(vec![
                Event::ApiProductRetired {
                    product_id,
                    name: product.record.name().clone(),
                },
                Event::ApiProductUpdate(Arc::new(ApiProductRecord {
                    retired_at: Some(at),
                    updated_at: at,
                    ..product.record.clone()
                })),
            ])
        }
        _ => Err(DomainError::WrongStream {
            command: command.action.name(),
        }),
    }
}

fn decide_survey(command: &Command, state: SurveyState<'_>) -> Result<Vec<Event>, DomainError> {
    let survey_id = SurveyId(command.action.stream_id().0);
    let existing = match state {
        SurveyState::Absent => None,
        SurveyState::Exists(survey) => Some(survey),
    };
    match &command.action {
        Action::AddSurvey {
            survey_id,
            app_id,
            owner,
            topic,
        } => match existing {
            Some(_) => Err(DomainError::SurveyAlreadyExists {
                survey_id: *survey_id,
            }),
            None => Ok(vec![Event::SurveyAdded {
                survey_id: *survey_id,
                app_id: *app_id,
                owner: owner.clone(),
                topic: topic.clone(),
            }]),
        },
        Action::SendSurvey { .. } => {
            let survey = existing.ok_or(DomainError::SurveyNotFound { survey_id })?;
            match survey.status {
                SurveyStatus::Added => Ok(vec![Event::SurveySent {
                    survey_id,
                    app_id: survey.app_id,
                    owner: survey.owner.clone(),
                }]),
                _ => Err(DomainError::SurveyAlreadySent { survey_id }),
            }
        }
        Action::RecordSurveyFeedback {
            rating, comment, ..
        } => {
            let survey = existing.ok_or(DomainError::SurveyNotFound { survey_id })?;
            match survey.status {
                SurveyStatus::Added => Err(DomainError::SurveyNotSent { survey_id }),
                SurveyStatus::Answered { .. } => {
                    Err(DomainError::SurveyAlreadyAnswered { survey_id })
                }
                SurveyStatus::Sent { .. } => Ok(vec![Event::SurveyFeedbackRecorded {
                    survey_id,
                    app_id: survey.app_id,
                    rating: *rating,
                    comment: comment.clone(),
                }]),
            }
        }
        _ => Err(DomainError::WrongStream {
            command: command.action.name(),
        }),
    }
}
