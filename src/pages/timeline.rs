//! Every event, newest first, as of the slider's position. Only the rows in
//! view are built, so a long log scrolls as smoothly as a short one.

use crate::dates;
use crate::ledger::use_ledger;
use crate::pages::causation_graph::{CausationGraph, GraphRow};
use crate::pages::names;
use crate::pages::QueryFilters;
use crate::sync::use_sync;
use leptos::prelude::*;
use portal_domain::{
    Actor, AppId, Event, EventKind, EventType, Owner, Portal, ProductName, SurveyTopic,
    TimelineFilter,
};
use portal_store::SyncState;
use uuid::Uuid;

/// Every row is this tall, so the window in view follows from the scroll offset.
const ROW_PX: f64 = 34.0;
const VIEW_ROWS: usize = 18;
/// Rows built beyond the visible ones, so a fast scroll shows no gap.
const OVERSCAN: usize = 6;

const FILTERS: [&str; 8] = [
    "type", "kind", "app", "product", "owner", "actor", "from", "until",
];

fn filter_of(get: impl Fn(&str) -> Option<String>) -> TimelineFilter {
    let day = |name: &str, end: bool| {
        get(name)
            .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
            .and_then(|d| {
                if end {
                    d.and_hms_opt(23, 59, 59)
                } else {
                    d.and_hms_opt(0, 0, 0)
                }
            })
            .map(|d| d.and_utc())
    };
    TimelineFilter {
        types: get("type")
            .and_then(|t| EventType::from_name(&t))
            .into_iter()
            .collect(),
        kind: match get("kind").as_deref() {
            Some("business") => Some(EventKind::Business),
            Some("domain") => Some(EventKind::DomainModel),
            _ => None,
        },
        // A name that named no application matches nothing, rather than
        // everything.
        app: get("app")
            .filter(|a| !a.is_empty())
            .map(|a| AppId(Uuid::parse_str(&a).unwrap_or(Uuid::nil()))),
        actor: get("actor").and_then(|a| Actor::parse(&a).ok()),
        product: get("product").and_then(|p| ProductName::parse(&p).ok()),
        owner: get("owner").and_then(|o| Owner::parse(&o).ok()),
        from: day("from", false),
        until: day("until", true),
    }
}

fn sync_label(state: Option<SyncState>) -> &'static str {
    match state {
        Some(SyncState::Synced { .. }) => "synced",
        Some(SyncState::Rejected { .. }) => "rejected",
        Some(SyncState::Superseded { .. }) => "superseded",
        _ => "pending",
    }
}

#[derive(Clone, PartialEq)]
struct Row {
    position: usize,
    name: &'static str,
    about: String,
    kind: EventKind,
    at: String,
    /// The actor's name, and the address or process it stands for.
    actor: (String, String),
    sync: &'static str,
}

/// What an event is about, in words: its application's name and, for a
/// product's event or a survey about one product, the product. Names come
/// from the head: an application keeps the name it was created with.
fn about(head: &Portal, event: &Event) -> String {
    let Some(app_id) = event.app_id() else {
        // The catalogue's events name their product and no application.
        return match event.products() {
            [product] => format!("catalogue · {product}"),
            _ => "catalogue".to_owned(),
        };
    };
    let app = head
        .app(app_id)
        .map(|a| a.record.name.to_string())
        .unwrap_or_else(|| "an application not in this log".to_owned());
    let product = match event {
        Event::ApiProductAdded { product, .. } | Event::ApiProductRemoved { product, .. } => {
            Some(product)
        }
        Event::SurveyAdded {
            topic: SurveyTopic::ProductRemoved { product, .. },
            ..
        } => Some(product),
        Event::OfferMade { offer, .. } => Some(&offer.product),
        _ => None,
    };
    match product {
        Some(product) => format!("{app} · {product}"),
        None => app,
    }
}

/// What the filters suggest, from the head.
#[derive(Clone, Default, PartialEq)]
struct Suggestions {
    /// Ids and names, by name.
    apps: Vec<(String, String)>,
    /// Owners' addresses.
    owners: Vec<String>,
    products: Vec<String>,
}

#[component]
pub fn TimelinePage() -> impl IntoView {
    let ledger = use_ledger();
    let sync = use_sync();
    sync.refresh_people();
    let people = sync.people;
    let filters = QueryFilters::new("/timeline", &FILTERS);
    let param = move |name: &str| filters.get(name);
    let set_param = move |name: &'static str, value: String| filters.set(name, value);
    let scroll = RwSignal::new(0.0f64);
    let selected = RwSignal::new(None::<usize>);
    let filter = Memo::new(move |_| filter_of(param));
    let total = move || {
        filter.with(|f| {
            ledger
                .with_machine(|machine, k| {
                    if *f == TimelineFilter::default() {
                        k
                    } else {
                        machine.timeline(k, f).count()
                    }
                })
                .unwrap_or(0)
        })
    };
    let rows = move || {
        let first = ((scroll.get() / ROW_PX) as usize).saturating_sub(OVERSCAN);
        let people = people.read();
        filter.with(|f| {
            ledger
                .with_machine(|machine, k| {
                    machine
                        .timeline(k, f)
                        .skip(first)
                        .take(VIEW_ROWS + 2 * OVERSCAN)
                        .map(|(p, e)| Row {
                            position: p,
                            name: e.event_type().name(),
                            about: about(machine.head(), &e.event),
                            kind: e.kind(),
                            at: dates::second(e.occurred_at),
                            actor: (names::actor(&e.actor, &people), e.actor.to_string()),
                            sync: if ledger.workspace.is_demo() {
                                "demo"
                            } else {
                                sync_label(ledger.sync_state(p))
                            },
                        })
                        .collect::<Vec<_>>()
                })
                .map(|rows| (first, rows))
                .unwrap_or_default()
        })
    };
    // The applications by name, the products and the owners, for the
    // filters' suggestions; the address keeps the application's id, so that
    // a link names one application even where two share a name. Read from
    // the head, so that they follow the log's growth and not the slider,
    // whose every step would sort and redraw them all.
    let suggestions = Memo::new(move |_| {
        ledger.head.track();
        let Some(device) = ledger.device() else {
            return Suggestions::default();
        };
        let machine = device.machine();
        let head = machine.head();
        let mut apps: Vec<(String, String)> = head
            .apps()
            .map(|a| (a.id().0.to_string(), a.record.name.to_string()))
            .collect();
        apps.sort_by(|a, b| a.1.cmp(&b.1));
        let mut owners: Vec<String> = head.apps().map(|a| a.record.owner.to_string()).collect();
        owners.sort_unstable();
        owners.dedup();
        // Every product ever added, not only those in use: a removed one
        // is what a product owner often asks about.
        let mut products: Vec<String> = head
            .adoption()
            .products()
            .into_iter()
            .map(|p| p.product.to_string())
            .collect();
        products.sort_unstable_by_key(|p| p.to_lowercase());
        products.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        Suggestions {
            apps,
            owners,
            products,
        }
    });
    let app_name = move |id: &str| {
        suggestions.with(|s| s.apps.iter().find(|(a, _)| a == id).map(|(_, n)| n.clone()))
    };
    let app_id_named = move |typed: &str| {
        suggestions.with(|s| {
            s.apps
                .iter()
                .find(|(_, n)| n.eq_ignore_ascii_case(typed))
                .map(|(a, _)| a.clone())
        })
    };
    let text_filter = move |name: &'static str, label: &'static str, kind: &'static str| {
        view! {
            <label>
                {label}
                <input
                    type=kind
                    aria-label=label
                    prop:value=move || param(name).unwrap_or_default()
                    on:change=move |ev| set_param(name, event_target_value(&ev))
                />
            </label>
        }
    };
    let person_filter = move |name: &'static str, label: &'static str, list: &'static str| {
        view! {
            <label>
                {label}
                " "
                <input
                    type="search"
                    list=list
                    aria-label=label
                    prop:value=move || {
                        let value = param(name).unwrap_or_default();
                        Actor::parse(&value)
                            .map(|a| people.with(|p| names::actor(&a, p)))
                            .unwrap_or(value)
                    }
                    on:change=move |ev| {
                        let typed = event_target_value(&ev);
                        set_param(name, people.with(|p| names::actor_of(&typed, p)))
                    }
                />
            </label>
        }
    };
    view! {
        <section class="timeline" aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">"Timeline"</h2>
            <div class="filters" role="search" aria-label="Filter events">
                <label>
                    "Type "
                    <select
                        aria-label="Event type"
                        prop:value=move || param("type").unwrap_or_default()
                        on:change=move |ev| set_param("type", event_target_value(&ev))
                    >
                        <option value="">"Any"</option>
                        {EventType::ALL
                            .into_iter()
                            .map(|t| view! { <option value=t.name()>{t.name()}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    "Kind "
                    <select
                        aria-label="Event kind"
                        prop:value=move || param("kind").unwrap_or_default()
                        on:change=move |ev| set_param("kind", event_target_value(&ev))
                    >
                        <option value="">"Both"</option>
                        <option value="business">"Business"</option>
                        <option value="domain">"Domain model"</option>
                    </select>
                </label>
                <label>
                    "Application "
                    <input
                        type="search"
                        list="timeline-applications"
                        aria-label="Application"
                        prop:value=move || param("app").map(|id| app_name(&id).unwrap_or(id)).unwrap_or_default()
                        on:change=move |ev| {
                            let typed = event_target_value(&ev).trim().to_owned();
                            let id = app_id_named(&typed).unwrap_or(typed);
                            set_param("app", id)
                        }
                    />
                    <datalist id="timeline-applications">
                        {move || {
                            suggestions.with(|s| {
                                s.apps
                                    .iter()
                                    .map(|(_, name)| view! { <option value=name.clone()></option> })
                                    .collect_view()
                            })
                        }}
                    </datalist>
                </label>
                <label>
                    "Product "
                    <input
                        type="search"
                        list="timeline-products"
                        aria-label="Product"
                        prop:value=move || param("product").unwrap_or_default()
                        on:change=move |ev| set_param("product", event_target_value(&ev).trim().to_owned())
                    />
                    <datalist id="timeline-products">
                        {move || {
                            suggestions
                                .with(|s| s.products.clone())
                                .into_iter()
                                .map(|p| view! { <option value=p></option> })
                                .collect_view()
                        }}
                    </datalist>
                </label>
                {person_filter("owner", "Owner", "timeline-owners")}
                {person_filter("actor", "Actor", "timeline-actors")}
                <datalist id="timeline-owners">
                    {move || {
                        let owners = suggestions.with(|s| s.owners.clone());
                        people.with(|p| {
                            owners
                                .iter()
                                .map(|o| names::person(o, p))
                                .map(|name| view! { <option value=name></option> })
                                .collect_view()
                        })
                    }}
                </datalist>
                <datalist id="timeline-actors">
                    {move || {
                        people
                            .with(|p| p.iter().map(|c| names::person(&c.email, p)).collect::<Vec<_>>())
                            .into_iter()
                            .chain(names::processes())
                            .map(|name| view! { <option value=name></option> })
                            .collect_view()
                    }}
                </datalist>
                {text_filter("from", "From", "date")}
                {text_filter("until", "Until", "date")}
            </div>
            <p class="count" role="status">
                {move || format!("{} events", total())}
                {move || {
                    param("app")
                        .filter(|id| !id.is_empty() && app_name(id).is_none())
                        .map(|typed| format!(" · no application is named “{typed}”"))
                }}
            </p>
            <div
                class="rows"
                role="list"
                aria-label="Events, newest first"
                tabindex="0"
                style=format!("height: {}px", ROW_PX * VIEW_ROWS as f64)
                on:scroll=move |ev| {
                    let target: web_sys::Element = event_target(&ev);
                    scroll.set(target.scroll_top() as f64);
                }
            >
                <div style=move || format!("height: {}px; position: relative", total() as f64 * ROW_PX)>
                    {move || {
                        let (first, rows) = rows();
                        rows.into_iter()
                            .enumerate()
                            .map(|(i, row)| {
                                let top = (first + i) as f64 * ROW_PX;
                                let position = row.position;
                                let kind = row.kind.label();
                                view! {
                                    <div
                                        role="listitem"
                                        class="row"
                                        style=format!("top: {top}px; height: {ROW_PX}px")
                                    >
                                        <button
                                            type="button"
                                            class="event"
                                            on:click=move |_| selected.set(Some(position))
                                        >
                                            // Named by what it shows (a name that
                                            // left some of it out would not be the
                                            // one a person who sees it says), with
                                            // spaces so that a screen reader does not
                                            // run the words together.
                                            <span class="position">{format!("Event {}", position + 1)}</span>
                                            " "
                                            <code>{row.name}</code>
                                            " "
                                            <span class="about">{row.about}</span>
                                            " "
                                            <span class=format!("badge {}", kind.replace(' ', "-"))>{kind}</span>
                                            " "
                                            <span>{row.at}</span>
                                            " "
                                            <span class="actor" title=row.actor.1>{row.actor.0}</span>
                                            " "
                                            <span class=format!("sync {}", row.sync)>{row.sync}</span>
                                        </button>
                                    </div>
                                }
                            })
                            .collect_view()
                    }}
                </div>
            </div>
            {move || selected.get().map(|p| view! { <EventDetail position=p on_close=move || selected.set(None) /> })}
        </section>
    }
}

/// How many events a causation graph draws at most.
const GRAPH_LIMIT: usize = 40;

/// One event's envelope, what caused it and what it caused.
#[component]
fn EventDetail(position: usize, on_close: impl Fn() + Copy + 'static) -> impl IntoView {
    let ledger = use_ledger();
    let people = use_sync().people;
    let detail = move || {
        let people = people.read();
        ledger
            .with_machine(|machine, k| {
                let envelope = machine.log().get(position)?;
                let upto = k.max(position + 1);
                let chain = machine.causation(position, upto);
                let describe = |p: &usize| {
                    machine
                        .log()
                        .get(*p)
                        .map(|e| (*p, e.event_type().name()))
                        .unwrap_or((*p, "?"))
                };
                let graph = machine.causation_graph(position, upto, GRAPH_LIMIT);
                let rows = graph
                    .nodes
                    .iter()
                    .filter_map(|n| {
                        let e = machine.log().get(n.position)?;
                        Some(GraphRow {
                            position: n.position,
                            parent: n.parent,
                            depth: n.depth,
                            name: e.event_type().name(),
                            kind: if e.kind() == EventKind::Business {
                                "business"
                            } else {
                                "domain-model"
                            },
                            who: names::actor(&e.actor, &people),
                        })
                    })
                    .collect::<Vec<_>>();
                Some((
                    portal_sync::codec::encode(envelope),
                    chain.causes.iter().map(describe).collect::<Vec<_>>(),
                    chain.effects.iter().map(describe).collect::<Vec<_>>(),
                    (rows, graph.truncated),
                ))
            })
            .flatten()
    };
    let link = move |(p, name): (usize, &'static str)| {
        view! {
            <li>
                <button type="button" aria-label=format!("Jump to event {}", p + 1) on:click=move |_| ledger.travel(p as u64 + 1)>
                    {format!("#{} {name}", p + 1)}
                </button>
            </li>
        }
    };
    view! {
        <aside class="event-detail" aria-label=format!("Event {}", position + 1)>
            <h3>{format!("Event {}", position + 1)}</h3>
            <button type="button" on:click=move |_| ledger.travel(position as u64 + 1)>
                "Jump to this event"
            </button>
            <button type="button" on:click=move |_| on_close()>"Close"</button>
            {move || {
                detail()
                    .map(|(json, causes, effects, (rows, truncated))| {
                        view! {
                            <h4>"Causation graph"</h4>
                            <CausationGraph rows=rows selected=position truncated=truncated />
                            <h4>"Caused by"</h4>
                            {if causes.is_empty() {
                                view! { <p>"A person's own action."</p> }.into_any()
                            } else {
                                view! { <ol>{causes.into_iter().map(link).collect_view()}</ol> }.into_any()
                            }}
                            <h4>"Led to"</h4>
                            {if effects.is_empty() {
                                view! { <p>"Nothing yet."</p> }.into_any()
                            } else {
                                view! { <ol>{effects.into_iter().map(link).collect_view()}</ol> }.into_any()
                            }}
                            <h4>"Envelope"</h4>
                            <pre>{json}</pre>
                        }
                    })
            }}
        </aside>
    }
}
