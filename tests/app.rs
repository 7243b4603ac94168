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
