//! The seed's processors, run by the server for each tenant (ADR 30): the
//! handlers that, for each event the log takes, call the processor of its
//! type (a product removed: the survey app adds a feedback survey; a survey
//! added: the communication app sends it), and the time-driven ones (a
//! credential reaching its expiry, an application 90 days on the paid
//! plan). They are the only writers of those events.
//!
//! The rules are the domain's (`portal_domain::process`); this module keeps
//! what falls due in time order, so that the tenant's thread wakes when the
//! next thing is due instead of looking at every credential, and seals each
//! command with ids derived from its cause, so that writing it twice (a
//! retry, a restart) is writing the same events, which the idempotent push
//! takes once.

use chrono::{DateTime, Utc};
use portal_domain::ids::derived_id;
use portal_domain::process::{self, Due, Issued};
use portal_domain::{AppId, DerivedIds, DeviceId, DomainError, Envelope, Portal, StreamId};
use std::collections::BTreeSet;

/// A reaction may set off another (a survey added is then sent); a chain
/// longer than this is a bug, and stops rather than loops.
pub const MAX_REACTIONS: usize = 16;

/// The device the server's processors write as, one per tenant.
pub fn device_of(tenant: &str) -> DeviceId {
    DeviceId(derived_id(
        uuid::Uuid::nil(),
        &format!("processors of {tenant}"),
    ))
}

/// What falls due, earliest first. An entry is a reminder, not a promise:
/// when it comes up, the domain says whether there is still anything to
/// do (`process::run_due`), so a credential revoked meanwhile costs one
/// look and no event.
#[derive(Default)]
pub struct Schedule {
    due: BTreeSet<(DateTime<Utc>, Due)>,
}

impl Schedule {
    /// Everything `portal` has due (the thread's start).
    pub fn of(portal: &Portal) -> Self {
        Schedule {
            due: process::all_due(portal).into_iter().collect(),
        }
    }

    /// Notes what an event just folded into `portal` on `stream` brings
    /// due (a survey's stream is no application's: nothing).
    pub fn note(&mut self, portal: &Portal, stream: StreamId) {
        self.due.extend(process::due_for(portal, AppId(stream.0)));
    }

    /// When the earliest reminder falls due.
    pub fn next(&self) -> Option<DateTime<Utc>> {
        self.due.first().map(|(at, _)| *at)
    }

    /// Takes every reminder due by `now`, earliest first.
    pub fn take_due(&mut self, now: DateTime<Utc>) -> Vec<(DateTime<Utc>, Due)> {
        let mut taken = Vec::new();
        while let Some(first) = self.due.first().copied() {
            if first.0 > now {
                break;
            }
            self.due.pop_first();
            taken.push(first);
        }
        taken
    }

    /// Puts a reminder back, to be tried again at `at` (the write failed).
    pub fn retry(&mut self, at: DateTime<Utc>, due: Due) {
        self.due.insert((at, due));
    }

    pub fn len(&self) -> usize {
        self.due.len()
    }

    pub fn is_empty(&self) -> bool {
        self.due.is_empty()
    }
}

/// The events `issued` gives against `portal`, with ids derived from its
/// cause and its command; the domain's refusal when its work is already
/// done (another instance, or a device of an earlier build, did it).
pub fn seal(issued: &Issued, portal: &Portal) -> Result<Vec<Envelope>, DomainError> {
    let cause = issued.meta.causation_id.map_or(uuid::Uuid::nil(), |c| c.0);
    let mut ids = DerivedIds::new(cause, issued.command.action.name());
    portal.execute(&issued.command, &issued.meta, &mut ids)
}

/// What the processors issue because of `event`, as `portal` stands.
pub fn reactions(event: &Envelope, portal: &Portal, device: DeviceId) -> Vec<Issued> {
    process::react(event, portal, device)
}
