//! Bearer tokens, each mapped to one tenant (a workspace). A request reads
//! and writes only its token's tenant: the tenant never comes from the
//! request itself, so there is nothing to reach across with.

use crate::api::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant(pub Arc<str>);

/// Token → tenant.
#[derive(Clone, Debug, Default)]
pub struct Tokens(HashMap<String, Tenant>);

impl Tokens {
    /// Parses `token=tenant,token=tenant`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut tokens = HashMap::new();
        for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (token, tenant) = pair
                .split_once('=')
                .ok_or_else(|| format!("\"{pair}\" is not token=tenant"))?;
            let (token, tenant) = (token.trim(), tenant.trim());
            if token.len() < 8 || tenant.is_empty() {
                return Err(format!(
                    "\"{pair}\": a token needs at least 8 characters and a tenant name"
                ));
            }
            tokens.insert(token.to_owned(), Tenant(Arc::from(tenant)));
        }
        Ok(Tokens(tokens))
    }

    pub fn tenant(&self, token: &str) -> Option<&Tenant> {
        self.0.get(token)
    }
}

impl FromRequestParts<AppState> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "missing bearer token"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "the Authorization header must be \"Bearer <token>\"",
                )
            })?;
        let token = token.trim();
        let tenant = state
            .tokens
            .tenant(token)
            .cloned()
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unknown token"))?;
        state.limits.check(token).map_err(|wait| ApiError {
            retry_after: Some(wait.as_secs_f64().ceil().max(1.0) as u64),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "too many requests with this token; try again in {} ms",
                    wait.as_millis().max(1)
                ),
            )
        })?;
        Ok(tenant)
    }
}
