//! Picking a person of the workspace: the owner of a new application, or
//! the one an application is handed over to. The server refuses anyone
//! else (`unknown_owner`). The list is the server's, or the last one it
//! gave when offline; a device that never got one has the email typed.

use crate::sync::use_sync;
use leptos::prelude::*;

#[component]
pub fn PersonPicker(
    /// The control's accessible name.
    label: &'static str,
    /// The email picked, or the one to show picked.
    #[prop(into)]
    value: Signal<String>,
    on_pick: Callback<String>,
) -> impl IntoView {
    let sync = use_sync();
    // Someone may have joined since the list was last asked for.
    sync.refresh_people();
    let people = sync.people;
    move || match Some(people.get()).filter(|list| !list.is_empty()) {
        Some(list) => view! {
            <select
                aria-label=label
                prop:value=move || value.get()
                on:change=move |ev| on_pick.run(event_target_value(&ev))
            >
                {list
                    .into_iter()
                    .map(|c| {
                        let text = format!("{} ({})", c.name, c.email);
                        // Set per option too: the select's own value may be
                        // set before its options are there.
                        let email = c.email.clone();
                        view! {
                            <option value=c.email prop:selected=move || value.get() == email>
                                {text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        }
        .into_any(),
        None => view! {
            <input
                type="email"
                aria-label=label
                prop:value=move || value.get()
                on:input=move |ev| on_pick.run(event_target_value(&ev))
            />
        }
        .into_any(),
    }
}
