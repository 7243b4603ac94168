//! The event catalogue. Type names are exactly the ones that appear in the log.

use crate::catalogue::ApiProductRecord;
use crate::ids::{AppId, CampaignId, CredentialId, ProductId, StreamId, SurveyId};
use crate::offer::Offer;
use crate::records::{ApplicationRecord, CredentialImage, DeletedApplicationRecord};
use crate::values::{Owner, Plan, ProductName, Rating, Text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// Whether an event records a decision (business) or a record's new shape (domain model).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// What a person or a process decided, such as a product being removed.
    Business,
    /// How a record changed, as a database change stream would report it.
    DomainModel,
}

impl EventKind {
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Business => "business",
            EventKind::DomainModel => "domain model",
        }
    }
}

/// What a survey asks about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "topic", rename_all = "snake_case")]
pub enum SurveyTopic {
    /// Why a product was removed from an application.
    ProductRemoved {
        product: ProductName,
        reason: Option<Text>,
    },
    /// How an application that has paid for more than three months finds its products.
    PaidPlanFeedback { products: Vec<ProductName> },
}

impl SurveyTopic {
    /// The products an answer to this survey speaks about.
    pub fn products(&self) -> &[ProductName] {
        match self {
            SurveyTopic::ProductRemoved { product, .. } => std::slice::from_ref(product),
            SurveyTopic::PaidPlanFeedback { products } => products,
        }
    }
}

/// One immutable fact in the log. Record images sit behind an `Arc`, so the
/// projections that keep the latest image share it instead of copying it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    #[serde(rename = "APPLICATION_INSERT")]
    ApplicationInsert(Arc<ApplicationRecord>),
    #[serde(rename = "APPLICATION_UPDATE")]
    ApplicationUpdate(Arc<ApplicationRecord>),
    #[serde(rename = "APPLICATION_DELETE")]
    ApplicationDelete(DeletedApplicationRecord),
    #[serde(rename = "APPLICATION_DELETED")]
    ApplicationDeleted { app_id: AppId, owner: Owner },
    #[serde(rename = "ADD_API_PRODUCT_TO_APPLICATION")]
    ApiProductAdded { app_id: AppId, product: ProductName },
    #[serde(rename = "REMOVE_API_PRODUCT_FROM_APPLICATION")]
    ApiProductRemoved {
        app_id: AppId,
        product: ProductName,
        reason: Option<Text>,
    },
    #[serde(rename = "APPLICATION_OWNER_CHANGED")]
    OwnerChanged {
        app_id: AppId,
        from: Owner,
        to: Owner,
    },
    #[serde(rename = "SUBSCRIPTION_PLAN_CHANGED")]
    PlanChanged { app_id: AppId, from: Plan, to: Plan },
    #[serde(rename = "CREDENTIAL_INSERT")]
    CredentialInsert(CredentialImage),
    #[serde(rename = "CREDENTIAL_REVOKED")]
    CredentialRevoked {
        app_id: AppId,
        credential_id: CredentialId,
    },
    #[serde(rename = "CREDENTIAL_EXPIRED")]
    CredentialExpired {
        app_id: AppId,
        credential_id: CredentialId,
        expired_at: DateTime<Utc>,
    },
    #[serde(rename = "CREDENTIAL_UPDATE")]
    CredentialUpdate(CredentialImage),
    #[serde(rename = "SURVEY_ADDED")]
    SurveyAdded {
        survey_id: SurveyId,
        app_id: AppId,
        owner: Owner,
        #[serde(flatten)]
        topic: SurveyTopic,
    },
    #[serde(rename = "SURVEY_SENT")]
    SurveySent {
        survey_id: SurveyId,
        app_id: AppId,
        owner: Owner,
    },
    #[serde(rename = "SURVEY_FEEDBACK_RECORDED")]
    SurveyFeedbackRecorded {
        survey_id: SurveyId,
        app_id: AppId,
        rating: Rating,
        comment: Option<Text>,
    },
    /// One application's offer of a campaign, made to its owner then.
    #[serde(rename = "OFFER_MADE")]
    OfferMade {
        app_id: AppId,
        owner: Owner,
        offer: Offer,
    },
    #[serde(rename = "OFFER_TAKEN_UP")]
    OfferTakenUp {
        app_id: AppId,
        campaign_id: CampaignId,
    },
    #[serde(rename = "OFFER_DECLINED")]
    OfferDeclined {
        app_id: AppId,
        campaign_id: CampaignId,
    },
    /// A catalogue product, as first described.
    #[serde(rename = "API_PRODUCT_INSERT")]
    ApiProductInsert(Arc<ApiProductRecord>),
    #[serde(rename = "API_PRODUCT_UPDATE")]
    ApiProductUpdate(Arc<ApiProductRecord>),
    /// A product owner took a product out of the catalogue: no application
    /// can add it any more; those that have it keep it until removed.
    #[serde(rename = "API_PRODUCT_RETIRED")]
    ApiProductRetired {
        product_id: ProductId,
        name: ProductName,
    },
}

/// The type of an event, without its data: what filters and the wire format name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "APPLICATION_INSERT")]
    ApplicationInsert,
    #[serde(rename = "APPLICATION_UPDATE")]
    ApplicationUpdate,
    #[serde(rename = "APPLICATION_DELETE")]
    ApplicationDelete,
    #[serde(rename = "APPLICATION_DELETED")]
    ApplicationDeleted,
    #[serde(rename = "ADD_API_PRODUCT_TO_APPLICATION")]
    ApiProductAdded,
    #[serde(rename = "REMOVE_API_PRODUCT_FROM_APPLICATION")]
    ApiProductRemoved,
    #[serde(rename = "APPLICATION_OWNER_CHANGED")]
    OwnerChanged,
    #[serde(rename = "SUBSCRIPTION_PLAN_CHANGED")]
    PlanChanged,
    #[serde(rename = "CREDENTIAL_INSERT")]
    CredentialInsert,
    #[serde(rename = "CREDENTIAL_REVOKED")]
    CredentialRevoked,
    #[serde(rename = "CREDENTIAL_EXPIRED")]
    CredentialExpired,
    #[serde(rename = "CREDENTIAL_UPDATE")]
    CredentialUpdate,
    #[serde(rename = "SURVEY_ADDED")]
    SurveyAdded,
    #[serde(rename = "SURVEY_SENT")]
    SurveySent,
    #[serde(rename = "SURVEY_FEEDBACK_RECORDED")]
    SurveyFeedbackRecorded,
    #[serde(rename = "OFFER_MADE")]
    OfferMade,
    #[serde(rename = "OFFER_TAKEN_UP")]
    OfferTakenUp,
    #[serde(rename = "OFFER_DECLINED")]
    OfferDeclined,
    #[serde(rename = "API_PRODUCT_INSERT")]
    ApiProductInsert,
    #[serde(rename = "API_PRODUCT_UPDATE")]
    ApiProductUpdate,
    #[serde(rename = "API_PRODUCT_RETIRED")]
    ApiProductRetired,
}

impl EventType {
    pub const ALL: [EventType; 21] = [
        EventType::ApplicationInsert,
        EventType::ApplicationUpdate,
        EventType::ApplicationDelete,
        EventType::ApplicationDeleted,
        EventType::ApiProductAdded,
        EventType::ApiProductRemoved,
        EventType::OwnerChanged,
        EventType::PlanChanged,
        EventType::CredentialInsert,
        EventType::CredentialRevoked,
        EventType::CredentialExpired,
        EventType::CredentialUpdate,
        EventType::SurveyAdded,
        EventType::SurveySent,
        EventType::SurveyFeedbackRecorded,
        EventType::OfferMade,
        EventType::OfferTakenUp,
        EventType::OfferDeclined,
        EventType::ApiProductInsert,
        EventType::ApiProductUpdate,
        EventType::ApiProductRetired,
    ];

    /// The name as it appears in the log.
    pub fn name(self) -> &'static str {
        match self {
            EventType::ApplicationInsert => "APPLICATION_INSERT",
            EventType::ApplicationUpdate => "APPLICATION_UPDATE",
            EventType::ApplicationDelete => "APPLICATION_DELETE",
            EventType::ApplicationDeleted => "APPLICATION_DELETED",
            EventType::ApiProductAdded => "ADD_API_PRODUCT_TO_APPLICATION",
            EventType::ApiProductRemoved => "REMOVE_API_PRODUCT_FROM_APPLICATION",
            EventType::OwnerChanged => "APPLICATION_OWNER_CHANGED",
            EventType::PlanChanged => "SUBSCRIPTION_PLAN_CHANGED",
            EventType::CredentialInsert => "CREDENTIAL_INSERT",
            EventType::CredentialRevoked => "CREDENTIAL_REVOKED",
            EventType::CredentialExpired => "CREDENTIAL_EXPIRED",
            EventType::CredentialUpdate => "CREDENTIAL_UPDATE",
            EventType::SurveyAdded => "SURVEY_ADDED",
            EventType::SurveySent => "SURVEY_SENT",
            EventType::SurveyFeedbackRecorded => "SURVEY_FEEDBACK_RECORDED",
            EventType::OfferMade => "OFFER_MADE",
            EventType::OfferTakenUp => "OFFER_TAKEN_UP",
            EventType::OfferDeclined => "OFFER_DECLINED",
            EventType::ApiProductInsert => "API_PRODUCT_INSERT",
            EventType::ApiProductUpdate => "API_PRODUCT_UPDATE",
            EventType::ApiProductRetired => "API_PRODUCT_RETIRED",
        }
    }

    pub fn from_name(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn kind(self) -> EventKind {
        match self {
            EventType::ApplicationInsert
            | EventType::ApplicationUpdate
            | EventType::ApplicationDelete
            | EventType::CredentialInsert
            | EventType::CredentialUpdate
            | EventType::ApiProductInsert
            | EventType::ApiProductUpdate => EventKind::DomainModel,
            _ => EventKind::Business,
        }
    }

    /// The current schema version of this type's data. Older versions are
    /// upcast when read (see the sync crate); a newer one is refused.
    pub fn schema_version(self) -> u16 {
        1
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Event {
    pub fn event_type(&self) -> EventType {
        match self {
            Event::ApplicationInsert(_) => EventType::ApplicationInsert,
            Event::ApplicationUpdate(_) => EventType::ApplicationUpdate,
            Event::ApplicationDelete(_) => EventType::ApplicationDelete,
            Event::ApplicationDeleted { .. } => EventType::ApplicationDeleted,
            Event::ApiProductAdded { .. } => EventType::ApiProductAdded,
            Event::ApiProductRemoved { .. } => EventType::ApiProductRemoved,
            Event::OwnerChanged { .. } => EventType::OwnerChanged,
            Event::PlanChanged { .. } => EventType::PlanChanged,
            Event::CredentialInsert(_) => EventType::CredentialInsert,
            Event::CredentialRevoked { .. } => EventType::CredentialRevoked,
            Event::CredentialExpired { .. } => EventType::CredentialExpired,
            Event::CredentialUpdate(_) => EventType::CredentialUpdate,
            Event::SurveyAdded { .. } => EventType::SurveyAdded,
            Event::SurveySent { .. } => EventType::SurveySent,
            Event::SurveyFeedbackRecorded { .. } => EventType::SurveyFeedbackRecorded,
            Event::OfferMade { .. } => EventType::OfferMade,
            Event::OfferTakenUp { .. } => EventType::OfferTakenUp,
            Event::OfferDeclined { .. } => EventType::OfferDeclined,
            Event::ApiProductInsert(_) => EventType::ApiProductInsert,
            Event::ApiProductUpdate(_) => EventType::ApiProductUpdate,
            Event::ApiProductRetired { .. } => EventType::ApiProductRetired,
        }
    }

    pub fn kind(&self) -> EventKind {
        self.event_type().kind()
    }

    pub fn schema_version(&self) -> u16 {
        self.event_type().schema_version()
    }

    /// The application the event concerns, surveys included; `None` for
    /// the catalogue's events, which concern no application.
    pub fn app_id(&self) -> Option<AppId> {
        self.concerns().ok()
    }

    /// The application the event concerns, or else the catalogue product.
    fn concerns(&self) -> Result<AppId, ProductId> {
        Ok(match self {
            Event::ApplicationInsert(r) | Event::ApplicationUpdate(r) => r.id,
            Event::ApplicationDelete(r) => r.id,
            Event::CredentialInsert(c) | Event::CredentialUpdate(c) => c.record.app_id,
            Event::ApplicationDeleted { app_id, .. }
            | Event::ApiProductAdded { app_id, .. }
            | Event::ApiProductRemoved { app_id, .. }
            | Event::OwnerChanged { app_id, .. }
            | Event::PlanChanged { app_id, .. }
            | Event::CredentialRevoked { app_id, .. }
            | Event::CredentialExpired { app_id, .. }
            | Event::SurveyAdded { app_id, .. }
            | Event::SurveySent { app_id, .. }
            | Event::SurveyFeedbackRecorded { app_id, .. }
            | Event::OfferMade { app_id, .. }
            | Event::OfferTakenUp { app_id, .. }
            | Event::OfferDeclined { app_id, .. } => *app_id,
            Event::ApiProductInsert(r) | Event::ApiProductUpdate(r) => return Err(r.id),
            Event::ApiProductRetired { product_id, .. } => return Err(*product_id),
        })
    }

    /// The API products the event names: the one added or removed, or those
    /// a survey asks about.
    pub fn products(&self) -> &[ProductName] {
        match self {
            Event::ApiProductAdded { product, .. } | Event::ApiProductRemoved { product, .. } => {
                std::slice::from_ref(product)
            }
            Event::SurveyAdded { topic, .. } => topic.products(),
            Event::OfferMade { offer, .. } => std::slice::from_ref(&offer.product),
            Event::ApiProductInsert(r) | Event::ApiProductUpdate(r) => {
                std::slice::from_ref(&r.description.name)
            }
            Event::ApiProductRetired { name, .. } => std::slice::from_ref(name),
            _ => &[],
        }
    }

    /// The stream the event belongs to: its survey for survey events, its
    /// product for the catalogue's, else its application.
    pub fn stream_id(&self) -> StreamId {
        match self {
            Event::SurveyAdded { survey_id, .. }
            | Event::SurveySent { survey_id, .. }
            | Event::SurveyFeedbackRecorded { survey_id, .. } => (*survey_id).into(),
            other => match other.concerns() {
                Ok(app) => app.into(),
                Err(product) => product.into(),
            },
        }
    }
}
