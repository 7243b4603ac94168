//! Where to sync and with which token: small preferences in localStorage,
//! never in the event log.

use portal_store::prefs;

/// The token `portal-server` accepts when none is configured, for trying
/// the product on one machine.
pub const LOCAL_TOKEN: &str = "local-dev-token";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The server's base URL; empty means the server that served the app.
    pub server: String,
    pub token: String,
    /// Whether this device syncs at all.
    pub enabled: bool,
}

impl Settings {
    pub fn load() -> Self {
        let token: String = prefs::get("sync.token");
        let paused: String = prefs::get("sync.paused");
        Settings {
            server: prefs::get("sync.server"),
            token: if token.is_empty() {
                LOCAL_TOKEN.to_owned()
            } else {
                token
            },
            enabled: paused != "yes",
        }
    }

    pub fn save(&self) -> Result<(), String> {
        prefs::set("sync.server", self.server.trim())?;
        prefs::set("sync.token", self.token.trim())?;
        prefs::set("sync.paused", if self.enabled { "" } else { "yes" })
    }

    /// The API's base, `…/api/v1`.
    pub fn api(&self) -> String {
        let server = self.server.trim().trim_end_matches('/');
        let base = if server.is_empty() {
            web_sys::window()
                .and_then(|w| w.location().origin().ok())
                .unwrap_or_default()
        } else {
            server.to_owned()
        };
        format!("{base}/api/v1")
    }

    /// Why these settings cannot work, if they cannot.
    pub fn problem(&self) -> Option<String> {
        let server = self.server.trim();
        let web = server.starts_with("http://") || server.starts_with("https://");
        if !server.is_empty() && !web {
            return Some("The server URL must start with http:// or https://.".into());
        }
        if self.token.trim().len() < 8 {
            return Some("The access token has at least 8 characters.".into());
        }
        None
    }
}
