//! A secret shown once (a credential's, an access token): it is kept
//! nowhere in the clear, so this is the only time anyone can copy it.

use leptos::prelude::*;

#[component]
pub fn SecretOnce(
    secret: String,
    /// What it is: the field's accessible name.
    #[prop(default = "Credential secret")]
    label: &'static str,
) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let to_copy = secret.clone();
    let copy = move |_| {
        let text = to_copy.clone();
        leptos::task::spawn_local(async move {
            let Some(window) = web_sys::window() else {
                return;
            };
            let done = window.navigator().clipboard().write_text(&text);
            copied.set(Some(
                wasm_bindgen_futures::JsFuture::from(done).await.is_ok(),
            ));
        });
    };
    view! {
        <div class="secret">
            <p>"Copy this secret now. It is shown once and is not kept anywhere."</p>
            <input type="text" readonly aria-label=label prop:value=secret />
            <button type="button" aria-label=format!("Copy {}", label.to_lowercase()) on:click=copy>
                "Copy"
            </button>
            {move || match copied.get() {
                Some(true) => view! { <span role="status">"Copied."</span> }.into_any(),
                Some(false) => {
                    view! {
                        <span role="alert">"The browser did not allow copying; select the secret and copy it."</span>
                    }
                        .into_any()
                }
                None => ().into_any(),
            }}
        </div>
    }
}
