//! Commands decided while the store had no room (the browser's quota
//! reached, or the disk full). They are kept in order, shown, and stored as
//! soon as a write succeeds again: each is decided again then, against the
//! log as it is. The timer that tries again belongs to whoever runs the
//! device (the app tries every few seconds).

use crate::device::Device;
use crate::refused::Refused;
use portal_domain::{Command, CommandMeta};
use portal_store::EventStore;

#[derive(Clone, Debug, PartialEq)]
pub struct Held {
    pub command: Command,
    pub meta: CommandMeta,
}

/// A held command that no longer applies once there was room, and why;
/// it was dropped.
#[derive(Clone, Debug, PartialEq)]
pub struct Dropped {
    pub held: Held,
    pub why: Refused,
}

impl<S: EventStore> Device<S> {
    /// The commands waiting for room, oldest first.
    pub fn held(&self) -> Vec<Held> {
        self.held.borrow().clone()
    }

    /// Whether any command waits for room.
    pub fn holds_any(&self) -> bool {
        !self.held.borrow().is_empty()
    }

    pub(crate) fn hold(&self, command: Command, meta: CommandMeta) {
        self.held.borrow_mut().push(Held { command, meta });
        self.changed(crate::device::Changed::Held);
    }

    /// Stores the held commands, oldest first, until one still finds no
    /// room. One that no longer applies is dropped and returned, with why.
    pub async fn save_held(&self) -> Vec<Dropped> {
        let mut dropped = Vec::new();
        // A closed store cannot take them yet; a save under way is
        // already taking them.
        if self.store.is_closed() || self.saving_held.replace(true) {
            return dropped;
        }
        loop {
            let first = self.held.borrow().first().cloned();
            let Some(next) = first else { break };
            match self.store_command(&next.command, &next.meta).await {
                Ok(stored) => {
                    self.held.borrow_mut().remove(0);
                    self.changed(crate::device::Changed::Held);
                    self.react(stored).await;
                }
                // Only the rules say a change no longer applies. A store
                // that failed otherwise (a full disk also aborts
                // transactions and closes the connection) stored nothing
                // of it, and it is tried again later.
                Err(Refused::Domain(why)) => {
                    self.held.borrow_mut().remove(0);
                    self.changed(crate::device::Changed::Held);
                    dropped.push(Dropped {
                        held: next,
                        why: Refused::Domain(why),
                    });
                }
                Err(_) => break,
            }
        }
        self.saving_held.set(false);
        dropped
    }
}
