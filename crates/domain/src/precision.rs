//! Times are kept to the microsecond (ADR 12): the precision every store
//! keeps, so an event reads back from any store exactly as it was decided
//! or received.

use crate::envelope::Envelope;
use crate::event::Event;
use chrono::{DateTime, SubsecRound, Utc};
use std::sync::Arc;

/// `at`, to the microsecond, as microseconds since the epoch hold it: a
/// leap second (`23:59:60.5`) becomes the next second's (`00:00:00.5`).
pub fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at.trunc_subsecs(6))
}

impl Envelope {
    /// This envelope with every time in it, its event's included, kept to
    /// the microsecond. What the codec reads goes through here.
    pub fn into_microseconds(mut self) -> Envelope {
        self.occurred_at = micros(self.occurred_at);
        self.recorded_at = self.recorded_at.map(micros);
        self.event = self.event.into_microseconds();
        self
    }
}

impl Event {
    fn into_microseconds(self) -> Event {
        match self {
            Event::ApplicationInsert(mut r) => {
                app_into_microseconds(&mut r);
                Event::ApplicationInsert(r)
            }
            Event::ApplicationUpdate(mut r) => {
                app_into_microseconds(&mut r);
                Event::ApplicationUpdate(r)
            }
            Event::ApplicationDelete(mut d) => {
                d.deleted_at = micros(d.deleted_at);
                Event::ApplicationDelete(d)
            }
            Event::CredentialInsert(mut c) => {
                credential_into_microseconds(&mut c.record);
                Event::CredentialInsert(c)
            }
            Event::CredentialUpdate(mut c) => {
                credential_into_microseconds(&mut c.record);
                Event::CredentialUpdate(c)
            }
            Event::CredentialExpired {
                app_id,
                credential_id,
                expired_at,
            } => Event::CredentialExpired {
                app_id,
                credential_id,
                expired_at: micros(expired_at),
            },
            Event::OfferMade {
                app_id,
                owner,
                mut offer,
            } => {
                offer.ends_at = micros(offer.ends_at);
                Event::OfferMade {
                    app_id,
                    owner,
                    offer,
                }
            }
            Event::ApiProductInsert(mut r) => {
                product_into_microseconds(&mut r);
                Event::ApiProductInsert(r)
            }
            Event::ApiProductUpdate(mut r) => {
                product_into_microseconds(&mut r);
                Event::ApiProductUpdate(r)
            }
            other => other,
        }
    }
}

fn product_into_microseconds(record: &mut Arc<crate::catalogue::ApiProductRecord>) {
    let r = Arc::make_mut(record);
    r.created_at = micros(r.created_at);
    r.updated_at = micros(r.updated_at);
    r.retired_at = r.retired_at.map(micros);
}

fn app_into_microseconds(record: &mut Arc<crate::records::ApplicationRecord>) {
    let r = Arc::make_mut(record);
    r.plan_since = micros(r.plan_since);
    r.created_at = micros(r.created_at);
    r.updated_at = micros(r.updated_at);
}

fn credential_into_microseconds(record: &mut Arc<crate::records::CredentialRecord>) {
    let r = Arc::make_mut(record);
    r.issued_at = micros(r.issued_at);
    r.expires_at = micros(r.expires_at);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn a_time_is_cut_to_the_microsecond() {
        let cut = micros(at("2026-03-01T10:00:00.123456789Z"));
        assert_eq!(cut, at("2026-03-01T10:00:00.123456Z"));
    }

    #[test]
    fn a_leap_second_reads_as_the_stores_read_it() {
        let leap = at("2025-01-20T10:23:60.709Z");
        assert_eq!(micros(leap), at("2025-01-20T10:24:00.709Z"));
        assert_eq!(micros(micros(leap)), micros(leap));
    }
}
