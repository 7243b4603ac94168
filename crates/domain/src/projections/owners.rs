//! Owner history: every change of an application's owner, oldest first.

use crate::envelope::Envelope;
use crate::event::Event;
use crate::ids::AppId;
use crate::portal::Portal;
use crate::values::{Actor, Owner};
use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OwnerChange<'a> {
    /// The log position of the APPLICATION_OWNER_CHANGED event.
    pub position: u32,
    pub at: DateTime<Utc>,
    pub app_id: AppId,
    pub from: &'a Owner,
    pub to: &'a Owner,
    pub actor: &'a Actor,
}

impl<'a> OwnerChange<'a> {
    fn read(position: u32, envelope: &'a Envelope) -> Option<Self> {
        match &envelope.event {
            Event::OwnerChanged { app_id, from, to } => Some(Self {
                position,
                at: envelope.occurred_at,
                app_id: *app_id,
                from,
                to,
                actor: &envelope.actor,
            }),
            _ => None,
        }
    }
}

impl Portal {
    pub fn owner_changes(&self) -> impl DoubleEndedIterator<Item = OwnerChange<'_>> {
        self.owner_changes
            .iter()
            .filter_map(|&p| OwnerChange::read(p, self.log.get(p as usize)?))
    }

    pub fn owner_history(&self, app: AppId) -> impl DoubleEndedIterator<Item = OwnerChange<'_>> {
        self.owner_changes().filter(move |c| c.app_id == app)
    }

    pub fn owner_change_count(&self) -> usize {
        self.owner_changes.len()
    }
}
