//! What a gateway asks before it lets a call through: is this key valid
//! now for this product? `POST /api/v1/credentials/verify` answers from an
//! index each tenant's thread keeps beside its state of the log (by the
//! SHA-256 of the key, which is all the log keeps of it), so the answer
//! takes a hash and a look-up, with no trip to the tenant's thread or the
//! database.

use crate::api::ServerState;
use crate::auth::Tenant;
use crate::error::ApiError;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use portal_domain::records::CredentialStatus;
use portal_domain::{AppId, CredentialId, Portal};
use portal_sync::problem::ErrorBody;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use utoipa::ToSchema;

/// What the log keeps of a key: its SHA-256, in lowercase hex.
pub fn hash_key(key: &str) -> String {
    format!("{:x}", Sha256::digest(key.as_bytes()))
}

/// A credential as the gateway sees it.
#[derive(Clone, Debug)]
struct Key {
    app_id: AppId,
    credential_id: CredentialId,
    status: CredentialStatus,
    expires_at: DateTime<Utc>,
}

/// An application as the gateway sees it.
#[derive(Default)]
struct Subscribed {
    deleted: bool,
    products: HashSet<String>,
    /// Its keys' hashes, to take them out when it changes.
    hashes: Vec<String>,
}

/// One tenant's keys, by hash.
#[derive(Default)]
pub struct KeyIndex {
    by_hash: HashMap<String, Key>,
    apps: HashMap<AppId, Subscribed>,
}

impl KeyIndex {
    /// Every application of `portal`, from scratch.
    pub fn rebuild(&mut self, portal: &Portal) {
        *self = KeyIndex::default();
        let ids: Vec<AppId> = portal.apps().map(|a| a.id()).collect();
        for id in ids {
            self.index_app(portal, id);
        }
    }

    /// Application `app_id` as `portal` has it now (nothing when it is not
    /// an application: a survey's stream).
    pub fn index_app(&mut self, portal: &Portal, app_id: AppId) {
        let Some(app) = portal.app(app_id) else {
            return;
        };
        if let Some(old) = self.apps.remove(&app_id) {
            for hash in old.hashes {
                self.by_hash.remove(&hash);
            }
        }
        let mut subscribed = Subscribed {
            deleted: app.is_deleted(),
            products: app
                .record
                .products
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            hashes: Vec::new(),
        };
        for credential in app.credentials() {
            let record = credential.record;
            let hash = record.key.secret_hash().to_owned();
            subscribed.hashes.push(hash.clone());
            self.by_hash.insert(
                hash,
                Key {
                    app_id,
                    credential_id: record.id,
                    status: record.status,
                    expires_at: record.expires_at,
                },
            );
        }
        self.apps.insert(app_id, subscribed);
    }

    /// Whether `key` opens `product` at `now`.
    pub fn verify(&self, key: &str, product: &str, now: DateTime<Utc>) -> Verdict {
        let hash = hash_key(key);
        let Some(found) = self.by_hash.get(&hash) else {
            return Verdict::refused(Refused::UnknownKey, None);
        };
        let app = self.apps.get(&found.app_id);
        let refusal = match found.status {
            CredentialStatus::Revoked => Some(Refused::Revoked),
            CredentialStatus::Expired => Some(Refused::Expired),
            // Past its expiry, even if the processor has not written it yet.
            CredentialStatus::Active if found.expires_at <= now => Some(Refused::Expired),
            CredentialStatus::Active => None,
        }
        .or_else(|| match app {
            Some(app) if app.deleted => Some(Refused::ApplicationDeleted),
            Some(app) if !app.products.contains(product) => Some(Refused::NotSubscribed),
            Some(_) => None,
            None => Some(Refused::UnknownKey),
        });
        match refusal {
            Some(why) => Verdict::refused(why, Some(found)),
            None => Verdict {
                valid: true,
                reason: None,
                detail: format!("The key opens {product}."),
                application_id: Some(found.app_id.0.to_string()),
                credential_id: Some(found.credential_id.0.to_string()),
                expires_at: Some(found.expires_at),
            },
        }
    }
}

/// Why a key does not open a product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refused {
    UnknownKey,
    Revoked,
    Expired,
    ApplicationDeleted,
    NotSubscribed,
}

impl Refused {
    fn code(self) -> &'static str {
        match self {
            Refused::UnknownKey => "unknown_key",
            Refused::Revoked => "revoked",
            Refused::Expired => "expired",
            Refused::ApplicationDeleted => "application_deleted",
            Refused::NotSubscribed => "product_not_subscribed",
        }
    }

    fn detail(self) -> &'static str {
        match self {
            Refused::UnknownKey => "No credential of this workspace has this key.",
            Refused::Revoked => "The credential was revoked.",
            Refused::Expired => "The credential has expired.",
            Refused::ApplicationDeleted => "The credential's application was deleted.",
            Refused::NotSubscribed => "The credential's application does not use this product.",
        }
    }
}

/// The answer to a gateway.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verdict {
    /// Whether the key opens the product now.
    pub valid: bool,
    /// Why not: `unknown_key`, `revoked`, `expired`, `application_deleted`
    /// or `product_not_subscribed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The same, in words.
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub application_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub credential_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

impl Verdict {
    fn refused(why: Refused, key: Option<&Key>) -> Self {
        Verdict {
            valid: false,
            reason: Some(why.code()),
            detail: why.detail().to_owned(),
            // An unknown key names nothing.
            application_id: key.map(|k| k.app_id.0.to_string()),
            credential_id: key.map(|k| k.credential_id.0.to_string()),
            expires_at: key.map(|k| k.expires_at),
        }
    }
}

/// Every tenant's key index.
#[derive(Default)]
pub struct Keys {
    tenants: Mutex<HashMap<String, Arc<RwLock<KeyIndex>>>>,
}

impl Keys {
    /// The index of `tenant`, made empty on first use.
    pub fn of(&self, tenant: &str) -> Arc<RwLock<KeyIndex>> {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants.entry(tenant.to_owned()).or_default().clone()
    }
}

/// A key and the product it is presented for.
#[derive(Deserialize, ToSchema)]
pub struct VerifyRequest {
    /// The credential's secret, as the application sends it (`plk_…`).
    key: String,
    /// The API product the call is for.
    product: String,
}

/// Whether a key opens an API product now
///
/// For a gateway: the key is valid when its credential is neither revoked
/// nor past its expiry, its application is not deleted and uses the
/// product. The key is hashed and looked up by its hash, all the log keeps
/// of it. A refusal is an answer (`valid: false`, with a `reason`), not an
/// error.
#[utoipa::path(
    post,
    path = "/credentials/verify",
    request_body(content = VerifyRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The verdict", body = Verdict),
        (status = 400, description = "The body is not JSON", body = ErrorBody, content_type = "application/problem+json"),
        (status = 401, description = "No token, or one that opens no tenant", body = ErrorBody, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as JSON", body = ErrorBody, content_type = "application/problem+json"),
        (status = 422, description = "A field missing or of the wrong type", body = ErrorBody, content_type = "application/problem+json"),
        (status = 429, description = "Over this token's rate limit", body = ErrorBody, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn verify(
    State(state): State<ServerState>,
    tenant: Tenant,
    body: Result<Json<VerifyRequest>, JsonRejection>,
) -> Result<Json<Verdict>, ApiError> {
    let Json(request) = body?;
    let index = state.judges.keys().of(&tenant.0);
    let index = index.read().unwrap_or_else(|e| e.into_inner());
    Ok(Json(index.verify(
        &request.key,
        request.product.trim(),
        state.judges.now(),
    )))
}
