//! The Portal Ledger app: pages over the device's event log, built by Trunk
//! for the browser.

pub mod app;
pub mod browser;
pub mod dates;
pub mod lazy;
pub mod ledger;
pub mod pages;
pub mod sync;
pub mod time_travel;
pub mod workspace;
