//! Commands decided while the browser had no room to store them (its quota
//! reached, or the disk full). They are kept on the page, in order, shown
//! to the user, and stored as soon as a write succeeds again: each is
//! decided again then, against the log as it is.

use super::{Ledger, Refused};
use crate::browser;
use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_domain::{Command, CommandMeta};

/// How often held changes are tried again, in milliseconds.
const RETRY_MS: i32 = 3_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Held {
    pub command: Command,
    pub meta: CommandMeta,
}

impl Ledger {
    /// Keeps `command` to store later, and starts trying if nothing was
    /// held before.
    pub(super) fn hold(&self, command: Command, meta: CommandMeta) {
        let first = self.held.with_untracked(Vec::is_empty);
        self.held.update(|h| h.push(Held { command, meta }));
        if first {
            let ledger = *self;
            spawn_local(async move {
                while ledger
                    .held
                    .try_with_untracked(|h| !h.is_empty())
                    .unwrap_or(false)
                {
                    browser::sleep(RETRY_MS).await;
                    ledger.save_held().await;
                }
            });
        }
    }

    /// Stores the held commands, oldest first, until one still finds no
    /// room. One that no longer holds is dropped and said so.
    pub async fn save_held(&self) {
        if self.held_busy.get_untracked() {
            return;
        }
        self.held_busy.set(true);
        let Some(local) = self.usable().await else {
            // Still no way to open the log (the disk is still full).
            self.held_busy.set(false);
            return;
        };
        while let Some(next) = self.held.with_untracked(|h| h.first().cloned()) {
            match self.store_command(&local, &next.command, &next.meta).await {
                Ok(stored) => {
                    self.held.update(|h| {
                        h.remove(0);
                    });
                    self.react(&local, stored).await;
                }
                Err(Refused::NoRoom(_)) => break,
                Err(why) => {
                    self.held.update(|h| {
                        h.remove(0);
                    });
                    self.held_note.set(Some(format!(
                        "A change kept while there was no room to store it no longer applies, \
                         so it was not saved ({}): {why}",
                        next.command.action.name()
                    )));
                }
            }
        }
        self.held_busy.set(false);
    }
}
