//! One application: its products, owner, plan and credentials, each with
//! the commands that change them, and its own history.

use crate::browser;
use crate::dates;
use crate::ledger::{use_ledger, Ledger};
use crate::pages::names;
use crate::pages::offers::AppOffers;
use crate::pages::person_picker::PersonPicker;
use crate::pages::products::product_href;
use crate::pages::secret::SecretOnce;
use crate::pages::FieldError;
use crate::sync::use_sync;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use portal_domain::{
    Action, AppId, CredentialId, CredentialStatus, ExpiryDays, NewCredential, Owner, Plan,
    ProductName, Text,
};
use uuid::Uuid;

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
            days: RwSignal::new(ExpiryDays::DEFAULT.to_string()),
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
                                soon: c.record.expires_soon_at(at),
                            }
                        })
                        .collect(),
                })
            })
            .flatten()
    });
    // The frame (which sections there are) changes only when the
    // application appears, goes or is deleted, or the slider leaves the
    // head; each section follows its own part of `shown`, so a command
    // redraws the section it changed and nothing else.
    let frame =
        Memo::new(move |_| shown.with(|s| s.as_ref().map(|s| (s.deleted, s.owner.clone()))));
    let sync = crate::sync::use_sync();
    // Why the signed-in person may not change it, if they may not: the
    // domain's rule (`access::may_change`), the one the server applies.
    // Nobody signed in, nobody changes it (ADR 28).
    let refused = move |id: AppId, owner: &str| {
        let Some(person) = sync.settings.get().person else {
            return Some("Signed out: sign in to change it.".to_owned());
        };
        let owner = portal_domain::Owner::parse(owner).ok()?;
        person
            .judged(|who| portal_domain::may_change(who, id, &owner))?
            .err()
            .map(|why| why.to_string())
    };
    let at_head = Memo::new(move |_| ledger.is_live());
    let error = RwSignal::new(None::<String>);
    let drafts = Drafts::default();
    view! {
        {move || {
            let Some(id) = app_id.get() else {
                return view! { <p role="alert">"This address does not name an application."</p> }
                    .into_any();
            };
            let Some((deleted, owner)) = frame.get() else {
                return view! {
                    <p role="alert">"There is no such application at this point of the log."</p>
                }
                    .into_any();
            };
            let Some(first) = shown.get_untracked() else {
                return ().into_any();
            };
            let read_only = refused(id, &owner);
            let live = at_head.get() && !deleted && read_only.is_none();
            let name = part(shown, first.name.clone(), |s| s.name.clone());
            let plan = part(shown, first.plan, |s| s.plan);
            let created_at = first.created_at;
            view! {
                <article class="application" aria-labelledby="app-heading">
                    <h2 id="app-heading">{move || name.get()}</h2>
                    <p class="meta">
                        {move || {
                            format!(
                                "{} · {} plan · created {}",
                                if deleted { "deleted" } else { "active" },
                                plan.get().label(),
                                dates::day(created_at),
                            )
                        }}
                    </p>
                    {read_only
                        .filter(|_| !deleted)
                        .map(|why| view! { <p class="read-only" role="note">{format!("Read-only. {why}")}</p> })}
                    <Show when=move || error.with(Option::is_some)>
                        <p role="alert" class="refused">{move || error.get().unwrap_or_default()}</p>
                    </Show>
                    <AppOffers id=id live=live error=error />
                    <Products
                        id=id
                        products=part(shown, first.products, |s| s.products.clone())
                        live=live
                        error=error
                        drafts=drafts
                    />
                    <Removals id=id />
                    <OwnerAndPlan
                        id=id
                        owner=part(shown, first.owner, |s| s.owner.clone())
                        plan=plan
                        live=live
                        error=error
                        drafts=drafts
                    />
                    <Credentials
                        id=id
                        rows=part(shown, first.credentials, |s| s.credentials.clone())
                        live=live
                        error=error
                        drafts=drafts
                    />
                    <Show when=move || live>
                        <DeleteApplication id=id name=name error=error drafts=drafts />
                    </Show>
                    <History id=id />
                </article>
            }
                .into_any()
        }}
    }
}

/// One part of what the page shows, as a memo that changes only when that
/// part does. While the application is not there (the frame is then being
/// replaced), it keeps its last value.
fn part<T>(shown: Memo<Option<Shown>>, first: T, pick: fn(&Shown) -> T) -> Memo<T>
where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    Memo::new(move |last: Option<&T>| {
        shown.with(|s| match s {
            Some(s) => pick(s),
            None => last.cloned().unwrap_or_else(|| first.clone()),
        })
    })
}

#[component]
fn Products(
    id: AppId,
    products: Memo<Vec<String>>,
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
    // The catalogue at the slider's position: what may be added (suggested
    // as the developer types), and what has been retired (flagged).
    let catalogue = Memo::new(move |_| {
        ledger
            .with_state(|portal, _| {
                let (retired, offered): (Vec<_>, Vec<_>) = portal
                    .catalogue()
                    .into_iter()
                    .partition(|p| p.record.is_retired());
                let names = |products: Vec<portal_domain::CatalogueProduct>| {
                    products
                        .into_iter()
                        .map(|p| p.record.name().to_string())
                        .collect::<Vec<_>>()
                };
                (names(offered), names(retired))
            })
            .unwrap_or_default()
    });
    let list_id = format!("catalogue-for-{}", id.0);
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
            {move || {
                let products = products.get();
                if products.is_empty() {
                    return view! { <p class="empty">"No API products yet. Add one below to call it with this application's credentials."</p> }.into_any();
                }
                view! {
                    <ul class="products">
                        {products
                            .into_iter()
                            .map(|p| {
                                let label = format!("Remove {p}");
                                let name = p.clone();
                                let retired = catalogue.with(|(_, retired)| {
                                    retired.iter().any(|r| portal_domain::same_name(r, &p))
                                });
                                view! {
                                    <li class:retired=retired>
                                        <A href=product_href(&p)>{p.clone()}</A>
                                        {retired.then(|| view! {
                                            <span class="flag" title="Retired from the catalogue: it can no longer be added, and should be removed">
                                                "retired"
                                            </span>
                                        })}
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
                            list=list_id.clone()
                            prop:value=move || new_product.get()
                            on:input=move |ev| new_product.set(event_target_value(&ev))
                        />
                    </label>
                    <datalist id=list_id.clone()>
                        {move || {
                            catalogue
                                .with(|(offered, _)| {
                                    offered
                                        .iter()
                                        .map(|p| view! { <option value=p.clone()></option> })
                                        .collect_view()
                                })
                        }}
                    </datalist>
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
    owner: Memo<String>,
    plan: Memo<Plan>,
    live: bool,
    error: RwSignal<Option<String>>,
    drafts: Drafts,
) -> impl IntoView {
    let ledger = use_ledger();
    let people = use_sync().people;
    let new_owner = drafts.new_owner;
    let typed = move || new_owner.get().unwrap_or_else(|| owner.get());
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
    let other = move || match plan.get() {
        Plan::Free => Plan::Paid,
        Plan::Paid => Plan::Free,
    };
    view! {
        <section aria-labelledby="owner-heading">
            <h3 id="owner-heading">"Owner and plan"</h3>
            <p>
                {move || {
                    let who = people.with(|p| names::person_and_address(&owner.get(), p));
                    format!("Owned by {who}, on the {} plan.", plan.get().label())
                }}
            </p>
            <Show when=move || live>
                <form on:submit=change_owner aria-label="Change owner">
                    <label>
                        "New owner "
                        <PersonPicker
                            label="New owner"
                            value=Signal::derive(typed)
                            on_pick=Callback::new(move |email| new_owner.set(Some(email)))
                        />
                    </label>
                    <button type="submit">"Change owner"</button>
                    <FieldError error=Signal::derive(owner_error) />
                </form>
                <button
                    type="button"
                    on:click=move |_| {
                        run(ledger, Action::ChangePlan { app_id: id, plan: other() }, error, || {})
                    }
                >
                    {move || format!("Move to the {} plan", other().label())}
                </button>
            </Show>
        </section>
    }
}

#[component]
fn Credentials(
    id: AppId,
    rows: Memo<Vec<CredentialRow>>,
    live: bool,
    error: RwSignal<Option<String>>,
    drafts: Drafts,
) -> impl IntoView {
    let ledger = use_ledger();
    let Drafts { days, secret, .. } = drafts;
    let generate = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let lifetime = match ExpiryDays::parse(&days.get_untracked()) {
            Ok(lifetime) => lifetime,
            Err(e) => return error.set(Some(e.to_string())),
        };
        let (text, key) = browser::new_secret();
        let credential = NewCredential {
            id: CredentialId(browser::new_uuid()),
            key,
            expires_at: lifetime.expiry_from(browser::now()),
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
                    {move || {
                        rows.get()
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
                                    <td>{dates::day(c.expires_at)}</td>
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
                        .collect_view()
                    }}
                </tbody>
            </table>
            <Show when=move || live>
                <form on:submit=generate aria-label="Generate a credential">
                    <label>
                        "Expires in (days) "
                        <input
                            type="number"
                            min=ExpiryDays::MIN
                            max=ExpiryDays::MAX
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
    name: Memo<String>,
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
                    {move || {
                        format!(
                            "Delete {}? Its credentials stop working. Its history stays in the log.",
                            name.get(),
                        )
                    }}
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

/// One product taken off the application, and what its owner said.
#[derive(Clone, PartialEq)]
struct RemovalRow {
    position: usize,
    product: String,
    reason: Option<String>,
    at: String,
    actor: String,
}

/// The products removed from the application up to the slider, latest
/// first, with the reasons given: what the removal survey follows up.
#[component]
fn Removals(id: AppId) -> impl IntoView {
    let ledger = use_ledger();
    let people = use_sync().people;
    let rows = Memo::new(move |_| {
        ledger
            .with_machine(|machine, k| {
                machine
                    .app_history(id, k)
                    .into_iter()
                    .rev()
                    .filter_map(|(p, e)| match &e.event {
                        portal_domain::Event::ApiProductRemoved {
                            product, reason, ..
                        } => Some(RemovalRow {
                            position: p + 1,
                            product: product.to_string(),
                            reason: reason.as_ref().map(|r| r.to_string()),
                            at: dates::day(e.occurred_at),
                            actor: people.with(|p| names::actor(&e.actor, p)),
                        }),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    move || {
        let rows = rows.get();
        (!rows.is_empty()).then(|| {
            view! {
                <section aria-labelledby="removals-heading">
                    <h3 id="removals-heading">"Removed products"</h3>
                    <ul class="removals">
                        {rows
                            .into_iter()
                            .map(|r| {
                                let said = r.reason.map_or_else(
                                    || "no reason given".to_owned(),
                                    |why| format!("\u{201c}{why}\u{201d}"),
                                );
                                view! {
                                    <li>
                                        <strong>{r.product}</strong>
                                        {format!(" · {said} · {} by {} (#{})", r.at, r.actor, r.position)}
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

/// One line of an application's history.
#[derive(Clone, PartialEq)]
struct HistoryRow {
    /// 1-based, as the timeline counts.
    position: usize,
    name: &'static str,
    kind: &'static str,
    at: String,
    actor: String,
}

#[component]
fn History(id: AppId) -> impl IntoView {
    let ledger = use_ledger();
    let sync = use_sync();
    sync.refresh_people();
    let people = sync.people;
    let all = RwSignal::new(false);
    // Keyed by position, so an appended event adds its line and the lines
    // already drawn stay.
    let listed = Memo::new(move |_| {
        let limit = if all.get() { usize::MAX } else { HISTORY_SHOWN };
        ledger
            .with_machine(|machine, k| {
                let history = machine.app_history(id, k);
                let total = history.len();
                let rows = history
                    .into_iter()
                    .rev()
                    .take(limit)
                    .map(|(p, e)| HistoryRow {
                        position: p + 1,
                        name: e.event_type().name(),
                        kind: e.kind().label(),
                        at: dates::minute(e.occurred_at),
                        actor: people.with(|p| names::actor(&e.actor, p)),
                    })
                    .collect::<Vec<_>>();
                (total, rows)
            })
            .unwrap_or_default()
    });
    view! {
        <section aria-labelledby="history-heading">
            <h3 id="history-heading">"History"</h3>
            <ol class="history" reversed>
                <For
                    each=move || listed.with(|(_, rows)| rows.clone())
                    key=|row| row.position
                    children=move |row| {
                        let position = row.position as u64;
                        // The line moves the slider to just after its event:
                        // the whole portal as that moment left it.
                        view! {
                            <li>
                                <button
                                    type="button"
                                    class="moment"
                                    title="Show the portal as this event left it"
                                    on:click=move |_| ledger.travel(position)
                                >
                                    <span class="position">{format!("#{}", row.position)}</span>
                                    " "
                                    <code>{row.name}</code>
                                    " "
                                    <span class=format!("badge {}", row.kind.replace(' ', "-"))>{row.kind}</span>
                                    " "
                                    <span>{row.at}</span>
                                    " "
                                    <span>{row.actor}</span>
                                </button>
                            </li>
                        }
                    }
                />
            </ol>
            {move || {
                let (total, drawn) = listed.with(|(total, rows)| (*total, rows.len()));
                (total > drawn)
                    .then(|| {
                        view! {
                            <button type="button" on:click=move |_| all.set(true)>
                                {format!("Show all {total} events")}
                            </button>
                        }
                    })
            }}
        </section>
    }
}
