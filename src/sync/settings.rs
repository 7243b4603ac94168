//! Where to sync and as whom: small preferences in localStorage, never in
//! the event log. Only a person signed in syncs and changes anything; a
//! device nobody is signed in on reads its log and sends nothing (ADR 28).

use portal_domain::{Actor, Person, Role};
use portal_store::prefs;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The server's base URL; empty means the server that served the app.
    pub server: String,
    /// The signed-in person's session token; empty when signed out.
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

impl SignedIn {
    /// Who they act as, and with which role, for the domain's rules.
    pub fn actor(&self) -> Option<Actor> {
        Actor::parse(&self.email).ok()
    }

    /// What the domain's rule `rule` says of them (`None` if the email
    /// kept on this device is not an actor's any more).
    pub fn judged<T>(&self, rule: impl FnOnce(Person<'_>) -> T) -> Option<T> {
        self.actor().map(|actor| {
            rule(Person {
                actor: &actor,
                role: self.role,
            })
        })
    }
}

const PERSON_KEYS: [&str; 3] = ["sync.person.email", "sync.person.name", "sync.person.role"];

impl Settings {
    pub fn load() -> Self {
        let paused: String = prefs::get("sync.paused");
        let [email, name, role] = PERSON_KEYS.map(prefs::get);
        let person = Role::parse(&role)
            .filter(|_| !email.is_empty())
            .map(|role| SignedIn { email, name, role });
        Settings {
            server: prefs::get("sync.server"),
            // A token kept by a build from before sign-in (a machine's) is
            // not a person's: it is not used.
            token: if person.is_some() {
                prefs::get("sync.token")
            } else {
                String::new()
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

    /// The demo workspace's: an admin, who may try every command on the
    /// made-up history, with nowhere to sync to. Never saved.
    pub fn demo() -> Self {
        Settings {
            server: String::new(),
            token: String::new(),
            enabled: false,
            person: Some(SignedIn {
                email: "you@demo.invalid".into(),
                name: "You, in the demo".into(),
                role: Role::Admin,
            }),
        }
    }

    /// These settings with `person` signed in with `token`.
    pub fn signed_in(&self, token: String, person: SignedIn) -> Self {
        Settings {
            token,
            person: Some(person),
            ..self.clone()
        }
    }

    /// These settings with nobody signed in.
    pub fn signed_out(&self) -> Self {
        Settings {
            token: String::new(),
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
        None
    }
}
