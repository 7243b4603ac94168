//! Signing in and out on this device (ADR 26). The session token and who it
//! is are kept in localStorage beside the server URL, never in the log; a
//! person's commands are signed with their email, which the server checks.

use crate::ledger::{saved_actor, use_ledger};
use crate::sync::people::field;
use crate::sync::settings::{Settings, SignedIn};
use crate::sync::use_sync;
use gloo_net::http::Request;
use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_client::{json, CallError};
use portal_domain::Role;

/// Why signing in did not work, for the person trying.
fn worded(error: CallError) -> String {
    match error {
        CallError::Unreachable(_) => {
            "The server cannot be reached. Sign in once the network is back; until then this device keeps working."
                .to_owned()
        }
        CallError::Busy(seconds) => format!(
            "Too many failed attempts. Try again in {} minutes.",
            seconds.div_ceil(60).max(1)
        ),
        CallError::Refused(why) | CallError::Invalid(why) | CallError::Conflict(why) => why,
        CallError::Server(why) => format!("The server failed: {why}"),
    }
}

/// Asks the server in `settings` for a session.
async fn request_session(
    settings: &Settings,
    email: &str,
    password: &str,
) -> Result<(String, SignedIn), String> {
    let body = js_sys::Object::new();
    for (key, value) in [("email", email), ("password", password)] {
        let _ = js_sys::Reflect::set(&body, &key.into(), &value.into());
    }
    let body = js_sys::JSON::stringify(&body)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    let response = Request::post(&format!("{}/sessions", settings.api()))
        .header("content-type", "application/json")
        .body(body)
        .map_err(|e| worded(CallError::Unreachable(e.to_string())))?
        .send()
        .await
        .map_err(|e| worded(CallError::Unreachable(e.to_string())))?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.parse().ok());
    let text = response.text().await.unwrap_or_default();
    if status != 201 {
        return Err(worded(json::refusal(status, &text, retry_after)));
    }
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
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<Result<String, String>>);
    let sign_in = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        // One person's unsent work is never sent as another's (ADR 27).
        let typed = email.get_untracked().trim().to_lowercase();
        let others = ledger
            .device()
            .map(|d| d.unsent_by_others(&typed))
            .unwrap_or_default();
        if !others.is_empty() {
            let who: Vec<String> = others.into_iter().collect();
            message.set(Some(Err(format!(
                "This device holds changes by {} that are not sent yet. Send them first (signed in as that person, online), then sign in as someone else.",
                who.join(", ")
            ))));
            return;
        }
        busy.set(true);
        message.set(None);
        spawn_local(async move {
            let settings = sync.settings.get_untracked();
            let asked =
                request_session(&settings, &email.get_untracked(), &password.get_untracked()).await;
            let said = asked.and_then(|(token, person)| {
                let name = person.name.clone();
                let actor = person.email.clone();
                sync.save(settings.signed_in(token, person))
                    .map_err(|e| format!("Signed in, but this device could not keep it: {e}"))?;
                ledger.actor.set(actor);
                Ok(format!("Signed in as {name}."))
            });
            password.set(String::new());
            busy.set(false);
            message.set(Some(said));
        });
    };
    let sign_out = move |_| {
        let settings = sync.settings.get_untracked();
        // Revoked on the server when it can be reached; forgotten here in
        // any case, so a device handed on does not keep the session.
        let revoke = Request::delete(&format!("{}/sessions/current", settings.api()))
            .header(
                "authorization",
                &format!("Bearer {}", settings.token.trim()),
            )
            .build();
        if let Ok(revoke) = revoke {
            spawn_local(async move {
                let _ = revoke.send().await;
            });
        }
        let said = sync
            .save(settings.signed_out())
            .map(|()| "Signed out.".to_owned())
            .map_err(|e| format!("Not signed out: {e}"));
        ledger.actor.set(saved_actor());
        message.set(Some(said));
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
                    <button type="button" on:click=sign_out>"Sign out"</button>
                }
                .into_any(),
                None => view! {
                    <p>
                        "Sign in to change what is yours and to sync as yourself. "
                        "Without signing in, this device syncs with the access token below."
                    </p>
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
                .into_any(),
            }}
            {move || match message.get() {
                Some(Ok(text)) => view! { <p role="status">{text}</p> }.into_any(),
                Some(Err(text)) => view! { <p role="alert">{text}</p> }.into_any(),
                None => ().into_any(),
            }}
        </section>
    }
}
