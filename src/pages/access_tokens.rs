//! A person's access tokens for scripts: made and revoked by their owner,
//! each shown once when made (the server keeps only its hash). They act as
//! the person, with the person's role, until revoked (ADR 26).

use crate::pages::account::worded;
use crate::pages::secret::SecretOnce;
use crate::pages::Outcome;
use crate::sync::api::{call, object};
use crate::sync::people::field;
use crate::sync::use_sync;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

#[derive(Clone, Debug, PartialEq)]
struct Listed {
    id: String,
    name: String,
    created: String,
}

/// The list as the server gives it, oldest first.
fn read(text: &str) -> Option<Vec<Listed>> {
    let list: js_sys::Array = js_sys::JSON::parse(text).ok()?.dyn_into().ok()?;
    Some(
        list.iter()
            .map(|t| Listed {
                id: field(&t, &["id"]),
                name: field(&t, &["name"]),
                created: field(&t, &["created_at"]).chars().take(10).collect(),
            })
            .collect(),
    )
}

#[component]
pub fn AccessTokens() -> impl IntoView {
    let sync = use_sync();
    let listed = RwSignal::new(None::<Result<Vec<Listed>, String>>);
    let name = RwSignal::new(String::new());
    let made = RwSignal::new(None::<(String, String)>);
    let message = RwSignal::new(None::<Result<String, String>>);
    let reload = move || {
        let settings = sync.settings.get_untracked();
        spawn_local(async move {
            let answer = call(&settings, "GET", "/tokens", None, 200)
                .await
                .map_err(worded)
                .and_then(|text| {
                    read(&text).ok_or_else(|| "The server's answer is unreadable.".to_owned())
                });
            listed.try_set(Some(answer));
        });
    };
    reload();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let wanted = name.get_untracked().trim().to_owned();
        if wanted.is_empty() {
            message.set(Some(Err(
                "Name the token after what will use it.".to_owned()
            )));
            return;
        }
        let settings = sync.settings.get_untracked();
        spawn_local(async move {
            let body = object(&[("name", &wanted)]);
            match call(&settings, "POST", "/tokens", Some(body), 201).await {
                Ok(text) => {
                    let token = js_sys::JSON::parse(&text)
                        .map(|reply| field(&reply, &["token"]))
                        .unwrap_or_default();
                    made.set(Some((wanted.clone(), token)));
                    message.set(None);
                    name.set(String::new());
                    reload();
                }
                Err(e) => message.set(Some(Err(worded(e)))),
            }
        });
    };
    let revoke = move |token: Listed| {
        let settings = sync.settings.get_untracked();
        spawn_local(async move {
            let path = format!("/tokens/{}", token.id);
            let said = call(&settings, "DELETE", &path, None, 204)
                .await
                .map(|_| format!("Revoked {}: it opens nothing any more.", token.name))
                .map_err(worded);
            if said.is_ok()
                && made.with_untracked(|m| m.as_ref().is_some_and(|(n, _)| *n == token.name))
            {
                made.set(None);
            }
            message.set(Some(said));
            reload();
        });
    };
    let rows = move || {
        match listed.get() {
        None => view! { <p role="status">"Asking the server for your tokens…"</p> }.into_any(),
        Some(Err(why)) => view! { <p role="alert">{format!("Your tokens cannot be listed: {why}")}</p> }
            .into_any(),
        Some(Ok(tokens)) if tokens.is_empty() => {
            view! { <p class="empty">"No access token yet. Make one below for a script: it acts as you, and is shown once."</p> }.into_any()
        }
        Some(Ok(tokens)) => view! {
            <table aria-label="Your access tokens">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Made"</th>
                        <th scope="col"><span class="visually-hidden">"Revoke"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {tokens
                        .into_iter()
                        .map(|t| {
                            let label = format!("Revoke {}", t.name);
                            let (name, created) = (t.name.clone(), t.created.clone());
                            view! {
                                <tr>
                                    <td>{name}</td>
                                    <td>{created}</td>
                                    <td>
                                        <button type="button" aria-label=label on:click=move |_| revoke(t.clone())>
                                            "Revoke"
                                        </button>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
        .into_any(),
    }
    };
    view! {
        <section aria-labelledby="tokens-title">
            <h2 id="tokens-title">"Access tokens"</h2>
            <p>
                "For scripts and tools that call the API as you: each acts with your role "
                "until you revoke it, and is shown once, when it is made."
            </p>
            {rows}
            <form class="settings" aria-label="Make an access token" on:submit=create>
                <label>
                    "Token name"
                    <input
                        type="text"
                        aria-label="Token name"
                        maxlength="100"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                </label>
                <div class="actions">
                    <button type="submit">"Make token"</button>
                </div>
            </form>
            {move || made.get().map(|(name, token)| view! {
                <div role="status">
                    <p>{format!("Made {name}.")}</p>
                    <SecretOnce secret=token label="Access token" />
                </div>
            })}
            <Outcome message=message />
        </section>
    }
}
