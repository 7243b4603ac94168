//! The applications list: current state, searchable by name, owner, product,
//! plan and status.

use crate::portal::Portal;
use crate::state::App;
use crate::values::{Owner, Plan, ProductName};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AppStatus {
    Active,
    Deleted,
}

/// A search over applications. Empty fields match everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppQuery {
    /// Matched case-insensitively against the name, anywhere in it.
    pub text: String,
    pub owner: Option<Owner>,
    pub product: Option<ProductName>,
    pub plan: Option<Plan>,
    pub status: Option<AppStatus>,
}

impl AppQuery {
    pub fn matches(&self, app: &App<'_>) -> bool {
        let status = if app.is_deleted() {
            AppStatus::Deleted
        } else {
            AppStatus::Active
        };
        let needle = self.text.trim();
        (needle.is_empty() || contains_ignoring_case(app.record.name.as_str(), needle))
            && self.owner.as_ref().is_none_or(|o| &app.record.owner == o)
            && self
                .product
                .as_ref()
                .is_none_or(|p| app.record.has_product(p))
            && self.plan.is_none_or(|p| app.record.plan == p)
            && self.status.is_none_or(|s| s == status)
    }
}

fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        let needle = needle.as_bytes();
        return haystack
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle));
    }
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

impl Portal {
    /// Applications matching `query`, by name (case-insensitively), then id.
    pub fn applications(&self, query: &AppQuery) -> Vec<App<'_>> {
        let mut found: Vec<_> = self.apps().filter(|a| query.matches(a)).collect();
        found.sort_by_cached_key(|a| (a.record.name.as_str().to_lowercase(), a.id()));
        found
    }

    /// Live (not deleted) applications.
    pub fn live_app_count(&self) -> usize {
        self.apps().filter(|a| !a.is_deleted()).count()
    }

    /// Every owner of a live application, for filter choices.
    pub fn owners(&self) -> Vec<&Owner> {
        let mut owners: Vec<_> = self
            .apps()
            .filter(|a| !a.is_deleted())
            .map(|a| &a.record.owner)
            .collect();
        owners.sort();
        owners.dedup();
        owners
    }
}
