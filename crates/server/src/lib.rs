//! The sync server: one shared, ordered log per tenant, behind `/api/v1`,
//! and the built app. It never trusts a client: every envelope is decoded
//! and checked by the same codec the browser uses before it is stored.

pub mod api;
pub mod applications;
pub mod auth;
pub mod broker;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod config;
pub mod error;
pub mod gateway;
pub mod instances;
pub mod judge;
pub mod limits;
pub mod live;
pub mod openapi;
pub mod people;
pub mod processors;
pub mod pull;
pub mod sessions;
pub mod storage;
pub mod surveys;
pub mod webhooks;

pub use api::{router, ServerState};
pub use config::Config;
