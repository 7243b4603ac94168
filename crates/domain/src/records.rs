//! The record images that domain-model events carry: what a change stream of
//! the portal's database would report after each change.

use crate::error::DomainError;
use crate::ids::{AppId, CredentialId};
use crate::values::{AppName, Owner, Plan, ProductName};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// An application as stored, after a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationRecord {
    pub id: AppId,
    pub name: AppName,
    pub owner: Owner,
    pub plan: Plan,
    /// When the current plan began, for upsell targets and the paid-plan survey.
    pub plan_since: DateTime<Utc>,
    /// Sorted, without duplicates.
    pub products: Arc<[ProductName]>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ApplicationRecord {
    pub fn has_product(&self, product: &ProductName) -> bool {
        self.products.binary_search(product).is_ok()
    }
}

/// The tombstone an application leaves when it is deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedApplicationRecord {
    pub id: AppId,
    pub deleted_at: DateTime<Utc>,
}

/// A credential's lifecycle as recorded in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialStatus {
    Active,
    Revoked,
    Expired,
}

impl CredentialStatus {
    pub fn label(self) -> &'static str {
        match self {
            CredentialStatus::Active => "active",
            CredentialStatus::Revoked => "revoked",
            CredentialStatus::Expired => "expired",
        }
    }
}

impl fmt::Display for CredentialStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What identifies a credential's secret without revealing it: a short public
/// prefix and a SHA-256 hash of the whole secret. The secret itself is shown to
/// its owner once and never enters the log.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawKey", into = "RawKey")]
pub struct CredentialKey {
    prefix: Arc<str>,
    secret_hash: Arc<str>,
}

#[derive(Serialize, Deserialize)]
struct RawKey {
    key_prefix: String,
    secret_hash: String,
}

impl CredentialKey {
    /// `prefix`: 4 to 16 characters of `[A-Za-z0-9_-]`; `secret_hash`: 64 lowercase hex digits.
    pub fn parse(prefix: &str, secret_hash: &str) -> Result<Self, DomainError> {
        let prefix_ok = (4..=16).contains(&prefix.len())
            && prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !prefix_ok {
            return Err(DomainError::InvalidKeyPrefix);
        }
        let hash_ok = secret_hash.len() == 64
            && secret_hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hash_ok {
            return Err(DomainError::InvalidSecretHash);
        }
        Ok(Self {
            prefix: Arc::from(prefix),
            secret_hash: Arc::from(secret_hash),
        })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn secret_hash(&self) -> &str {
        &self.secret_hash
    }
}

impl TryFrom<RawKey> for CredentialKey {
    type Error = DomainError;
    fn try_from(raw: RawKey) -> Result<Self, DomainError> {
        Self::parse(&raw.key_prefix, &raw.secret_hash)
    }
}

impl From<CredentialKey> for RawKey {
    fn from(key: CredentialKey) -> RawKey {
        RawKey {
            key_prefix: key.prefix.to_string(),
            secret_hash: key.secret_hash.to_string(),
        }
    }
}

/// A credential as stored, after a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialRecord {
    pub id: CredentialId,
    pub app_id: AppId,
    #[serde(flatten)]
    pub key: CredentialKey,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub status: CredentialStatus,
}

impl CredentialRecord {
    /// The status at time `at`: an active credential whose expiry has passed is
    /// expired even before the expiry process has recorded it.
    pub fn status_at(&self, at: DateTime<Utc>) -> CredentialStatus {
        match self.status {
            CredentialStatus::Active if self.expires_at <= at => CredentialStatus::Expired,
            status => status,
        }
    }

    /// Whether, at `at`, it still works but expires within
    /// [`EXPIRING_SOON`](crate::projections::credentials::EXPIRING_SOON).
    pub fn expires_soon_at(&self, at: DateTime<Utc>) -> bool {
        self.status_at(at) == CredentialStatus::Active
            && self.expires_at - at <= crate::projections::credentials::EXPIRING_SOON
    }
}

/// A credential record image as events carry it: the record, shared, with
/// its id copied inline so that folding finds the credential without
/// reading the record. On the wire it is just the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Arc<CredentialRecord>", into = "Arc<CredentialRecord>")]
pub struct CredentialImage {
    pub id: CredentialId,
    pub record: Arc<CredentialRecord>,
}

impl From<Arc<CredentialRecord>> for CredentialImage {
    fn from(record: Arc<CredentialRecord>) -> Self {
        Self {
            id: record.id,
            record,
        }
    }
}

impl From<CredentialImage> for Arc<CredentialRecord> {
    fn from(image: CredentialImage) -> Self {
        image.record
    }
}
