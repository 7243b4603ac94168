//! A credential's secret, shown once: it never enters the log, so this is
//! the only time anyone can copy it.

use leptos::prelude::*;

#[component]
pub fn SecretOnce(secret: String) -> impl IntoView {
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
            <input type="text" readonly aria-label="Credential secret" prop:value=secret />
            <button type="button" on:click=copy>"Copy secret"</button>
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
