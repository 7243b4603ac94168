//! The feedback surveys waiting for an answer, and the form that records one.

use crate::dates;
use crate::ledger::use_ledger;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use portal_domain::{Action, Rating, SurveyId, SurveyTopic, Text};

#[derive(Clone, PartialEq)]
struct Pending {
    id: SurveyId,
    app: String,
    app_href: String,
    owner: String,
    topic: String,
    sent: String,
    /// Answered while the browser had no room: the answer waits on the page.
    waiting: bool,
    /// Sent to the person signed in, who alone may answer it.
    mine: bool,
}

pub(crate) fn describe(topic: &SurveyTopic) -> String {
    match topic {
        SurveyTopic::ProductRemoved { product, reason } => match reason {
            Some(reason) => format!("Why {product} was removed (\u{201c}{reason}\u{201d})"),
            None => format!("Why {product} was removed"),
        },
        SurveyTopic::PaidPlanFeedback { products } => {
            let names: Vec<&str> = products.iter().map(|p| p.as_str()).collect();
            format!(
                "How the paid plan's products serve it: {}",
                names.join(", ")
            )
        }
    }
}

/// An answer as it was typed, checked: a rating from 1 to 5 and an
/// optional comment.
pub(crate) fn parsed_answer(rating: &str, comment: &str) -> Result<(Rating, Option<Text>), String> {
    let rating = rating
        .parse::<u8>()
        .map_err(|_| "Pick a rating from 1 to 5.".to_owned())
        .and_then(|r| Rating::parse(r).map_err(|e| e.to_string()))?;
    let comment = Text::parse_optional("comment", comment).map_err(|e| e.to_string())?;
    Ok((rating, comment))
}

/// A survey's answer being typed: its rating and comment.
#[component]
pub(crate) fn AnswerFields(rating: RwSignal<String>, comment: RwSignal<String>) -> impl IntoView {
    view! {
        <label>
            "Rating "
            <select
                aria-label="Rating"
                prop:value=move || rating.get()
                on:change=move |ev| rating.set(event_target_value(&ev))
            >
                {(1..=5)
                    .rev()
                    .map(|r| view! { <option value=r.to_string()>{format!("{r} of 5")}</option> })
                    .collect_view()}
            </select>
        </label>
        <label>
            "Comment (optional) "
            <input
                type="text"
                aria-label="Comment"
                prop:value=move || comment.get()
                on:input=move |ev| comment.set(event_target_value(&ev))
            />
        </label>
    }
}

#[component]
pub fn SurveysPage() -> impl IntoView {
    let ledger = use_ledger();
    let sync = crate::sync::use_sync();
    let pending = move || {
        let person = sync.settings.get().person;
        let waiting: Vec<SurveyId> = ledger.held.with(|held| {
            held.iter()
                .filter_map(|h| match h.command.action {
                    Action::RecordSurveyFeedback { survey_id, .. } => Some(survey_id),
                    _ => None,
                })
                .collect()
        });
        ledger
            .with_state(|portal, _| {
                portal
                    .pending_surveys(None)
                    .into_iter()
                    .map(|s| Pending {
                        id: s.id,
                        app: portal
                            .app(s.app_id)
                            .map_or_else(|| s.app_id.to_string(), |a| a.record.name.to_string()),
                        app_href: format!("/applications/{}", s.app_id),
                        owner: s.owner.to_string(),
                        topic: describe(s.topic),
                        sent: match s.status {
                            portal_domain::SurveyStatus::Sent { at, .. } => dates::day(at),
                            _ => String::new(),
                        },
                        waiting: waiting.contains(&s.id),
                        mine: person.as_ref().is_some_and(|p| {
                            p.judged(|who| portal_domain::may_answer(who, s.owner)) == Some(true)
                        }),
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    // Page-level, so that an open answer survives the log growing.
    let answering = RwSignal::new(None::<SurveyId>);
    let rating = RwSignal::new("5".to_owned());
    let comment = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(id) = answering.get_untracked() else {
            return;
        };
        let (r, c) = match parsed_answer(&rating.get_untracked(), &comment.get_untracked()) {
            Ok(answer) => answer,
            Err(e) => return outcome.set(Some(Err(e))),
        };
        spawn_local(async move {
            let result = ledger.answer_survey(id, r, c).await;
            // A held answer is kept and stored once there is room, so the
            // form closes as for a recorded one: answering again would only
            // be refused then.
            if result.as_ref().is_ok() || result.as_ref().is_err_and(|e| e.is_held()) {
                answering.set(None);
                comment.set(String::new());
            }
            outcome.set(Some(
                result
                    .map(|()| "Thank you: the answer was recorded.".to_owned())
                    .map_err(|e| e.to_string()),
            ));
        });
    };
    // What the server's processors will send once this device's changes
    // reach it (ADR 30): shown at the head, in the team's workspace.
    let foreseen = move || {
        if !ledger.is_live() || ledger.workspace.is_demo() {
            return Vec::new();
        }
        let device = ledger.device();
        ledger
            .with_state(|portal, _| {
                let pending = device.map(|d| d.pending()).unwrap_or_default();
                portal_domain::process::foreseen(&pending, portal)
                    .into_iter()
                    .filter_map(|issued| match issued.command.action {
                        Action::AddSurvey {
                            app_id,
                            owner,
                            topic,
                            ..
                        } => Some(format!(
                            "{}: to {owner}, {}",
                            portal
                                .app(app_id)
                                .map_or_else(|| app_id.to_string(), |a| a.record.name.to_string()),
                            describe(&topic).to_lowercase(),
                        )),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    view! {
        <section class="surveys" aria-labelledby="surveys-heading">
            <h2 id="surveys-heading">"Feedback surveys"</h2>
            {move || {
                let coming = foreseen();
                (!coming.is_empty()).then(|| view! {
                    <div class="foreseen">
                        <h3>"Will be sent once your changes reach the server"</h3>
                        <ul>{coming.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
                    </div>
                })
            }}
            {move || match outcome.get() {
                Some(Ok(text)) => view! { <p role="status" class="done">{text}</p> }.into_any(),
                Some(Err(text)) => view! { <p role="alert" class="refused">{text}</p> }.into_any(),
                None => ().into_any(),
            }}
            {move || {
                let pending = pending();
                if pending.is_empty() {
                    return view! { <p class="empty">"No survey is waiting for an answer. One is sent to an application's owner when a product is removed from it, and after 90 days on the paid plan."</p> }
                        .into_any();
                }
                view! {
                    <h3>"Waiting for an answer"</h3>
                    <ul class="pending">
                        {pending
                            .into_iter()
                            .map(|s| {
                                let id = s.id;
                                let label = format!("Answer the survey for {}", s.app);
                                let answer = if s.waiting {
                                    view! {
                                        <p class="waiting">"Answered: the answer is saved as soon as there is room."</p>
                                    }
                                        .into_any()
                                } else if !s.mine {
                                    view! {
                                        <p class="read-only">{format!("Only {} can answer it.", s.owner)}</p>
                                    }
                                        .into_any()
                                } else {
                                    view! {
                                        <button
                                            type="button"
                                            aria-label=label
                                            disabled=move || !ledger.is_live()
                                            on:click=move |_| answering.set(Some(id))
                                        >
                                            "Answer…"
                                        </button>
                                    }
                                        .into_any()
                                };
                                view! {
                                    <li>
                                        <p>
                                            <A href=s.app_href>{s.app.clone()}</A>
                                            {format!(" · {} · sent {}", s.owner, s.sent)}
                                        </p>
                                        // The survey's own page, the one its link opens.
                                        <p><A href=format!("/surveys/{}", id.0)>{s.topic}</A></p>
                                        {answer}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
            <Show when=move || answering.with(Option::is_some)>
                <form on:submit=submit aria-label="Answer a survey" class="answer">
                    <AnswerFields rating=rating comment=comment />
                    <button type="submit">"Record answer"</button>
                    <button type="button" on:click=move |_| answering.set(None)>"Cancel"</button>
                </form>
            </Show>
        </section>
    }
}
