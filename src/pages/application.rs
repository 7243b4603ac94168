//! One application: its products, owner, plan and credentials, each with
//! the commands that change them, and its own history.

use crate::browser;
use crate::ledger::{use_ledger, Ledger};
use crate::pages::applications::FieldError;
use crate::pages::secret::SecretOnce;
use chrono::{DateTime, Duration, Utc};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;
use portal_domain::{
    Action, AppId, CredentialId, CredentialStatus, NewCredential, Owner, Plan, ProductName, Text,
};
use uuid::Uuid;

/// Credentials this close to expiry are flagged.
const EXPIRING_SOON: Duration = Duration::days(7);

/// Sends `action`; on refusal, `error` says why and nothing changed.
fn run(
    ledger: Ledger,
    action: Action,
    error: RwSignal<Option<String>>,
    then: impl FnOnce() + 'static,
) {
    spawn_local(async move {
        match ledger.execute(action).await {
            Ok(()) => {
                error.set(None);
                then();
            }
            Err(why) => error.set(Some(why.to_string())),
        }
    });
}

#[derive(Clone, PartialEq)]
struct CredentialRow {
    id: CredentialId,
    prefix: String,
    status: CredentialStatus,
    expires_at: DateTime<Utc>,
    soon: bool,
}

#[derive(Clone, PartialEq)]
struct Shown {
    name: String,
    owner: String,
    plan: Plan,
    products: Vec<String>,
    deleted: bool,
    created_at: DateTime<Utc>,
    credentials: Vec<CredentialRow>,
}

/// What the user has typed or opened on the page. It lives with the page,
/// not with the sections, which are rebuilt whenever the log grows (a
/// process manager may append right after the user's own command).
#[derive(Clone, Copy)]
struct Drafts {
    new_product: RwSignal<String>,
    removing: RwSignal<Option<String>>,
    reason: RwSignal<String>,
    /// `None` until edited: the field then shows the current owner.
    new_owner: RwSignal<Option<String>>,
    days: RwSignal<String>,
    confirming_delete: RwSignal<bool>,
    /// A new credential's secret, shown until the user leaves the page.
    secret: RwSignal<Option<String>>,
}

impl Default for Drafts {
    fn default() -> Self {
        Self {
            new_product: RwSignal::new(String::new()),
            removing: RwSignal::new(None),
            reason: RwSignal::new(String::new()),
            new_owner: RwSignal::new(None),
            days: RwSignal::new("90".to_owned()),
            confirming_delete: RwSignal::new(false),
            secret: RwSignal::new(None),
        }
    }
}

#[component]
pub fn ApplicationPage() -> impl IntoView {
    let ledger = use_ledger();
    let params = use_params_map();
    let app_id = Memo::new(move |_| {
        params.with(|p| {
            p.get("id")
                .and_then(|id| Uuid::parse_str(&id).ok())
                .map(AppId)
        })
    });
    // A memo: the page is rebuilt only when what it shows changes, not on
    // every change to the log (another tab syncing, say), so a field being
    // typed in keeps its focus.
    let shown = Memo::new(move |_| {
        let id = app_id.get()?;
        ledger
            .with_state(|portal, at| {
                let app = portal.app(id)?;
                Some(Shown {
                    name: app.record.name.to_string(),
                    owner: app.record.owner.to_string(),
                    plan: app.record.plan,
                    products: app.record.products.iter().map(|p| p.to_string()).collect(),
                    deleted: app.is_deleted(),
                    created_at: app.record.created_at,
                    credentials: app
                        .credentials()
                        .rev()
                        .map(|c| {
                            let status = c.status_at(at);
                            CredentialRow {
                                id: c.record.id,
                                prefix: c.record.key.prefix().to_owned(),
                                status,
                                expires_at: c.record.expires_at,
                                soon: status == CredentialStatus::Active
                                    && c.record.expires_at - at <= EXPIRING_SOON,
                            }
                        })
                        .collect(),
                })
            })
            .flatten()
    });
    let error = RwSignal::new(None::<String>);
    let drafts = Drafts::default();
    view! {
        {move || {
            let Some(id) = app_id.get() else {
                return view! { <p role="alert">"This address does not name an application."</p> }
                    .into_any();
            };
            let Some(app) = shown.get() else {
                return view! {
                    <p role="alert">"There is no such application at this point of the log."</p>
                }
                    .into_any();
            };
            let live = ledger.is_live() && !app.deleted;
            view! {
                <article class="application" aria-labelledby="app-heading">
                    <h2 id="app-heading">{app.name.clone()}</h2>
                    <p class="meta">
                        {format!(
                            "{} · {} plan · created {}",
                            if app.deleted { "deleted" } else { "active" },
                            app.plan.label(),
                            app.created_at.format("%Y-%m-%d"),
                        )}
                    </p>
                    <Show when=move || error.with(Option::is_some)>
                        <p role="alert" class="refused">{move || error.get().unwrap_or_default()}</p>
                    </Show>
                    <Products id=id products=app.products.clone() live=live error=error drafts=drafts />
                    <OwnerAndPlan id=id owner=app.owner.clone() plan=app.plan live=live error=error drafts=drafts />
                    <Credentials id=id rows=app.credentials.clone() live=live error=error drafts=drafts />
                    <Show when=move || live>
                        <DeleteApplication id=id name=app.name.clone() error=error drafts=drafts />
                    </Show>
                    <History id=id />
                </article>
            }
                .into_any()
        }}
    }
}

#[component]
fn Products(
    id: AppId,
    products: Vec<String>,
    live: bool,
    error: RwSignal<Option<String>>,
    drafts: Drafts,
) -> impl IntoView {
    let ledger = use_ledger();
    let Drafts {
        new_product,
        removing,
        reason,
        ..
    } = drafts;
    let product_error = move || {
        let raw = new_product.get();
        (!raw.is_empty())
            .then(|| ProductName::parse(&raw).err().map(|e| e.to_string()))
            .flatten()
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match ProductName::parse(&new_product.get_untracked()) {
            Ok(product) => run(
                ledger,
                Action::AddApiProduct {
                    app_id: id,
                    product,
                },
                error,
                move || new_product.set(String::new()),
            ),
            Err(e) => error.set(Some(e.to_string())),
        }
    };
    let remove = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(product) = removing.get_untracked() else {
            return;
        };
        let parsed = ProductName::parse(&product)
            .map_err(|e| e.to_string())
            .and_then(|p| {
                Text::parse_optional("removal reason", &reason.get_untracked())
                    .map(|r| (p, r))
                    .map_err(|e| e.to_string())
            });
        match parsed {
            Ok((product, reason_text)) => run(
                ledger,
                Action::RemoveApiProduct {
                    app_id: id,
                    product,
                    reason: reason_text,
                },
                error,
                move || {
                    removing.set(None);
                    reason.set(String::new());
                },
            ),
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <section aria-labelledby="products-heading">
            <h3 id="products-heading">"API products"</h3>
            {if products.is_empty() {
                view! { <p class="empty">"No API products yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="products">
                        {products
                            .into_iter()
                            .map(|p| {
                                let label = format!("Remove {p}");
                                let name = p.clone();
                                view! {
                                    <li>
                                        <span>{p}</span>
                                        <Show when=move || live>
                                            <button
                                                type="button"
                                                aria-label=label.clone()
                                                on:click={
                                                    let name = name.clone();
                                                    move |_| removing.set(Some(name.clone()))
                                                }
                                            >
                                                "Remove…"
                                            </button>
                                        </Show>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
            <Show when=move || removing.with(Option::is_some)>
                <form class="remove" on:submit=remove aria-label="Remove a product">
                    <label>
                        {move || format!("Why remove {}? (optional)", removing.get().unwrap_or_default())}
                        <input
                            type="text"
                            aria-label="Reason for removal"
                            prop:value=move || reason.get()
                            on:input=move |ev| reason.set(event_target_value(&ev))
                        />
                    </label>
                    <button type="submit">"Confirm removal"</button>
                    <button type="button" on:click=move |_| removing.set(None)>"Cancel"</button>
                </form>
            </Show>
            <Show when=move || live>
                <form class="add-product" on:submit=add aria-label="Add a product">
                    <label>
                        "Add an API product "
                        <input
                            type="text"
                            aria-label="API product to add"
                            prop:value=move || new_product.get()
                            on:input=move |ev| new_product.set(event_target_value(&ev))
                        />
                    </label>
                    <button type="submit">"Add product"</button>
                    <FieldError error=Signal::derive(product_error) />
                </form>
            </Show>
        </section>
    }
}

#[component]
fn OwnerAndPlan(
    id: AppId,
    owner: String,
    plan: Plan,
    live: bool,
    error: RwSignal<Option<String>>,
    drafts: Drafts,
) -> impl IntoView {
    let ledger = use_ledger();
    let new_owner = drafts.new_owner;
    let current = StoredValue::new(owner.clone());
    let typed = move || new_owner.get().unwrap_or_else(|| current.get_value());
    let owner_error = move || {
        new_owner
            .get()
            .and_then(|o| Owner::parse(&o).err().map(|e| e.to_string()))
    };
    let change_owner = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(raw) = new_owner.get_untracked() else {
            return;
        };
        match Owner::parse(&raw) {
            Ok(owner) => run(
                ledger,
                Action::ChangeOwner { app_id: id, owner },
                error,
                move || new_owner.set(None),
            ),
            Err(e) => error.set(Some(e.to_string())),
        }
    };
    let other = match plan {
        Plan::Free => Plan::Paid,
        Plan::Paid => Plan::Free,
    };
    view! {
        <section aria-labelledby="owner-heading">
            <h3 id="owner-heading">"Owner and plan"</h3>
            <p>{format!("Owned by {owner}, on the {} plan.", plan.label())}</p>
            <Show when=move || live>
                <form on:submit=change_owner aria-label="Change owner">
                    <label>
                        "New owner "
                        <input
                            type="text"
                            aria-label="New owner"
                            prop:value=typed
                            on:input=move |ev| new_owner.set(Some(event_target_value(&ev)))
                        />
                    </label>
                    <button type="submit">"Change owner"</button>
                    <FieldError error=Signal::derive(owner_error) />
                </form>
                <button
                    type="button"
                    on:click=move |_| run(ledger, Action::ChangePlan { app_id: id, plan: other }, error, || {})
                >
                    {format!("Move to the {} plan", other.label())}
                </button>
            </Show>
        </section>
    }
}

#[component]
fn Credentials(
    id: AppId,
    rows: Vec<CredentialRow>,
    live: bool,
    error: RwSignal<Option<String>>,
    drafts: Drafts,
) -> impl IntoView {
    let ledger = use_ledger();
    let Drafts { days, secret, .. } = drafts;
    let generate = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(d) = days.get_untracked().trim().parse::<i64>() else {
            error.set(Some("Expiry must be a whole number of days.".into()));
            return;
        };
        if !(1..=3650).contains(&d) {
            error.set(Some("Expiry must be from 1 to 3650 days.".into()));
            return;
        }
        let (text, key) = browser::new_secret();
        let credential = NewCredential {
            id: CredentialId(browser::new_uuid()),
            key,
            expires_at: browser::now() + Duration::days(d),
        };
        run(
            ledger,
            Action::GenerateCredential {
                app_id: id,
                credential,
            },
            error,
            move || secret.set(Some(text)),
        );
    };
    view! {
        <section aria-labelledby="credentials-heading">
            <h3 id="credentials-heading">"Credentials"</h3>
            <table class="credentials">
                <thead>
                    <tr>
                        <th scope="col">"Key"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|c| {
                            let credential_id = c.id;
                            let usable = c.status == CredentialStatus::Active;
                            view! {
                                <tr class=c.status.label()>
                                    <td><code>{format!("{}…", c.prefix)}</code></td>
                                    <td>
                                        {c.status.label()}
                                        {c.soon.then(|| view! { <span class="flag">" expiring soon"</span> })}
                                    </td>
                                    <td>{c.expires_at.format("%Y-%m-%d").to_string()}</td>
                                    <td>
                                        <Show when=move || live && usable>
                                            <button
                                                type="button"
                                                aria-label=format!("Revoke {}", c.prefix)
                                                on:click=move |_| {
                                                    run(
                                                        ledger,
                                                        Action::RevokeCredential { app_id: id, credential_id },
                                                        error,
                                                        || {},
                                                    )
                                                }
                                            >
                                                "Revoke"
                                            </button>
                                        </Show>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <Show when=move || live>
                <form on:submit=generate aria-label="Generate a credential">
                    <label>
                        "Expires in (days) "
                        <input
                            type="number"
                            min="1"
                            max="3650"
                            aria-label="New credential expiry in days"
                            prop:value=move || days.get()
                            on:input=move |ev| days.set(event_target_value(&ev))
                        />
                    </label>
                    <button type="submit">"Generate credential"</button>
                </form>
            </Show>
            {move || secret.get().map(|s| view! { <SecretOnce secret=s /> })}
        </section>
    }
}

#[component]
fn DeleteApplication(
    id: AppId,
    name: String,
    error: RwSignal<Option<String>>,
    drafts: Drafts,
) -> impl IntoView {
    let ledger = use_ledger();
    let confirming = drafts.confirming_delete;
    view! {
        <section aria-labelledby="delete-heading" class="danger-zone">
            <h3 id="delete-heading">"Delete"</h3>
            <Show
                when=move || confirming.get()
                fallback=move || {
                    view! {
                        <button type="button" on:click=move |_| confirming.set(true)>
                            "Delete application…"
                        </button>
                    }
                }
            >
                <p role="alert">
                    {format!("Delete {name}? Its credentials stop working. Its history stays in the log.")}
                </p>
                <button
                    type="button"
                    class="danger"
                    on:click=move |_| {
                        run(ledger, Action::DeleteApplication { app_id: id }, error, move || {
                            confirming.set(false)
                        })
                    }
                >
                    "Yes, delete it"
                </button>
                <button type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
            </Show>
        </section>
    }
}

/// History entries shown before the user asks for all of them: a long-lived
/// application has thousands, and each costs the page a row.
const HISTORY_SHOWN: usize = 50;

#[component]
fn History(id: AppId) -> impl IntoView {
    let ledger = use_ledger();
    let all = RwSignal::new(false);
    let rows = move || {
        let limit = if all.get() { usize::MAX } else { HISTORY_SHOWN };
        ledger
            .with_machine(|machine, k| {
                let history = machine.app_history(id, k);
                let total = history.len();
                let shown = history
                    .into_iter()
                    .rev()
                    .take(limit)
                    .map(|(p, e)| {
                        (
                            p + 1,
                            e.event_type().name(),
                            e.kind().label(),
                            e.occurred_at.format("%Y-%m-%d %H:%M").to_string(),
                            e.actor.to_string(),
                        )
                    })
                    .collect::<Vec<_>>();
                (total, shown)
            })
            .unwrap_or_default()
    };
    view! {
        <section aria-labelledby="history-heading">
            <h3 id="history-heading">"History"</h3>
            {move || {
                let (total, shown) = rows();
                let hidden = total - shown.len();
                view! {
                    <ol class="history" reversed>
                        {shown
                            .into_iter()
                            .map(|(position, name, kind, at, actor)| {
                                view! {
                                    <li>
                                        <span class="position">{format!("#{position}")}</span>
                                        <code>{name}</code>
                                        <span class=format!("badge {}", kind.replace(' ', "-"))>{kind}</span>
                                        <span>{at}</span>
                                        <span>{actor}</span>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                    {(hidden > 0)
                        .then(|| {
                            view! {
                                <button type="button" on:click=move |_| all.set(true)>
                                    {format!("Show all {total} events")}
                                </button>
                            }
                        })}
                }
            }}
        </section>
    }
}
