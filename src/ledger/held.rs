//! Commands decided while the browser had no room to store them (its quota
//! reached, or the disk full). The device holds them (`portal_client::held`);
//! this page shows them, tries again every few seconds, and says why when
//! one no longer applies.

use super::Ledger;
use crate::browser;
use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_client::held::{Dropped, Held};

/// How often held changes are tried again, in milliseconds.
const RETRY_MS: i32 = 3_000;

impl Ledger {
    /// Shows what the device now holds, and starts trying again if it held
    /// nothing before.
    pub(super) fn held_changed(self, held: Vec<Held>) {
        let first = self.held.with_untracked(Vec::is_empty) && !held.is_empty();
        self.held.try_set(held);
        if first {
            spawn_local(async move {
                while self
                    .held
                    .try_with_untracked(|h| !h.is_empty())
                    .unwrap_or(false)
                {
                    browser::sleep(RETRY_MS).await;
                    (self.store_held)(self).await;
                }
            });
        }
    }

    /// Stores the held commands, oldest first, until one still finds no
    /// room. One that no longer applies is dropped and said so.
    pub async fn save_held(&self) {
        // Without a usable log (the disk is still full) they wait.
        let Some(device) = self.usable().await else {
            return;
        };
        if let Some(Dropped { held, why }) = device.save_held().await.pop() {
            self.held_note.try_set(Some(format!(
                "A change kept while there was no room to store it no longer applies, \
                 so it was not saved ({}): {}",
                held.command.action.name(),
                super::CommandRefused::Device(why),
            )));
        }
    }
}
