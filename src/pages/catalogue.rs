//! The API product catalogue as product owners keep it: every product with
//! what it is, the plans it is on and whether it is retired; a form that
//! adds one; and, on a product's page, its description, changed or retired
//! there. Developers see the same words, and pick from it when they add a
//! product to an application.

use crate::browser;
use crate::ledger::use_ledger;
use crate::pages::products::product_href;
use crate::pages::{why_not, Outcome, Refusals};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use portal_domain::{
    same_name, Action, CatalogueProduct, DocsLink, Plan, Portal, ProductDescription, ProductId,
    ProductName, Text,
};

/// A catalogue product as its row and its page show it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub id: ProductId,
    pub name: String,
    pub summary: String,
    pub documentation: Option<String>,
    pub plans: Vec<Plan>,
    /// The day it was retired, if it was.
    pub retired: Option<String>,
    /// Applications using it now.
    pub apps: u32,
}

impl Entry {
    fn of(portal: &Portal, p: CatalogueProduct<'_>) -> Self {
        let d = &p.record.description;
        Self {
            id: p.id,
            name: d.name.to_string(),
            summary: d.summary.to_string(),
            documentation: d.documentation.as_ref().map(ToString::to_string),
            plans: d.plans.clone(),
            retired: p.record.retired_at.map(|t| t.date_naive().to_string()),
            // Names added before the catalogue held the product count too,
            // whatever their case.
            apps: portal
                .adoption()
                .products()
                .into_iter()
                .filter(|summary| same_name(summary.product.as_str(), d.name.as_str()))
                .map(|summary| summary.apps)
                .sum(),
        }
    }

    pub fn plans_label(&self) -> String {
        match self.plans.as_slice() {
            [Plan::Free, Plan::Paid] => "free and paid plans".to_owned(),
            [plan] => format!("{} plan only", plan.label()),
            _ => "no plan".to_owned(),
        }
    }
}

/// Every catalogue product at the slider's position, by name.
pub fn entries(portal: &Portal) -> Vec<Entry> {
    portal
        .catalogue()
        .into_iter()
        .map(|p| Entry::of(portal, p))
        .collect()
}

/// The catalogue product `name` means, whatever its case.
pub fn entry_named(portal: &Portal, name: &str) -> Option<Entry> {
    portal.catalogue_named(name).map(|p| Entry::of(portal, p))
}

/// Whether the signed-in person keeps the catalogue, and if not, why.
fn why_not_keep() -> Signal<Option<&'static str>> {
    why_not(
        portal_domain::may_keep_catalogue,
        Refusals {
            signed_out: "Signed out: product owners and admins keep the catalogue.",
            role: "The catalogue is kept by product owners and admins.",
            in_the_past: "The slider is in the past: move it to now to change the catalogue.",
        },
    )
}

/// The catalogue's table, and the form that adds a product to it.
#[component]
pub fn Catalogue() -> impl IntoView {
    let ledger = use_ledger();
    let rows = Memo::new(move |_| ledger.with_state(|p, _| entries(p)).unwrap_or_default());
    let why_not = why_not_keep();
    view! {
        <section class="catalogue" aria-labelledby="catalogue-heading">
            <h2 id="catalogue-heading">"Catalogue"</h2>
            {move || {
                let rows = rows.get();
                if rows.is_empty() {
                    return view! {
                        <p class="empty">
                            "The catalogue is empty: developers name products freely. Add the products you offer, so that everyone picks the same ones."
                        </p>
                    }
                    .into_any();
                }
                view! {
                    <table class="catalogue-table">
                        <thead>
                            <tr>
                                <th scope="col">"API product"</th>
                                <th scope="col">"What it is"</th>
                                <th scope="col">"Offered on"</th>
                                <th scope="col">"Applications using it"</th>
                                <th scope="col">"Status"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows
                                .into_iter()
                                .map(|r| {
                                    let plans = r.plans_label();
                                    let status = r
                                        .retired
                                        .clone()
                                        .map_or_else(|| "offered".to_owned(), |d| format!("retired {d}"));
                                    view! {
                                        <tr class:retired=r.retired.is_some()>
                                            <td><A href=product_href(&r.name)>{r.name}</A></td>
                                            <td>{r.summary}</td>
                                            <td>{plans}</td>
                                            <td>{r.apps}</td>
                                            <td>{status}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
            {move || match why_not.get() {
                Some(why) => view! { <p class="read-only" role="note">{why}</p> }.into_any(),
                None => view! { <ProductForm existing=None /> }.into_any(),
            }}
        </section>
    }
}

/// What the form holds, as typed.
#[derive(Clone, Copy)]
struct Draft {
    name: RwSignal<String>,
    summary: RwSignal<String>,
    documentation: RwSignal<String>,
    free: RwSignal<bool>,
    paid: RwSignal<bool>,
}

impl Draft {
    fn of(existing: Option<&Entry>) -> Self {
        Self {
            name: RwSignal::new(existing.map(|e| e.name.clone()).unwrap_or_default()),
            summary: RwSignal::new(existing.map(|e| e.summary.clone()).unwrap_or_default()),
            documentation: RwSignal::new(
                existing
                    .and_then(|e| e.documentation.clone())
                    .unwrap_or_default(),
            ),
            free: RwSignal::new(existing.is_none_or(|e| e.plans.contains(&Plan::Free))),
            paid: RwSignal::new(existing.is_none_or(|e| e.plans.contains(&Plan::Paid))),
        }
    }

    fn description(&self) -> Result<ProductDescription, String> {
        let plans: Vec<Plan> = [
            (self.free.get_untracked(), Plan::Free),
            (self.paid.get_untracked(), Plan::Paid),
        ]
        .into_iter()
        .filter_map(|(on, plan)| on.then_some(plan))
        .collect();
        Ok(ProductDescription {
            name: ProductName::parse(&self.name.get_untracked()).map_err(|e| e.to_string())?,
            summary: Text::parse("summary", &self.summary.get_untracked())
                .map_err(|e| e.to_string())?,
            documentation: DocsLink::parse_optional(&self.documentation.get_untracked())
                .map_err(|e| e.to_string())?,
            plans,
        })
    }
}

/// Adds a product to the catalogue (`existing` is `None`), or changes what
/// it says of one.
#[component]
fn ProductForm(existing: Option<Entry>) -> impl IntoView {
    let ledger = use_ledger();
    let draft = Draft::of(existing.as_ref());
    let message = RwSignal::new(None::<Result<String, String>>);
    let id = existing.as_ref().map(|e| e.id);
    let (heading, submit_label) = match &existing {
        None => ("Add a product to the catalogue", "Add to the catalogue"),
        Some(_) => ("Describe it", "Save the description"),
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let description = match draft.description() {
            Ok(d) => d,
            Err(why) => return message.set(Some(Err(why))),
        };
        let name = description.name.to_string();
        let action = match id {
            None => Action::CreateApiProduct {
                product_id: ProductId(browser::new_uuid()),
                description,
            },
            Some(product_id) => Action::DescribeApiProduct {
                product_id,
                description,
            },
        };
        spawn_local(async move {
            match ledger.execute(action).await {
                Ok(()) => {
                    message.set(Some(Ok(match id {
                        None => format!("Added {name} to the catalogue."),
                        Some(_) => format!("Saved what the catalogue says of {name}."),
                    })));
                    if id.is_none() {
                        draft.name.set(String::new());
                        draft.summary.set(String::new());
                        draft.documentation.set(String::new());
                    }
                }
                Err(why) => message.set(Some(Err(why.to_string()))),
            }
        });
    };
    view! {
        <form class="product-form" on:submit=submit aria-label=heading>
            <h3>{heading}</h3>
            <label>
                "Product name"
                <input
                    aria-label="Product name"
                    required
                    prop:value=move || draft.name.get()
                    on:input=move |ev| draft.name.set(event_target_value(&ev))
                />
            </label>
            <label>
                "Summary"
                <input
                    aria-label="Summary"
                    placeholder="What it does, in a sentence"
                    prop:value=move || draft.summary.get()
                    on:input=move |ev| draft.summary.set(event_target_value(&ev))
                />
            </label>
            <label>
                "Documentation link"
                <input
                    aria-label="Documentation link"
                    type="url"
                    placeholder="https://docs.example.com/payments"
                    prop:value=move || draft.documentation.get()
                    on:input=move |ev| draft.documentation.set(event_target_value(&ev))
                />
            </label>
            <fieldset>
                <legend>"Offered on"</legend>
                {[(Plan::Free, draft.free), (Plan::Paid, draft.paid)]
                    .into_iter()
                    .map(|(plan, on)| {
                        view! {
                            <label>
                                <input
                                    type="checkbox"
                                    aria-label=format!("Offered on the {} plan", plan.label())
                                    prop:checked=move || on.get()
                                    on:change=move |ev| on.set(event_target_checked(&ev))
                                />
                                {format!("the {} plan", plan.label())}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <button type="submit">{submit_label}</button>
            <Outcome message=message />
        </form>
    }
}

/// What the catalogue says of one product, on its page: or that it is not
/// in the catalogue. Product owners describe or retire it here.
#[component]
pub fn CatalogueCard(entry: Signal<Option<Entry>>, name: Signal<String>) -> impl IntoView {
    let ledger = use_ledger();
    let why_not = why_not_keep();
    let message = RwSignal::new(None::<Result<String, String>>);
    let confirming = RwSignal::new(false);
    let retire = move |product_id: ProductId, name: String| {
        spawn_local(async move {
            match ledger
                .execute(Action::RetireApiProduct { product_id })
                .await
            {
                Ok(()) => message.set(Some(Ok(format!(
                    "Retired {name}: no application can add it any more."
                )))),
                Err(why) => message.set(Some(Err(why.to_string()))),
            }
        });
    };
    view! {
        <section class="catalogue-card" aria-label="In the catalogue">
            {move || match entry.get() {
                None => view! {
                    <p class="note" role="note">
                        {format!(
                            "{} is not in the catalogue: applications named it freely.",
                            name.get()
                        )}
                    </p>
                }
                .into_any(),
                Some(e) => {
                    let status = match &e.retired {
                        Some(day) => format!("Retired on {day}: it can no longer be added."),
                        None => format!("Offered on the {}.", e.plans_label()),
                    };
                    let summary = (!e.summary.is_empty()).then(|| e.summary.clone());
                    let docs = e.documentation.clone();
                    let live = e.retired.is_none() && why_not.get().is_none();
                    let (id, product) = (e.id, e.name.clone());
                    let retire_label = format!("Retire {product}");
                    let question = format!(
                        "Retire {product}? No application will be able to add it again; those that have it keep it until they remove it."
                    );
                    view! {
                        {summary.map(|s| view! { <p class="summary-text">{s}</p> })}
                        <p class:retired=e.retired.is_some()>{status}</p>
                        {docs.map(|d| view! {
                            <p><a href=d.clone() rel="noopener" target="_blank">"Documentation"</a></p>
                        })}
                        <Show when=move || live && !confirming.get()>
                            <button type="button" on:click=move |_| confirming.set(true)>
                                {retire_label.clone()}
                            </button>
                        </Show>
                        <Show when=move || live && confirming.get()>
                            <p role="alert" class="confirm">
                                {question.clone()}
                                " "
                                <button
                                    type="button"
                                    on:click={
                                        let product = product.clone();
                                        move |_| {
                                            confirming.set(false);
                                            retire(id, product.clone());
                                        }
                                    }
                                >
                                    "Confirm retirement"
                                </button>
                                " "
                                <button type="button" on:click=move |_| confirming.set(false)>
                                    "Keep it"
                                </button>
                            </p>
                        </Show>
                        {live.then(|| view! {
                            <details class="describe">
                                <summary>"Change the description"</summary>
                                <ProductForm existing=Some(e.clone()) />
                            </details>
                        })}
                    }
                    .into_any()
                }
            }}
            <Outcome message=message />
        </section>
    }
}
