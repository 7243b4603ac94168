//! The shape events have at rest: not the domain's types (convention 10 of
//! DESIGN.md), but a mirror made for a compact binary encoding. It has no
//! flattened or internally tagged parts, which a non-self-describing format
//! cannot read, and timestamps are integers rather than RFC 3339 text. Every
//! type and field is read by position: never reorder them, add a new
//! variant at the end, and bump [`EVENT_SCHEMA`] for anything else.

use chrono::{DateTime, Utc};
use portal_domain::{
    Actor, AppId, AppName, ApplicationRecord, CorrelationId, CredentialId, CredentialImage,
    CredentialKey, CredentialRecord, CredentialStatus, DeletedApplicationRecord, DeviceId,
    Envelope, Event, EventId, Owner, Plan, ProductName, Rating, StreamId, SurveyId, SurveyTopic,
    Text,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The version of the stored shape of one event. A record written with a
/// higher one (by a newer tab) is kept as it is and reported, never read.
pub const EVENT_SCHEMA: u16 = 1;

/// Microseconds since the Unix epoch.
#[derive(Clone, Copy, Serialize, Deserialize)]
struct Micros(i64);

impl From<DateTime<Utc>> for Micros {
    fn from(at: DateTime<Utc>) -> Self {
        Micros(at.timestamp_micros())
    }
}

impl TryFrom<Micros> for DateTime<Utc> {
    type Error = StoredShapeError;
    fn try_from(m: Micros) -> Result<Self, StoredShapeError> {
        DateTime::from_timestamp_micros(m.0).ok_or(StoredShapeError::Timestamp(m.0))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoredShapeError {
    #[error("timestamp {0} µs is out of range")]
    Timestamp(i64),
    #[error("credential key: {0}")]
    Key(portal_domain::DomainError),
}

#[derive(Serialize, Deserialize)]
pub(crate) struct StoredEvent {
    event_id: EventId,
    stream_id: StreamId,
    stream_version: u64,
    occurred_at: Micros,
    correlation_id: CorrelationId,
    causation_id: Option<EventId>,
    actor: Actor,
    device: DeviceId,
    data: Data,
}

#[derive(Serialize, Deserialize)]
struct App {
    id: AppId,
    name: AppName,
    owner: Owner,
    plan: Plan,
    plan_since: Micros,
    products: Vec<ProductName>,
    created_at: Micros,
    updated_at: Micros,
}

#[derive(Serialize, Deserialize)]
struct Credential {
    id: CredentialId,
    app_id: AppId,
    key_prefix: String,
    secret_hash: String,
    issued_at: Micros,
    expires_at: Micros,
    status: CredentialStatus,
}

#[derive(Serialize, Deserialize)]
enum Topic {
    ProductRemoved {
        product: ProductName,
        reason: Option<Text>,
    },
    PaidPlanFeedback {
        products: Vec<ProductName>,
    },
}

#[derive(Serialize, Deserialize)]
enum Data {
    ApplicationInsert(App),
    ApplicationUpdate(App),
    ApplicationDelete {
        id: AppId,
        deleted_at: Micros,
    },
    ApplicationDeleted {
        app_id: AppId,
        owner: Owner,
    },
    ApiProductAdded {
        app_id: AppId,
        product: ProductName,
    },
    ApiProductRemoved {
        app_id: AppId,
        product: ProductName,
        reason: Option<Text>,
    },
    OwnerChanged {
        app_id: AppId,
        from: Owner,
        to: Owner,
    },
    PlanChanged {
        app_id: AppId,
        from: Plan,
        to: Plan,
    },
    CredentialInsert(Credential),
    CredentialRevoked {
        app_id: AppId,
        credential_id: CredentialId,
    },
    CredentialExpired {
        app_id: AppId,
        credential_id: CredentialId,
        expired_at: Micros,
    },
    CredentialUpdate(Credential),
    SurveyAdded {
        survey_id: SurveyId,
        app_id: AppId,
        owner: Owner,
        topic: Topic,
    },
    SurveySent {
        survey_id: SurveyId,
        app_id: AppId,
        owner: Owner,
    },
    SurveyFeedbackRecorded {
        survey_id: SurveyId,
        app_id: AppId,
        rating: Rating,
        comment: Option<Text>,
    },
}

impl From<&ApplicationRecord> for App {
    fn from(r: &ApplicationRecord) -> Self {
        App {
            id: r.id,
            name: r.name.clone(),
            owner: r.owner.clone(),
            plan: r.plan,
            plan_since: r.plan_since.into(),
            products: r.products.to_vec(),
            created_at: r.created_at.into(),
            updated_at: r.updated_at.into(),
        }
    }
}

impl App {
    fn into_record(self) -> Result<Arc<ApplicationRecord>, StoredShapeError> {
        Ok(Arc::new(ApplicationRecord {
            id: self.id,
            name: self.name,
            owner: self.owner,
            plan: self.plan,
            plan_since: self.plan_since.try_into()?,
            products: self.products.into(),
            created_at: self.created_at.try_into()?,
            updated_at: self.updated_at.try_into()?,
        }))
    }
}

impl From<&CredentialImage> for Credential {
    fn from(image: &CredentialImage) -> Self {
        let r = &image.record;
        Credential {
            id: r.id,
            app_id: r.app_id,
            key_prefix: r.key.prefix().to_owned(),
            secret_hash: r.key.secret_hash().to_owned(),
            issued_at: r.issued_at.into(),
            expires_at: r.expires_at.into(),
            status: r.status,
        }
    }
}

impl Credential {
    fn into_image(self) -> Result<CredentialImage, StoredShapeError> {
        let key = CredentialKey::parse(&self.key_prefix, &self.secret_hash)
            .map_err(StoredShapeError::Key)?;
        Ok(CredentialImage::from(Arc::new(CredentialRecord {
            id: self.id,
            app_id: self.app_id,
            key,
            issued_at: self.issued_at.try_into()?,
            expires_at: self.expires_at.try_into()?,
            status: self.status,
        })))
    }
}

impl From<&Event> for Data {
    fn from(event: &Event) -> Self {
        match event {
            Event::ApplicationInsert(r) => Data::ApplicationInsert(App::from(&**r)),
            Event::ApplicationUpdate(r) => Data::ApplicationUpdate(App::from(&**r)),
            Event::ApplicationDelete(r) => Data::ApplicationDelete {
                id: r.id,
                deleted_at: r.deleted_at.into(),
            },
            Event::ApplicationDeleted { app_id, owner } => Data::ApplicationDeleted {
                app_id: *app_id,
                owner: owner.clone(),
            },
            Event::ApiProductAdded { app_id, product } => Data::ApiProductAdded {
                app_id: *app_id,
                product: product.clone(),
            },
            Event::ApiProductRemoved {
                app_id,
                product,
                reason,
            } => Data::ApiProductRemoved {
                app_id: *app_id,
                product: product.clone(),
                reason: reason.clone(),
            },
            Event::OwnerChanged { app_id, from, to } => Data::OwnerChanged {
                app_id: *app_id,
                from: from.clone(),
                to: to.clone(),
            },
            Event::PlanChanged { app_id, from, to } => Data::PlanChanged {
                app_id: *app_id,
                from: *from,
                to: *to,
            },
            Event::CredentialInsert(c) => Data::CredentialInsert(c.into()),
            Event::CredentialRevoked {
                app_id,
                credential_id,
            } => Data::CredentialRevoked {
                app_id: *app_id,
                credential_id: *credential_id,
            },
            Event::CredentialExpired {
                app_id,
                credential_id,
                expired_at,
            } => Data::CredentialExpired {
                app_id: *app_id,
                credential_id: *credential_id,
                expired_at: (*expired_at).into(),
            },
            Event::CredentialUpdate(c) => Data::CredentialUpdate(c.into()),
            Event::SurveyAdded {
                survey_id,
                app_id,
                owner,
                topic,
            } => Data::SurveyAdded {
                survey_id: *survey_id,
                app_id: *app_id,
                owner: owner.clone(),
                topic: match topic {
                    SurveyTopic::ProductRemoved { product, reason } => Topic::ProductRemoved {
                        product: product.clone(),
                        reason: reason.clone(),
                    },
                    SurveyTopic::PaidPlanFeedback { products } => Topic::PaidPlanFeedback {
                        products: products.clone(),
                    },
                },
            },
            Event::SurveySent {
                survey_id,
                app_id,
                owner,
            } => Data::SurveySent {
                survey_id: *survey_id,
                app_id: *app_id,
                owner: owner.clone(),
            },
            Event::SurveyFeedbackRecorded {
                survey_id,
                app_id,
                rating,
                comment,
            } => Data::SurveyFeedbackRecorded {
                survey_id: *survey_id,
                app_id: *app_id,
                rating: *rating,
                comment: comment.clone(),
            },
        }
    }
}

impl Data {
    fn into_event(self) -> Result<Event, StoredShapeError> {
        Ok(match self {
            Data::ApplicationInsert(app) => Event::ApplicationInsert(app.into_record()?),
            Data::ApplicationUpdate(app) => Event::ApplicationUpdate(app.into_record()?),
            Data::ApplicationDelete { id, deleted_at } => {
                Event::ApplicationDelete(DeletedApplicationRecord {
                    id,
                    deleted_at: deleted_at.try_into()?,
                })
            }
            Data::ApplicationDeleted { app_id, owner } => {
                Event::ApplicationDeleted { app_id, owner }
            }
            Data::ApiProductAdded { app_id, product } => Event::ApiProductAdded { app_id, product },
            Data::ApiProductRemoved {
                app_id,
                product,
                reason,
            } => Event::ApiProductRemoved {
                app_id,
                product,
                reason,
            },
            Data::OwnerChanged { app_id, from, to } => Event::OwnerChanged { app_id, from, to },
            Data::PlanChanged { app_id, from, to } => Event::PlanChanged { app_id, from, to },
            Data::CredentialInsert(c) => Event::CredentialInsert(c.into_image()?),
            Data::CredentialRevoked {
                app_id,
                credential_id,
            } => Event::CredentialRevoked {
                app_id,
                credential_id,
            },
            Data::CredentialExpired {
                app_id,
                credential_id,
                expired_at,
            } => Event::CredentialExpired {
                app_id,
                credential_id,
                expired_at: expired_at.try_into()?,
            },
            Data::CredentialUpdate(c) => Event::CredentialUpdate(c.into_image()?),
            Data::SurveyAdded {
                survey_id,
                app_id,
                owner,
                topic,
            } => Event::SurveyAdded {
                survey_id,
                app_id,
                owner,
                topic: match topic {
                    Topic::ProductRemoved { product, reason } => {
                        SurveyTopic::ProductRemoved { product, reason }
                    }
                    Topic::PaidPlanFeedback { products } => {
                        SurveyTopic::PaidPlanFeedback { products }
                    }
                },
            },
            Data::SurveySent {
                survey_id,
                app_id,
                owner,
            } => Event::SurveySent {
                survey_id,
                app_id,
                owner,
            },
            Data::SurveyFeedbackRecorded {
                survey_id,
                app_id,
                rating,
                comment,
            } => Event::SurveyFeedbackRecorded {
                survey_id,
                app_id,
                rating,
                comment,
            },
        })
    }
}

impl From<&Envelope> for StoredEvent {
    fn from(e: &Envelope) -> Self {
        StoredEvent {
            event_id: e.event_id,
            stream_id: e.stream_id,
            stream_version: e.stream_version,
            occurred_at: e.occurred_at.into(),
            correlation_id: e.correlation_id,
            causation_id: e.causation_id,
            actor: e.actor.clone(),
            device: e.device,
            data: Data::from(&e.event),
        }
    }
}

impl StoredEvent {
    /// The envelope, without what the server assigns (the sync state holds that).
    pub(crate) fn into_envelope(self) -> Result<Envelope, StoredShapeError> {
        Ok(Envelope {
            event_id: self.event_id,
            stream_id: self.stream_id,
            stream_version: self.stream_version,
            occurred_at: self.occurred_at.try_into()?,
            correlation_id: self.correlation_id,
            causation_id: self.causation_id,
            actor: self.actor,
            device: self.device,
            recorded_at: None,
            global_position: None,
            event: self.data.into_event()?,
        })
    }
}
