//! Who may issue which command: people by their role and what they own, and
//! the portal's processes. The browser asks [`may`] to hide what a person
//! cannot do; the server asks it again of every pushed command, so a
//! hand-made request meets the same rule with the same reason.

use crate::command::{Action, Command};
use crate::decide::StreamState;
use crate::ids::{AppId, SurveyId};
use crate::state::{AppState, SurveyState};
use crate::values::{Actor, Owner};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What a person may do in a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Creates applications and changes the ones they own.
    Developer,
    /// Reads everything and makes offers; changes no application.
    ProductOwner,
    /// Changes any application, and manages people.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Developer, Role::ProductOwner, Role::Admin];

    /// As it is stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Developer => "developer",
            Role::ProductOwner => "product_owner",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == raw.trim())
    }

    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Developer => "Developer",
            Role::ProductOwner => "Product owner",
            Role::Admin => "Admin",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// A person acting: who they are in the log, and their role.
#[derive(Clone, Copy, Debug)]
pub struct Person<'a> {
    pub actor: &'a Actor,
    pub role: Role,
}

/// Why a person may not issue a command. Each has a stable [`code`](Self::code).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum Forbidden {
    #[error("{command} is written by the portal's processes, not by a person.")]
    ProcessOnly { command: &'static str },
    #[error("A product owner reads the portal and makes offers, but changes no application.")]
    ReadOnly { command: &'static str },
    #[error("This application is not yours: it belongs to {owner}, and only its owner or an admin can change it.")]
    NotOwner { app_id: AppId, owner: Owner },
    #[error("A developer creates applications for themselves, not for {owner}.")]
    CreateForOther { owner: Owner },
    #[error("Only the person this survey was sent to can answer it.")]
    NotYourSurvey { survey_id: SurveyId },
    #[error("Offers are made by product owners and admins.")]
    OffersByProductOwners,
    #[error("The product catalogue is kept by product owners and admins.")]
    CatalogueByProductOwners,
}

impl Forbidden {
    /// Stable: programs and tests match on it, never on the sentence.
    pub fn code(&self) -> &'static str {
        match self {
            Forbidden::ProcessOnly { .. } => "process_only",
            Forbidden::ReadOnly { .. } => "read_only_role",
            Forbidden::NotOwner { .. } => "not_owner",
            Forbidden::CreateForOther { .. } => "create_for_other",
            Forbidden::NotYourSurvey { .. } => "not_your_survey",
            Forbidden::OffersByProductOwners => "offers_by_product_owners",
            Forbidden::CatalogueByProductOwners => "catalogue_by_product_owners",
        }
    }
}

impl Action {
    /// Commands only the portal's processes issue: a credential's expiry and
    /// a survey's creation and sending follow from the log and the clock,
    /// never from a person's say-so.
    pub fn is_process_only(&self) -> bool {
        matches!(
            self,
            Action::ExpireCredential { .. } | Action::AddSurvey { .. } | Action::SendSurvey { .. }
        )
    }
}

fn is(actor: &Actor, owner: &Owner) -> bool {
    actor.as_str() == owner.as_str()
}

/// Whether `person` may change application `app_id`, owned by `owner`, in
/// any way a person can (what `may` says of every such command): the
/// page asks it once to show the controls or say why there are none.
pub fn may_change(person: Person<'_>, app_id: AppId, owner: &Owner) -> Result<(), Forbidden> {
    match person.role {
        Role::Admin => Ok(()),
        Role::ProductOwner => Err(Forbidden::ReadOnly {
            command: "ChangeApplication",
        }),
        Role::Developer if is(person.actor, owner) => Ok(()),
        Role::Developer => Err(Forbidden::NotOwner {
            app_id,
            owner: owner.clone(),
        }),
    }
}

/// Whether `person` may answer a survey sent to `owner`: only that person,
/// whatever their role.
pub fn may_answer(person: Person<'_>, owner: &Owner) -> bool {
    is(person.actor, owner)
}

/// Whether `person` may make offers: product owners run the campaigns,
/// admins may too; a developer may not offer themselves a deal.
pub fn may_offer(person: Person<'_>) -> bool {
    person.role != Role::Developer
}

/// Whether `person` may create, describe and retire catalogue products.
pub fn may_keep_catalogue(person: Person<'_>) -> bool {
    person.role != Role::Developer
}

/// Whether `person` may create applications at all.
pub fn may_create(person: Person<'_>) -> bool {
    person.role != Role::ProductOwner
}

/// Whether `person` may issue `command` against `state`, the state of the
/// command's stream that `decide` will see. A command on a stream that does
/// not exist is left to `decide`, which says so.
pub fn may(
    person: Person<'_>,
    command: &Command,
    state: &StreamState<'_>,
) -> Result<(), Forbidden> {
    let action = &command.action;
    if action.is_process_only() {
        return Err(Forbidden::ProcessOnly {
            command: action.name(),
        });
    }
    if let Action::RecordSurveyFeedback { survey_id, .. } = action {
        // An answer is that person's voice: not even an admin gives it for
        // them, or the analytics would report what nobody said.
        return match state {
            StreamState::Survey(SurveyState::Exists(s)) if !may_answer(person, s.owner) => {
                Err(Forbidden::NotYourSurvey {
                    survey_id: *survey_id,
                })
            }
            _ => Ok(()),
        };
    }
    if let Action::CreateApiProduct { .. }
    | Action::DescribeApiProduct { .. }
    | Action::RetireApiProduct { .. } = action
    {
        return match may_keep_catalogue(person) {
            true => Ok(()),
            false => Err(Forbidden::CatalogueByProductOwners),
        };
    }
    if let Action::MakeOffer { .. } = action {
        return match may_offer(person) {
            true => Ok(()),
            false => Err(Forbidden::OffersByProductOwners),
        };
    }
    match person.role {
        Role::Admin => Ok(()),
        Role::ProductOwner => Err(Forbidden::ReadOnly {
            command: action.name(),
        }),
        Role::Developer => match (action, state) {
            (Action::CreateApplication { owner, .. }, _) if !is(person.actor, owner) => {
                Err(Forbidden::CreateForOther {
                    owner: owner.clone(),
                })
            }
            (Action::CreateApplication { .. }, _) => Ok(()),
            (_, StreamState::App(AppState::Active(app) | AppState::Deleted(app), _)) => {
                may_change(person, app.id(), &app.record.owner)
            }
            _ => Ok(()),
        },
    }
}

/// An owner nobody of the workspace is.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{owner} is not an active person of this workspace; an application belongs to one.")]
pub struct UnknownOwner {
    pub owner: Owner,
}

impl UnknownOwner {
    pub fn code(&self) -> &'static str {
        "unknown_owner"
    }
}

/// Whether the owner `command` gives an application (creating it, or
/// handing it over) is one of the workspace's active people, as
/// `is_person` tells. Other commands name no owner.
pub fn owner_known(
    command: &Command,
    is_person: impl Fn(&str) -> bool,
) -> Result<(), UnknownOwner> {
    match &command.action {
        Action::CreateApplication { owner, .. } | Action::ChangeOwner { owner, .. }
            if !is_person(owner.as_str()) =>
        {
            Err(UnknownOwner {
                owner: owner.clone(),
            })
        }
        _ => Ok(()),
    }
}
