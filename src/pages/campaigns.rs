//! Offer campaigns, as a product owner runs them: choose upsell targets,
//! offer them a product on the paid plan on terms until a day, and read how
//! every campaign was answered, as of the slider's position.

use crate::browser;
use crate::dates;
use crate::ledger::use_ledger;
use crate::pages::names;
use crate::pages::products::product_href;
use crate::pages::{why_not, Refusals};
use crate::sync::people::Colleague;
use crate::sync::use_sync;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use portal_domain::projections::upsell::UPSELL_AFTER;
use portal_domain::{
    Action, AppId, CampaignId, CampaignTally, Offer, OfferAnswer, Plan, Portal, ProductName, Text,
};

/// How long a new campaign's offers stand, unless the form says otherwise.
const DEFAULT_DAYS: i64 = 30;

#[derive(Clone, PartialEq)]
struct Target {
    id: AppId,
    name: String,
    owner: String,
    free_days: i64,
    /// The products of the offers it has open, so it is not offered twice.
    open_offers: Vec<String>,
}

#[derive(Clone, PartialEq)]
struct OfferRow {
    app: AppId,
    app_name: String,
    owner: String,
    answer: String,
}

#[derive(Clone, PartialEq)]
struct CampaignView {
    product: String,
    terms: String,
    by: String,
    started: String,
    ends: String,
    tally: CampaignTally,
    offers: Vec<OfferRow>,
}

fn targets(portal: &Portal, at: DateTime<Utc>, people: &[Colleague]) -> Vec<Target> {
    portal
        .upsell_targets_at(at)
        .into_iter()
        .map(|t| Target {
            id: t.app.id(),
            name: t.app.record.name.to_string(),
            owner: names::person(t.app.record.owner.as_str(), people),
            free_days: t.free_for.num_days(),
            open_offers: t
                .app
                .offers()
                .filter(|o| o.is_open_at(at))
                .map(|o| o.offer.product.to_string())
                .collect(),
        })
        .collect()
}

fn answer_of(answer: Option<(OfferAnswer, DateTime<Utc>)>, open: bool) -> String {
    match answer {
        Some((answer, at)) => format!("{} {}", answer.label(), dates::day(at)),
        None if open => "open".to_owned(),
        None => "lapsed".to_owned(),
    }
}

fn campaigns(portal: &Portal, at: DateTime<Utc>, people: &[Colleague]) -> Vec<CampaignView> {
    let name_of = |id: AppId| {
        portal
            .app(id)
            .map_or_else(|| id.to_string(), |a| a.record.name.to_string())
    };
    portal
        .campaigns()
        .into_iter()
        .map(|c| CampaignView {
            product: c.offer().product.to_string(),
            terms: c.offer().terms.to_string(),
            by: names::actor(c.started_by(), people),
            started: dates::day(c.started_at()),
            ends: dates::day(c.offer().ends_at),
            tally: c.tally_at(at),
            offers: c
                .offers
                .iter()
                .map(|o| OfferRow {
                    app: o.app_id,
                    app_name: name_of(o.app_id),
                    owner: names::person(o.made_to.as_str(), people),
                    answer: answer_of(o.answer, o.is_open_at(at)),
                })
                .collect(),
        })
        .collect()
}

/// "3 of 8 (38 %)".
fn share(part: usize, whole: usize) -> String {
    match whole {
        0 => "0".to_owned(),
        _ => format!(
            "{part} of {whole} ({:.0} %)",
            part as f64 * 100.0 / whole as f64
        ),
    }
}

#[component]
pub fn CampaignsPage() -> impl IntoView {
    let ledger = use_ledger();
    let sync = use_sync();
    sync.refresh_people();
    let people = sync.people;
    let shown = Memo::new(move |_| {
        let people = people.read();
        ledger
            .with_state(|portal, at| (targets(portal, at, &people), campaigns(portal, at, &people)))
            .unwrap_or_default()
    });
    let targets = Memo::new(move |_| shown.with(|s| s.0.clone()));
    let why_not = why_not(
        portal_domain::may_offer,
        Refusals {
            signed_out: "Signed out: sign in as a product owner or an admin to make offers.",
            role: "Offers are made by product owners and admins.",
            in_the_past: "The slider is in the past: move it to now to make offers.",
        },
    );
    view! {
        <section class="campaigns" aria-labelledby="campaigns-heading">
            <h2 id="campaigns-heading">"Offer campaigns"</h2>
            <p class="lede">
                {format!(
                    "Offer applications on the free plan for more than {} days a product on the paid plan. Each application's owner sees the offer on its page and takes it up or declines it.",
                    UPSELL_AFTER.num_days(),
                )}
            </p>
            <CampaignList campaigns=Signal::derive(move || shown.with(|s| s.1.clone())) />
            {move || match why_not.get() {
                Some(why) => view! { <p class="read-only" role="note">{why}</p> }.into_any(),
                None => view! { <NewCampaign targets=targets /> }.into_any(),
            }}
        </section>
    }
}

/// The form that starts a campaign: one offer per application chosen.
#[component]
fn NewCampaign(targets: Memo<Vec<Target>>) -> impl IntoView {
    let ledger = use_ledger();
    let product = RwSignal::new(String::new());
    let terms = RwSignal::new(String::new());
    let today = browser::now().date_naive();
    let ends = RwSignal::new((today + Duration::days(DEFAULT_DAYS)).to_string());
    let chosen = RwSignal::new(Vec::<AppId>::new());
    let message = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    // The catalogue's products on the paid plan, then names in use that
    // the catalogue does not hold; never a retired one.
    let products = Memo::new(move |_| {
        ledger
            .with_state(|portal, _| {
                let catalogue = portal.catalogue();
                let offered = catalogue
                    .iter()
                    .filter(|p| !p.record.is_retired())
                    .filter(|p| p.record.description.plans.contains(&Plan::Paid))
                    .map(|p| p.record.name().to_string());
                let unlisted = portal
                    .adoption()
                    .products()
                    .into_iter()
                    .filter(|p| catalogue.named(p.product.as_str()).is_none())
                    .map(|p| p.product.to_string());
                offered.chain(unlisted).collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    let parsed = move || -> Result<(ProductName, Text, DateTime<Utc>), String> {
        let product = ProductName::parse(&product.get_untracked()).map_err(|e| e.to_string())?;
        let terms = Text::parse("terms", &terms.get_untracked()).map_err(|e| e.to_string())?;
        if terms.as_str().is_empty() {
            return Err("Say what the offer promises in its terms.".to_owned());
        }
        let day = ends
            .get_untracked()
            .parse::<NaiveDate>()
            .map_err(|_| "Pick the day the offer ends.".to_owned())?;
        let ends_at = day
            .and_hms_opt(23, 59, 59)
            .map(|t| t.and_utc())
            .ok_or_else(|| "Pick the day the offer ends.".to_owned())?;
        if ends_at <= browser::now() {
            return Err("The offer must end after today.".to_owned());
        }
        Ok((product, terms, ends_at))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let apps = chosen.get_untracked();
        let (product, terms, ends_at) = match parsed() {
            Ok(parts) => parts,
            Err(why) => {
                message.set(Some(Err(why)));
                return;
            }
        };
        let offer = Offer {
            campaign_id: CampaignId(browser::new_uuid()),
            product,
            plan: Plan::Paid,
            terms,
            ends_at,
        };
        busy.set(true);
        spawn_local(async move {
            let mut made = 0;
            let mut refused = Vec::new();
            for app_id in apps {
                let action = Action::MakeOffer {
                    app_id,
                    offer: offer.clone(),
                };
                match ledger.execute(action).await {
                    Ok(()) => made += 1,
                    Err(why) => refused.push(why.to_string()),
                }
            }
            busy.set(false);
            chosen.set(Vec::new());
            message.set(Some(match refused.first() {
                None => Ok(format!(
                    "Made {made} offer{} of {}.",
                    if made == 1 { "" } else { "s" },
                    offer.product
                )),
                Some(why) => Err(format!(
                    "Made {made} offers; {} refused: {why}",
                    refused.len()
                )),
            }));
        });
    };
    let toggle = move |id: AppId, on: bool| {
        chosen.update(|c| {
            c.retain(|x| *x != id);
            if on {
                c.push(id);
            }
        })
    };
    view! {
        <form class="new-campaign" on:submit=submit aria-labelledby="new-campaign-heading">
            <h3 id="new-campaign-heading">"Start a campaign"</h3>
            <label>
                "API product"
                <input
                    aria-label="API product"
                    list="campaign-products"
                    required
                    prop:value=move || product.get()
                    on:input=move |ev| product.set(event_target_value(&ev))
                />
            </label>
            <datalist id="campaign-products">
                {move || {
                    products
                        .get()
                        .into_iter()
                        .map(|p| view! { <option value=p></option> })
                        .collect_view()
                }}
            </datalist>
            <label>
                "Terms of the offer"
                <input
                    aria-label="Terms of the offer"
                    required
                    placeholder="Three months on the paid plan at half price"
                    prop:value=move || terms.get()
                    on:input=move |ev| terms.set(event_target_value(&ev))
                />
            </label>
            <label>
                "Offer ends"
                <input
                    aria-label="Offer ends"
                    type="date"
                    required
                    prop:value=move || ends.get()
                    on:input=move |ev| ends.set(event_target_value(&ev))
                />
            </label>
            <fieldset>
                <legend>"Upsell targets to offer it to"</legend>
                {move || {
                    let targets = targets.get();
                    if targets.is_empty() {
                        return view! {
                            <p class="empty">"No application is an upsell target at this point."</p>
                        }
                            .into_any();
                    }
                    let all: Vec<AppId> = targets.iter().map(|t| t.id).collect();
                    view! {
                        <p class="choose-all">
                            <button type="button" on:click=move |_| chosen.set(all.clone())>
                                "Choose all"
                            </button>
                            <button type="button" on:click=move |_| chosen.set(Vec::new())>
                                "Choose none"
                            </button>
                        </p>
                        <ul class="targets">
                            {targets
                                .into_iter()
                                .map(|t| {
                                    let id = t.id;
                                    let label = format!("Offer to {}", t.name);
                                    view! {
                                        <li>
                                            <label>
                                                <input
                                                    aria-label=label
                                                    type="checkbox"
                                                    prop:checked=move || chosen.with(|c| c.contains(&id))
                                                    on:change=move |ev| toggle(id, event_target_checked(&ev))
                                                />
                                                <strong>{t.name}</strong>
                                                {format!(" · {} · free for {} days", t.owner, t.free_days)}
                                                {(!t.open_offers.is_empty())
                                                    .then(|| {
                                                        view! {
                                                            <span class="meta">
                                                                {format!(" · open offer of {}", t.open_offers.join(", "))}
                                                            </span>
                                                        }
                                                    })}
                                            </label>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }}
            </fieldset>
            <button type="submit" disabled=move || busy.get() || chosen.with(Vec::is_empty)>
                {move || match chosen.with(Vec::len) {
                    0 => "Make offers".to_owned(),
                    1 => "Make 1 offer".to_owned(),
                    n => format!("Make {n} offers"),
                }}
            </button>
            {move || {
                message
                    .get()
                    .map(|m| match m {
                        Ok(done) => view! { <p role="status">{done}</p> }.into_any(),
                        Err(why) => view! { <p role="alert" class="refused">{why}</p> }.into_any(),
                    })
            }}
        </form>
    }
}

#[component]
fn CampaignList(campaigns: Signal<Vec<CampaignView>>) -> impl IntoView {
    move || {
        let campaigns = campaigns.get();
        if campaigns.is_empty() {
            return view! { <p class="empty">"No campaign yet at this point of the log."</p> }
                .into_any();
        }
        view! {
            <h3>"Campaigns, the latest first"</h3>
            <table class="campaign-table">
                <thead>
                    <tr>
                        <th scope="col">"Started"</th>
                        <th scope="col">"API product"</th>
                        <th scope="col">"Terms"</th>
                        <th scope="col">"By"</th>
                        <th scope="col">"Ends"</th>
                        <th scope="col">"Offers"</th>
                        <th scope="col">"Taken up"</th>
                        <th scope="col">"Declined"</th>
                        <th scope="col">"Open"</th>
                        <th scope="col">"Lapsed"</th>
                    </tr>
                </thead>
                <tbody>
                    {campaigns
                        .clone()
                        .into_iter()
                        .map(|c| {
                            let t = c.tally;
                            view! {
                                <tr>
                                    <td class="date">{c.started}</td>
                                    <td>
                                        <A href=product_href(&c.product)>{c.product.clone()}</A>
                                    </td>
                                    <td>{c.terms}</td>
                                    <td>{c.by}</td>
                                    <td class="date">{c.ends}</td>
                                    <td class="number">{t.made}</td>
                                    <td class="number">{share(t.taken_up, t.made)}</td>
                                    <td class="number">{t.declined}</td>
                                    <td class="number">{t.open}</td>
                                    <td class="number">{t.lapsed}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            {campaigns
                .into_iter()
                .map(|c| {
                    let summary = format!(
                        "{} offer{} of {}, started {}",
                        c.tally.made,
                        if c.tally.made == 1 { "" } else { "s" },
                        c.product,
                        c.started
                    );
                    view! {
                        <details class="campaign-offers">
                            <summary>{summary}</summary>
                            <ul>
                                {c
                                    .offers
                                    .into_iter()
                                    .map(|o| {
                                        view! {
                                            <li>
                                                <A href=format!("/applications/{}", o.app)>{o.app_name}</A>
                                                {format!(" · {} · {}", o.owner, o.answer)}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        </details>
                    }
                })
                .collect_view()}
        }
            .into_any()
    }
}
