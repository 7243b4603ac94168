//! The local-first client: the device's event log as the app, the tests and
//! the soak all run it. A [`Device`] opens a store (any [`EventStore`]),
//! brings every projection to its head, decides commands and stores their
//! events, lets the process managers react, follows what other handles on
//! the same database write, holds what the browser has no room for, and
//! imports, exports and resets. [`round`] keeps it in step with a server
//! reached through a [`Remote`].
//!
//! No UI and no browser API: the app is a layer of signals over this
//! crate, and native tests drive the same code against the in-memory store
//! and a real server.
//!
//! [`EventStore`]: portal_store::EventStore

pub mod device;
pub mod held;
pub mod json;
pub mod refused;
pub mod remote;
pub mod reopen;
pub mod round;

pub use device::{Crossed, Device, Opened};
pub use held::Held;
pub use refused::Refused;
pub use remote::{CallError, Page, Placed, Remote, PAGE};
pub use round::{round, Round, RoundError};
