//! The Portal Ledger app, built by Trunk for the browser.

use leptos::prelude::*;

mod app;
mod local_log;

fn main() {
    console_error_panic_hook::set_once();
    mount_to_body(app::App);
}
