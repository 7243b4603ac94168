//! One module per page, each a projection of the log at the slider.

pub mod access_tokens;
pub mod account;
pub mod analytics;
pub mod appearance;
pub mod application;
pub mod applications;
pub mod campaigns;
pub mod catalogue;
pub mod causation_graph;
pub mod data;
pub mod diff;
pub mod names;
pub mod new_application;
pub mod offers;
pub mod person_picker;
pub mod products;
pub mod report;
pub mod secret;
pub mod survey;
pub mod surveys;
pub mod sync;
pub mod timeline;
pub mod webhooks;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

type Navigate = Box<dyn Fn(&str, NavigateOptions)>;

/// A page's filters, kept in its URL so that a view can be bookmarked.
#[derive(Clone, Copy)]
pub struct QueryFilters {
    path: &'static str,
    names: &'static [&'static str],
    query: Memo<leptos_router::params::ParamsMap>,
    navigate: StoredValue<Navigate, LocalStorage>,
}

impl QueryFilters {
    pub fn new(path: &'static str, names: &'static [&'static str]) -> Self {
        let navigate = use_navigate();
        Self {
            path,
            names,
            query: use_query_map(),
            navigate: StoredValue::new_local(Box::new(navigate)),
        }
    }

    /// A filter's value; empty reads as unset. Subscribes the caller.
    pub fn get(&self, name: &str) -> Option<String> {
        self.query.with(|q| q.get(name).filter(|v| !v.is_empty()))
    }

    /// Sets one filter (empty clears it), keeping the others, without
    /// adding a history entry per keystroke.
    pub fn set(&self, name: &str, value: String) {
        let query: Vec<String> = self
            .names
            .iter()
            .filter_map(|&f| {
                let v = if f == name {
                    Some(value.clone()).filter(|v| !v.is_empty())
                } else {
                    self.query
                        .with_untracked(|q| q.get(f).filter(|v| !v.is_empty()))
                };
                v.map(|v| format!("{f}={}", js_sys::encode_uri_component(&v)))
            })
            .collect();
        let url = if query.is_empty() {
            self.path.to_owned()
        } else {
            format!("{}?{}", self.path, query.join("&"))
        };
        self.navigate.with_value(|navigate| {
            navigate(
                &url,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            )
        });
    }
}

/// Offers `text` to the user as a file named `name`.
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    let failed = || "The browser could not offer the file.".to_owned();
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob =
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(|_| failed())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| failed())?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(failed)?;
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| failed())?
        .unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// What came of the user's last action on a form: done (a status) or
/// not, and why (an alert); nothing before the first.
#[component]
pub fn Outcome(message: RwSignal<Option<Result<String, String>>>) -> impl IntoView {
    move || match message.get() {
        Some(Ok(text)) => view! { <p role="status">{text}</p> }.into_any(),
        Some(Err(text)) => view! { <p role="alert">{text}</p> }.into_any(),
        None => ().into_any(),
    }
}

/// A field's current error, announced as the user types.
#[component]
pub fn FieldError(error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || error.with(Option::is_some)>
            <p class="field-error" role="alert">{move || error.get().unwrap_or_default()}</p>
        </Show>
    }
}

/// What a page says when the signed-in person cannot do what a rule of the
/// domain allows only some roles: signed out, the person's role, or the
/// slider in the past. The words are the page's own.
#[derive(Clone, Copy)]
pub struct Refusals {
    pub signed_out: &'static str,
    pub role: &'static str,
    pub in_the_past: &'static str,
}

/// Why the signed-in person may not, here and now, do what `rule` allows,
/// in `words`; `None` when they may.
pub fn why_not(
    rule: fn(portal_domain::Person<'_>) -> bool,
    words: Refusals,
) -> Signal<Option<&'static str>> {
    let sync = crate::sync::use_sync();
    let ledger = crate::ledger::use_ledger();
    Signal::derive(move || match sync.settings.get().person {
        None => Some(words.signed_out),
        Some(p) if !p.judged(rule).unwrap_or(false) => Some(words.role),
        Some(_) if !ledger.is_live() => Some(words.in_the_past),
        Some(_) => None,
    })
}

/// A count as people read it, in groups of three digits: 1,000,000.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
