//! The event store contract and its implementations (in memory, and IndexedDB
//! in the browser). Filled in by the browser-store work; for now it only
//! names what the store will hold.

pub use portal_domain::Envelope;
