//! Identifiers. Every id is a UUID; newtypes keep an application id from being
//! passed where a credential id is expected.

use rand::RngCore;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::{Builder, Uuid};

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        // Compared as one integer rather than through memcmp: ids are the
        // keys of every projection's maps. The order is the bytes' order.
        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.0.as_u128() == other.0.as_u128()
            }
        }

        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                state.write_u128(self.0.as_u128());
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.0.as_u128().cmp(&other.0.as_u128())
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }
    };
}

uuid_id!(
    /// The idempotency key of an event: a UUID v7, made on the device that decided it.
    EventId
);
uuid_id!(
    /// The id shared by every event that follows from one user action.
    CorrelationId
);
uuid_id!(
    /// An event stream: one application, one survey, or one catalogue product.
    StreamId
);
uuid_id!(
    /// An application, which is also the id of its stream.
    AppId
);
uuid_id!(
    /// One credential of an application.
    CredentialId
);
uuid_id!(
    /// A feedback survey, which is also the id of its stream.
    SurveyId
);
uuid_id!(
    /// The device (browser profile) an event was decided on.
    DeviceId
);
uuid_id!(
    /// An API product of the catalogue, which is also the id of its stream.
    ProductId
);
uuid_id!(
    /// An offer campaign: the offers a product owner made together, one
    /// per application.
    CampaignId
);

impl From<AppId> for StreamId {
    fn from(id: AppId) -> Self {
        Self(id.0)
    }
}

impl From<ProductId> for StreamId {
    fn from(id: ProductId) -> Self {
        Self(id.0)
    }
}

impl From<SurveyId> for StreamId {
    fn from(id: SurveyId) -> Self {
        Self(id.0)
    }
}

impl EventId {
    /// Whether this id has the UUID v7 layout that envelopes require.
    pub fn is_v7(&self) -> bool {
        self.0.get_version_num() == 7
    }
}

/// The namespace under which process managers derive ids from the events that
/// caused them, so reacting twice to one event yields the same id.
const PROCESS_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2d0a_94b1_4c2e_9a77_51d0_3e8a_c4f2);

/// An id derived from another (a causing event, an application), stable
/// across replays (UUID v5).
pub fn derived_id(source: Uuid, purpose: &str) -> Uuid {
    let mut name = Vec::with_capacity(16 + purpose.len());
    name.extend_from_slice(source.as_bytes());
    name.extend_from_slice(purpose.as_bytes());
    Uuid::new_v5(&PROCESS_NAMESPACE, &name)
}

/// Where new event ids come from. The browser uses the clock and the system
/// random source; tests and the demo generator use [`SeededIds`], so the same
/// seed always yields the same log.
pub trait IdSource {
    /// A new UUID v7 whose timestamp is `unix_millis`.
    fn next_v7(&mut self, unix_millis: u64) -> Uuid;
}

/// A deterministic [`IdSource`] seeded with a number.
#[derive(Clone, Debug)]
pub struct SeededIds {
    rng: ChaCha8Rng,
}

impl SeededIds {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// A random (not time-ordered) id, for entities such as applications.
    pub fn next_uuid(&mut self) -> Uuid {
        let mut bytes = [0u8; 16];
        self.rng.fill_bytes(&mut bytes);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
}

impl IdSource for SeededIds {
    fn next_v7(&mut self, unix_millis: u64) -> Uuid {
        let mut random = [0u8; 10];
        self.rng.fill_bytes(&mut random);
        Builder::from_unix_timestamp_millis(unix_millis, &random).into_uuid()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_ids_are_v7_and_repeat_for_the_same_seed() {
        let mut a = SeededIds::new(7);
        let mut b = SeededIds::new(7);
        let x = a.next_v7(1_700_000_000_000);
        assert_eq!(x, b.next_v7(1_700_000_000_000));
        assert!(EventId(x).is_v7());
        assert_ne!(x, a.next_v7(1_700_000_000_000));
    }

    #[test]
    fn derived_ids_are_stable_and_depend_on_purpose() {
        let cause = Uuid::from_u128(42);
        assert_eq!(derived_id(cause, "survey"), derived_id(cause, "survey"));
        assert_ne!(derived_id(cause, "survey"), derived_id(cause, "other"));
    }
}

/// An [`IdSource`] whose ids follow from a cause: the same cause always
/// gives the same ids. The server's processors seal with it, so a command
/// issued twice for one cause (a retry, a restart, a second instance)
/// carries the same event ids, which the idempotent push takes once.
/// Each id keeps the v7 shape (its time first), with the rest drawn from a
/// UUID v5 of the cause and the id's place.
#[derive(Clone, Debug)]
pub struct DerivedIds {
    cause: Uuid,
    next: u32,
}

impl DerivedIds {
    /// Ids for what `purpose` issues because of `cause`.
    pub fn new(cause: Uuid, purpose: &str) -> Self {
        Self {
            cause: derived_id(cause, purpose),
            next: 0,
        }
    }
}

impl IdSource for DerivedIds {
    fn next_v7(&mut self, unix_millis: u64) -> Uuid {
        let drawn = derived_id(self.cause, &self.next.to_string());
        self.next += 1;
        let mut random = [0u8; 10];
        random.copy_from_slice(&drawn.as_bytes()[6..]);
        Builder::from_unix_timestamp_millis(unix_millis, &random).into_uuid()
    }
}
