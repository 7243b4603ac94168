//! Upsell targets: live applications on the free plan for more than 30 days.

use crate::portal::Portal;
use crate::state::App;
use crate::values::Plan;
use chrono::{DateTime, Duration, Utc};

/// How long on the free plan makes an application an upsell target.
pub const UPSELL_AFTER: Duration = Duration::days(30);

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UpsellTarget<'a> {
    pub app: App<'a>,
    pub free_for: Duration,
}

impl Portal {
    /// Targets as of `at`, longest on the free plan first.
    pub fn upsell_targets_at(&self, at: DateTime<Utc>) -> Vec<UpsellTarget<'_>> {
        let mut targets: Vec<_> = self
            .apps()
            .filter(|a| !a.is_deleted() && a.record.plan == Plan::Free)
            .map(|app| UpsellTarget {
                app,
                free_for: at - app.record.plan_since,
            })
            .filter(|t| t.free_for > UPSELL_AFTER)
            .collect();
        targets.sort_unstable_by_key(|t| (std::cmp::Reverse(t.free_for), t.app.id()));
        targets
    }
}
