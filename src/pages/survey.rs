//! One survey: the page its link opens (ADR 34). Its owner, signed in,
//! answers here as a command, which waits on the device while it is
//! offline; whoever holds the link's key (`?key=…`), signed in or not,
//! answers straight to the server, signed with the survey's secret, and
//! the answer comes back with the next pull.

use crate::dates;
use crate::ledger::use_ledger;
use crate::sync::use_sync;
use hmac::{Hmac, Mac};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use portal_domain::{Rating, SurveyId, SurveyStatus, Text};
use sha2::Sha256;
use uuid::Uuid;

#[derive(Clone, PartialEq)]
enum State {
    Added,
    Sent(String),
    Answered {
        on: String,
        rating: u8,
        comment: Option<String>,
    },
}

#[derive(Clone, PartialEq)]
struct Shown {
    app: String,
    app_href: String,
    owner: String,
    topic: String,
    state: State,
}

/// The answer as the server reads it, written by the browser's JSON.
fn answer_json(rating: Rating, comment: Option<&Text>) -> String {
    use js_sys::Reflect;
    let body = js_sys::Object::new();
    let _ = Reflect::set(&body, &"rating".into(), &rating.get().into());
    if let Some(comment) = comment {
        let _ = Reflect::set(&body, &"comment".into(), &comment.as_str().into());
    }
    js_sys::JSON::stringify(&body)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// Sends an answer signed with the survey's secret `key`.
async fn send_signed(
    api: String,
    survey: SurveyId,
    key: String,
    body: String,
) -> Result<(), String> {
    let time = (js_sys::Date::now() / 1000.0) as i64;
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).map_err(|e| e.to_string())?;
    mac.update(format!("{time}.").as_bytes());
    mac.update(body.as_bytes());
    let signature: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let response = gloo_net::http::Request::post(&format!("{api}/surveys/{}/responses", survey.0))
        .header("content-type", "application/json")
        .header("portal-signature", &format!("t={time},v1={signature}"))
        .body(body)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|_| "the server cannot be reached; try again once online".to_owned())?;
    if response.ok() {
        return Ok(());
    }
    let text = response.text().await.unwrap_or_default();
    let refusal = portal_client::json::refusal(response.status(), &text, None);
    Err(match refusal {
        portal_client::CallError::Refused(_) => {
            "this link's key is not the survey's (ask its owner for the link again)".to_owned()
        }
        other => other.to_string(),
    })
}

#[component]
pub fn SurveyPage() -> impl IntoView {
    let ledger = use_ledger();
    let sync = use_sync();
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| {
        params.with(|p| {
            p.get("id")
                .and_then(|id| Uuid::parse_str(&id).ok())
                .map(SurveyId)
        })
    });
    let key = move || query.with(|q| q.get("key").filter(|k| !k.is_empty()));
    let shown = Memo::new(move |_| {
        let id = id.get()?;
        ledger
            .with_state(|portal, _| {
                let survey = portal.survey(id)?;
                Some(Shown {
                    app: portal
                        .app(survey.app_id)
                        .map_or_else(|| survey.app_id.to_string(), |a| a.record.name.to_string()),
                    app_href: format!("/applications/{}", survey.app_id),
                    owner: survey.owner.to_string(),
                    topic: super::surveys::describe(survey.topic),
                    state: match &survey.status {
                        SurveyStatus::Added => State::Added,
                        SurveyStatus::Sent { at, .. } => State::Sent(dates::day(*at)),
                        SurveyStatus::Answered {
                            at,
                            rating,
                            comment,
                        } => State::Answered {
                            on: dates::day(*at),
                            rating: rating.get(),
                            comment: comment.as_ref().map(|c| c.to_string()),
                        },
                    },
                })
            })
            .flatten()
    });
    // The owner, signed in, answers as a command; a link's holder with its
    // key, to the server.
    let mine = move || {
        let Some(shown) = shown.get() else {
            return false;
        };
        let owner = portal_domain::Owner::parse(&shown.owner).ok();
        sync.settings.with(|s| {
            s.person
                .as_ref()
                .zip(owner.as_ref())
                .is_some_and(|(p, owner)| {
                    p.judged(|who| portal_domain::may_answer(who, owner)) == Some(true)
                })
        })
    };
    let rating = RwSignal::new("5".to_owned());
    let comment = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let sending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(survey) = id.get_untracked() else {
            return;
        };
        let parsed =
            super::surveys::parsed_answer(&rating.get_untracked(), &comment.get_untracked());
        let (r, c) = match parsed {
            Ok(answer) => answer,
            Err(e) => return outcome.set(Some(Err(e))),
        };
        let by_key = if mine() { None } else { key() };
        sending.set(true);
        spawn_local(async move {
            let result = match by_key {
                None => ledger
                    .answer_survey(survey, r, c)
                    .await
                    .map_err(|e| e.to_string()),
                Some(key) => {
                    let body = answer_json(r, c.as_ref());
                    let sent =
                        send_signed(sync.settings.get_untracked().api(), survey, key, body).await;
                    if sent.is_ok() {
                        sync.sync_now();
                    }
                    sent
                }
            };
            sending.set(false);
            outcome.set(Some(
                result
                    .map(|()| "Thank you: the answer was recorded.".to_owned())
                    .map_err(|e| format!("The answer was not recorded: {e}")),
            ));
        });
    };
    let form = move || {
        view! {
            <form on:submit=submit aria-label="Answer the survey" class="answer">
                <super::surveys::AnswerFields rating=rating comment=comment />
                <button type="submit" prop:disabled=move || sending.get()>"Send answer"</button>
            </form>
        }
    };
    view! {
        <section class="survey" aria-labelledby="survey-heading">
            <h2 id="survey-heading">"Feedback survey"</h2>
            {move || match outcome.get() {
                Some(Ok(text)) => view! { <p role="status" class="done">{text}</p> }.into_any(),
                Some(Err(text)) => view! { <p role="alert" class="refused">{text}</p> }.into_any(),
                None => ().into_any(),
            }}
            {move || match shown.get() {
                // Opened from its link on a device that does not hold it:
                // the link's key is enough to answer.
                None if key().is_some() => {
                    if outcome.with(|o| matches!(o, Some(Ok(_)))) {
                        return ().into_any();
                    }
                    view! {
                        <p>"You were sent this survey's link: your answer goes to the portal with it."</p>
                        {form()}
                    }
                        .into_any()
                }
                None => view! {
                    <p class="empty">
                        "This device does not hold this survey yet. It comes with the next sync; "
                        <A href="/surveys">"see the surveys this device holds"</A>
                        "."
                    </p>
                }
                    .into_any(),
                Some(shown) => {
                    let answerable = matches!(shown.state, State::Sent(_))
                        && ledger.is_live()
                        && (mine() || key().is_some());
                    view! {
                        <p>
                            <A href=shown.app_href.clone()>{shown.app.clone()}</A>
                            {format!(" · sent to {}", shown.owner)}
                        </p>
                        <p class="topic">{shown.topic.clone()}</p>
                        {match shown.state.clone() {
                            State::Added => view! { <p>"Not sent yet."</p> }.into_any(),
                            State::Sent(on) => view! { <p>{format!("Sent {on}, waiting for an answer.")}</p> }.into_any(),
                            State::Answered { on, rating, comment } => view! {
                                <p class="answered">
                                    {format!("Answered {on}: {rating} of 5")}
                                    {comment.map(|c| format!(", \u{201c}{c}\u{201d}"))}
                                </p>
                            }
                                .into_any(),
                        }}
                        {if answerable {
                            form().into_any()
                        } else if matches!(shown.state, State::Sent(_)) {
                            view! {
                                <p class="read-only">
                                    {format!("Only {} can answer it, or whoever holds its link.", shown.owner)}
                                </p>
                            }
                                .into_any()
                        } else {
                            ().into_any()
                        }}
                    }
                        .into_any()
                }
            }}
        </section>
    }
}
