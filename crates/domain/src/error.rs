//! Every rule a command can break, with a message a person can read.

use crate::ids::{AppId, CampaignId, CredentialId, ProductId, SurveyId};
use crate::offer::OfferAnswer;
use crate::records::CredentialStatus;
use crate::values::{Owner, Plan, ProductName};
use chrono::{DateTime, Utc};
use thiserror::Error;

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("The {field} must not be empty.")]
    EmptyName { field: &'static str },
    #[error("The {field} must be at most {max} characters (it has {actual}).")]
    NameTooLong {
        field: &'static str,
        max: usize,
        actual: usize,
    },
    #[error("The {field} must not contain control characters.")]
    ControlCharacter { field: &'static str },
    #[error("The {field} must be at most {max} characters (it has {actual}).")]
    TextTooLong {
        field: &'static str,
        max: usize,
        actual: usize,
    },
    #[error("A rating must be from 1 to 5 (got {rating}).")]
    RatingOutOfRange { rating: u8 },
    #[error("Expiry must be a whole number of days, from {min} to {max}.")]
    ExpiryDaysOutOfRange { min: u16, max: u16 },
    #[error("A key prefix must be 4 to 16 letters, digits, '-' or '_'.")]
    InvalidKeyPrefix,
    #[error("A secret hash must be 64 lowercase hexadecimal digits (SHA-256).")]
    InvalidSecretHash,

    #[error("Application {app_id} does not exist.")]
    ApplicationNotFound { app_id: AppId },
    #[error("Application {app_id} already exists.")]
    ApplicationAlreadyExists { app_id: AppId },
    #[error("Application {app_id} has been deleted and can no longer change.")]
    ApplicationDeleted { app_id: AppId },
    #[error("The API product \"{product}\" is already on this application.")]
    ProductAlreadyAdded { product: ProductName },
    #[error("The API product \"{product}\" is not on this application, so it cannot be removed.")]
    ProductNotOnApplication { product: ProductName },
    #[error("{owner} already owns this application.")]
    SameOwner { owner: Owner },
    #[error("The application is already on the {plan} plan.")]
    SamePlan { plan: Plan },

    #[error(
        "A credential must expire after it is issued (issued {issued_at}, expiry {expires_at})."
    )]
    ExpiryNotAfterIssue {
        issued_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    },
    #[error("Credential {credential_id} does not exist on this application.")]
    CredentialNotFound { credential_id: CredentialId },
    #[error("Credential {credential_id} already exists.")]
    CredentialAlreadyExists { credential_id: CredentialId },
    #[error("Credential {credential_id} is already {status}, so it cannot be revoked.")]
    CredentialNotActive {
        credential_id: CredentialId,
        status: CredentialStatus,
    },
    #[error("Credential {credential_id} does not expire until {expires_at}.")]
    CredentialNotYetExpired {
        credential_id: CredentialId,
        expires_at: DateTime<Utc>,
    },
    #[error("Credential {credential_id} is already {status}.")]
    CredentialAlreadyEnded {
        credential_id: CredentialId,
        status: CredentialStatus,
    },

    #[error("Survey {survey_id} does not exist.")]
    SurveyNotFound { survey_id: SurveyId },
    #[error("Survey {survey_id} already exists.")]
    SurveyAlreadyExists { survey_id: SurveyId },
    #[error("Survey {survey_id} has already been sent.")]
    SurveyAlreadySent { survey_id: SurveyId },
    #[error("Survey {survey_id} has not been sent yet, so it cannot be answered.")]
    SurveyNotSent { survey_id: SurveyId },
    #[error("Survey {survey_id} has already been answered.")]
    SurveyAlreadyAnswered { survey_id: SurveyId },

    #[error("This application already has this campaign's offer.")]
    OfferAlreadyMade { campaign_id: CampaignId },
    #[error("The application is already on the {plan} plan, so there is nothing to offer it.")]
    OfferPlanAlreadyHeld { plan: Plan },
    #[error("An offer must end after it is made (made {made_at}, ending {ends_at}).")]
    OfferEndsBeforeMade {
        made_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
    },
    #[error("This application has no offer from campaign {campaign_id}.")]
    OfferNotFound { campaign_id: CampaignId },
    #[error("This offer has already been {answer}.")]
    OfferAlreadyAnswered {
        campaign_id: CampaignId,
        answer: OfferAnswer,
    },
    #[error("This offer ended on {ends_at}.")]
    OfferEnded {
        campaign_id: CampaignId,
        ends_at: DateTime<Utc>,
    },

    #[error("“{link}” is not a documentation link: give a full web address, such as https://docs.example.com/payments.")]
    DocumentationLinkInvalid { link: String },
    #[error("{name} must be offered on at least one plan.")]
    ProductOnNoPlan { name: ProductName },
    #[error("The catalogue already has a product named {name}.")]
    ProductNameTaken { name: ProductName },
    #[error("Product {product_id} is already in the catalogue.")]
    ProductAlreadyExists { product_id: ProductId },
    #[error("There is no product {product_id} in the catalogue.")]
    ProductNotFound { product_id: ProductId },
    #[error("This is already how {name} is described.")]
    ProductDescriptionUnchanged { name: ProductName },
    #[error("{product} has been retired from the catalogue and can no longer be added.")]
    ProductRetired { product: ProductName },
    #[error("{product} is not offered on the {plan} plan: move the application to a plan it is offered on first.")]
    ProductNotOnPlan { product: ProductName, plan: Plan },
    #[error("{name} has already been retired.")]
    ProductAlreadyRetired { name: ProductName },

    #[error("{command} cannot be decided against this stream's state.")]
    WrongStream { command: &'static str },
}

impl DomainError {
    /// The rule's stable name: programs and tests match on it, never on
    /// the sentence, which may be reworded.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::EmptyName { .. } => "empty_name",
            DomainError::NameTooLong { .. } => "name_too_long",
            DomainError::ControlCharacter { .. } => "control_character",
            DomainError::TextTooLong { .. } => "text_too_long",
            DomainError::RatingOutOfRange { .. } => "rating_out_of_range",
            DomainError::ExpiryDaysOutOfRange { .. } => "expiry_days_out_of_range",
            DomainError::InvalidKeyPrefix => "invalid_key_prefix",
            DomainError::InvalidSecretHash => "invalid_secret_hash",
            DomainError::ApplicationNotFound { .. } => "application_not_found",
            DomainError::ApplicationAlreadyExists { .. } => "application_already_exists",
            DomainError::ApplicationDeleted { .. } => "application_deleted",
            DomainError::ProductAlreadyAdded { .. } => "product_already_added",
            DomainError::ProductNotOnApplication { .. } => "product_not_on_application",
            DomainError::SameOwner { .. } => "same_owner",
            DomainError::SamePlan { .. } => "same_plan",
            DomainError::ExpiryNotAfterIssue { .. } => "expiry_not_after_issue",
            DomainError::CredentialNotFound { .. } => "credential_not_found",
            DomainError::CredentialAlreadyExists { .. } => "credential_already_exists",
            DomainError::CredentialNotActive { .. } => "credential_not_active",
            DomainError::CredentialNotYetExpired { .. } => "credential_not_yet_expired",
            DomainError::CredentialAlreadyEnded { .. } => "credential_already_ended",
            DomainError::SurveyNotFound { .. } => "survey_not_found",
            DomainError::SurveyAlreadyExists { .. } => "survey_already_exists",
            DomainError::SurveyAlreadySent { .. } => "survey_already_sent",
            DomainError::SurveyNotSent { .. } => "survey_not_sent",
            DomainError::SurveyAlreadyAnswered { .. } => "survey_already_answered",
            DomainError::OfferAlreadyMade { .. } => "offer_already_made",
            DomainError::OfferPlanAlreadyHeld { .. } => "offer_plan_already_held",
            DomainError::OfferEndsBeforeMade { .. } => "offer_ends_before_made",
            DomainError::OfferNotFound { .. } => "offer_not_found",
            DomainError::OfferAlreadyAnswered { .. } => "offer_already_answered",
            DomainError::OfferEnded { .. } => "offer_ended",
            DomainError::DocumentationLinkInvalid { .. } => "documentation_link_invalid",
            DomainError::ProductOnNoPlan { .. } => "product_on_no_plan",
            DomainError::ProductNameTaken { .. } => "product_name_taken",
            DomainError::ProductAlreadyExists { .. } => "product_already_exists",
            DomainError::ProductNotFound { .. } => "product_not_found",
            DomainError::ProductDescriptionUnchanged { .. } => "product_description_unchanged",
            DomainError::ProductRetired { .. } => "product_retired",
            DomainError::ProductNotOnPlan { .. } => "product_not_on_plan",
            DomainError::ProductAlreadyRetired { .. } => "product_already_retired",
            DomainError::WrongStream { .. } => "wrong_stream",
        }
    }
}
