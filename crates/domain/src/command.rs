//! Commands: what a person or a process asks for. The time and every new id
//! arrive inside the command, so deciding it is deterministic.

use crate::catalogue::ProductDescription;
use crate::event::SurveyTopic;
use crate::ids::{
    AppId, CampaignId, CorrelationId, CredentialId, DeviceId, EventId, ProductId, StreamId,
    SurveyId,
};
use crate::offer::Offer;
use crate::records::CredentialKey;
use crate::values::{Actor, AppName, Owner, Plan, ProductName, Rating, Text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A credential to issue: its id and key come from the caller, who generated
/// the secret and shows it to the user once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCredential {
    pub id: CredentialId,
    pub key: CredentialKey,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    CreateApplication {
        app_id: AppId,
        name: AppName,
        owner: Owner,
        plan: Plan,
        credential: NewCredential,
    },
    AddApiProduct {
        app_id: AppId,
        product: ProductName,
    },
    RemoveApiProduct {
        app_id: AppId,
        product: ProductName,
        reason: Option<Text>,
    },
    ChangeOwner {
        app_id: AppId,
        owner: Owner,
    },
    ChangePlan {
        app_id: AppId,
        plan: Plan,
    },
    GenerateCredential {
        app_id: AppId,
        credential: NewCredential,
    },
    RevokeCredential {
        app_id: AppId,
        credential_id: CredentialId,
    },
    /// Issued by the expiry process once a credential is past its expiry.
    ExpireCredential {
        app_id: AppId,
        credential_id: CredentialId,
    },
    DeleteApplication {
        app_id: AppId,
    },
    AddSurvey {
        survey_id: SurveyId,
        app_id: AppId,
        owner: Owner,
        topic: SurveyTopic,
    },
    SendSurvey {
        survey_id: SurveyId,
    },
    RecordSurveyFeedback {
        survey_id: SurveyId,
        rating: Rating,
        comment: Option<Text>,
    },
    /// A product owner's offer to one application: a campaign is one of
    /// these per application chosen, all with the campaign's id.
    MakeOffer {
        app_id: AppId,
        offer: Offer,
    },
    TakeUpOffer {
        app_id: AppId,
        campaign_id: CampaignId,
    },
    DeclineOffer {
        app_id: AppId,
        campaign_id: CampaignId,
    },
    /// A product owner adds a product to the catalogue.
    CreateApiProduct {
        product_id: ProductId,
        description: ProductDescription,
    },
    /// A product owner changes what the catalogue says of a product.
    DescribeApiProduct {
        product_id: ProductId,
        description: ProductDescription,
    },
    RetireApiProduct {
        product_id: ProductId,
    },
}

impl Action {
    /// The stream the command's events go to.
    pub fn stream_id(&self) -> StreamId {
        match self {
            Action::CreateApplication { app_id, .. }
            | Action::AddApiProduct { app_id, .. }
            | Action::RemoveApiProduct { app_id, .. }
            | Action::ChangeOwner { app_id, .. }
            | Action::ChangePlan { app_id, .. }
            | Action::GenerateCredential { app_id, .. }
            | Action::RevokeCredential { app_id, .. }
            | Action::ExpireCredential { app_id, .. }
            | Action::DeleteApplication { app_id }
            | Action::MakeOffer { app_id, .. }
            | Action::TakeUpOffer { app_id, .. }
            | Action::DeclineOffer { app_id, .. } => (*app_id).into(),
            Action::AddSurvey { survey_id, .. }
            | Action::SendSurvey { survey_id }
            | Action::RecordSurveyFeedback { survey_id, .. } => (*survey_id).into(),
            Action::CreateApiProduct { product_id, .. }
            | Action::DescribeApiProduct { product_id, .. }
            | Action::RetireApiProduct { product_id } => (*product_id).into(),
        }
    }

    /// The command's name, as the UI and logs show it.
    pub fn name(&self) -> &'static str {
        match self {
            Action::CreateApplication { .. } => "CreateApplication",
            Action::AddApiProduct { .. } => "AddApiProduct",
            Action::RemoveApiProduct { .. } => "RemoveApiProduct",
            Action::ChangeOwner { .. } => "ChangeOwner",
            Action::ChangePlan { .. } => "ChangePlan",
            Action::GenerateCredential { .. } => "GenerateCredential",
            Action::RevokeCredential { .. } => "RevokeCredential",
            Action::ExpireCredential { .. } => "ExpireCredential",
            Action::DeleteApplication { .. } => "DeleteApplication",
            Action::AddSurvey { .. } => "AddSurvey",
            Action::SendSurvey { .. } => "SendSurvey",
            Action::RecordSurveyFeedback { .. } => "RecordSurveyFeedback",
            Action::MakeOffer { .. } => "MakeOffer",
            Action::TakeUpOffer { .. } => "TakeUpOffer",
            Action::DeclineOffer { .. } => "DeclineOffer",
            Action::CreateApiProduct { .. } => "CreateApiProduct",
            Action::DescribeApiProduct { .. } => "DescribeApiProduct",
            Action::RetireApiProduct { .. } => "RetireApiProduct",
        }
    }
}

/// A command: an action at a point in time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    pub at: DateTime<Utc>,
    pub action: Action,
}

impl Command {
    /// `at` is kept to the microsecond: the precision every store keeps, so
    /// an event reads back from any of them exactly as it was decided.
    pub fn new(at: DateTime<Utc>, action: Action) -> Self {
        Self {
            at: crate::precision::micros(at),
            action,
        }
    }
}

/// Who issued a command, and why: copied into every envelope it produces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandMeta {
    pub actor: Actor,
    pub device: DeviceId,
    /// The event that led to this command, for commands a process issues.
    pub causation_id: Option<EventId>,
    /// Shared by everything that follows from one user action; a new user
    /// action leaves it empty and takes its first event's id.
    pub correlation_id: Option<CorrelationId>,
}

impl CommandMeta {
    /// Metadata for a command a person issues directly.
    pub fn by(actor: Actor, device: DeviceId) -> Self {
        Self {
            actor,
            device,
            causation_id: None,
            correlation_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::AppId;
    use uuid::Uuid;

    #[test]
    fn a_command_keeps_its_time_to_the_microsecond() {
        let at: DateTime<Utc> = "2026-03-01T10:00:00.123456789Z".parse().unwrap();
        let command = Command::new(
            at,
            Action::DeleteApplication {
                app_id: AppId(Uuid::nil()),
            },
        );
        assert_eq!(command.at.to_rfc3339(), "2026-03-01T10:00:00.123456+00:00");
    }

    #[test]
    fn a_credential_expiry_is_kept_to_the_microsecond() {
        use crate::records::CredentialKey;
        use crate::values::{AppName, Owner, Plan};
        use crate::{decide, Event, StreamState};
        let at: DateTime<Utc> = "2026-03-01T10:00:00Z".parse().unwrap();
        let expires_at: DateTime<Utc> = "2026-06-01T10:00:00.987654321Z".parse().unwrap();
        let command = Command::new(
            at,
            Action::CreateApplication {
                app_id: AppId(Uuid::from_u128(1)),
                name: AppName::parse("Shop").unwrap(),
                owner: Owner::parse("ada").unwrap(),
                plan: Plan::Free,
                credential: NewCredential {
                    id: CredentialId(Uuid::from_u128(2)),
                    key: CredentialKey::parse("pl_abababab", &"ab".repeat(32)).unwrap(),
                    expires_at,
                },
            },
        );
        let events = decide(
            &command,
            StreamState::App(crate::AppState::Absent, Default::default()),
        )
        .unwrap();
        let issued = events.iter().find_map(|e| match e {
            Event::CredentialInsert(c) => Some(c.record.expires_at),
            _ => None,
        });
        assert_eq!(
            issued.map(|t| t.to_rfc3339()),
            Some("2026-06-01T10:00:00.987654+00:00".into())
        );
    }
}
