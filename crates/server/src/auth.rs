//! Bearer tokens, each mapped to one tenant (a workspace). A request reads
//! and writes only its token's tenant: the tenant never comes from the
//! request itself, so there is nothing to reach across with.

use crate::api::ServerState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use chrono::{DateTime, Utc};
use portal_sync::problem::ErrorCode;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant(pub Arc<str>);

/// What a token opens, and until when.
#[derive(Clone, Debug)]
struct Grant {
    tenant: Tenant,
    expires: Option<DateTime<Utc>>,
}

/// Token → tenant.
#[derive(Clone, Debug, Default)]
pub struct Tokens(HashMap<String, Grant>);

impl Tokens {
    /// Parses `token=tenant,token=tenant@2027-01-31T00:00:00Z`: a token
    /// with an `@` time stops opening its tenant then.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut tokens = HashMap::new();
        for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (token, grant) = pair
                .split_once('=')
                .ok_or_else(|| format!("\"{pair}\" is not token=tenant"))?;
            let (tenant, expires) = match grant.split_once('@') {
                None => (grant, None),
                Some((tenant, at)) => {
                    let at = DateTime::parse_from_rfc3339(at.trim()).map_err(|e| {
                        format!("\"{pair}\": the expiry is not an RFC 3339 time ({e})")
                    })?;
                    (tenant, Some(at.with_timezone(&Utc)))
                }
            };
            let (token, tenant) = (token.trim(), tenant.trim());
            if token.len() < 8 || tenant.is_empty() {
                return Err(format!(
                    "\"{pair}\": a token needs at least 8 characters and a tenant name"
                ));
            }
            let grant = Grant {
                tenant: Tenant(Arc::from(tenant)),
                expires,
            };
            tokens.insert(token.to_owned(), grant);
        }
        Ok(Tokens(tokens))
    }

    /// The tenant `token` names, expired or not.
    pub fn tenant(&self, token: &str) -> Option<&Tenant> {
        self.0.get(token).map(|g| &g.tenant)
    }

    /// The tenant `token` opens at `now`, or why it opens nothing.
    pub fn open(&self, token: &str, now: DateTime<Utc>) -> Result<&Tenant, TokenRefused> {
        let grant = self.0.get(token).ok_or(TokenRefused::Unknown)?;
        match grant.expires {
            Some(at) if at <= now => Err(TokenRefused::Expired(at)),
            _ => Ok(&grant.tenant),
        }
    }
}

/// Why a token opens nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefused {
    #[error("unknown token")]
    Unknown,
    #[error("the token expired at {}", .0.to_rfc3339())]
    Expired(DateTime<Utc>),
}

impl From<TokenRefused> for ApiError {
    fn from(why: TokenRefused) -> Self {
        let code = match why {
            TokenRefused::Unknown => ErrorCode::Unauthorized,
            TokenRefused::Expired(_) => ErrorCode::TokenExpired,
        };
        ApiError::new(StatusCode::UNAUTHORIZED, code, why.to_string())
    }
}

impl FromRequestParts<ServerState> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, ApiError> {
        let header = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "missing bearer token",
            )
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    ErrorCode::Unauthorized,
                    "the Authorization header must be \"Bearer <token>\"",
                )
            })?;
        let token = token.trim();
        let tenant = state
            .tokens
            .open(token, Utc::now())
            .cloned()
            .map_err(ApiError::from)?;
        state.limits.check(token).map_err(|wait| ApiError {
            retry_after: Some(wait.as_secs_f64().ceil().max(1.0) as u64),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                format!(
                    "too many requests with this token; try again in {} ms",
                    wait.as_millis().max(1)
                ),
            )
        })?;
        Ok(tenant)
    }
}
