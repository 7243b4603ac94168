//! The form that creates an application, with its first credential. It
//! sits folded on the applications page, and its code is fetched when it is
//! first unfolded (ADR 20).

use crate::browser;
use crate::ledger::use_ledger;
use crate::pages::person_picker::PersonPicker;
use crate::pages::secret::SecretOnce;
use crate::pages::FieldError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use portal_domain::{
    Action, AppId, AppName, CredentialId, ExpiryDays, NewCredential, Owner, Plan, Role,
};

#[component]
pub fn NewApplicationForm() -> impl IntoView {
    let ledger = use_ledger();
    let sync = crate::sync::use_sync();
    let name = RwSignal::new(String::new());
    // A developer creates for themselves; an admin for anyone of the
    // workspace (`access::may`, the rule the server applies).
    let me = sync.settings.get_untracked().person;
    let owner = RwSignal::new(me.as_ref().map(|p| p.email.clone()).unwrap_or_default());
    let picks_owner = me.is_some_and(|p| p.role == Role::Admin);
    let plan = RwSignal::new(Plan::Free);
    let days = RwSignal::new(ExpiryDays::DEFAULT.to_string());
    let touched = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<(AppId, String), String>>);
    let name_error = move || {
        let raw = name.get();
        (touched.get() || !raw.is_empty())
            .then(|| AppName::parse(&raw).err().map(|e| e.to_string()))
            .flatten()
    };
    let owner_error = move || Owner::parse(&owner.get()).err().map(|e| e.to_string());
    let days_error = move || ExpiryDays::parse(&days.get()).err().map(|e| e.to_string());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        let (Ok(app_name), Ok(app_owner), Ok(lifetime)) = (
            AppName::parse(&name.get_untracked()),
            Owner::parse(&owner.get_untracked()),
            ExpiryDays::parse(&days.get_untracked()),
        ) else {
            return;
        };
        let (secret, key) = browser::new_secret();
        let app_id = AppId(browser::new_uuid());
        let action = Action::CreateApplication {
            app_id,
            name: app_name,
            owner: app_owner,
            plan: plan.get_untracked(),
            credential: NewCredential {
                id: CredentialId(browser::new_uuid()),
                key,
                expires_at: lifetime.expiry_from(browser::now()),
            },
        };
        spawn_local(async move {
            match ledger.execute(action).await {
                Ok(()) => {
                    outcome.set(Some(Ok((app_id, secret))));
                    name.set(String::new());
                    touched.set(false);
                }
                Err(e) => outcome.set(Some(Err(e.to_string()))),
            }
        });
    };
    view! {
        <form on:submit=submit aria-label="Create an application" novalidate>
            <label>
                "Name"
                <input
                    type="text"
                    aria-label="Application name"
                    aria-invalid=move || name_error().is_some().to_string()
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
            </label>
            <FieldError error=Signal::derive(name_error) />
            {if picks_owner {
                view! {
                    <label>
                        "Owner "
                        <PersonPicker label="Owner" value=owner on_pick=Callback::new(move |email| owner.set(email)) />
                    </label>
                }
                    .into_any()
            } else {
                view! { <p class="owner">{move || format!("Owner: you ({})", owner.get())}</p> }.into_any()
            }}
            <FieldError error=Signal::derive(owner_error) />
            <label>
                "Plan"
                <select
                    aria-label="Plan"
                    on:change=move |ev| {
                        plan.set(if event_target_value(&ev) == "paid" { Plan::Paid } else { Plan::Free })
                    }
                >
                    <option value="free">"Free"</option>
                    <option value="paid">"Paid"</option>
                </select>
            </label>
            <label>
                "First credential expires in (days)"
                <input
                    type="number"
                    min=ExpiryDays::MIN
                    max=ExpiryDays::MAX
                    aria-label="Credential expiry in days"
                    prop:value=move || days.get()
                    on:input=move |ev| days.set(event_target_value(&ev))
                />
            </label>
            <FieldError error=Signal::derive(days_error) />
            <button type="submit" disabled=move || !ledger.is_live()>
                "Create application"
            </button>
        </form>
        {move || match outcome.get() {
            Some(Ok((app_id, secret))) => {
                view! {
                    <div class="created" role="status">
                        <p>
                            "Application created. "
                            <A href=format!("/applications/{app_id}")>"Open it"</A>
                        </p>
                        <SecretOnce secret=secret />
                    </div>
                }
                    .into_any()
            }
            Some(Err(why)) => view! { <p role="alert" class="refused">{why}</p> }.into_any(),
            None => ().into_any(),
        }}
    }
}
