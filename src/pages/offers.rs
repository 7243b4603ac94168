//! The offers made to one application, on its page: the open ones with what
//! they promise and a way to take them up or decline them, and how earlier
//! ones were answered.

use crate::dates;
use crate::ledger::use_ledger;
use crate::pages::names;
use crate::pages::products::product_href;
use crate::sync::use_sync;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use portal_domain::{Action, AppId, CampaignId};

#[derive(Clone, PartialEq)]
struct OfferShown {
    campaign_id: CampaignId,
    product: String,
    plan: &'static str,
    terms: String,
    by: String,
    made: String,
    ends: String,
    open: bool,
    answer: Option<String>,
}

#[component]
pub fn AppOffers(id: AppId, live: bool, error: RwSignal<Option<String>>) -> impl IntoView {
    let ledger = use_ledger();
    let people = use_sync().people;
    let offers = Memo::new(move |_| {
        let people = people.read();
        ledger
            .with_state(|portal, at| {
                let app = portal.app(id)?;
                Some(
                    app.offers()
                        .rev()
                        .map(|o| OfferShown {
                            campaign_id: o.offer.campaign_id,
                            product: o.offer.product.to_string(),
                            plan: o.offer.plan.label(),
                            terms: o.offer.terms.to_string(),
                            by: names::actor(o.by, &people),
                            made: dates::day(o.made_at),
                            ends: dates::day(o.offer.ends_at),
                            open: o.is_open_at(at),
                            answer: o
                                .answer
                                .map(|(a, at)| format!("{} {}", a.label(), dates::day(at))),
                        })
                        .collect::<Vec<_>>(),
                )
            })
            .flatten()
            .unwrap_or_default()
    });
    let answer = move |action: Action| {
        spawn_local(async move {
            match ledger.execute(action).await {
                Ok(()) => error.set(None),
                Err(why) => error.set(Some(why.to_string())),
            }
        });
    };
    move || {
        let offers = offers.get();
        (!offers.is_empty()).then(|| {
            view! {
                <section class="offers" aria-labelledby="offers-heading">
                    <h3 id="offers-heading">"Offers"</h3>
                    <ul>
                        {offers
                            .into_iter()
                            .map(|o| {
                                let campaign_id = o.campaign_id;
                                let state = match (&o.answer, o.open) {
                                    (Some(answer), _) => answer.clone(),
                                    (None, true) => format!("open until {}", o.ends),
                                    (None, false) => format!("ended {} unanswered", o.ends),
                                };
                                let take = format!("Take up the offer of {}", o.product);
                                let decline = format!("Decline the offer of {}", o.product);
                                view! {
                                    <li class="offer" class:open=o.open>
                                        <p>
                                            <strong>{o.terms}</strong>
                                            " · "
                                            <A href=product_href(&o.product)>{o.product.clone()}</A>
                                            {format!(" on the {} plan", o.plan)}
                                        </p>
                                        <p class="meta">
                                            {format!("Offered by {} on {} · {state}", o.by, o.made)}
                                        </p>
                                        <Show when=move || live && o.open>
                                            <button
                                                type="button"
                                                aria-label=take.clone()
                                                on:click=move |_| {
                                                    answer(Action::TakeUpOffer { app_id: id, campaign_id })
                                                }
                                            >
                                                "Take up"
                                            </button>
                                            <button
                                                type="button"
                                                aria-label=decline.clone()
                                                on:click=move |_| {
                                                    answer(Action::DeclineOffer { app_id: id, campaign_id })
                                                }
                                            >
                                                "Decline"
                                            </button>
                                        </Show>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </section>
            }
        })
    }
}
