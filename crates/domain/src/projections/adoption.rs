//! API product adoption: apps per product now, adds and removes per day, and
//! why products were removed.

use crate::persistent::{HashedMap, Map};
use crate::portal::Portal;
use crate::values::{Owner, ProductName, Text};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyCount {
    pub added: u32,
    pub removed: u32,
}

/// Everything adoption knows about one product.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct ProductStats {
    /// Live applications that have the product.
    apps: u32,
    #[serde(with = "crate::compact::by_day")]
    daily: Map<NaiveDate, DailyCount>,
    /// Removals per reason (`None`: no reason given).
    removals: HashedMap<Option<Text>, u32>,
}

/// Keyed by product, hashed: each add or remove compares its product name
/// once, and everything after that is keyed by dates and reasons. Readers sort.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adoption {
    products: HashedMap<ProductName, ProductStats>,
    /// Removals per owner of the application at the time, product and reason.
    by_owner: HashedMap<(Owner, ProductName, Option<Text>), u32>,
}

/// One product as adoption sees it: the applications using it now, and
/// every add and removal so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProductSummary<'a> {
    pub product: &'a ProductName,
    pub apps: u32,
    pub added: u32,
    pub removed: u32,
}

/// Removals of one product, by one owner, for one reason.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct OwnerRemovals<'a> {
    pub owner: &'a Owner,
    pub product: &'a ProductName,
    pub reason: Option<&'a Text>,
    pub count: u32,
}

impl Adoption {
    /// Changes the product's statistics; its name is cloned (a reference
    /// count bumped) only the first time it is seen.
    fn update(&mut self, product: &ProductName, change: impl FnOnce(&mut ProductStats)) {
        match self.products.get_mut(product) {
            Some(stats) => change(stats),
            None => {
                let mut stats = ProductStats::default();
                change(&mut stats);
                self.products.insert(product.clone(), stats);
            }
        }
    }

    pub(crate) fn added(&mut self, at: DateTime<Utc>, product: &ProductName) {
        self.update(product, |stats| {
            stats.apps += 1;
            stats.daily.entry(at.date_naive()).or_default().added += 1;
        });
    }

    pub(crate) fn removed(
        &mut self,
        at: DateTime<Utc>,
        product: &ProductName,
        reason: &Option<Text>,
    ) {
        self.update(product, |stats| {
            stats.apps = stats.apps.saturating_sub(1);
            stats.daily.entry(at.date_naive()).or_default().removed += 1;
            match stats.removals.get_mut(reason) {
                Some(count) => *count += 1,
                None => {
                    stats.removals.insert(reason.clone(), 1);
                }
            }
        });
    }

    /// Counts a removal against the owner the application had then.
    pub(crate) fn removed_by(
        &mut self,
        owner: &Owner,
        product: &ProductName,
        reason: &Option<Text>,
    ) {
        let key = (owner.clone(), product.clone(), reason.clone());
        match self.by_owner.get_mut(&key) {
            Some(count) => *count += 1,
            None => {
                self.by_owner.insert(key, 1);
            }
        }
    }

    /// A deleted application no longer uses its products; that is not a removal.
    pub(crate) fn app_deleted(&mut self, products: &[ProductName]) {
        for product in products {
            if let Some(stats) = self.products.get_mut(product) {
                stats.apps = stats.apps.saturating_sub(1);
            }
        }
    }

    /// Live applications per product (products in use), by product name.
    pub fn apps_per_product(&self) -> Vec<(&ProductName, u32)> {
        let mut counts: Vec<_> = self
            .products
            .iter()
            .filter(|(_, s)| s.apps > 0)
            .map(|(p, s)| (p, s.apps))
            .collect();
        counts.sort_unstable();
        counts
    }

    pub fn apps_using(&self, product: &ProductName) -> u32 {
        self.products.get(product).map_or(0, |s| s.apps)
    }

    /// Adds and removes per day and product, oldest day first, then by product.
    pub fn daily(&self) -> Vec<(NaiveDate, &ProductName, DailyCount)> {
        let mut days: Vec<_> = self
            .products
            .iter()
            .flat_map(|(p, s)| s.daily.iter().map(move |(d, c)| (*d, p, *c)))
            .collect();
        days.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        days
    }

    /// Removals per product and reason (`None`: no reason given), by product then reason.
    pub fn removals(&self) -> Vec<(&ProductName, Option<&Text>, u32)> {
        let mut removals: Vec<_> = self
            .products
            .iter()
            .flat_map(|(p, s)| s.removals.iter().map(move |(r, n)| (p, r.as_ref(), *n)))
            .collect();
        removals.sort_unstable();
        removals
    }

    /// Removals per owner (of the application when it was removed),
    /// product and reason, by owner, then most frequent first.
    pub fn removals_by_owner(&self) -> Vec<OwnerRemovals<'_>> {
        let mut rows: Vec<_> = self
            .by_owner
            .iter()
            .map(|((owner, product, reason), &count)| OwnerRemovals {
                owner,
                product,
                reason: reason.as_ref(),
                count,
            })
            .collect();
        rows.sort_unstable_by(|a, b| {
            (a.owner, b.count, a.product, a.reason).cmp(&(b.owner, a.count, b.product, b.reason))
        });
        rows
    }

    /// Every product ever added, by name.
    pub fn products(&self) -> Vec<ProductSummary<'_>> {
        let mut all: Vec<_> = self
            .products
            .iter()
            .map(|(product, stats)| summary(product, stats))
            .collect();
        all.sort_unstable_by(|a, b| a.product.cmp(b.product));
        all
    }

    /// One product, by its exact name.
    pub fn product(&self, product: &ProductName) -> Option<ProductSummary<'_>> {
        self.products
            .get_key_value(product)
            .map(|(product, stats)| summary(product, stats))
    }

    /// One product's adds and removes per day, oldest first.
    pub fn daily_of(&self, product: &ProductName) -> Vec<(NaiveDate, DailyCount)> {
        self.products
            .get(product)
            .map(|s| s.daily.iter().map(|(d, c)| (*d, *c)).collect())
            .unwrap_or_default()
    }

    /// One product's removals per reason (`None`: no reason given), most
    /// frequent first.
    pub fn removals_of(&self, product: &ProductName) -> Vec<(Option<&Text>, u32)> {
        let mut reasons: Vec<_> = self
            .products
            .get(product)
            .map(|s| s.removals.iter().map(|(r, n)| (r.as_ref(), *n)).collect())
            .unwrap_or_default();
        reasons.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        reasons
    }

    /// Removals per reason across all products, most frequent first.
    pub fn removal_reasons(&self) -> Vec<(Option<Text>, u32)> {
        let mut by_reason: std::collections::BTreeMap<Option<Text>, u32> = Default::default();
        for (_, reason, n) in self.removals() {
            *by_reason.entry(reason.cloned()).or_default() += n;
        }
        let mut reasons: Vec<_> = by_reason.into_iter().collect();
        reasons.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        reasons
    }

    /// Live applications per product, for diffs.
    pub(crate) fn counts(&self) -> impl Iterator<Item = (&ProductName, u32)> {
        self.products.iter().map(|(p, s)| (p, s.apps))
    }
}

fn summary<'a>(product: &'a ProductName, stats: &ProductStats) -> ProductSummary<'a> {
    let (added, removed) = stats
        .daily
        .values()
        .fold((0, 0), |(a, r), c| (a + c.added, r + c.removed));
    ProductSummary {
        product,
        apps: stats.apps,
        added,
        removed,
    }
}

impl Portal {
    pub fn adoption(&self) -> &Adoption {
        &self.adoption
    }
}
