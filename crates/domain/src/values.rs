//! Validated values. Each is parsed once at the boundary (a form, a decoded
//! event) and is valid from then on; see `parse`.

use crate::error::DomainError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// The longest name, owner or product the portal accepts, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest removal reason or survey comment, in characters.
pub const MAX_TEXT_CHARS: usize = 1000;

fn parse_name(field: &'static str, raw: &str) -> Result<Arc<str>, DomainError> {
    let trimmed = raw.trim();
    let chars = trimmed.chars().count();
    if chars == 0 {
        return Err(DomainError::EmptyName { field });
    }
    if chars > MAX_NAME_CHARS {
        return Err(DomainError::NameTooLong {
            field,
            max: MAX_NAME_CHARS,
            actual: chars,
        });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(DomainError::ControlCharacter { field });
    }
    Ok(Arc::from(trimmed))
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Eq, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Arc<str>);

        // Shared copies (see `intern.rs`) compare without reading the text.
        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
            }
        }

        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.0.hash(state);
            }
        }

        // Hashes and compares as its text, so the interner finds it by text.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl $name {
            /// Trims `raw` and checks it is 1 to 100 characters with no control characters.
            pub fn parse(raw: &str) -> Result<Self, DomainError> {
                parse_name($field, raw).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(raw: String) -> Result<Self, DomainError> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0.to_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type!(
    /// An application's display name.
    AppName,
    "application name"
);
name_type!(
    /// The developer who owns an application (a handle or an e-mail address).
    Owner,
    "owner"
);
name_type!(
    /// An API product, such as `payments`.
    ProductName,
    "API product"
);
name_type!(
    /// Who issued a command: a developer, or a process manager (`process:…`).
    Actor,
    "actor"
);

impl Actor {
    /// A process manager's name, which is a constant and so needs no parsing.
    pub(crate) fn process(name: &'static str) -> Self {
        Self(Arc::from(name))
    }

    /// Whether this is one of the portal's processes rather than a person.
    pub fn is_process(&self) -> bool {
        self.0.starts_with(PROCESS_PREFIX)
    }
}

/// How every process manager's actor begins (`process:credential-expiry`).
pub const PROCESS_PREFIX: &str = "process:";

/// Free text such as a removal reason or a survey comment: trimmed, at most
/// [`MAX_TEXT_CHARS`] characters, and possibly empty.
#[derive(Clone, Debug, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Text(Arc<str>);

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl Text {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        let chars = trimmed.chars().count();
        if chars > MAX_TEXT_CHARS {
            return Err(DomainError::TextTooLong {
                field,
                max: MAX_TEXT_CHARS,
                actual: chars,
            });
        }
        Ok(Self(Arc::from(trimmed)))
    }

    /// `None` for blank input, so "no reason given" has one representation.
    pub fn parse_optional(field: &'static str, raw: &str) -> Result<Option<Self>, DomainError> {
        let text = Self::parse(field, raw)?;
        Ok((!text.0.is_empty()).then_some(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Text {
    type Error = DomainError;
    fn try_from(raw: String) -> Result<Self, DomainError> {
        Self::parse("text", &raw)
    }
}

impl From<Text> for String {
    fn from(value: Text) -> String {
        value.0.to_string()
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A subscription plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    Free,
    Paid,
}

impl Plan {
    pub fn label(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Paid => "paid",
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A survey answer's rating, 1 (poor) to 5 (excellent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Rating(u8);

impl Rating {
    pub fn parse(raw: u8) -> Result<Self, DomainError> {
        if (1..=5).contains(&raw) {
            Ok(Self(raw))
        } else {
            Err(DomainError::RatingOutOfRange { rating: raw })
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Rating {
    type Error = DomainError;
    fn try_from(raw: u8) -> Result<Self, DomainError> {
        Self::parse(raw)
    }
}

impl From<Rating> for u8 {
    fn from(value: Rating) -> u8 {
        value.0
    }
}

/// How long a new credential lasts, in whole days: from one day to ten
/// years. A form holds the text; this is what it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExpiryDays(u16);

impl ExpiryDays {
    pub const MIN: u16 = 1;
    pub const MAX: u16 = 3650;
    /// What a new credential's form starts with.
    pub const DEFAULT: ExpiryDays = ExpiryDays(90);

    /// Whole days from [`Self::MIN`] to [`Self::MAX`], as typed (spaces
    /// around are ignored).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        raw.trim()
            .parse::<u16>()
            .ok()
            .filter(|d| (Self::MIN..=Self::MAX).contains(d))
            .map(Self)
            .ok_or(DomainError::ExpiryDaysOutOfRange {
                min: Self::MIN,
                max: Self::MAX,
            })
    }

    pub fn get(self) -> u16 {
        self.0
    }

    /// When a credential issued at `issued` with this lifetime expires.
    pub fn expiry_from(
        self,
        issued: chrono::DateTime<chrono::Utc>,
    ) -> chrono::DateTime<chrono::Utc> {
        issued + chrono::Duration::days(self.0.into())
    }
}

impl fmt::Display for ExpiryDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
