//! The API product catalogue: the products product owners offer, each a
//! stream of its own, created, described and retired. Developers pick
//! products from it: a name it holds is added in the catalogue's spelling,
//! whatever the case typed, and a retired product can no longer be added
//! (ADR 40).

use crate::error::DomainError;
use crate::event::Event;
use crate::ids::ProductId;
use crate::log::SharedLog;
use crate::portal::Portal;
use crate::values::{Plan, ProductName, Text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// Where a product's documentation is: an `http` or `https` address with
/// a host, at most 500 characters, without spaces or control characters.
///
/// Only the shape a link needs to be opened is checked: a full URL parser
/// (the `url` crate, with its international domain tables) would add about
/// 60 KB gzipped to the first download, whose budget is 300 KB, and the
/// browser checks the address itself before it opens it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DocsLink(Arc<str>);

impl DocsLink {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let raw = raw.trim();
        let invalid = || DomainError::DocumentationLinkInvalid { link: raw.into() };
        let rest = raw
            .strip_prefix("https://")
            .or_else(|| raw.strip_prefix("http://"))
            .ok_or_else(invalid)?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host_name = host.rsplit_once('@').map_or(host, |(_, h)| h);
        if host_name.trim_start_matches('[').is_empty()
            || host_name.starts_with(':')
            || raw.chars().count() > 500
            || raw.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid());
        }
        Ok(Self(Arc::from(raw)))
    }

    /// `None` for blank input: a product may have no documentation yet.
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, DomainError> {
        match raw.trim() {
            "" => Ok(None),
            raw => Self::parse(raw).map(Some),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DocsLink {
    type Error = DomainError;
    fn try_from(raw: String) -> Result<Self, DomainError> {
        Self::parse(&raw)
    }
}

impl From<DocsLink> for String {
    fn from(value: DocsLink) -> String {
        value.0.to_string()
    }
}

impl fmt::Display for DocsLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a product owner says about a product: everything but its id and
/// its lifecycle.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProductDescription {
    pub name: ProductName,
    /// One or two sentences; may be empty.
    pub summary: Text,
    pub documentation: Option<DocsLink>,
    /// The plans it is offered on: sorted, without duplicates, never empty.
    pub plans: Vec<Plan>,
}

impl ProductDescription {
    /// `plans` sorted and without duplicates, or the rule it breaks.
    pub(crate) fn checked(&self) -> Result<Self, DomainError> {
        let mut plans = self.plans.clone();
        plans.sort();
        plans.dedup();
        if plans.is_empty() {
            return Err(DomainError::ProductOnNoPlan {
                name: self.name.clone(),
            });
        }
        Ok(Self {
            plans,
            ..self.clone()
        })
    }
}

/// A catalogue product as stored, after a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiProductRecord {
    pub id: ProductId,
    pub description: ProductDescription,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When it was retired, after which no application can add it.
    pub retired_at: Option<DateTime<Utc>>,
}

impl ApiProductRecord {
    pub fn name(&self) -> &ProductName {
        &self.description.name
    }

    pub fn is_retired(&self) -> bool {
        self.retired_at.is_some()
    }
}

/// A catalogue product as the projections keep it: the position of its
/// latest record image, and its stream's version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductEntry {
    pub(crate) record_at: u32,
    pub version: u64,
}

/// A catalogue product with its current record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CatalogueProduct<'a> {
    pub id: ProductId,
    pub record: &'a ApiProductRecord,
    pub version: u64,
}

impl<'a> CatalogueProduct<'a> {
    pub(crate) fn resolve(id: ProductId, entry: &ProductEntry, log: &'a SharedLog) -> Option<Self> {
        match &log.get(entry.record_at as usize)?.event {
            Event::ApiProductInsert(record) | Event::ApiProductUpdate(record) => Some(Self {
                id,
                record,
                version: entry.version,
            }),
            _ => None,
        }
    }
}

/// A catalogue product stream's state, for `decide`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ProductState<'a> {
    Absent,
    Exists(CatalogueProduct<'a>),
}

/// Two names are one product when they differ only in case or spacing:
/// "Payments", "payments" and " payments " are the same product.
pub fn same_name(a: &str, b: &str) -> bool {
    let lower = |w: &str| w.to_lowercase();
    a.split_whitespace()
        .map(lower)
        .eq(b.split_whitespace().map(lower))
}

/// The catalogue as `decide` sees it when a product is added to an
/// application or offered: every product, retired ones included.
#[derive(Clone, Debug, Default)]
pub struct Catalogue<'a> {
    products: Vec<CatalogueProduct<'a>>,
}

impl<'a> Catalogue<'a> {
    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, CatalogueProduct<'a>> {
        self.products.iter()
    }

    /// The product `name` means, whatever its case.
    pub fn named(&self, name: &str) -> Option<CatalogueProduct<'a>> {
        self.products
            .iter()
            .find(|p| same_name(p.record.name().as_str(), name))
            .copied()
    }

    /// The name under which an application on `plan` may add `product`
    /// now: the catalogue's spelling of a product it holds and offers on
    /// that plan; the name as given for one it does not hold (ADR 40: such
    /// names stay free text until products are named by id).
    pub fn addable(&self, product: &ProductName, plan: Plan) -> Result<ProductName, DomainError> {
        let Some(p) = self.named(product.as_str()) else {
            return Ok(product.clone());
        };
        let name = p.record.name().clone();
        if p.record.is_retired() {
            return Err(DomainError::ProductRetired { product: name });
        }
        if !p.record.description.plans.contains(&plan) {
            return Err(DomainError::ProductNotOnPlan {
                product: name,
                plan,
            });
        }
        Ok(name)
    }
}

impl Portal {
    /// The catalogue product `id`, retired or not.
    pub fn catalogue_product(&self, id: ProductId) -> Option<CatalogueProduct<'_>> {
        CatalogueProduct::resolve(id, self.products.get(&id)?, &self.log)
    }

    /// Every catalogue product, retired ones included, by name.
    pub fn catalogue(&self) -> Catalogue<'_> {
        let mut catalogue = self.catalogue_unsorted();
        catalogue
            .products
            .sort_by_cached_key(|p| p.record.name().as_str().to_lowercase());
        catalogue
    }

    /// The catalogue in no particular order: what `decide` and lookups by
    /// name need.
    pub(crate) fn catalogue_unsorted(&self) -> Catalogue<'_> {
        Catalogue {
            products: self
                .products
                .iter()
                .filter_map(|(id, entry)| CatalogueProduct::resolve(*id, entry, &self.log))
                .collect(),
        }
    }

    /// The catalogue product `name` means, whatever its case.
    pub fn catalogue_named(&self, name: &str) -> Option<CatalogueProduct<'_>> {
        self.catalogue_unsorted().named(name)
    }
}

impl<'a> IntoIterator for Catalogue<'a> {
    type Item = CatalogueProduct<'a>;
    type IntoIter = std::vec::IntoIter<CatalogueProduct<'a>>;
    fn into_iter(self) -> Self::IntoIter {
        self.products.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_documentation_link_is_an_absolute_web_address() {
        assert!(DocsLink::parse("https://docs.example.com/payments").is_ok());
        assert_eq!(DocsLink::parse_optional("  "), Ok(None));
        for bad in [
            "docs.example.com",
            "ftp://example.com/x",
            "javascript:alert(1)",
            "https://",
        ] {
            assert_eq!(
                DocsLink::parse(bad).map_err(|e| e.code()),
                Err("documentation_link_invalid"),
                "{bad}"
            );
        }
    }

    #[test]
    fn names_that_differ_in_case_or_spacing_are_one_product() {
        assert!(same_name("Payments API", "  payments   api "));
        assert!(!same_name("Payments", "Payments API"));
    }
}
