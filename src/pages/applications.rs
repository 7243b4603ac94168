//! The applications list: search and filters kept in the URL, so a view
//! can be bookmarked, and, folded, the form that creates an application
//! (`new_application.rs`).

use crate::lazy;
use crate::ledger::use_ledger;
use crate::pages::QueryFilters;
use leptos::prelude::*;
use leptos_router::components::A;
use portal_domain::{AppId, AppQuery, AppStatus, NameOrder, Owner, Plan, ProductName};
use std::rc::Rc;

/// Applications drawn at first, and added by each "Show more".
const PAGE_ROWS: usize = 50;

/// How long the slider rests before the filters' choices follow it.
const CHOICES_SETTLE: std::time::Duration = std::time::Duration::from_millis(150);

/// The filters a URL can carry, and their query-string names.
const FILTERS: [&str; 5] = ["q", "owner", "product", "plan", "status"];

/// The query a URL's filters describe; unreadable values match everything.
pub fn query_of(get: impl Fn(&str) -> Option<String>) -> AppQuery {
    AppQuery {
        text: get("q").unwrap_or_default(),
        owner: get("owner").and_then(|o| Owner::parse(&o).ok()),
        product: get("product").and_then(|p| ProductName::parse(&p).ok()),
        plan: match get("plan").as_deref() {
            Some("free") => Some(Plan::Free),
            Some("paid") => Some(Plan::Paid),
            _ => None,
        },
        // Deleted applications are asked for; by default the list is of
        // the ones in use.
        status: match get("status").as_deref() {
            Some("deleted") => Some(AppStatus::Deleted),
            Some("any") => None,
            _ => Some(AppStatus::Active),
        },
    }
}

#[derive(Clone, PartialEq)]
struct Row {
    id: AppId,
    name: String,
    owner: String,
    plan: Plan,
    products: String,
    deleted: bool,
    /// Holds a change this device has not sent yet.
    unsent: bool,
}

#[component]
pub fn ApplicationsPage() -> impl IntoView {
    let ledger = use_ledger();
    let filters = QueryFilters::new("/applications", &FILTERS);
    let param = move |name: &str| filters.get(name);
    let set_param = move |name: &'static str, value: String| filters.set(name, value);
    // Pages of rows: a long list is drawn a page at a time, so that a slider
    // step redraws what is on screen, not every application.
    let limit = RwSignal::new(PAGE_ROWS);
    // The form's module is fetched the first time it is unfolded (ADR 20);
    // once there, it stays, so folding keeps what was typed or shown.
    let create_opened = RwSignal::new(false);
    let sync = crate::sync::use_sync();
    // The domain's rule (`access::may_create`), the one the server applies;
    // nobody signed in, nothing is created (ADR 28).
    let may_create = move || {
        sync.settings.with(|s| {
            s.person
                .as_ref()
                .and_then(|p| p.judged(portal_domain::may_create))
        })
    };
    // The head's order of names serves every position of the slider; it is
    // taken again only when an application has been created since.
    let order: StoredValue<Rc<NameOrder>, LocalStorage> = StoredValue::new_local(Rc::default());
    let rows = move || {
        let query = query_of(param);
        // Changes not sent yet are marked at the head only (in the past,
        // what waits now is beside the point).
        // (nor in the demo, which sends nothing).
        let device = (ledger.is_live() && !ledger.workspace.is_demo())
            .then(|| ledger.device())
            .flatten();
        let limit = limit.get();
        let order = ledger
            .with_machine(|machine, _| {
                if !order.with_value(|o| o.covers(machine.head())) {
                    order.set_value(Rc::new(NameOrder::of(machine.head())));
                }
                order.get_value()
            })
            .unwrap_or_default();
        ledger
            .with_state(|portal, _| {
                let (total, shown) = portal.first_applications_in(&order, &query, limit);
                let rows = shown
                    .into_iter()
                    .map(|app| Row {
                        id: app.id(),
                        name: app.record.name.to_string(),
                        owner: app.record.owner.to_string(),
                        plan: app.record.plan,
                        products: app
                            .record
                            .products
                            .iter()
                            .map(ProductName::as_str)
                            .collect::<Vec<_>>()
                            .join(", "),
                        deleted: app.is_deleted(),
                        unsent: device.as_ref().is_some_and(|d| d.holds_unsent(app.id())),
                    })
                    .collect::<Vec<_>>();
                (total, rows)
            })
            .unwrap_or_default()
    };
    // The filters' choices follow the slider once it rests (at the head, at
    // once): listing every owner is a pass over every application, which at
    // a million events was a third of a slider step, and a closed drop-down
    // shows none of them meanwhile.
    let rested = RwSignal::new(0u64);
    Effect::new(move |pending: Option<Option<TimeoutHandle>>| {
        let k = ledger.position();
        if let Some(Some(handle)) = pending {
            handle.clear();
        }
        if ledger.is_live() {
            rested.set(k);
            return None;
        }
        let settle = move || {
            rested.try_set(k);
        };
        set_timeout_with_handle(settle, CHOICES_SETTLE).ok()
    });
    // Kept apart, so the filters' options are redrawn only when the owners or
    // products themselves change, not on every step of the slider.
    let choices = Memo::new(move |_| {
        rested.track();
        untrack(move || {
            ledger
                .with_state(|portal, _| {
                    let owners: Vec<String> =
                        portal.owners().iter().map(|o| o.to_string()).collect();
                    let products: Vec<String> = portal
                        .adoption()
                        .apps_per_product()
                        .into_iter()
                        .map(|(p, _)| p.to_string())
                        .collect();
                    (owners, products)
                })
                .unwrap_or_default()
        })
    });
    // `first` names the choice with no value in the URL.
    let select = move |name: &'static str,
                       label: &'static str,
                       first: &'static str,
                       options: Vec<(String, String)>| {
        view! {
            <label>
                {label}
                <select
                    aria-label=label
                    on:change=move |ev| set_param(name, event_target_value(&ev))
                    prop:value=move || param(name).unwrap_or_default()
                >
                    <option value="">{first}</option>
                    {options
                        .into_iter()
                        .map(|(value, text)| view! { <option value=value>{text}</option> })
                        .collect_view()}
                </select>
            </label>
        }
    };
    view! {
        <section aria-labelledby="apps-heading">
            <h2 id="apps-heading">"Applications"</h2>
            <Show
                when=move || may_create() == Some(true)
                fallback=move || view! {
                    <p class="read-only" role="note">
                        {if may_create().is_none() {
                            "Read-only: sign in to create an application."
                        } else {
                            "Read-only: a product owner reads the portal and creates no application."
                        }}
                    </p>
                }
            >
                <details class="create" on:toggle=move |_| create_opened.set(true)>
                    <summary>"Create an application"</summary>
                    <Show when=move || create_opened.get()>
                        {lazy::on_demand(lazy::new_application_form, "form")}
                    </Show>
                </details>
            </Show>
            <div class="filters" role="search" aria-label="Filter applications">
                <label>
                    "Search "
                    <input
                        type="search"
                        aria-label="Search by name"
                        prop:value=move || param("q").unwrap_or_default()
                        on:input=move |ev| set_param("q", event_target_value(&ev))
                    />
                </label>
                {move || {
                    let (owners, products) = choices.get();
                    view! {
                        {select("owner", "Filter by owner", "Any", owners.into_iter().map(|o| (o.clone(), o)).collect())}
                        {select(
                            "product",
                            "Filter by product",
                            "Any",
                            products.into_iter().map(|p| (p.clone(), p)).collect(),
                        )}
                    }
                }}
                {select(
                    "plan",
                    "Filter by plan",
                    "Any",
                    vec![("free".into(), "Free".into()), ("paid".into(), "Paid".into())],
                )}
                {select(
                    "status",
                    "Filter by status",
                    "Active",
                    vec![("deleted".into(), "Deleted".into()), ("any".into(), "Active and deleted".into())],
                )}
            </div>
            {move || {
                let (total, rows) = rows();
                if rows.is_empty() {
                    // Either the workspace is empty, or the filters hide everything.
                    let filtered = FILTERS.iter().any(|f| param(f).is_some());
                    let next = if filtered {
                        "No application matches. Clear the search or pick another status, plan or product."
                    } else if may_create() == Some(true) {
                        "No application in use. Create one above, or open the demo on the Data page to explore a year of history."
                    } else {
                        "No application in use. Sign in to create one, or open the demo on the Data page to explore a year of history."
                    };
                    return view! { <p class="empty">{next}</p> }.into_any();
                }
                let shown = rows.len();
                view! {
                    <p class="count" role="status">
                        {match (shown < total, total) {
                            (true, _) => format!("Showing {shown} of {total} applications"),
                            (false, 1) => "1 application".to_owned(),
                            (false, n) => format!("{n} applications"),
                        }}
                    </p>
                    <table class="apps">
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Owner"</th>
                                <th scope="col">"Plan"</th>
                                <th scope="col">"Products"</th>
                                <th scope="col">"Status"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows
                                .into_iter()
                                .map(|row| {
                                    view! {
                                        <tr class:deleted=row.deleted class:unsent=row.unsent>
                                            <td>
                                                <A href=format!("/applications/{}", row.id)>{row.name}</A>
                                            </td>
                                            <td>{row.owner}</td>
                                            <td>{row.plan.label()}</td>
                                            <td>{row.products}</td>
                                            <td class="status">
                                                {match (row.deleted, row.unsent) {
                                                    (true, false) => "deleted",
                                                    (true, true) => "deleted · not sent yet",
                                                    (false, true) => "active · not sent yet",
                                                    (false, false) => "active",
                                                }}
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                    {(shown < total)
                        .then(|| {
                            view! {
                                <button type="button" on:click=move |_| limit.update(|l| *l += PAGE_ROWS)>
                                    {format!("Show {} more", PAGE_ROWS.min(total - shown))}
                                </button>
                            }
                        })}
                }
                    .into_any()
            }}
        </section>
    }
}
