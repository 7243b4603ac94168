//! The workspace's outbound webhooks, for admins (ADR 35): register a URL
//! and the event types it wants (its secret shown once), remove one, read
//! its delivery log, and deliver an event again.

use crate::pages::account::worded;
use crate::pages::secret::SecretOnce;
use crate::pages::Outcome;
use crate::sync::api::call;
use crate::sync::people::field;
use crate::sync::use_sync;
use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_domain::EventType;
use wasm_bindgen::{JsCast, JsValue};

#[derive(Clone, Debug, PartialEq)]
struct Hook {
    id: String,
    url: String,
    types: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
struct Attempt {
    id: String,
    at: String,
    event_type: String,
    position: String,
    attempt: String,
    outcome: String,
    status: String,
}

fn items(text: &str) -> Option<Vec<JsValue>> {
    let list: js_sys::Array = js_sys::JSON::parse(text).ok()?.dyn_into().ok()?;
    Some(list.iter().collect())
}

fn number(value: &JsValue, key: &str) -> String {
    js_sys::Reflect::get(value, &key.into())
        .ok()
        .and_then(|v| v.as_f64())
        .map_or_else(String::new, |n| format!("{n}"))
}

fn hooks(text: &str) -> Option<Vec<Hook>> {
    Some(
        items(text)?
            .iter()
            .map(|h| Hook {
                id: field(h, &["id"]),
                url: field(h, &["url"]),
                types: js_sys::Reflect::get(h, &"event_types".into())
                    .ok()
                    .and_then(|t| t.dyn_into::<js_sys::Array>().ok())
                    .map(|t| t.iter().filter_map(|v| v.as_string()).collect())
                    .unwrap_or_default(),
            })
            .collect(),
    )
}

fn attempts(text: &str) -> Option<Vec<Attempt>> {
    Some(
        items(text)?
            .iter()
            .map(|d| Attempt {
                id: field(d, &["id"]),
                at: field(d, &["at"])
                    .chars()
                    .take(19)
                    .collect::<String>()
                    .replace('T', " "),
                event_type: field(d, &["event_type"]),
                position: number(d, "global_position"),
                attempt: number(d, "attempt"),
                outcome: field(d, &["outcome"]),
                status: {
                    let code = number(d, "status_code");
                    if code.is_empty() {
                        field(d, &["error"])
                    } else {
                        code
                    }
                },
            })
            .collect(),
    )
}

/// The JSON a new hook is registered with.
fn new_hook(url: &str, types: &[String]) -> String {
    let body = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&body, &"url".into(), &url.into());
    let list = js_sys::Array::new();
    for t in types {
        list.push(&t.into());
    }
    let _ = js_sys::Reflect::set(&body, &"event_types".into(), &list);
    js_sys::JSON::stringify(&body)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

#[component]
pub fn Webhooks() -> impl IntoView {
    let sync = use_sync();
    let listed = RwSignal::new(None::<Result<Vec<Hook>, String>>);
    let url = RwSignal::new(String::new());
    let types = RwSignal::new(Vec::<String>::new());
    let made = RwSignal::new(None::<(String, String)>);
    let message = RwSignal::new(None::<Result<String, String>>);
    // The delivery log shown, of which hook.
    let log = RwSignal::new(None::<(String, Result<Vec<Attempt>, String>)>);
    let reload = move || {
        let settings = sync.settings.get_untracked();
        spawn_local(async move {
            let answer = call(&settings, "GET", "/webhooks", None, 200)
                .await
                .map_err(worded)
                .and_then(|t| hooks(&t).ok_or_else(|| "The server's answer is unreadable.".into()));
            listed.try_set(Some(answer));
        });
    };
    reload();
    let show_log = move |hook: String| {
        let settings = sync.settings.get_untracked();
        spawn_local(async move {
            let path = format!("/webhooks/{hook}/deliveries");
            let answer = call(&settings, "GET", &path, None, 200)
                .await
                .map_err(worded)
                .and_then(|t| {
                    attempts(&t).ok_or_else(|| "The server's answer is unreadable.".into())
                });
            log.try_set(Some((hook, answer)));
        });
    };
    let register = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let wanted = url.get_untracked().trim().to_owned();
        if !(wanted.starts_with("http://") || wanted.starts_with("https://")) {
            message.set(Some(Err(
                "The URL must start with http:// or https://.".to_owned()
            )));
            return;
        }
        let settings = sync.settings.get_untracked();
        let chosen = types.get_untracked();
        spawn_local(async move {
            match call(
                &settings,
                "POST",
                "/webhooks",
                Some(new_hook(&wanted, &chosen)),
                201,
            )
            .await
            {
                Ok(text) => {
                    let secret = js_sys::JSON::parse(&text)
                        .map(|reply| field(&reply, &["secret"]))
                        .unwrap_or_default();
                    made.set(Some((wanted, secret)));
                    message.set(None);
                    url.set(String::new());
                    types.set(Vec::new());
                    reload();
                }
                Err(e) => message.set(Some(Err(worded(e)))),
            }
        });
    };
    let remove = move |hook: Hook| {
        let settings = sync.settings.get_untracked();
        spawn_local(async move {
            let said = call(
                &settings,
                "DELETE",
                &format!("/webhooks/{}", hook.id),
                None,
                204,
            )
            .await
            .map(|_| {
                format!(
                    "Removed the webhook to {}: nothing more is delivered to it.",
                    hook.url
                )
            })
            .map_err(worded);
            message.set(Some(said));
            if log.with_untracked(|l| l.as_ref().is_some_and(|(h, _)| *h == hook.id)) {
                log.set(None);
            }
            reload();
        });
    };
    let replay = move |hook: String, attempt: Attempt| {
        let settings = sync.settings.get_untracked();
        spawn_local(async move {
            let path = format!("/webhooks/{hook}/deliveries/{}/replay", attempt.id);
            let said = call(&settings, "POST", &path, None, 200)
                .await
                .map(|text| {
                    let outcome = js_sys::JSON::parse(&text)
                        .map(|reply| field(&reply, &["outcome"]))
                        .unwrap_or_default();
                    if outcome == "replayed" {
                        format!("Delivered event {} again.", attempt.position)
                    } else {
                        format!(
                            "Event {} was sent again, and refused again.",
                            attempt.position
                        )
                    }
                })
                .map_err(worded);
            message.set(Some(said));
            show_log(hook);
        });
    };
    let choose = move |ev: leptos::ev::Event| {
        let select: web_sys::HtmlSelectElement = event_target(&ev);
        let options = select.selected_options();
        let chosen = (0..options.length())
            .filter_map(|i| options.item(i))
            .filter_map(|o| o.get_attribute("value"))
            .collect();
        types.set(chosen);
    };
    let list = move || {
        match listed.get() {
        None => view! { <p role="status">"Asking the server for the webhooks…"</p> }.into_any(),
        Some(Err(why)) => view! { <p role="alert">{format!("The webhooks cannot be listed: {why}")}</p> }
            .into_any(),
        Some(Ok(hooks)) if hooks.is_empty() => view! {
            <p class="empty">"No webhook yet. Register one below to have the workspace's events POSTed to a URL of yours, signed."</p>
        }
            .into_any(),
        Some(Ok(hooks)) => view! {
            <table aria-label="Webhooks">
                <thead>
                    <tr>
                        <th scope="col">"URL"</th>
                        <th scope="col">"Events"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {hooks
                        .into_iter()
                        .map(|hook| {
                            let shown = hook.clone();
                            let id = hook.id.clone();
                            view! {
                                <tr>
                                    <td><code>{shown.url.clone()}</code></td>
                                    <td>{if shown.types.is_empty() { "every event".to_owned() } else { shown.types.join(", ") }}</td>
                                    <td class="actions">
                                        <button
                                            type="button"
                                            aria-label=format!("Deliveries to {}", shown.url)
                                            on:click=move |_| show_log(id.clone())
                                        >
                                            "Deliveries"
                                        </button>
                                        <button
                                            type="button"
                                            class="danger"
                                            aria-label=format!("Remove the webhook to {}", shown.url)
                                            on:click=move |_| remove(hook.clone())
                                        >
                                            "Remove"
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
    let deliveries = move || {
        log.get().map(|(hook, attempts)| match attempts {
            Err(why) => view! { <p role="alert">{format!("The deliveries cannot be listed: {why}")}</p> }.into_any(),
            Ok(attempts) if attempts.is_empty() => {
                view! { <p class="empty">"Nothing delivered to it yet: events come as the workspace's log takes them."</p> }.into_any()
            }
            Ok(attempts) => view! {
                <h3>"Its latest deliveries"</h3>
                <table aria-label="Deliveries" class="deliveries">
                    <thead>
                        <tr>
                            <th scope="col">"At (UTC)"</th>
                            <th scope="col">"Event"</th>
                            <th scope="col">"Attempt"</th>
                            <th scope="col">"Outcome"</th>
                            <th scope="col">"Answer"</th>
                            <th scope="col"><span class="visually-hidden">"Replay"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {attempts
                            .into_iter()
                            .map(|a| {
                                let hook = hook.clone();
                                let label = format!("Deliver event {} again", a.position);
                                let shown = a.clone();
                                view! {
                                    <tr class=shown.outcome.clone()>
                                        <td>{shown.at.clone()}</td>
                                        <td>{format!("#{} {}", shown.position, shown.event_type)}</td>
                                        <td>{shown.attempt.clone()}</td>
                                        <td><span class="badge">{shown.outcome.clone()}</span></td>
                                        <td>{shown.status.clone()}</td>
                                        <td>
                                            <button type="button" aria-label=label on:click=move |_| replay(hook.clone(), a.clone())>
                                                "Replay"
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
        })
    };
    view! {
        <section aria-labelledby="webhooks-title">
            <h2 id="webhooks-title">"Webhooks"</h2>
            <p>
                "Each event of the kinds a webhook asks for is POSTed to its URL as it is stored, in order, "
                "signed with the webhook's secret (Portal-Signature); a failed delivery is tried again for a day."
            </p>
            {list}
            {deliveries}
            <form class="settings" aria-label="Register a webhook" on:submit=register>
                <label>
                    "Webhook URL"
                    <input
                        type="url"
                        aria-label="Webhook URL"
                        placeholder="https://hooks.example.com/portal"
                        prop:value=move || url.get()
                        on:input=move |ev| url.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    "Event types (none chosen: every event)"
                    <select multiple aria-label="Event types" size="6" on:change=choose>
                        {EventType::ALL
                            .into_iter()
                            .map(|t| {
                                let name = t.name();
                                view! {
                                    <option value=name selected=move || types.with(|c| c.iter().any(|n| n == name))>
                                        {name}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <div class="actions">
                    <button type="submit">"Register webhook"</button>
                </div>
            </form>
            {move || made.get().map(|(url, secret)| view! {
                <div role="status">
                    <p>{format!("Registered a webhook to {url}. Its secret signs every delivery:")}</p>
                    <SecretOnce secret=secret label="Webhook secret" />
                </div>
            })}
            <Outcome message=message />
        </section>
    }
}
