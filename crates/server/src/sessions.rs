//! Signing in and out, who is signed in, the tenant's people, and personal
//! access tokens (ADR 26).

use crate::api::ServerState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::people::{
    new_token, normal_email, verify_password, Failures, Person, TokenInfo, TokenKind,
};
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{Extensions, StatusCode};
use axum::Json;
use chrono::{DateTime, Utc};
use portal_domain::Role;
use portal_sync::problem::{ErrorBody, ErrorCode};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use utoipa::ToSchema;

/// How sign-in behaves: how long a session lasts, and how many failures
/// an account or an address may have before it waits.
pub struct SignIn {
    pub session: chrono::Duration,
    by_email: Failures,
    by_address: Failures,
}

impl Default for SignIn {
    fn default() -> Self {
        SignIn::new(chrono::Duration::hours(12))
    }
}

impl SignIn {
    pub fn new(session: chrono::Duration) -> Self {
        let window = Duration::from_secs(15 * 60);
        SignIn {
            session,
            by_email: Failures::new(5, window),
            by_address: Failures::new(20, window),
        }
    }
}

fn database(e: sqlx::Error) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::DatabaseFailed,
        format!("the database failed: {e}"),
    )
}

#[derive(Deserialize, ToSchema)]
pub struct SignInBody {
    email: String,
    password: String,
}

/// A new session: the token to send as `Authorization: Bearer`.
#[derive(Serialize, ToSchema)]
pub struct NewSession {
    token: String,
    expires_at: DateTime<Utc>,
    person: Person,
}

const SIGN_IN_FAILED: &str = "The email or the password is not right.";

/// Sign in with an email and a password
///
/// Whether the email has an account is never said. Failures are limited
/// per account (5) and per address (20) over 15 minutes.
#[utoipa::path(
    post,
    path = "/sessions",
    security(()),
    request_body(content = SignInBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Signed in", body = NewSession),
        (status = 400, description = "The body is not JSON", body = ErrorBody, content_type = "application/problem+json"),
        (status = 401, description = "The email or the password is not right, or the account is disabled", body = ErrorBody, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as JSON", body = ErrorBody, content_type = "application/problem+json"),
        (status = 422, description = "The body lacks the email or the password", body = ErrorBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many failures for this account or address", body = ErrorBody, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 500, description = "The database failed", body = ErrorBody, content_type = "application/problem+json"),
    )
)]
pub async fn sign_in(
    State(state): State<ServerState>,
    extensions: Extensions,
    body: Result<Json<SignInBody>, JsonRejection>,
) -> Result<(StatusCode, Json<NewSession>), ApiError> {
    let Json(body) = body?;
    let address = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
    let email = normal_email(&body.email).unwrap_or_default();
    let sign_in = &state.sign_in;
    let now = Instant::now();
    let wait = [
        sign_in.by_email.wait(&email, now),
        sign_in.by_address.wait(&address, now),
    ]
    .into_iter()
    .flatten()
    .max();
    if let Some(wait) = wait {
        return Err(ApiError {
            retry_after: Some(wait.as_secs().max(1)),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                format!(
                    "too many failed sign-ins; try again in {} minutes",
                    wait.as_secs().div_ceil(60).max(1)
                ),
            )
        });
    }
    let found = state
        .storage
        .person_to_sign_in(&email)
        .await
        .map_err(database)?;
    let (person, hash) = match found {
        Some((person, hash)) => (Some(person), Some(hash)),
        None => (None, None),
    };
    let password = body.password;
    // Argon2 takes tens of milliseconds of CPU: off the async threads.
    let right = tokio::task::spawn_blocking(move || verify_password(hash.as_deref(), &password))
        .await
        .unwrap_or(false);
    let Some(person) = person.filter(|_| right) else {
        sign_in.by_email.record(&email, now);
        sign_in.by_address.record(&address, now);
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::SignInFailed,
            SIGN_IN_FAILED,
        ));
    };
    if person.disabled {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::AccountDisabled,
            "this account is disabled: ask an admin of the workspace",
        ));
    }
    sign_in.by_email.forget(&email);
    let (token, hash) = new_token(TokenKind::Session);
    let expires_at = Utc::now() + sign_in.session;
    state
        .storage
        .add_token(
            &person.id,
            TokenKind::Session,
            "session",
            &hash,
            Some(expires_at),
        )
        .await
        .map_err(database)?;
    tracing::info!(person = %person.id, tenant = %person.tenant, "signed in");
    Ok((
        StatusCode::CREATED,
        Json(NewSession {
            token,
            expires_at,
            person,
        }),
    ))
}

fn signed_in(principal: &Principal) -> Result<(&Person, &str), ApiError> {
    match principal {
        Principal::Person {
            person, token_id, ..
        } => Ok((person, token_id)),
        Principal::Machine { .. } => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "a machine token (PORTAL_TOKENS) is no person: sign in to do this",
        )),
    }
}

/// Sign out: the token that asks is revoked
#[utoipa::path(
    delete,
    path = "/sessions/current",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "No token, or one that opens nothing", body = ErrorBody, content_type = "application/problem+json"),
        (status = 403, description = "A machine token, which is no session", body = ErrorBody, content_type = "application/problem+json"),
        (status = 500, description = "The database failed", body = ErrorBody, content_type = "application/problem+json"),
    )
)]
pub async fn sign_out(
    State(state): State<ServerState>,
    principal: Principal,
) -> Result<StatusCode, ApiError> {
    let (person, token_id) = signed_in(&principal)?;
    state
        .storage
        .revoke_token(&person.id, token_id)
        .await
        .map_err(database)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who a token acts as.
#[derive(Serialize, ToSchema)]
pub struct Current {
    tenant: String,
    /// Absent for a machine token.
    person: Option<Person>,
    /// When a session ends; absent for tokens that last until revoked.
    expires_at: Option<DateTime<Utc>>,
}

/// Who this token acts as
#[utoipa::path(
    get,
    path = "/sessions/current",
    responses(
        (status = 200, description = "The token's tenant and person", body = Current),
        (status = 401, description = "No token, or one that opens nothing", body = ErrorBody, content_type = "application/problem+json"),
    )
)]
pub async fn current(principal: Principal) -> Json<Current> {
    let (person, expires_at) = match &principal {
        Principal::Person {
            person, expires_at, ..
        } => (Some(person.clone()), *expires_at),
        Principal::Machine { .. } => (None, None),
    };
    Json(Current {
        tenant: principal.tenant().0.to_string(),
        person,
        expires_at,
    })
}

/// A person of the tenant, as others see them.
#[derive(Serialize, ToSchema)]
pub struct Colleague {
    email: String,
    display_name: String,
    #[schema(value_type = String, example = "developer")]
    role: Role,
}

/// The tenant's active people, by email
///
/// Who an application can be handed over to.
#[utoipa::path(
    get,
    path = "/people",
    responses(
        (status = 200, description = "The tenant's active people", body = [Colleague]),
        (status = 401, description = "No token, or one that opens nothing", body = ErrorBody, content_type = "application/problem+json"),
        (status = 500, description = "The database failed", body = ErrorBody, content_type = "application/problem+json"),
    )
)]
pub async fn people(
    State(state): State<ServerState>,
    principal: Principal,
) -> Result<Json<Vec<Colleague>>, ApiError> {
    let people = state
        .storage
        .people(Some(&principal.tenant().0))
        .await
        .map_err(database)?;
    Ok(Json(
        people
            .into_iter()
            .filter(|p| !p.disabled)
            .map(|p| Colleague {
                email: p.email,
                display_name: p.display_name,
                role: p.role,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct TokenBody {
    /// What the token is for, to tell it from others in the list.
    #[schema(min_length = 1, max_length = 100)]
    name: String,
}

/// A new personal access token: shown this once.
#[derive(Serialize, ToSchema)]
pub struct NewToken {
    token: String,
    #[serde(flatten)]
    info: TokenInfo,
}

/// Make a personal access token, for scripts
#[utoipa::path(
    post,
    path = "/tokens",
    request_body(content = TokenBody, content_type = "application/json"),
    responses(
        (status = 201, description = "The token, shown once", body = NewToken),
        (status = 400, description = "The body is not JSON", body = ErrorBody, content_type = "application/problem+json"),
        (status = 401, description = "No token, or one that opens nothing", body = ErrorBody, content_type = "application/problem+json"),
        (status = 403, description = "A machine token, which is no person", body = ErrorBody, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as JSON", body = ErrorBody, content_type = "application/problem+json"),
        (status = 422, description = "No name, or a name over 100 characters", body = ErrorBody, content_type = "application/problem+json"),
        (status = 500, description = "The database failed", body = ErrorBody, content_type = "application/problem+json"),
    )
)]
pub async fn add_token(
    State(state): State<ServerState>,
    principal: Principal,
    body: Result<Json<TokenBody>, JsonRejection>,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
    let (person, _) = signed_in(&principal)?;
    let Json(body) = body?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::BadRequest,
            "a token's name is 1 to 100 characters, without control characters",
        ));
    }
    let (token, hash) = new_token(TokenKind::Personal);
    let info = state
        .storage
        .add_token(&person.id, TokenKind::Personal, name, &hash, None)
        .await
        .map_err(database)?;
    Ok((StatusCode::CREATED, Json(NewToken { token, info })))
}

/// The personal access tokens of the person asking
#[utoipa::path(
    get,
    path = "/tokens",
    responses(
        (status = 200, description = "Their live tokens, oldest first (never the tokens themselves)", body = [TokenInfo]),
        (status = 401, description = "No token, or one that opens nothing", body = ErrorBody, content_type = "application/problem+json"),
        (status = 403, description = "A machine token, which is no person", body = ErrorBody, content_type = "application/problem+json"),
        (status = 500, description = "The database failed", body = ErrorBody, content_type = "application/problem+json"),
    )
)]
pub async fn tokens(
    State(state): State<ServerState>,
    principal: Principal,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    let (person, _) = signed_in(&principal)?;
    let tokens = state
        .storage
        .personal_tokens(&person.id)
        .await
        .map_err(database)?;
    Ok(Json(tokens))
}

/// Revoke one of the asking person's personal access tokens
#[utoipa::path(
    delete,
    path = "/tokens/{id}",
    params(("id" = String, Path, description = "The token's id, from the list")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No token, or one that opens nothing", body = ErrorBody, content_type = "application/problem+json"),
        (status = 403, description = "A machine token, which is no person", body = ErrorBody, content_type = "application/problem+json"),
        (status = 404, description = "No live token of theirs has this id", body = ErrorBody, content_type = "application/problem+json"),
        (status = 500, description = "The database failed", body = ErrorBody, content_type = "application/problem+json"),
    )
)]
pub async fn revoke_token(
    State(state): State<ServerState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let (person, _) = signed_in(&principal)?;
    let revoked = state
        .storage
        .revoke_token(&person.id, &id)
        .await
        .map_err(database)?;
    if revoked {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "you have no live token with this id",
        ))
    }
}
