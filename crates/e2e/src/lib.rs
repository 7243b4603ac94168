//! Support for the end-to-end journey: the server with the built app, a
//! chromedriver, and finding controls the way a person does, by role and
//! accessible name.

pub mod browser;
pub mod server;
