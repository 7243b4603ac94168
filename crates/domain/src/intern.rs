//! Sharing repeated strings between decoded events.
//!
//! A decoded log has one allocation per product name per event. The analytics
//! hash and compare product names and reasons on every add and remove, so
//! a log whose equal names share one allocation folds faster (the bytes stay
//! in cache) and takes less memory.

use crate::envelope::Envelope;
use crate::event::{Event, SurveyTopic};
use crate::values::{ProductName, Text};
use std::collections::HashSet;
use std::hash::Hash;

/// Distinct strings kept per kind; past this, new ones are left as they are,
/// so free-text reasons cannot grow the table without bound.
const LIMIT: usize = 4096;

#[derive(Debug, Default)]
pub struct Interner {
    products: HashSet<ProductName>,
    texts: HashSet<Text>,
}

fn share<T: Eq + Hash + Clone>(seen: &mut HashSet<T>, value: &mut T) {
    if let Some(shared) = seen.get(value) {
        *value = shared.clone();
    } else if seen.len() < LIMIT {
        seen.insert(value.clone());
    }
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the envelope's product names and reasons with shared copies.
    pub fn intern(&mut self, envelope: &mut Envelope) {
        match &mut envelope.event {
            Event::ApiProductAdded { product, .. } => share(&mut self.products, product),
            Event::ApiProductRemoved {
                product, reason, ..
            }
            | Event::SurveyAdded {
                topic: SurveyTopic::ProductRemoved { product, reason },
                ..
            } => {
                share(&mut self.products, product);
                if let Some(reason) = reason {
                    share(&mut self.texts, reason);
                }
            }
            _ => {}
        }
    }
}
