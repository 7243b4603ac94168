//! People and their tokens: who may open a tenant, with which role.
//! Passwords are kept as Argon2id hashes, tokens as SHA-256 hashes of 256
//! random bits; neither is ever stored in clear (ADR 26).

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use portal_domain::{Actor, Role};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

/// A person of a tenant, as the server knows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Person {
    #[schema(format = Uuid)]
    pub id: String,
    pub tenant: String,
    /// Who they are in the log: the `actor` of what they do, and the
    /// `owner` of what they own.
    pub email: String,
    pub display_name: String,
    #[schema(value_type = String, example = "developer")]
    pub role: Role,
    pub disabled: bool,
}

impl Person {
    /// The actor their events must name.
    pub fn actor(&self) -> Option<Actor> {
        Actor::parse(&self.email).ok()
    }
}

/// An email as it is kept and compared: trimmed and lowercased.
pub fn normal_email(raw: &str) -> Result<String, String> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 100
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        // A person is never taken for one of the portal's processes.
        && !email.starts_with(portal_domain::values::PROCESS_PREFIX);
    if valid {
        Ok(email)
    } else {
        Err(format!("\"{}\" is not an email address", raw.trim()))
    }
}

/// The shortest password `users add` takes.
pub const MIN_PASSWORD: usize = 10;

pub fn hash_password(password: &str) -> Result<String, String> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(format!(
            "a password needs at least {MIN_PASSWORD} characters"
        ));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("the password could not be hashed: {e}"))
}

/// Whether `password` is the one `hash` was made from. A missing or broken
/// hash verifies nothing, after the same work as a real one, so the time
/// an answer takes does not tell whether the email exists.
pub fn verify_password(hash: Option<&str>, password: &str) -> bool {
    let parsed = hash.and_then(|h| PasswordHash::new(h).ok());
    match parsed {
        Some(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        None => {
            let _ = Argon2::default().verify_password(password.as_bytes(), &decoy());
            false
        }
    }
}

fn decoy() -> PasswordHash<'static> {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DECOY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"a password nobody has", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    });
    PasswordHash::new(hash).expect("the decoy hash parses")
}

/// What a token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// From signing in: it expires.
    Session,
    /// Made by its owner for a script: until revoked.
    Personal,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Session => "session",
            TokenKind::Personal => "personal",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            TokenKind::Session => "pls_",
            TokenKind::Personal => "plp_",
        }
    }

    /// The kind a token's prefix names, if it is a person's.
    pub fn of(token: &str) -> Option<TokenKind> {
        [TokenKind::Session, TokenKind::Personal]
            .into_iter()
            .find(|k| token.starts_with(k.prefix()))
    }
}

/// A new random token (256 bits, hex) and the hash it is stored under.
pub fn new_token(kind: TokenKind) -> (String, String) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = format!("{}{}", kind.prefix(), hex::encode(bytes));
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `token` hashes to `stored`, compared in constant time.
pub fn token_matches(token: &str, stored: &str) -> bool {
    token_hash(token).as_bytes().ct_eq(stored.as_bytes()).into()
}

/// A token as its owner sees it in a list: never the token itself.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TokenInfo {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// Failed sign-ins, counted per key (an email, an address) over a window:
/// past the limit, further attempts wait until the oldest failure leaves
/// the window, right or wrong.
pub struct Failures {
    limit: usize,
    window: Duration,
    seen: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Failures {
    pub fn new(limit: usize, window: Duration) -> Self {
        Failures {
            limit,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// How long `key` must wait, if it is over its limit.
    pub fn wait(&self, key: &str, now: Instant) -> Option<Duration> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let times = seen.get_mut(key)?;
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() < self.limit {
            return None;
        }
        times
            .front()
            .map(|oldest| self.window.saturating_sub(now.duration_since(*oldest)))
    }

    pub fn record(&self, key: &str, now: Instant) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        // Forget keys whose failures are all old, so the map stays small.
        if seen.len() > 10_000 {
            let window = self.window;
            seen.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        seen.entry(key.to_owned()).or_default().push_back(now);
    }

    pub fn forget(&self, key: &str) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("correct horse"));
        assert!(verify_password(Some(&hash), "correct horse battery"));
        assert!(!verify_password(Some(&hash), "correct horse batterY"));
        assert!(!verify_password(None, "correct horse battery"));
        assert!(!verify_password(Some("not a hash"), "x"));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn tokens_are_random_and_kept_only_as_hashes() {
        let (a, hash_a) = new_token(TokenKind::Session);
        let (b, _) = new_token(TokenKind::Personal);
        assert_ne!(a, b);
        assert!(a.starts_with("pls_") && b.starts_with("plp_"));
        assert_eq!(a.len(), 4 + 64, "256 bits in hex");
        assert!(token_matches(&a, &hash_a));
        assert!(!token_matches(&b, &hash_a));
        assert!(!hash_a.contains(&a[4..]));
    }

    #[test]
    fn emails_are_kept_lowercase_and_checked() {
        assert_eq!(
            normal_email("  Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "a b@example.com",
            "a@b@c",
            "process:credential-expiry@example.com",
        ] {
            assert!(normal_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn failures_past_the_limit_wait_until_the_oldest_leaves_the_window() {
        let failures = Failures::new(3, Duration::from_secs(60));
        let t = Instant::now();
        for i in 0..3 {
            assert_eq!(failures.wait("ada", t), None, "attempt {i}");
            failures.record("ada", t + Duration::from_secs(i));
        }
        let wait = failures.wait("ada", t + Duration::from_secs(10)).unwrap();
        assert_eq!(wait, Duration::from_secs(50));
        assert_eq!(failures.wait("bob", t), None, "per key");
        assert_eq!(failures.wait("ada", t + Duration::from_secs(61)), None);
        failures.record("ada", t);
        failures.forget("ada");
        assert_eq!(failures.wait("ada", t), None);
    }
}
