//! Offer campaigns as their offers tell them: what was offered, to whom,
//! and how each application answered.

use crate::ids::CampaignId;
use crate::offer::{Offer, OfferAnswer};
use crate::portal::Portal;
use crate::state::AppOffer;
use crate::values::Actor;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// One campaign: its offers, in the order they were made.
#[derive(Clone, Debug, PartialEq)]
pub struct Campaign<'a> {
    pub offers: Vec<AppOffer<'a>>,
}

/// How a campaign's offers stand at a time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CampaignTally {
    pub made: usize,
    pub taken_up: usize,
    pub declined: usize,
    /// Neither answered nor ended.
    pub open: usize,
    /// Ended without an answer.
    pub lapsed: usize,
}

impl<'a> Campaign<'a> {
    fn first(&self) -> &AppOffer<'a> {
        &self.offers[0]
    }

    pub fn id(&self) -> CampaignId {
        self.first().offer.campaign_id
    }

    /// What it offers (every offer of a campaign says the same).
    pub fn offer(&self) -> &'a Offer {
        self.first().offer
    }

    pub fn started_at(&self) -> DateTime<Utc> {
        self.first().made_at
    }

    pub fn started_by(&self) -> &'a Actor {
        self.first().by
    }

    pub fn tally_at(&self, at: DateTime<Utc>) -> CampaignTally {
        let mut tally = CampaignTally {
            made: self.offers.len(),
            ..CampaignTally::default()
        };
        for offer in &self.offers {
            match offer.answer {
                Some((OfferAnswer::TakenUp, _)) => tally.taken_up += 1,
                Some((OfferAnswer::Declined, _)) => tally.declined += 1,
                None if offer.is_open_at(at) => tally.open += 1,
                None => tally.lapsed += 1,
            }
        }
        tally
    }
}

impl Portal {
    /// Every campaign, the latest started first.
    pub fn campaigns(&self) -> Vec<Campaign<'_>> {
        let mut by_id: HashMap<CampaignId, Campaign<'_>> = HashMap::new();
        for app in self.apps().filter(|a| !a.entry.offers.is_empty()) {
            for offer in app.offers() {
                by_id
                    .entry(offer.offer.campaign_id)
                    .or_insert_with(|| Campaign { offers: Vec::new() })
                    .offers
                    .push(offer);
            }
        }
        let mut campaigns: Vec<_> = by_id.into_values().collect();
        for campaign in &mut campaigns {
            campaign.offers.sort_by_key(|o| (o.made_at, o.app_id));
        }
        campaigns.sort_by_key(|c| (std::cmp::Reverse(c.started_at()), c.id()));
        campaigns
    }

    pub fn campaign(&self, id: CampaignId) -> Option<Campaign<'_>> {
        self.campaigns().into_iter().find(|c| c.id() == id)
    }
}
