//! The figures a product owner compares between two dates: how many
//! applications, on which plan, how many worth an offer, how many products
//! in use, removed, how the surveys went, and how offers were taken up.

use crate::offer::OfferAnswer;
use crate::portal::Portal;
use crate::time_machine::TimeMachine;
use crate::values::Plan;
use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyFigures {
    pub live_apps: usize,
    pub free_apps: usize,
    pub paid_apps: usize,
    pub upsell_targets: usize,
    /// Products at least one live application uses.
    pub products_in_use: usize,
    /// Products taken off applications, ever.
    pub removals: u32,
    pub surveys_sent: u32,
    pub surveys_answered: u32,
    /// Offers of campaigns made, and taken up, ever.
    pub offers_made: usize,
    pub offers_taken_up: usize,
}

impl Portal {
    /// The key figures of this state, `at` being its time (for upsell).
    pub fn key_figures(&self, at: DateTime<Utc>) -> KeyFigures {
        let mut figures = KeyFigures {
            upsell_targets: self.upsell_targets_at(at).len(),
            products_in_use: self.adoption().apps_per_product().len(),
            removals: self.adoption().products().iter().map(|p| p.removed).sum(),
            surveys_sent: self.funnel().sent,
            surveys_answered: self.funnel().answered,
            ..KeyFigures::default()
        };
        for app in self.apps() {
            for offer in app.entry.offers.iter() {
                figures.offers_made += 1;
                if matches!(offer.answer, Some((OfferAnswer::TakenUp, _))) {
                    figures.offers_taken_up += 1;
                }
            }
            if app.is_deleted() {
                continue;
            }
            figures.live_apps += 1;
            match app.record.plan {
                Plan::Free => figures.free_apps += 1,
                Plan::Paid => figures.paid_apps += 1,
            }
        }
        figures
    }
}

impl TimeMachine {
    /// How many events the log held at `t`, by the portal's clock (which
    /// follows the log: an event stamped earlier than one before it counts
    /// as happening with it). The state at the answer is the portal as it
    /// was at `t`.
    pub fn position_at(&self, t: DateTime<Utc>) -> usize {
        let mut clock: Option<DateTime<Utc>> = None;
        for (p, envelope) in self.log().range(0, self.len()) {
            let now = clock.map_or(envelope.occurred_at, |c| c.max(envelope.occurred_at));
            if now > t {
                return p;
            }
            clock = Some(now);
        }
        self.len()
    }
}
