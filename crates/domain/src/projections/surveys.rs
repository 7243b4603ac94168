//! The survey funnel (added, sent, answered) and the surveys waiting for an answer.

use crate::persistent::HashedMap;
use crate::portal::Portal;
use crate::state::Survey;
use crate::values::{Owner, ProductName, Rating};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductAnswers {
    pub answers: u32,
    pub rating_sum: u32,
}

impl ProductAnswers {
    pub fn average_rating(&self) -> Option<f64> {
        (self.answers > 0).then(|| f64::from(self.rating_sum) / f64::from(self.answers))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funnel {
    pub added: u32,
    pub sent: u32,
    pub answered: u32,
    pub(crate) by_product: HashedMap<ProductName, ProductAnswers>,
}

impl Funnel {
    pub(crate) fn answered(&mut self, products: &[ProductName], rating: Rating) {
        self.answered += 1;
        for product in products {
            let entry = self.by_product.entry(product.clone()).or_default();
            entry.answers += 1;
            entry.rating_sum += u32::from(rating.get());
        }
    }

    /// Answered as a share of sent, from 0 to 1; `None` before any was sent.
    pub fn answer_rate(&self) -> Option<f64> {
        (self.sent > 0).then(|| f64::from(self.answered) / f64::from(self.sent))
    }

    /// Answers per product, by product name.
    pub fn answers_by_product(&self) -> Vec<(&ProductName, ProductAnswers)> {
        let mut answers: Vec<_> = self.by_product.iter().map(|(p, a)| (p, *a)).collect();
        answers.sort_unstable_by(|a, b| a.0.cmp(b.0));
        answers
    }
}

impl Portal {
    pub fn funnel(&self) -> &Funnel {
        &self.funnel
    }

    /// Sent surveys waiting for an answer, oldest first; for one owner if given.
    pub fn pending_surveys(&self, owner: Option<&Owner>) -> Vec<Survey<'_>> {
        let mut pending: Vec<_> = self
            .surveys()
            .filter(|s| s.is_pending() && owner.is_none_or(|o| s.owner == o))
            .collect();
        pending.sort_unstable_by_key(|s| (s.added_at, s.id));
        pending
    }
}
