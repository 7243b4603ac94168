//! What changed between two positions, projection by projection.

use crate::envelope::Envelope;
use crate::event::EventType;
use crate::ids::{AppId, CredentialId, ProductId, SurveyId};
use crate::persistent::HashedMap;
use crate::portal::Portal;
use crate::values::ProductName;
use imbl::ordmap::DiffItem;
use std::collections::BTreeMap;
use std::hash::Hash;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change<Id> {
    Added(Id),
    Changed(Id),
    Removed(Id),
}

/// Differences from the state at `from` to the state at `to` (`to` may be
/// earlier than `from`, in which case everything reads backwards).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PortalDiff {
    pub from: u64,
    pub to: u64,
    pub applications: Vec<Change<AppId>>,
    pub credentials: Vec<Change<CredentialId>>,
    pub surveys: Vec<Change<SurveyId>>,
    /// Catalogue products created, described or retired (changed).
    pub catalogue: Vec<Change<ProductId>>,
    /// Live applications per product: (product, at `from`, at `to`).
    pub adoption: Vec<(ProductName, u32, u32)>,
    /// Surveys (added, sent, answered) at `from` and at `to`.
    pub funnel: ((u32, u32, u32), (u32, u32, u32)),
    /// Positions of the owner changes made between the two positions.
    pub owner_changes: Vec<u32>,
    /// How many events of each type lie between the two positions.
    pub events_by_type: BTreeMap<EventType, usize>,
}

/// The differences between two hash maps, by key. Shared maps compare in O(1).
fn hashed_diff<'a, K: Ord + Hash + Clone, V: PartialEq + Clone>(
    from: &'a HashedMap<K, V>,
    to: &'a HashedMap<K, V>,
) -> Vec<DiffItem<'a, 'a, K, V>> {
    if from.ptr_eq(to) {
        return Vec::new();
    }
    let mut items: Vec<_> = to
        .iter()
        .filter_map(|(k, new)| match from.get_key_value(k) {
            None => Some(DiffItem::Add(k, new)),
            Some((old_key, old)) if old != new => Some(DiffItem::Update {
                old: (old_key, old),
                new: (k, new),
            }),
            Some(_) => None,
        })
        .chain(
            from.iter()
                .filter(|(k, _)| !to.contains_key(*k))
                .map(|(k, v)| DiffItem::Remove(k, v)),
        )
        .collect();
    let key = |item: &DiffItem<'a, 'a, K, V>| -> &'a K {
        match *item {
            DiffItem::Add(k, _) | DiffItem::Remove(k, _) => k,
            DiffItem::Update { new: (k, _), .. } => k,
        }
    };
    items.sort_unstable_by(|a, b| key(a).cmp(key(b)));
    items
}

/// What was added, changed or removed from one map to the other, by key.
fn changes<K: Ord + Hash + Copy, V: PartialEq + Clone>(
    from: &HashedMap<K, V>,
    to: &HashedMap<K, V>,
) -> Vec<Change<K>> {
    hashed_diff(from, to)
        .into_iter()
        .map(|item| match item {
            DiffItem::Add(id, _) => Change::Added(*id),
            DiffItem::Remove(id, _) => Change::Removed(*id),
            DiffItem::Update { new, .. } => Change::Changed(*new.0),
        })
        .collect()
}

impl PortalDiff {
    pub fn between<'a>(
        from: &Portal,
        to: &Portal,
        events_between: impl IntoIterator<Item = &'a Envelope>,
    ) -> Self {
        let mut applications = Vec::new();
        let mut credentials = Vec::new();
        for item in hashed_diff(&from.apps, &to.apps) {
            match item {
                DiffItem::Add(id, app) => {
                    applications.push(Change::Added(*id));
                    credentials.extend(app.credentials.iter().map(|c| Change::Added(c.id)));
                }
                DiffItem::Remove(id, app) => {
                    applications.push(Change::Removed(*id));
                    credentials.extend(app.credentials.iter().map(|c| Change::Removed(c.id)));
                }
                DiffItem::Update { old, new } => {
                    let (old, (new_id, new)) = (old.1, new);
                    if old.record_at != new.record_at || old.lifecycle != new.lifecycle {
                        applications.push(Change::Changed(*new_id));
                    }
                    for c in new.credentials.iter() {
                        match old.credentials.iter().find(|o| o.id == c.id) {
                            None => credentials.push(Change::Added(c.id)),
                            Some(o) if o.record_at != c.record_at => {
                                credentials.push(Change::Changed(c.id))
                            }
                            Some(_) => {}
                        }
                    }
                    for c in old.credentials.iter() {
                        if !new.credentials.iter().any(|n| n.id == c.id) {
                            credentials.push(Change::Removed(c.id));
                        }
                    }
                }
            }
        }
        let surveys = changes(&from.surveys, &to.surveys);
        let catalogue = changes(&from.products, &to.products);
        let before: BTreeMap<&ProductName, u32> = from.adoption.counts().collect();
        let after: BTreeMap<&ProductName, u32> = to.adoption.counts().collect();
        let adoption = before
            .keys()
            .chain(after.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .filter_map(|p| {
                let (a, b) = (
                    before.get(p).copied().unwrap_or(0),
                    after.get(p).copied().unwrap_or(0),
                );
                (a != b).then(|| ((*p).clone(), a, b))
            })
            .collect();
        let (lo, hi) = if from.position <= to.position {
            (from, to)
        } else {
            (to, from)
        };
        let owner_changes = hi
            .owner_changes
            .iter()
            .skip(lo.owner_changes.len())
            .copied()
            .collect();
        let mut events_by_type = BTreeMap::new();
        for envelope in events_between {
            *events_by_type.entry(envelope.event_type()).or_default() += 1;
        }
        let counts = |p: &Portal| (p.funnel.added, p.funnel.sent, p.funnel.answered);
        Self {
            from: from.position,
            to: to.position,
            applications,
            credentials,
            surveys,
            catalogue,
            adoption,
            funnel: (counts(from), counts(to)),
            owner_changes,
            events_by_type,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.applications.is_empty()
            && self.credentials.is_empty()
            && self.surveys.is_empty()
            && self.catalogue.is_empty()
            && self.adoption.is_empty()
            && self.funnel.0 == self.funnel.1
            && self.owner_changes.is_empty()
            && self.events_by_type.is_empty()
    }
}
