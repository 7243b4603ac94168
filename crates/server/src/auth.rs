//! Bearer tokens, each opening one tenant (a workspace). A request reads
//! and writes only its token's tenant: the tenant never comes from the
//! request itself, so there is nothing to reach across with.
//!
//! Two kinds of token open a tenant: a person's (a session from signing
//! in, or a personal access token), which acts as that person with their
//! role; and a machine token from `PORTAL_TOKENS`, for trusted clients of
//! the tenant (an import, an integration), which may write as any actor.

use crate::api::ServerState;
use crate::error::ApiError;
use crate::people::{token_hash, token_matches, Person, TokenKind};
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

/// Who a request comes from.
#[derive(Clone, Debug)]
pub enum Principal {
    /// A machine token of `PORTAL_TOKENS`.
    Machine { tenant: Tenant },
    /// A person, by a session or a personal access token.
    Person {
        tenant: Tenant,
        person: Person,
        kind: TokenKind,
        token_id: String,
        expires_at: Option<DateTime<Utc>>,
    },
}

impl Principal {
    pub fn tenant(&self) -> &Tenant {
        match self {
            Principal::Machine { tenant } | Principal::Person { tenant, .. } => tenant,
        }
    }

    pub fn person(&self) -> Option<&Person> {
        match self {
            Principal::Person { person, .. } => Some(person),
            Principal::Machine { .. } => None,
        }
    }
}

fn unauthorized(code: ErrorCode, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

/// The bearer token of a request.
fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let header = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthorized(ErrorCode::Unauthorized, "missing bearer token"))?;
    header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| {
            unauthorized(
                ErrorCode::Unauthorized,
                "the Authorization header must be \"Bearer <token>\"",
            )
        })
}

/// The person a token of theirs names, if it still opens their tenant.
async fn person_of(state: &ServerState, token: &str) -> Result<Principal, ApiError> {
    let unknown = || unauthorized(ErrorCode::Unauthorized, TokenRefused::Unknown.to_string());
    let presented = state
        .storage
        .presented(&token_hash(token))
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::DatabaseUnavailable,
                format!("the database does not answer: {e}"),
            )
        })?
        .filter(|p| token_matches(token, &p.token_hash))
        .ok_or_else(unknown)?;
    if presented.revoked_at.is_some() {
        return Err(unauthorized(
            ErrorCode::TokenRevoked,
            "this token was revoked: sign in again",
        ));
    }
    if let Some(at) = presented.expires_at.filter(|at| *at <= Utc::now()) {
        return Err(unauthorized(
            ErrorCode::TokenExpired,
            format!("the session ended at {}: sign in again", at.to_rfc3339()),
        ));
    }
    if presented.person.disabled {
        return Err(unauthorized(
            ErrorCode::AccountDisabled,
            "this account is disabled: ask an admin of the workspace",
        ));
    }
    Ok(Principal::Person {
        tenant: Tenant(Arc::from(presented.person.tenant.as_str())),
        person: presented.person,
        kind: presented.kind,
        token_id: presented.token_id,
        expires_at: presented.expires_at,
    })
}

impl FromRequestParts<ServerState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        let principal = match state.tokens.open(token, Utc::now()) {
            Ok(tenant) => Principal::Machine {
                tenant: tenant.clone(),
            },
            Err(TokenRefused::Unknown) if TokenKind::of(token).is_some() => {
                person_of(state, token).await?
            }
            Err(why) => return Err(why.into()),
        };
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
        Ok(principal)
    }
}

impl FromRequestParts<ServerState> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, ApiError> {
        let principal = Principal::from_request_parts(parts, state).await?;
        Ok(principal.tenant().clone())
    }
}
