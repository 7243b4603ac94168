//! Signing in and out on this device (ADR 26). The session token and who it
//! is are kept in localStorage beside the server URL, never in the log; a
//! person's commands are signed with their email, which the server checks.

use crate::ledger::use_ledger;
use crate::pages::Outcome;
use crate::sync::api::{call, object};
use crate::sync::people::field;
use crate::sync::settings::{Settings, SignedIn};
use crate::sync::{use_sync, Phase};
use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_client::CallError;
use portal_domain::Role;

/// Why signing in did not work, for the person trying.
pub fn worded(error: CallError) -> String {
    match error {
        CallError::Unreachable(_) => {
            "The server cannot be reached. Sign in once the network is back; until then this device keeps working."
                .to_owned()
        }
        CallError::Busy(seconds) => format!(
            "Too many failed attempts. Try again in {} minutes.",
            seconds.div_ceil(60).max(1)
        ),
        CallError::Refused(why)
        | CallError::Invalid(why)
        | CallError::Conflict(why)
        | CallError::UpdateRequired(why) => why,
        CallError::Server(why) => format!("The server failed: {why}"),
    }
}

/// Asks the server in `settings` for a session.
async fn request_session(
    settings: &Settings,
    email: &str,
    password: &str,
) -> Result<(String, SignedIn), String> {
    let body = object(&[("email", email), ("password", password)]);
    // Asked without a token: the one kept may be another person's.
    let anonymous = settings.signed_out();
    let text = call(&anonymous, "POST", "/sessions", Some(body), 201)
        .await
        .map_err(worded)?;
    let reply =
        js_sys::JSON::parse(&text).map_err(|_| "The server's answer is unreadable.".to_owned())?;
    let token = field(&reply, &["token"]);
    let person = SignedIn {
        email: field(&reply, &["person", "email"]),
        name: field(&reply, &["person", "display_name"]),
        role: Role::parse(&field(&reply, &["person", "role"])).unwrap_or(Role::Developer),
    };
    if token.is_empty() || person.email.is_empty() {
        return Err("The server's answer is unreadable.".to_owned());
    }
    Ok((token, person))
}

/// Who is signed in on this device, and the form to sign in or out.
#[component]
pub fn Account() -> impl IntoView {
    let sync = use_sync();
    let ledger = use_ledger();
    let email = RwSignal::new(
        sync.settings
            .get_untracked()
            .person
            .map(|p| p.email)
            .unwrap_or_default(),
    );
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<Result<String, String>>);
    // Whose unsent changes stand in the way of signing in, once asked.
    let others = RwSignal::new(Vec::<String>::new());
    let attempt = move |anyway: bool| {
        if busy.get_untracked() {
            return;
        }
        // One person's unsent work is never sent as another's (ADR 27),
        // unless the person signing in says to send it to be refused.
        let typed = email.get_untracked().trim().to_lowercase();
        let waiting: Vec<String> = ledger
            .device()
            .map(|d| d.unsent_by_others(&typed))
            .unwrap_or_default()
            .into_iter()
            .collect();
        if !waiting.is_empty() && !anyway {
            message.set(Some(Err(format!(
                "This device holds changes by {} that are not sent yet. Send them first (signed in as that person, online), then sign in as someone else.",
                waiting.join(", ")
            ))));
            others.set(waiting);
            return;
        }
        others.set(Vec::new());
        busy.set(true);
        message.set(None);
        spawn_local(async move {
            let settings = sync.settings.get_untracked();
            let asked =
                request_session(&settings, &email.get_untracked(), &password.get_untracked()).await;
            let said = asked.and_then(|(token, person)| {
                let name = person.name.clone();
                sync.save(settings.signed_in(token, person))
                    .map_err(|e| format!("Signed in, but this device could not keep it: {e}"))?;
                Ok(format!("Signed in as {name}."))
            });
            password.set(String::new());
            busy.set(false);
            message.set(Some(said));
        });
    };
    let sign_in = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        attempt(false);
    };
    let sign_out = move |_| {
        let settings = sync.settings.get_untracked();
        // Revoked on the server when it can be reached; forgotten here in
        // any case, so a device handed on does not keep the session.
        let asking = settings.clone();
        spawn_local(async move {
            let _ = call(&asking, "DELETE", "/sessions/current", None, 204).await;
        });
        crate::sync::people::forget();
        sync.people.set(Vec::new());
        let said = sync
            .save(settings.signed_out())
            .map(|()| "Signed out.".to_owned())
            .map_err(|e| format!("Not signed out: {e}"));
        message.set(Some(said));
    };
    let form = move || {
        view! {
            <form class="settings" aria-label="Sign in" on:submit=sign_in>
                <label>
                    "Email"
                    <input
                        type="email"
                        aria-label="Email"
                        autocomplete="username"
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    "Password"
                    <input
                        type="password"
                        aria-label="Password"
                        autocomplete="current-password"
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                </label>
                <div class="actions">
                    <button type="submit" prop:disabled=move || busy.get()>"Sign in"</button>
                </div>
            </form>
        }
    };
    let ended = move || match sync.phase.get() {
        Phase::SignInAgain(why) => Some(why),
        _ => None,
    };
    view! {
        <section aria-labelledby="account-title">
            <h2 id="account-title">"Account"</h2>
            {move || match sync.settings.get().person {
                Some(person) => view! {
                    <p class="signed-in">
                        "Signed in as " <strong>{person.name.clone()}</strong>
                        {format!(" ({}, {}).", person.email, person.role.label())}
                    </p>
                    {move || ended().map(|why| view! {
                        <p role="alert">
                            {format!("The server no longer takes this session ({why}). Your changes wait on this device until you do.")}
                        </p>
                        {form()}
                    })}
                    <div class="actions">
                        <button type="button" on:click=sign_out>"Sign out"</button>
                    </div>
                }
                .into_any(),
                None => view! {
                    <p>
                        "Sign in to make changes and to sync them. "
                        "Signed out, this device shows what it holds, changes nothing and sends nothing."
                    </p>
                    {form()}
                }
                .into_any(),
            }}
            <Outcome message=message />
            <Show when=move || others.with(|o| !o.is_empty())>
                <p>
                    "Or sign in anyway: the server then refuses those changes, since they are not "
                    "yours, and they stay listed under Conflicts, on this device only."
                </p>
                <button type="button" on:click=move |_| attempt(true)>"Sign in anyway"</button>
            </Show>
        </section>
    }
}
