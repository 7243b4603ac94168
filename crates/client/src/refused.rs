//! Why a command changed nothing on the device.

use portal_domain::DomainError;
use portal_store::StoreError;

/// Each case is data: the app words it for the person who gave the
/// command, and code matches on the case, never on the text.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Refused {
    /// The domain's rules refuse it.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The store failed, and nothing of the command was stored.
    #[error("nothing was saved: {0}")]
    Store(StoreError),
    /// The browser has no room to store it (its quota, or a full disk).
    #[error("nothing was saved: {0}")]
    NoRoom(StoreError),
    /// No room to store it yet: the command is held ([`crate::held`]) and
    /// stored once there is room.
    #[error("not saved yet: there is no room to store it; it is kept and saved once there is")]
    Held,
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Self {
        if e.is_out_of_room() {
            Refused::NoRoom(e)
        } else {
            Refused::Store(e)
        }
    }
}
