//! The binary shape of an event, at rest in the browser's store and on the
//! wire in binary pull pages (`page`, ADR 14): not the domain's types, which
//! change with the model while stored bytes must not, but a mirror made for
//! a compact binary encoding. It has no
//! flattened or internally tagged parts, which a non-self-describing format
//! cannot read, and timestamps are integers rather than RFC 3339 text. Every
//! type and field is read by position: never reorder them. A new event
//! type is a new variant at the end and a new [`EVENT_SCHEMA`] that still
//! reads the older ones ([`READS_FROM`]); any other change is a schema
//! that does not.

use chrono::{DateTime, Utc};
use portal_domain::{
    ApiProductRecord, AppId, ApplicationRecord, CampaignId, CorrelationId, CredentialId,
    CredentialImage, CredentialKey, CredentialRecord, CredentialStatus, DeletedApplicationRecord,
    DeviceId, DocsLink, Envelope, Event, EventId, EventType, Interner, Offer, Plan,
    ProductDescription, ProductId, ProductName, Rating, StreamId, SurveyId, SurveyTopic, Text,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The version of the stored shape of one event. A record written with a
/// higher one (by a newer tab) is kept as it is and reported, never read.
///
/// 1: the first catalogue. 2: the offer events added at the end, so a
/// shape written in 1 reads the same in 2, while a reader of 1 cannot read
/// every shape of 2. 3: the product catalogue's events, added the same way.
pub const EVENT_SCHEMA: u16 = 3;

/// The oldest schema whose shapes this build reads as they are.
pub const READS_FROM: u16 = 1;

/// Whether shapes written in `schema` read as they are in this build.
pub fn readable(schema: u16) -> bool {
    (READS_FROM..=EVENT_SCHEMA).contains(&schema)
}

/// The event schema that introduced `event_type`: a client of an older
/// schema cannot read it.
pub fn introduced_in(event_type: EventType) -> u16 {
    match event_type {
        EventType::OfferMade | EventType::OfferTakenUp | EventType::OfferDeclined => 2,
        EventType::ApiProductInsert
        | EventType::ApiProductUpdate
        | EventType::ApiProductRetired => 3,
        _ => 1,
    }
}

/// Microseconds since the Unix epoch.
#[derive(Clone, Copy, Serialize, Deserialize)]
pub struct Micros(i64);

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
    #[error("{0}")]
    Invalid(#[from] portal_domain::DomainError),
}

// Shapes decode through the domain's interner: events repeat the same
// owners, actors and products, and each distinct text is checked once.
fn free_text(interner: &mut Interner, raw: Option<&str>) -> Result<Option<Text>, StoredShapeError> {
    Ok(raw.map(|raw| interner.text("text", raw)).transpose()?)
}

fn product_list(
    interner: &mut Interner,
    raw: &[&str],
) -> Result<Vec<ProductName>, StoredShapeError> {
    raw.iter()
        .map(|p| interner.product(p).map_err(StoredShapeError::from))
        .collect()
}

#[derive(Serialize, Deserialize)]
pub struct EventShape<'a> {
    event_id: EventId,
    stream_id: StreamId,
    stream_version: u64,
    occurred_at: Micros,
    correlation_id: CorrelationId,
    causation_id: Option<EventId>,
    actor: &'a str,
    device: DeviceId,
    #[serde(borrow)]
    data: Data<'a>,
}

#[derive(Serialize, Deserialize)]
struct App<'a> {
    id: AppId,
    name: &'a str,
    owner: &'a str,
    plan: Plan,
    plan_since: Micros,
    #[serde(borrow)]
    products: Vec<&'a str>,
    created_at: Micros,
    updated_at: Micros,
}

#[derive(Serialize, Deserialize)]
struct Credential<'a> {
    id: CredentialId,
    app_id: AppId,
    key_prefix: &'a str,
    secret_hash: &'a str,
    issued_at: Micros,
    expires_at: Micros,
    status: CredentialStatus,
}

#[derive(Serialize, Deserialize)]
enum Topic<'a> {
    ProductRemoved {
        product: &'a str,
        reason: Option<&'a str>,
    },
    PaidPlanFeedback {
        #[serde(borrow)]
        products: Vec<&'a str>,
    },
}

#[derive(Serialize, Deserialize)]
enum Data<'a> {
    #[serde(borrow)]
    ApplicationInsert(App<'a>),
    #[serde(borrow)]
    ApplicationUpdate(App<'a>),
    ApplicationDelete {
        id: AppId,
        deleted_at: Micros,
    },
    ApplicationDeleted {
        app_id: AppId,
        owner: &'a str,
    },
    ApiProductAdded {
        app_id: AppId,
        product: &'a str,
    },
    ApiProductRemoved {
        app_id: AppId,
        product: &'a str,
        reason: Option<&'a str>,
    },
    OwnerChanged {
        app_id: AppId,
        from: &'a str,
        to: &'a str,
    },
    PlanChanged {
        app_id: AppId,
        from: Plan,
        to: Plan,
    },
    #[serde(borrow)]
    CredentialInsert(Credential<'a>),
    CredentialRevoked {
        app_id: AppId,
        credential_id: CredentialId,
    },
    CredentialExpired {
        app_id: AppId,
        credential_id: CredentialId,
        expired_at: Micros,
    },
    #[serde(borrow)]
    CredentialUpdate(Credential<'a>),
    SurveyAdded {
        survey_id: SurveyId,
        app_id: AppId,
        owner: &'a str,
        #[serde(borrow)]
        topic: Topic<'a>,
    },
    SurveySent {
        survey_id: SurveyId,
        app_id: AppId,
        owner: &'a str,
    },
    SurveyFeedbackRecorded {
        survey_id: SurveyId,
        app_id: AppId,
        rating: Rating,
        comment: Option<&'a str>,
    },
    OfferMade {
        app_id: AppId,
        owner: &'a str,
        campaign_id: CampaignId,
        product: &'a str,
        plan: Plan,
        terms: &'a str,
        ends_at: Micros,
    },
    OfferTakenUp {
        app_id: AppId,
        campaign_id: CampaignId,
    },
    OfferDeclined {
        app_id: AppId,
        campaign_id: CampaignId,
    },
    #[serde(borrow)]
    ApiProductInsert(Product<'a>),
    #[serde(borrow)]
    ApiProductUpdate(Product<'a>),
    ApiProductRetired {
        product_id: ProductId,
        name: &'a str,
    },
}

#[derive(Serialize, Deserialize)]
struct Product<'a> {
    id: ProductId,
    name: &'a str,
    summary: &'a str,
    documentation: Option<&'a str>,
    plans: Vec<Plan>,
    created_at: Micros,
    updated_at: Micros,
    retired_at: Option<Micros>,
}

impl<'a> From<&'a ApiProductRecord> for Product<'a> {
    fn from(r: &'a ApiProductRecord) -> Self {
        Product {
            id: r.id,
            name: r.description.name.as_str(),
            summary: r.description.summary.as_str(),
            documentation: r.description.documentation.as_ref().map(DocsLink::as_str),
            plans: r.description.plans.clone(),
            created_at: r.created_at.into(),
            updated_at: r.updated_at.into(),
            retired_at: r.retired_at.map(Micros::from),
        }
    }
}

impl Product<'_> {
    fn into_record(
        self,
        interner: &mut Interner,
    ) -> Result<Arc<ApiProductRecord>, StoredShapeError> {
        Ok(Arc::new(ApiProductRecord {
            id: self.id,
            description: ProductDescription {
                name: interner.product(self.name)?,
                summary: interner.text("summary", self.summary)?,
                documentation: self.documentation.map(DocsLink::parse).transpose()?,
                plans: self.plans,
            },
            created_at: self.created_at.try_into()?,
            updated_at: self.updated_at.try_into()?,
            retired_at: self.retired_at.map(DateTime::try_from).transpose()?,
        }))
    }
}

impl<'a> From<&'a ApplicationRecord> for App<'a> {
    fn from(r: &'a ApplicationRecord) -> Self {
        App {
            id: r.id,
            name: r.name.as_str(),
            owner: r.owner.as_str(),
            plan: r.plan,
            plan_since: r.plan_since.into(),
            products: r.products.iter().map(ProductName::as_str).collect(),
            created_at: r.created_at.into(),
            updated_at: r.updated_at.into(),
        }
    }
}

impl<'a> App<'a> {
    fn into_record(
        self,
        interner: &mut Interner,
    ) -> Result<Arc<ApplicationRecord>, StoredShapeError> {
        Ok(Arc::new(ApplicationRecord {
            id: self.id,
            name: interner.name(self.name)?,
            owner: interner.owner(self.owner)?,
            plan: self.plan,
            plan_since: self.plan_since.try_into()?,
            products: product_list(interner, &self.products)?.into(),
            created_at: self.created_at.try_into()?,
            updated_at: self.updated_at.try_into()?,
        }))
    }
}

impl<'a> From<&'a CredentialImage> for Credential<'a> {
    fn from(image: &'a CredentialImage) -> Self {
        let r = &image.record;
        Credential {
            id: r.id,
            app_id: r.app_id,
            key_prefix: r.key.prefix(),
            secret_hash: r.key.secret_hash(),
            issued_at: r.issued_at.into(),
            expires_at: r.expires_at.into(),
            status: r.status,
        }
    }
}

impl Credential<'_> {
    fn into_image(self) -> Result<CredentialImage, StoredShapeError> {
        let key = CredentialKey::parse(self.key_prefix, self.secret_hash)
            .map_err(StoredShapeError::Invalid)?;
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

fn text(t: &Option<Text>) -> Option<&str> {
    t.as_ref().map(Text::as_str)
}

impl<'a> From<&'a Event> for Data<'a> {
    fn from(event: &'a Event) -> Self {
        match event {
            Event::ApplicationInsert(r) => Data::ApplicationInsert(App::from(&**r)),
            Event::ApplicationUpdate(r) => Data::ApplicationUpdate(App::from(&**r)),
            Event::ApplicationDelete(r) => Data::ApplicationDelete {
                id: r.id,
                deleted_at: r.deleted_at.into(),
            },
            Event::ApplicationDeleted { app_id, owner } => Data::ApplicationDeleted {
                app_id: *app_id,
                owner: owner.as_str(),
            },
            Event::ApiProductAdded { app_id, product } => Data::ApiProductAdded {
                app_id: *app_id,
                product: product.as_str(),
            },
            Event::ApiProductRemoved {
                app_id,
                product,
                reason,
            } => Data::ApiProductRemoved {
                app_id: *app_id,
                product: product.as_str(),
                reason: text(reason),
            },
            Event::OwnerChanged { app_id, from, to } => Data::OwnerChanged {
                app_id: *app_id,
                from: from.as_str(),
                to: to.as_str(),
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
                owner: owner.as_str(),
                topic: match topic {
                    SurveyTopic::ProductRemoved { product, reason } => Topic::ProductRemoved {
                        product: product.as_str(),
                        reason: text(reason),
                    },
                    SurveyTopic::PaidPlanFeedback { products } => Topic::PaidPlanFeedback {
                        products: products.iter().map(ProductName::as_str).collect(),
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
                owner: owner.as_str(),
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
                comment: text(comment),
            },
            Event::OfferMade {
                app_id,
                owner,
                offer,
            } => Data::OfferMade {
                app_id: *app_id,
                owner: owner.as_str(),
                campaign_id: offer.campaign_id,
                product: offer.product.as_str(),
                plan: offer.plan,
                terms: offer.terms.as_str(),
                ends_at: offer.ends_at.into(),
            },
            Event::OfferTakenUp {
                app_id,
                campaign_id,
            } => Data::OfferTakenUp {
                app_id: *app_id,
                campaign_id: *campaign_id,
            },
            Event::OfferDeclined {
                app_id,
                campaign_id,
            } => Data::OfferDeclined {
                app_id: *app_id,
                campaign_id: *campaign_id,
            },
            Event::ApiProductInsert(r) => Data::ApiProductInsert(Product::from(&**r)),
            Event::ApiProductUpdate(r) => Data::ApiProductUpdate(Product::from(&**r)),
            Event::ApiProductRetired { product_id, name } => Data::ApiProductRetired {
                product_id: *product_id,
                name: name.as_str(),
            },
        }
    }
}

impl<'a> Data<'a> {
    fn into_event(self, interner: &mut Interner) -> Result<Event, StoredShapeError> {
        Ok(match self {
            Data::ApplicationInsert(app) => Event::ApplicationInsert(app.into_record(interner)?),
            Data::ApplicationUpdate(app) => Event::ApplicationUpdate(app.into_record(interner)?),
            Data::ApplicationDelete { id, deleted_at } => {
                Event::ApplicationDelete(DeletedApplicationRecord {
                    id,
                    deleted_at: deleted_at.try_into()?,
                })
            }
            Data::ApplicationDeleted { app_id, owner } => Event::ApplicationDeleted {
                app_id,
                owner: interner.owner(owner)?,
            },
            Data::ApiProductAdded { app_id, product } => Event::ApiProductAdded {
                app_id,
                product: interner.product(product)?,
            },
            Data::ApiProductRemoved {
                app_id,
                product,
                reason,
            } => Event::ApiProductRemoved {
                app_id,
                product: interner.product(product)?,
                reason: free_text(interner, reason)?,
            },
            Data::OwnerChanged { app_id, from, to } => Event::OwnerChanged {
                app_id,
                from: interner.owner(from)?,
                to: interner.owner(to)?,
            },
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
                owner: interner.owner(owner)?,
                topic: match topic {
                    Topic::ProductRemoved { product, reason } => SurveyTopic::ProductRemoved {
                        product: interner.product(product)?,
                        reason: free_text(interner, reason)?,
                    },
                    Topic::PaidPlanFeedback { products } => SurveyTopic::PaidPlanFeedback {
                        products: product_list(interner, &products)?,
                    },
                },
            },
            Data::SurveySent {
                survey_id,
                app_id,
                owner,
            } => Event::SurveySent {
                survey_id,
                app_id,
                owner: interner.owner(owner)?,
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
                comment: free_text(interner, comment)?,
            },
            Data::OfferMade {
                app_id,
                owner,
                campaign_id,
                product,
                plan,
                terms,
                ends_at,
            } => Event::OfferMade {
                app_id,
                owner: interner.owner(owner)?,
                offer: Offer {
                    campaign_id,
                    product: interner.product(product)?,
                    plan,
                    terms: interner.text("terms", terms)?,
                    ends_at: ends_at.try_into()?,
                },
            },
            Data::OfferTakenUp {
                app_id,
                campaign_id,
            } => Event::OfferTakenUp {
                app_id,
                campaign_id,
            },
            Data::OfferDeclined {
                app_id,
                campaign_id,
            } => Event::OfferDeclined {
                app_id,
                campaign_id,
            },
            Data::ApiProductInsert(p) => Event::ApiProductInsert(p.into_record(interner)?),
            Data::ApiProductUpdate(p) => Event::ApiProductUpdate(p.into_record(interner)?),
            Data::ApiProductRetired { product_id, name } => Event::ApiProductRetired {
                product_id,
                name: interner.product(name)?,
            },
        })
    }
}

impl<'a> From<&'a Envelope> for EventShape<'a> {
    fn from(e: &'a Envelope) -> Self {
        EventShape {
            event_id: e.event_id,
            stream_id: e.stream_id,
            stream_version: e.stream_version,
            occurred_at: e.occurred_at.into(),
            correlation_id: e.correlation_id,
            causation_id: e.causation_id,
            actor: e.actor.as_str(),
            device: e.device,
            data: Data::from(&e.event),
        }
    }
}

impl<'a> EventShape<'a> {
    /// The envelope, without what the server assigns (the sync state holds that).
    pub fn into_envelope(self, interner: &mut Interner) -> Result<Envelope, StoredShapeError> {
        Ok(Envelope {
            event_id: self.event_id,
            stream_id: self.stream_id,
            stream_version: self.stream_version,
            occurred_at: self.occurred_at.try_into()?,
            correlation_id: self.correlation_id,
            causation_id: self.causation_id,
            actor: interner.actor(self.actor)?,
            device: self.device,
            recorded_at: None,
            global_position: None,
            event: self.data.into_event(interner)?,
        })
    }
}

/// An event's shape, postcard-encoded.
pub fn encode(envelope: &Envelope) -> Vec<u8> {
    postcard::to_allocvec(&EventShape::from(envelope))
        .expect("postcard encodes every stored shape into a Vec")
}

/// An event's shape after the schema that wrote it (u16 LE): what the
/// server keeps beside each canonical body, so that a binary pull page is
/// written without decoding the body again.
pub fn tagged(envelope: &Envelope) -> Vec<u8> {
    let shape = encode(envelope);
    let mut out = Vec::with_capacity(2 + shape.len());
    out.extend_from_slice(&EVENT_SCHEMA.to_le_bytes());
    out.extend_from_slice(&shape);
    out
}

/// The shape inside `tagged` bytes, if a schema this build reads wrote them.
pub fn untag(tagged: &[u8]) -> Option<&[u8]> {
    match tagged {
        [lo, hi, shape @ ..] if readable(u16::from_le_bytes([*lo, *hi])) => Some(shape),
        _ => None,
    }
}
