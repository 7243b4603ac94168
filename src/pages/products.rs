//! The API products, as a product owner asks about them: the catalogue,
//! every product with its users, adds and removals, and one product's page
//! (what the catalogue says of it, who uses it now, adds and removals over
//! time, the reasons given, what surveys about it were answered), all as of
//! the slider's position.

use crate::ledger::use_ledger;
use crate::pages::analytics::{by_month, comments};
use crate::pages::catalogue::{entry_named, Catalogue, CatalogueCard};
use crate::pages::names;
use crate::pages::report::{Bar, BarChart, Report, ReportTable};
use crate::sync::use_sync;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use portal_domain::{AppQuery, AppStatus, Portal, ProductName};

/// Where a product's page is: its name, encoded for a path.
pub fn product_href(product: &str) -> String {
    format!(
        "/products/{}",
        String::from(js_sys::encode_uri_component(product))
    )
}

fn average(portal: &Portal, product: &ProductName) -> Option<f64> {
    portal
        .funnel()
        .answers_by_product()
        .into_iter()
        .find(|(p, _)| *p == product)
        .and_then(|(_, a)| a.average_rating())
}

#[derive(Clone, PartialEq)]
struct ProductRow {
    name: String,
    /// Whether the catalogue holds it: "offered", "retired" or "not listed".
    listed: &'static str,
    apps: u32,
    added: u32,
    removed: u32,
    rating: Option<f64>,
}

#[component]
pub fn ProductsPage() -> impl IntoView {
    let ledger = use_ledger();
    let rows = Memo::new(move |_| {
        ledger
            .with_state(|portal, _| {
                let catalogue = portal.catalogue();
                portal
                    .adoption()
                    .products()
                    .into_iter()
                    .map(|p| ProductRow {
                        name: p.product.to_string(),
                        listed: match catalogue.named(p.product.as_str()) {
                            None => "not listed",
                            Some(c) if c.record.is_retired() => "retired",
                            Some(_) => "offered",
                        },
                        apps: p.apps,
                        added: p.added,
                        removed: p.removed,
                        rating: average(portal, p.product),
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    view! {
        <Catalogue />
        <section class="products" aria-labelledby="products-heading">
            <h2 id="products-heading">"API products in use"</h2>
            {move || {
                let rows = rows.get();
                if rows.is_empty() {
                    return view! {
                        <p class="empty">
                            "No application has an API product yet. Add one on an application's page."
                        </p>
                    }
                    .into_any();
                }
                view! {
                    <table>
                        <thead>
                            <tr>
                                <th scope="col">"API product"</th>
                                <th scope="col">"In the catalogue"</th>
                                <th scope="col">"Applications using it"</th>
                                <th scope="col">"Added"</th>
                                <th scope="col">"Removed"</th>
                                <th scope="col">"Average survey rating"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows
                                .into_iter()
                                .map(|r| {
                                    view! {
                                        <tr>
                                            <td><A href=product_href(&r.name)>{r.name}</A></td>
                                            <td>{r.listed}</td>
                                            <td>{r.apps}</td>
                                            <td>{r.added}</td>
                                            <td>{r.removed}</td>
                                            <td>{r.rating.map_or_else(|| "no answer yet".to_owned(), |r| format!("{r:.1} of 5"))}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </section>
    }
}

/// Everything one product's page shows.
#[derive(Clone, Default, PartialEq)]
struct ProductView {
    known: bool,
    apps: u32,
    added: u32,
    removed: u32,
    rating: Option<f64>,
    users: Vec<(String, String, String, &'static str)>,
    months: Vec<Bar>,
    reasons: Vec<(String, u32)>,
    comments: Report,
}

fn product_view(
    portal: &Portal,
    product: &ProductName,
    people: &[crate::sync::people::Colleague],
) -> ProductView {
    let Some(summary) = portal.adoption().product(product) else {
        return ProductView::default();
    };
    let users = portal
        .applications(&AppQuery {
            product: Some(product.clone()),
            status: Some(AppStatus::Active),
            ..AppQuery::default()
        })
        .into_iter()
        .map(|a| {
            (
                a.id().0.to_string(),
                a.record.name.to_string(),
                names::person(a.record.owner.as_str(), people),
                a.record.plan.label(),
            )
        })
        .collect();
    ProductView {
        known: true,
        apps: summary.apps,
        added: summary.added,
        removed: summary.removed,
        rating: average(portal, product),
        users,
        months: by_month(portal.adoption().daily_of(product).into_iter()),
        reasons: portal
            .adoption()
            .removals_of(product)
            .into_iter()
            .map(|(r, n)| {
                (
                    r.map_or_else(
                        || "No reason given".to_owned(),
                        |r| format!("\u{201c}{r}\u{201d}"),
                    ),
                    n,
                )
            })
            .collect(),
        comments: comments(portal, Some(product)),
    }
}

fn times(n: u32) -> String {
    match n {
        0 => "never".to_owned(),
        1 => "once".to_owned(),
        2 => "twice".to_owned(),
        n => format!("{n} times"),
    }
}

#[component]
pub fn ProductPage() -> impl IntoView {
    let ledger = use_ledger();
    let sync = use_sync();
    sync.refresh_people();
    let people = sync.people;
    let params = use_params_map();
    let name = Memo::new(move |_| {
        params.with(|p| {
            let raw = p.get("name").unwrap_or_default();
            js_sys::decode_uri_component(&raw)
                .map(String::from)
                .unwrap_or(raw)
        })
    });
    let product = Memo::new(move |_| ProductName::parse(&name.get()).ok());
    let shown = Memo::new(move |_| {
        let people = people.read();
        product.with(|product| {
            product
                .as_ref()
                .and_then(|p| ledger.with_state(|portal, _| product_view(portal, p, &people)))
                .unwrap_or_default()
        })
    });
    let entry = Memo::new(move |_| {
        name.with(|n| {
            ledger
                .with_state(|portal, _| entry_named(portal, n))
                .flatten()
        })
    });
    let timeline = move || {
        format!(
            "/timeline?product={}",
            String::from(js_sys::encode_uri_component(&name.get()))
        )
    };
    view! {
        <section class="product" aria-labelledby="product-heading">
            <p><A href="/products">"All API products"</A></p>
            <h2 id="product-heading">{move || name.get()}</h2>
            <CatalogueCard entry=entry.into() name=name.into() />
            {move || {
                let v = shown.get();
                if !v.known {
                    return view! {
                        <p class="empty">
                            {format!("No application has used \u{201c}{}\u{201d} up to this point of the log.", name.get())}
                        </p>
                    }
                    .into_any();
                }
                let rating = v.rating.map_or_else(
                    || "no survey about it answered".to_owned(),
                    |r| format!("rated {r:.1} of 5 in surveys"),
                );
                let users = match v.apps {
                    1 => "Used by 1 application now".to_owned(),
                    n => format!("Used by {n} applications now"),
                };
                view! {
                    <p class="summary" role="status">
                        {format!(
                            "{users} · added {} · removed {} · {rating}",
                            times(v.added),
                            times(v.removed),
                        )}
                    </p>
                    <p><A href=timeline()>"Every event about it in the timeline"</A></p>
                    <h3>"Applications using it"</h3>
                    {if v.users.is_empty() {
                        view! { <p class="empty">"No application uses it now."</p> }.into_any()
                    } else {
                        view! {
                            <table aria-label="Applications using it">
                                <thead>
                                    <tr>
                                        <th scope="col">"Application"</th>
                                        <th scope="col">"Owner"</th>
                                        <th scope="col">"Plan"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {v.users
                                        .into_iter()
                                        .map(|(id, app, owner, plan)| {
                                            view! {
                                                <tr>
                                                    <td><A href=format!("/applications/{id}")>{app}</A></td>
                                                    <td>{owner}</td>
                                                    <td>{plan}</td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        }
                        .into_any()
                    }}
                    <h3>"Removals, and why"</h3>
                    {if v.reasons.is_empty() {
                        view! { <p class="empty">"It has never been removed from an application."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="reasons" aria-label="Reasons given for removing it">
                                {v.reasons
                                    .into_iter()
                                    .map(|(why, n)| view! { <li>{format!("{why}: {n}")}</li> })
                                    .collect_view()}
                            </ul>
                        }
                        .into_any()
                    }}
                }
                .into_any()
            }}
            <BarChart
                label="Adds and removals per month"
                series=vec!["added", "removed"]
                bars=Signal::derive(move || shown.with(|v| v.months.clone()))
            />
            <ReportTable
                title="What survey answers said about it"
                file="product-comments.csv"
                report=Signal::derive(move || shown.with(|v| v.comments.clone()))
                empty="No answer about it has a comment yet."
            />
        </section>
    }
}
