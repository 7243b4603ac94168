//! Sharing repeated strings between decoded events: the one interner, used
//! by every decoder (the binary shapes of the store and the pull pages, and
//! the NDJSON codec).
//!
//! Events repeat the same owners, actors and products over and over. A
//! decoded log with one allocation per name per event takes more memory, and
//! the analytics, which hash and compare product names and reasons on every
//! add and remove, fold it slower. Decoding through an interner checks each
//! distinct text once and shares one copy of it.

use crate::envelope::Envelope;
use crate::error::DomainError;
use crate::event::{Event, SurveyTopic};
use crate::values::{Actor, AppName, Owner, ProductName, Text};
use rustc_hash::FxHashSet;
use std::borrow::Borrow;
use std::hash::Hash;

/// Distinct values kept per kind; past this, new ones are parsed and left
/// unshared, so a log of free texts cannot grow the table without bound.
/// Sized for the names of a million-event log (about 8,600 applications).
pub const LIMIT: usize = 1 << 16;

/// One kind's shared values, found by their text.
#[derive(Debug)]
struct Table<T>(FxHashSet<T>);

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self(FxHashSet::default())
    }
}

impl<T: Eq + Hash + Clone + Borrow<str>> Table<T> {
    /// A value equal to `raw` when one is held (a held value's text is valid
    /// and parses to itself); otherwise `raw` parsed and shared.
    fn parse(
        &mut self,
        raw: &str,
        parse: impl FnOnce(&str) -> Result<T, DomainError>,
    ) -> Result<T, DomainError> {
        match self.0.get(raw) {
            Some(held) => Ok(held.clone()),
            None => parse(raw).map(|value| self.shared(value)),
        }
    }

    fn shared(&mut self, value: T) -> T {
        if let Some(held) = self.0.get::<str>(value.borrow()) {
            held.clone()
        } else {
            if self.0.len() < LIMIT {
                self.0.insert(value.clone());
            }
            value
        }
    }

    fn share(&mut self, value: &mut T) {
        if let Some(held) = self.0.get::<str>((*value).borrow()) {
            *value = held.clone();
        } else if self.0.len() < LIMIT {
            self.0.insert(value.clone());
        }
    }
}

#[derive(Debug, Default)]
pub struct Interner {
    names: Table<AppName>,
    owners: Table<Owner>,
    actors: Table<Actor>,
    products: Table<ProductName>,
    texts: Table<Text>,
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn name(&mut self, raw: &str) -> Result<AppName, DomainError> {
        self.names.parse(raw, AppName::parse)
    }

    pub fn owner(&mut self, raw: &str) -> Result<Owner, DomainError> {
        self.owners.parse(raw, Owner::parse)
    }

    pub fn actor(&mut self, raw: &str) -> Result<Actor, DomainError> {
        self.actors.parse(raw, Actor::parse)
    }

    pub fn product(&mut self, raw: &str) -> Result<ProductName, DomainError> {
        self.products.parse(raw, ProductName::parse)
    }

    /// Free text (a reason, a comment): `field` names it in the error.
    pub fn text(&mut self, field: &'static str, raw: &str) -> Result<Text, DomainError> {
        self.texts.parse(raw, |r| Text::parse(field, r))
    }

    /// Replaces an envelope decoded without the interner (by serde) with
    /// shared copies of its actor, product names and reasons.
    pub fn intern(&mut self, envelope: &mut Envelope) {
        self.actors.share(&mut envelope.actor);
        match &mut envelope.event {
            Event::ApiProductAdded { product, .. } => self.products.share(product),
            Event::ApiProductRemoved {
                product, reason, ..
            }
            | Event::SurveyAdded {
                topic: SurveyTopic::ProductRemoved { product, reason },
                ..
            } => {
                self.products.share(product);
                if let Some(reason) = reason {
                    self.texts.share(reason);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One copy: the same bytes, not equal ones.
    fn same(a: &str, b: &str) -> bool {
        std::ptr::eq(a.as_ptr(), b.as_ptr())
    }

    #[test]
    fn equal_texts_share_one_copy_and_each_is_checked() {
        let mut interner = Interner::new();
        let first = interner.product("payments").unwrap();
        let second = interner.product("payments").unwrap();
        assert!(same(first.as_str(), second.as_str()));
        assert_eq!(first.as_str(), "payments");
        // Untrimmed text is parsed, then shares the copy its value has.
        let padded = interner.product("  payments ").unwrap();
        assert!(same(first.as_str(), padded.as_str()));
        assert!(matches!(
            interner.product(""),
            Err(DomainError::EmptyName { .. })
        ));
        assert!(interner.owner(&"x".repeat(101)).is_err());
        // Each kind has its own table: an owner named like a product is an owner.
        let owner = interner.owner("payments").unwrap();
        assert_eq!(owner.as_str(), "payments");
    }

    #[test]
    fn past_the_limit_values_are_still_parsed_but_not_kept() {
        let mut interner = Interner::new();
        for i in 0..LIMIT {
            interner.text("reason", &i.to_string()).unwrap();
        }
        let a = interner.text("reason", "one more").unwrap();
        let b = interner.text("reason", "one more").unwrap();
        assert_eq!(a, b);
        assert!(!same(a.as_str(), b.as_str()));
        assert_eq!(interner.texts.0.len(), LIMIT);
        // What was kept before the limit is still shared.
        let kept = interner.text("reason", "7").unwrap();
        assert!(same(
            kept.as_str(),
            interner.text("reason", "7").unwrap().as_str()
        ));
    }
}
