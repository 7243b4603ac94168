//! The wire and stored format shared by the browser and the server.
//!
//! One envelope is one JSON object: the envelope's fields, the event's `type`,
//! `schema_version` and `kind`, and its `data`. A log is NDJSON, one envelope
//! per line. `binary` is the compact shape the browser stores events in,
//! which `page` also uses for pulls and `batch` for pushes, and `rebase` settles a pulled page
//! against this device's log. `problem` is how the server says no.

pub mod batch;
pub mod binary;
pub mod codec;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod page;
mod placed;
pub mod problem;
pub mod rebase;

pub use codec::{decode, decode_ndjson, encode, encode_ndjson, DecodeError, LineError};
pub use placed::Placed;

/// The version of the sync protocol this build speaks.
pub const PROTOCOL_VERSION: u16 = 1;
