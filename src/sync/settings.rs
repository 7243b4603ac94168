//! Where to sync and with which token: small preferences in localStorage,
//! never in the event log.

use portal_domain::Role;
use portal_store::prefs;

/// The token `portal-server` accepts when none is configured, for trying
/// the product on one machine.
pub const LOCAL_TOKEN: &str = "local-dev-token";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The server's base URL; empty means the server that served the app.
    pub server: String,
    /// A person's session token once signed in; otherwise a machine token.
    pub token: String,
    /// Whether this device syncs at all.
    pub enabled: bool,
    /// Who signed in on this device, if anyone did.
    pub person: Option<SignedIn>,
}

/// The person a session token acts as, as the server said at sign-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedIn {
    /// Who they are in the log: the actor of their commands.
    pub email: String,
    pub name: String,
    pub role: Role,
}

const PERSON_KEYS: [&str; 3] = ["sync.person.email", "sync.person.name", "sync.person.role"];

impl Settings {
    pub fn load() -> Self {
        let token: String = prefs::get("sync.token");
        let paused: String = prefs::get("sync.paused");
        let [email, name, role] = PERSON_KEYS.map(prefs::get);
        let person = Role::parse(&role)
            .filter(|_| !email.is_empty())
            .map(|role| SignedIn { email, name, role });
        Settings {
            server: prefs::get("sync.server"),
            token: if token.is_empty() {
                LOCAL_TOKEN.to_owned()
            } else {
                token
            },
            enabled: paused != "yes",
            person,
        }
    }

    pub fn save(&self) -> Result<(), String> {
        prefs::set("sync.server", self.server.trim())?;
        prefs::set("sync.token", self.token.trim())?;
        prefs::set("sync.paused", if self.enabled { "" } else { "yes" })?;
        let person = self.person.as_ref();
        let values = [
            person.map_or("", |p| p.email.as_str()),
            person.map_or("", |p| p.name.as_str()),
            person.map_or("", |p| p.role.as_str()),
        ];
        for (key, value) in PERSON_KEYS.into_iter().zip(values) {
            prefs::set(key, value)?;
        }
        Ok(())
    }

    /// These settings with `person` signed in with `token`.
    pub fn signed_in(&self, token: String, person: SignedIn) -> Self {
        Settings {
            token,
            person: Some(person),
            ..self.clone()
        }
    }

    /// These settings with nobody signed in: back to the local machine
    /// token (`LOCAL_TOKEN`), which Settings can change.
    pub fn signed_out(&self) -> Self {
        Settings {
            token: LOCAL_TOKEN.to_owned(),
            person: None,
            ..self.clone()
        }
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
