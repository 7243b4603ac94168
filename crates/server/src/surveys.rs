//! The survey form writes back (ADR 34). Each survey has a secret of its
//! own, derived from a key the server keeps (an HMAC of the tenant and the
//! survey's id), never stored or logged as such. Its link, `/surveys/{id}?key=…`,
//! is a page of the portal that whoever holds it can answer from; a form
//! service holding the secret posts the answer to
//! `POST /api/v1/surveys/{id}/responses`, signed with it (an HMAC-SHA256
//! of the time and the body, with the time, as `Portal-Signature`).
//! The answer is recorded once as `SURVEY_FEEDBACK_RECORDED`, as the
//! owner's, caused by the survey's sending; the same answer again is
//! accepted and changes nothing.

use crate::api::ServerState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::judge::{Refusal, Responded};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::Utc;
use hmac::{Hmac, Mac};
use portal_domain::{Rating, Role, SurveyId, Text};
use portal_sync::problem::{ErrorBody, ErrorCode};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;

/// How far a signature's time may be from the server's.
pub const SIGNATURE_TOLERANCE_SECONDS: i64 = 300;
/// The header a signed answer carries.
pub const SIGNATURE_HEADER: &str = "portal-signature";

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length")
}

/// The survey's own secret, from the server's key.
pub fn survey_secret(server_key: &str, tenant: &str, survey: SurveyId) -> String {
    let mut mac = mac(server_key.as_bytes());
    mac.update(format!("survey:{tenant}:{}", survey.0).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The `Portal-Signature` of `body` at `time` (unix seconds), with `secret`:
/// `t=<time>,v1=<hex HMAC-SHA256 of "<time>.<body>">`.
pub fn sign(secret: &str, time: i64, body: &[u8]) -> String {
    let mut mac = mac(secret.as_bytes());
    mac.update(format!("{time}.").as_bytes());
    mac.update(body);
    format!("t={time},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `header` signs `body` with `secret` within the tolerance of `now`.
fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> Result<(), &'static str> {
    let mut time = None;
    let mut signature = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => time = t.parse::<i64>().ok(),
            Some(("v1", v)) => signature = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(time), Some(signature)) = (time, signature) else {
        return Err("the signature is not of the form t=<time>,v1=<hex>");
    };
    if (now - time).abs() > SIGNATURE_TOLERANCE_SECONDS {
        return Err("the signature's time is too far from now");
    }
    let mut mac = mac(secret.as_bytes());
    mac.update(format!("{time}.").as_bytes());
    mac.update(body);
    // Compared in constant time.
    mac.verify_slice(&signature)
        .map_err(|_| "the signature is not this survey's")
}

async fn server_key(state: &ServerState) -> Result<String, ApiError> {
    state
        .storage
        .secret("surveys", || {
            let (key, _) = crate::people::new_token(crate::people::TokenKind::Session);
            key
        })
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::DatabaseFailed,
                format!("the database failed: {e}"),
            )
        })
}

fn survey_id(id: &str) -> Result<SurveyId, ApiError> {
    id.parse().map(SurveyId).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("{id} is not a survey id"),
        )
    })
}

fn no_such_survey(survey: SurveyId) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        format!("there is no survey {}", survey.0),
    )
}

/// A survey's link, and the secret it carries.
#[derive(Serialize, ToSchema)]
pub struct SurveyLink {
    /// The portal's page for the survey, with its key: whoever holds it
    /// can answer. Relative to the portal's address.
    url: String,
    /// The survey's own secret, which signs a form service's answer.
    key: String,
}

/// A survey's link and secret
///
/// For the survey's owner, an admin, a product owner, or a machine client
/// (the communication app that sends the link).
#[utoipa::path(
    get,
    path = "/surveys/{id}/link",
    params(("id" = String, Path, format = Uuid, description = "The survey's id")),
    responses(
        (status = 200, description = "The link", body = SurveyLink),
        (status = 400, description = "Not a survey id", body = ErrorBody, content_type = "application/problem+json"),
        (status = 401, description = "No token, or one that opens no tenant", body = ErrorBody, content_type = "application/problem+json"),
        (status = 403, description = "A developer's token for someone else's survey", body = ErrorBody, content_type = "application/problem+json"),
        (status = 404, description = "No survey of this workspace has this id", body = ErrorBody, content_type = "application/problem+json"),
        (status = 429, description = "Over this token's rate limit", body = ErrorBody, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn link(
    State(state): State<ServerState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<SurveyLink>, ApiError> {
    let survey = survey_id(&id)?;
    let tenant = principal.tenant().0.clone();
    let owner = state
        .judges
        .read(&tenant, move |portal| {
            portal.survey(survey).map(|s| s.owner.to_string())
        })
        .await
        .map_err(unreadable)?
        .ok_or_else(|| no_such_survey(survey))?;
    if let Some(person) = principal.person() {
        let theirs = person.email == owner;
        if person.role == Role::Developer && !theirs {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                format!("this survey was sent to {owner}, not to {}", person.email),
            ));
        }
    }
    let key = survey_secret(&server_key(&state).await?, &tenant, survey);
    Ok(Json(SurveyLink {
        url: format!("/surveys/{}?key={key}", survey.0),
        key,
    }))
}

/// A survey's answer.
#[derive(Deserialize, ToSchema)]
pub struct Response {
    /// From 1 to 5.
    #[schema(minimum = 1, maximum = 5)]
    rating: u8,
    /// Up to 2,000 characters.
    comment: Option<String>,
}

/// What became of an answer.
#[derive(Serialize, ToSchema)]
pub struct ResponseRecorded {
    /// `recorded`, or `already_recorded` when the same answer came before.
    outcome: &'static str,
}

/// Record a survey's answer, signed with the survey's secret
///
/// For a form service, or the survey's page opened from its link: the body
/// is signed as `Portal-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
/// "<t>.<body>" with the survey's secret>`, within five minutes of the
/// server's clock. The answer is recorded once, as the owner's; the same
/// answer again is accepted and changes nothing.
#[utoipa::path(
    post,
    path = "/surveys/{id}/responses",
    security(()),
    params(
        ("id" = String, Path, format = Uuid, description = "The survey's id"),
        ("Portal-Signature" = String, Header, description = "t=<unix time>,v1=<hex HMAC-SHA256>"),
    ),
    request_body(content = Response, content_type = "application/json"),
    responses(
        (status = 200, description = "Recorded, or recorded before", body = ResponseRecorded),
        (status = 400, description = "Not a survey id, or a body that is not an answer", body = ErrorBody, content_type = "application/problem+json"),
        (status = 401, description = "No signature, a stale one, or one not of this survey's secret", body = ErrorBody, content_type = "application/problem+json"),
        (status = 404, description = "No survey has this id", body = ErrorBody, content_type = "application/problem+json"),
        (status = 422, description = "The survey was not sent yet, or was answered otherwise (`rule_broken`)", body = ErrorBody, content_type = "application/problem+json"),
    )
)]
pub async fn respond(
    State(state): State<ServerState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ResponseRecorded>, ApiError> {
    let survey = survey_id(&id)?;
    let unsigned = |why: &str| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::BadSignature,
            why.to_owned(),
        )
    };
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unsigned("the answer is not signed (Portal-Signature)"))?;
    // An unknown survey and a wrong signature are told apart only after
    // the signature: a guess learns nothing about which surveys exist.
    let tenant = state.judges.tenant_of_survey(survey);
    // For a survey nobody has, a secret nobody knows.
    let secret = survey_secret(
        &server_key(&state).await?,
        tenant.as_deref().unwrap_or(""),
        survey,
    );
    verify(&secret, signature, &body, Utc::now().timestamp()).map_err(unsigned)?;
    let tenant = tenant.ok_or_else(|| no_such_survey(survey))?;
    let bad = |why: String| ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, why);
    let response: Response =
        serde_json::from_slice(&body).map_err(|e| bad(format!("the answer: {e}")))?;
    let rating = Rating::parse(response.rating).map_err(|e| bad(e.to_string()))?;
    let comment = Text::parse_optional("comment", response.comment.as_deref().unwrap_or(""))
        .map_err(|e| bad(e.to_string()))?;
    let outcome = state
        .judges
        .respond(&tenant, survey, rating, comment)
        .await
        .map_err(|e| match e {
            e @ Refusal::RuleBroken { .. } => {
                let rule = e.rule();
                ApiError {
                    rule,
                    ..ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        ErrorCode::RuleBroken,
                        e.to_string(),
                    )
                }
            }
            other => unreadable(other),
        })?;
    Ok(Json(ResponseRecorded {
        outcome: match outcome {
            Responded::Recorded => "recorded",
            Responded::AlreadyRecorded => "already_recorded",
        },
    }))
}

fn unreadable(e: Refusal) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::DatabaseFailed,
        e.to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_with_its_secret_its_body_and_near_its_time() {
        let body = br#"{"rating":4}"#;
        let signed = sign("the secret", 1_000_000, body);
        assert!(verify("the secret", &signed, body, 1_000_100).is_ok());
        assert!(verify("another secret", &signed, body, 1_000_100).is_err());
        assert!(verify("the secret", &signed, br#"{"rating":5}"#, 1_000_100).is_err());
        assert!(verify("the secret", &signed, body, 1_000_000 + 301).is_err());
        assert!(verify("the secret", "v1=00", body, 1_000_000).is_err());
        assert!(verify("the secret", "t=1000000,v1=zz", body, 1_000_000).is_err());
    }

    #[test]
    fn each_survey_has_a_secret_of_its_own() {
        let one = SurveyId(uuid::Uuid::from_u128(1));
        let two = SurveyId(uuid::Uuid::from_u128(2));
        assert_eq!(survey_secret("k", "t", one), survey_secret("k", "t", one));
        assert_ne!(survey_secret("k", "t", one), survey_secret("k", "t", two));
        assert_ne!(survey_secret("k", "t", one), survey_secret("k", "u", one));
        assert_ne!(survey_secret("k", "t", one), survey_secret("l", "t", one));
    }
}
