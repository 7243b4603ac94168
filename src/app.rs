//! The application shell.

use crate::local_log::LocalLog;
use leptos::prelude::*;
use portal_domain::EventType;

#[component]
pub fn App() -> impl IntoView {
    view! {
        <header class="masthead">
            <h1>"Portal Ledger"</h1>
            <p class="tagline">"A local-first, event-sourced developer portal."</p>
        </header>
        <main id="main">
            <LocalLog />
            <section aria-labelledby="catalogue-heading">
                <h2 id="catalogue-heading">"Event catalogue"</h2>
                <ul class="catalogue">
                    {EventType::ALL
                        .into_iter()
                        .map(|t| {
                            view! {
                                <li>
                                    <code>{t.name()}</code>
                                    <span class=format!("badge {}", t.kind().label().replace(' ', "-"))>
                                        {t.kind().label()}
                                    </span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>
        </main>
    }
}
