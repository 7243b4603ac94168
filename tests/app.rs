//! The app mounted in a real headless Chromium (wasm-bindgen-test).

#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "../src/app.rs"]
mod app;

#[wasm_bindgen_test]
fn the_app_mounts_and_shows_the_product_name() {
    leptos::mount::mount_to_body(app::App);
    let document = web_sys::window().unwrap().document().unwrap();
    let heading = document.query_selector("h1").unwrap().expect("a heading");
    assert_eq!(heading.text_content().unwrap(), "Portal Ledger");
}

#[wasm_bindgen_test]
fn the_app_lists_every_event_type_with_its_kind() {
    leptos::mount::mount_to_body(app::App);
    let document = web_sys::window().unwrap().document().unwrap();
    let items = document.query_selector_all(".catalogue li").unwrap();
    assert!(items.length() >= 15);
    let text = document.body().unwrap().text_content().unwrap();
    assert!(text.contains("REMOVE_API_PRODUCT_FROM_APPLICATION"));
    assert!(text.contains("domain model"));
}

#[path = "../src/local_log.rs"]
mod local_log;

async fn sleep(millis: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, millis)
            .unwrap();
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// The text of the first element matching `selector`, once one appears.
async fn eventually(selector: &str) -> String {
    let document = web_sys::window().unwrap().document().unwrap();
    for _ in 0..100 {
        if let Some(found) = document.query_selector(selector).unwrap() {
            return found.text_content().unwrap_or_default();
        }
        sleep(20).await;
    }
    panic!("nothing matched {selector} within 2 s");
}

#[wasm_bindgen_test]
async fn the_app_opens_the_local_log_and_says_what_it_holds() {
    leptos::mount::mount_to_body(app::App);
    let status = eventually(".log-ready").await;
    assert!(status.contains("kept on this device"), "{status}");
}

#[wasm_bindgen_test]
async fn without_indexeddb_the_app_says_events_cannot_be_kept() {
    // As in a browser that blocks storage: `window.indexedDB` is null.
    let window: js_sys::Object = web_sys::window().unwrap().into();
    let original = js_sys::Object::get_own_property_descriptor(&window, &"indexedDB".into());
    let blocked = js_sys::Object::new();
    js_sys::Reflect::set(&blocked, &"value".into(), &wasm_bindgen::JsValue::NULL).unwrap();
    js_sys::Reflect::set(&blocked, &"configurable".into(), &true.into()).unwrap();
    js_sys::Object::define_property(&window, &"indexedDB".into(), &blocked);
    leptos::mount::mount_to_body(app::App);
    let alert = eventually(".log-failed").await;
    js_sys::Object::define_property(&window, &"indexedDB".into(), &original.into());
    assert!(alert.contains("cannot be kept on this device"), "{alert}");
    assert!(alert.contains("private window"), "{alert}");
    let document = web_sys::window().unwrap().document().unwrap();
    let role = document
        .query_selector(".log-failed")
        .unwrap()
        .unwrap()
        .get_attribute("role");
    assert_eq!(role.as_deref(), Some("alert"));
}
