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
        let mut found = self.matching(query);
        found.sort_unstable_by(by_name);
        found.into_iter().map(|(_, app)| app).collect()
    }

    /// How many applications match `query`, and the first `n` of them in
    /// the order of `applications`: a page of the list costs one pass and
    /// a partial sort, not a sort of every application (which, at a
    /// million events, was most of a slider step).
    pub fn first_applications(&self, query: &AppQuery, n: usize) -> (usize, Vec<App<'_>>) {
        let mut found = self.matching(query);
        let total = found.len();
        if n < total {
            found.select_nth_unstable_by(n, by_name);
            found.truncate(n);
        }
        found.sort_unstable_by(by_name);
        (total, found.into_iter().map(|(_, app)| app).collect())
    }

    /// `first_applications`, walking `order` (taken from this state or a
    /// later one) when no filter is set: the first `n` cost `n` lookups,
    /// not a pass over every application.
    pub fn first_applications_in(
        &self,
        order: &NameOrder,
        query: &AppQuery,
        n: usize,
    ) -> (usize, Vec<App<'_>>) {
        if *query != AppQuery::default() || !order.covers(self) {
            return self.first_applications(query, n);
        }
        let shown = order.ids.iter().filter_map(|&id| self.app(id)).take(n);
        (self.apps.len(), shown.collect())
    }

    /// Each match with its name beside it, so that sorting compares the
    /// names' text without looking up each record again.
    fn matching(&self, query: &AppQuery) -> Vec<(&str, App<'_>)> {
        self.apps()
            .filter(|a| query.matches(a))
            .map(|a| (a.record.name.as_str(), a))
            .collect()
    }

    /// Live (not deleted) applications.
    pub fn live_app_count(&self) -> usize {
        self.apps().filter(|a| !a.is_deleted()).count()
    }

    /// Every owner of a live application, sorted, for filter choices.
    pub fn owners(&self) -> Vec<&Owner> {
        // Decoded names are shared, so most repeats are the same text:
        // dropping those by address first leaves far fewer to sort.
        let mut seen = rustc_hash::FxHashSet::default();
        let mut owners: Vec<&Owner> = self
            .apps()
            .filter(|a| !a.is_deleted())
            .map(|a| &a.record.owner)
            .filter(|o| seen.insert(o.as_str().as_ptr()))
            .collect();
        owners.sort_unstable();
        owners.dedup();
        owners
    }
}

/// Every application of a state, in the list's order. No command renames
/// an application and none leaves a state once created, so the order of a
/// later state holds every earlier one's applications in their order: the
/// app takes one from the head for every position of the slider.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameOrder {
    ids: Vec<crate::ids::AppId>,
}

impl NameOrder {
    pub fn of(portal: &Portal) -> Self {
        let all = portal.applications(&AppQuery::default());
        Self {
            ids: all.iter().map(App::id).collect(),
        }
    }

    /// Whether it orders every application of `portal`: it was taken from
    /// `portal`, or from a later state of the same log.
    pub fn covers(&self, portal: &Portal) -> bool {
        self.ids.len() >= portal.apps.len()
    }

    /// How many applications it orders.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Name, case-insensitively, then id: a total order, so unstable sorts
/// agree with each other. Compares without allocating a lowercase copy.
fn by_name((x, a): &(&str, App<'_>), (y, b): &(&str, App<'_>)) -> std::cmp::Ordering {
    let names = if x.is_ascii() && y.is_ascii() {
        x.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(y.bytes().map(|c| c.to_ascii_lowercase()))
    } else {
        x.chars()
            .flat_map(char::to_lowercase)
            .cmp(y.chars().flat_map(char::to_lowercase))
    };
    names.then_with(|| a.id().cmp(&b.id()))
}
