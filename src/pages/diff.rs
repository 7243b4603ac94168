//! What changed between two positions of the log, projection by
//! projection. The positions are in the URL, so a comparison can be shared.

use crate::ledger::use_ledger;
use crate::pages::products::product_href;
use crate::pages::QueryFilters;
use leptos::prelude::*;
use portal_domain::{AppId, Change, PortalDiff, ProductId};

const PARAMS: [&str; 2] = ["from", "to"];

fn change_label<Id>(change: &Change<Id>) -> (&'static str, &Id) {
    match change {
        Change::Added(id) => ("added", id),
        Change::Changed(id) => ("changed", id),
        Change::Removed(id) => ("removed", id),
    }
}

/// `n` things, in the singular for one.
fn counted(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

#[derive(Clone, PartialEq)]
struct Shown {
    from: u64,
    to: u64,
    apps: Vec<(&'static str, String, String)>,
    credentials: usize,
    surveys: usize,
    /// Catalogue products: what changed, the name, where its page is.
    catalogue: Vec<(&'static str, String, String)>,
    adoption: Vec<(String, u32, u32)>,
    funnel: ((u32, u32, u32), (u32, u32, u32)),
    owner_changes: usize,
    events: Vec<(&'static str, usize)>,
}

fn shown(
    diff: &PortalDiff,
    name: impl Fn(AppId) -> String,
    product: impl Fn(ProductId) -> String,
) -> Shown {
    Shown {
        from: diff.from,
        to: diff.to,
        apps: diff
            .applications
            .iter()
            .map(|c| {
                let (what, id) = change_label(c);
                (what, name(*id), format!("/applications/{id}"))
            })
            .collect(),
        credentials: diff.credentials.len(),
        surveys: diff.surveys.len(),
        catalogue: diff
            .catalogue
            .iter()
            .map(|c| {
                let (what, id) = change_label(c);
                let name = product(*id);
                let href = product_href(&name);
                (what, name, href)
            })
            .collect(),
        adoption: diff
            .adoption
            .iter()
            .map(|(p, a, b)| (p.to_string(), *a, *b))
            .collect(),
        funnel: diff.funnel,
        owner_changes: diff.owner_changes.len(),
        events: diff
            .events_by_type
            .iter()
            .map(|(t, n)| (t.name(), *n))
            .collect(),
    }
}

/// What changed, each with its page: (what, name, link).
#[component]
fn Changes(label: &'static str, changes: Vec<(&'static str, String, String)>) -> impl IntoView {
    view! {
        <ul class="diff-apps" aria-label=label>
            {changes
                .into_iter()
                .map(|(what, name, href)| {
                    view! {
                        <li>
                            <span class=format!("change {what}")>{what}</span>" "
                            <a href=href>{name}</a>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

#[component]
pub fn DiffPage() -> impl IntoView {
    let ledger = use_ledger();
    let params = QueryFilters::new("/diff", &PARAMS);
    let position = move |name: &str| params.get(name).and_then(|v| v.parse::<u64>().ok());
    let result = move || {
        let (from, to) = (position("from")?, position("to")?);
        ledger.head.track();
        ledger.with_machine(|machine, _| {
            let diff = machine.diff(from as usize, to as usize);
            let head = machine.head();
            shown(
                &diff,
                |id| {
                    head.app(id)
                        .map_or_else(|| id.to_string(), |a| a.record.name.to_string())
                },
                |id| {
                    head.catalogue_product(id)
                        .map_or_else(|| id.to_string(), |p| p.record.name().to_string())
                },
            )
        })
    };
    let field = move |name: &'static str, label: &'static str| {
        view! {
            <label>
                {label}
                <input
                    type="number"
                    min="0"
                    aria-label=label
                    prop:value=move || params.get(name).unwrap_or_default()
                    on:change=move |ev| params.set(name, event_target_value(&ev))
                />
            </label>
        }
    };
    view! {
        <section class="diff" aria-labelledby="diff-heading">
            <h2 id="diff-heading">"Compare two positions"</h2>
            <div class="filters">
                {field("from", "From position")} {field("to", "To position")}
            </div>
            {move || match result() {
                None => {
                    view! {
                        <p class="empty">
                            "Pick two positions, or mark one on the slider and compare it with another."
                        </p>
                    }
                        .into_any()
                }
                Some(d) => {
                    let ((fa, fs, fr), (ta, ts, tr)) = d.funnel;
                    view! {
                        <p role="status" class="diff-summary">
                            {format!(
                                "From event {} to event {}: {}, {} and {} changed; {}.",
                                d.from,
                                d.to,
                                counted(d.apps.len(), "application"),
                                counted(d.credentials, "credential"),
                                counted(d.surveys, "survey"),
                                counted(d.owner_changes, "owner change"),
                            )}
                        </p>
                        <h3>"Applications"</h3>
                        <Changes label="Applications changed" changes=d.apps />
                        {(!d.catalogue.is_empty()).then(|| view! {
                            <h3>"Catalogue"</h3>
                            <Changes label="Catalogue products changed" changes=d.catalogue />
                        })}
                        <h3>"Adoption"</h3>
                        <table>
                            <thead>
                                <tr>
                                    <th scope="col">"API product"</th>
                                    <th scope="col">"Applications before"</th>
                                    <th scope="col">"After"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {d
                                    .adoption
                                    .into_iter()
                                    .map(|(p, a, b)| view! { <tr><td>{p}</td><td>{a}</td><td>{b}</td></tr> })
                                    .collect_view()}
                            </tbody>
                        </table>
                        <p>
                            {format!(
                                "Surveys added, sent, answered: {fa}, {fs}, {fr} before; {ta}, {ts}, {tr} after."
                            )}
                        </p>
                        <h3>"Events between them"</h3>
                        <table>
                            <tbody>
                                {d
                                    .events
                                    .into_iter()
                                    .map(|(t, n)| view! { <tr><td><code>{t}</code></td><td>{n}</td></tr> })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}
