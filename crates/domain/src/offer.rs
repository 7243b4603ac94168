//! Offer campaigns: a product owner offers applications on the free plan a
//! plan with a product, on terms, until a day; each application's owner
//! takes the offer up (which moves the plan) or declines it.

use crate::ids::CampaignId;
use crate::values::{Plan, ProductName, Text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What one offer proposes. Every offer of a campaign says the same.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Offer {
    pub campaign_id: CampaignId,
    /// The product the offer is about; taking it up adds the product to the
    /// application if it is not there yet.
    pub product: ProductName,
    /// The plan taking it up moves the application to.
    pub plan: Plan,
    /// What the customer is promised, in the product owner's words.
    pub terms: Text,
    /// After this, the offer can no longer be taken up.
    pub ends_at: DateTime<Utc>,
}

/// How an application answered an offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferAnswer {
    TakenUp,
    Declined,
}

impl OfferAnswer {
    pub fn label(self) -> &'static str {
        match self {
            OfferAnswer::TakenUp => "taken up",
            OfferAnswer::Declined => "declined",
        }
    }
}

impl std::fmt::Display for OfferAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}
