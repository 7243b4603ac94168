//! Portal Ledger's domain: a pure model of a developer portal.
//!
//! Commands are decided against the state of one stream ([`decide`]); the
//! events they produce are folded into every projection ([`Portal::apply`]);
//! [`TimeMachine`] answers the whole portal at any position of the log; process
//! managers ([`process`]) turn events and the passing of time into commands.
//!
//! No IO, no clock, no randomness that is not seeded: the time and new ids
//! arrive inside commands, so the same inputs always give the same log.

pub mod access;
pub mod catalogue;
pub mod command;
pub mod compact;
pub mod decide;
pub mod demo;
pub mod diff;
pub mod envelope;
pub mod error;
pub mod event;
pub mod ids;
pub mod intern;
pub mod log;
pub mod offer;
pub mod persistent;
pub mod portal;
pub mod precision;
pub mod process;
pub mod projections;
pub mod records;
pub mod recover;
pub mod snapshot;
pub mod state;
pub mod time_machine;
pub mod values;

pub use access::{
    may, may_answer, may_change, may_create, may_keep_catalogue, may_offer, owner_known, Forbidden,
    Person, Role, UnknownOwner,
};
pub use catalogue::{
    same_name, ApiProductRecord, Catalogue, CatalogueProduct, DocsLink, ProductDescription,
    ProductEntry, ProductState,
};
pub use command::{Action, Command, CommandMeta, NewCredential};
pub use decide::{decide, StreamState};
pub use diff::{Change, PortalDiff};
pub use envelope::{seal, Envelope, EventRef};
pub use error::DomainError;
pub use event::{Event, EventKind, EventType, SurveyTopic};
pub use ids::{
    AppId, CampaignId, CorrelationId, CredentialId, DerivedIds, DeviceId, EventId, IdSource,
    ProductId, SeededIds, StreamId, SurveyId,
};
pub use intern::Interner;
pub use log::SharedLog;
pub use offer::{Offer, OfferAnswer};
pub use portal::{NotAtHead, Portal};
pub use projections::applications::{AppQuery, AppStatus, NameOrder};
pub use projections::campaigns::{Campaign, CampaignTally};
pub use projections::figures::KeyFigures;
pub use projections::timeline::{
    CausationChain, CausationGraph, GraphNode, LogIndex, TimelineFilter,
};
pub use records::{
    ApplicationRecord, CredentialImage, CredentialKey, CredentialRecord, CredentialStatus,
    DeletedApplicationRecord,
};
pub use snapshot::{Snapshot, SnapshotBeyondLog, PROJECTION_VERSION};
pub use state::{
    App, AppEntry, AppOffer, AppState, Credential, CredentialEntry, Lifecycle, OfferEntry,
    Progress, Survey, SurveyEntry, SurveyState, SurveyStatus,
};
pub use time_machine::{TimeMachine, DEFAULT_CHECKPOINT_EVERY};
pub use values::{Actor, AppName, ExpiryDays, Owner, Plan, ProductName, Rating, Text};
