//! The Portal Ledger app, built by Trunk for the browser.

use leptos::prelude::*;

fn main() {
    console_error_panic_hook::set_once();
    mount_to_body(portal_ledger::app::App);
}
