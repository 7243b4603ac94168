//! The theme: the system's (`prefers-color-scheme`), or light or dark as
//! the person picks. Kept in localStorage and applied by `index.html`
//! before the first paint, so a reload never flashes the other theme.

use leptos::prelude::*;
use portal_store::prefs;

const KEY: &str = "theme";

fn apply(theme: &str) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let _ = if theme.is_empty() {
        root.remove_attribute("data-theme")
    } else {
        root.set_attribute("data-theme", theme)
    };
}

#[component]
pub fn Appearance() -> impl IntoView {
    let theme = RwSignal::new(prefs::get(KEY));
    let message = RwSignal::new(None::<String>);
    let pick =
        move |ev: leptos::ev::Event| {
            let picked = event_target_value(&ev);
            apply(&picked);
            // Shown either way; only its keeping for the next visit can fail.
            message.set(prefs::set(KEY, &picked).err().map(|e| {
                format!("This theme is used now, but this browser would not keep it: {e}")
            }));
            theme.set(picked);
        };
    view! {
        <section aria-labelledby="appearance-title">
            <h2 id="appearance-title">"Appearance"</h2>
            <label class="inline">
                "Theme "
                <select aria-label="Theme" prop:value=move || theme.get() on:change=pick>
                    <option value="">"As the system"</option>
                    <option value="light">"Light"</option>
                    <option value="dark">"Dark"</option>
                </select>
            </label>
            {move || message.get().map(|m| view! { <p role="alert">{m}</p> })}
        </section>
    }
}
