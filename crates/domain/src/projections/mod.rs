//! Read models. The stateful ones live in [`crate::Portal`]; the ones that are
//! only views of the log (timeline, causation, a stream's history) live in
//! [`timeline::LogIndex`], which is append-only and so valid at every position.

pub mod adoption;
pub mod applications;
pub mod campaigns;
pub mod credentials;
pub mod figures;
pub mod owners;
pub mod surveys;
pub mod timeline;
pub mod upsell;
