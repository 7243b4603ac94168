//! API product adoption: apps per product now, adds and removes per day, and
//! why products were removed.

use crate::persistent::Map;
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
    apps_per_product: Map<ProductName, u32>,
    /// Per day, the products that changed that day, sorted by name.
    daily: Map<NaiveDate, Vec<(ProductName, DailyCount)>>,
    /// Per product, removals per reason (`None`: no reason given).
    removals: Map<ProductName, Map<Option<Text>, u32>>,
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
        if self.removals.get(product).is_none() {
            self.removals.insert(product.clone(), Map::new());
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
        let slot = match products.binary_search_by(|(p, _)| p.cmp(product)) {
            Ok(slot) => slot,
            Err(slot) => {
                products.insert(slot, (product.clone(), DailyCount::default()));
                slot
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
    pub fn apps_per_product(&self) -> impl Iterator<Item = (&ProductName, u32)> {
        self.apps_per_product.iter().map(|(p, n)| (p, *n))
    }

    pub fn apps_using(&self, product: &ProductName) -> u32 {
        self.apps_per_product.get(product).copied().unwrap_or(0)
    }

    /// Adds and removes per day and product, oldest day first.
    pub fn daily(&self) -> impl Iterator<Item = (NaiveDate, &ProductName, DailyCount)> {
        self.daily
            .iter()
            .flat_map(|(d, products)| products.iter().map(|(p, c)| (*d, p, *c)))
    }

    /// Removals per product and reason (`None`: no reason given).
    pub fn removals(&self) -> impl Iterator<Item = (&ProductName, Option<&Text>, u32)> {
        self.removals
            .iter()
            .flat_map(|(p, reasons)| reasons.iter().map(move |(r, n)| (p, r.as_ref(), *n)))
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

    pub(crate) fn counts(&self) -> &Map<ProductName, u32> {
        &self.apps_per_product
    }
}

impl Portal {
    pub fn adoption(&self) -> &Adoption {
        &self.adoption
    }
}
