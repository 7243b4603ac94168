//! API product adoption: apps per product now, adds and removes per day, and
//! why products were removed.

use crate::persistent::{HashedMap, Map};
use crate::portal::Portal;
use crate::values::{ProductName, Text};
use chrono::{DateTime, NaiveDate, Utc};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DailyCount {
    pub added: u32,
    pub removed: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Adoption {
    // Hashed rather than ordered: a string key is then compared once per
    // lookup, not at every level of a tree. Readers sort.
    apps_per_product: HashedMap<ProductName, u32>,
    /// Per day, the products that changed that day.
    daily: Map<NaiveDate, Vec<(ProductName, DailyCount)>>,
    /// Per product, removals per reason (`None`: no reason given).
    removals: HashedMap<ProductName, HashedMap<Option<Text>, u32>>,
}

impl Adoption {
    pub(crate) fn added(&mut self, at: DateTime<Utc>, product: &ProductName) {
        // Look up before inserting: cloning a key costs an atomic increment.
        match self.apps_per_product.get_mut(product) {
            Some(count) => *count += 1,
            None => {
                self.apps_per_product.insert(product.clone(), 1);
            }
        }
        self.day(at, product).added += 1;
    }

    pub(crate) fn removed(
        &mut self,
        at: DateTime<Utc>,
        product: &ProductName,
        reason: &Option<Text>,
    ) {
        self.decrement(product);
        self.day(at, product).removed += 1;
        // Keys are cloned (reference counts bumped) only when new.
        if !self.removals.contains_key(product) {
            self.removals.insert(product.clone(), HashedMap::default());
        }
        if let Some(reasons) = self.removals.get_mut(product) {
            match reasons.get_mut(reason) {
                Some(count) => *count += 1,
                None => {
                    reasons.insert(reason.clone(), 1);
                }
            }
        }
    }

    fn day(&mut self, at: DateTime<Utc>, product: &ProductName) -> &mut DailyCount {
        let products = self.daily.entry(at.date_naive()).or_default();
        let slot = match products.iter().position(|(p, _)| p == product) {
            Some(slot) => slot,
            None => {
                products.push((product.clone(), DailyCount::default()));
                products.len() - 1
            }
        };
        &mut products[slot].1
    }

    /// A deleted application no longer uses its products; that is not a removal.
    pub(crate) fn app_deleted(&mut self, products: &[ProductName]) {
        for product in products {
            self.decrement(product);
        }
    }

    fn decrement(&mut self, product: &ProductName) {
        if let Some(count) = self.apps_per_product.get_mut(product) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.apps_per_product.remove(product);
            }
        }
    }

    /// Live applications per product, by product name.
    pub fn apps_per_product(&self) -> Vec<(&ProductName, u32)> {
        let mut counts: Vec<_> = self.apps_per_product.iter().map(|(p, n)| (p, *n)).collect();
        counts.sort();
        counts
    }

    pub fn apps_using(&self, product: &ProductName) -> u32 {
        self.apps_per_product.get(product).copied().unwrap_or(0)
    }

    /// Adds and removes per day and product, oldest day first, then by product.
    pub fn daily(&self) -> Vec<(NaiveDate, &ProductName, DailyCount)> {
        let mut days: Vec<_> = self
            .daily
            .iter()
            .flat_map(|(d, products)| products.iter().map(|(p, c)| (*d, p, *c)))
            .collect();
        days.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        days
    }

    /// Removals per product and reason (`None`: no reason given), by product then reason.
    pub fn removals(&self) -> Vec<(&ProductName, Option<&Text>, u32)> {
        let mut removals: Vec<_> = self
            .removals
            .iter()
            .flat_map(|(p, reasons)| reasons.iter().map(move |(r, n)| (p, r.as_ref(), *n)))
            .collect();
        removals.sort();
        removals
    }

    /// Removals per reason across all products, most frequent first.
    pub fn removal_reasons(&self) -> Vec<(Option<Text>, u32)> {
        let mut by_reason: std::collections::BTreeMap<Option<Text>, u32> = Default::default();
        for (_, reason, n) in self.removals() {
            *by_reason.entry(reason.cloned()).or_default() += n;
        }
        let mut reasons: Vec<_> = by_reason.into_iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        reasons
    }

    pub(crate) fn counts(&self) -> &HashedMap<ProductName, u32> {
        &self.apps_per_product
    }
}

impl Portal {
    pub fn adoption(&self) -> &Adoption {
        &self.adoption
    }
}
