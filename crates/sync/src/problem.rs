//! Why the server refused a request, as both sides read it: a stable code
//! that programs match on, and a sentence for the person reading it. The
//! sentence may be reworded at any time; the code never changes meaning.

use serde::{Deserialize, Serialize};

/// Every refusal the sync API answers with, by what the client can do
/// about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No bearer token, a malformed one, or one the server does not know.
    Unauthorized,
    /// The token is known but no longer opens its tenant.
    TokenExpired,
    /// A person's token that its owner (or signing out) revoked.
    TokenRevoked,
    /// The token's person is disabled.
    AccountDisabled,
    /// A request signed with a secret (a survey's answer) whose signature
    /// is missing, stale, or not the secret's.
    BadSignature,
    /// Signing in failed: the email or the password is not right (which
    /// one is never said).
    SignInFailed,
    /// The token's person may not do this: a command on someone else's
    /// application, under another actor's name, or beyond their role.
    /// The body names the `rule`.
    Forbidden,
    /// Over the token's rate limit: wait for `Retry-After`.
    RateLimited,
    /// The query or the body cannot be read at all (not JSON, a bad query).
    BadRequest,
    /// The body is larger than the server takes.
    TooLarge,
    /// Nothing at this path for this token (a token id that is not theirs).
    NotFound,
    /// The body is sent in a form the server does not read: neither JSON
    /// nor a binary batch (`batch`) in its event schema.
    UnsupportedMediaType,
    /// One envelope breaks the wire format or an envelope rule.
    InvalidEvent,
    /// The batch itself breaks a rule (empty, too long, an id twice).
    InvalidBatch,
    /// An event id the server holds with another content.
    EventIdConflict,
    /// A stream is at another version than an event expects: another
    /// device changed it first. Pull, settle, and push again.
    StreamVersionConflict,
    /// A command the portal's rules refuse: the server decided it again
    /// and the domain said no. The body names the `rule`.
    RuleBroken,
    /// The database does not answer.
    DatabaseUnavailable,
    /// The database failed on this request.
    DatabaseFailed,
    /// A stored event cannot be sent as it should be.
    StoredEventUnreadable,
    /// The client is a build of an older event schema than events it asks
    /// for: it cannot read them. Reloading the app updates it.
    UpdateRequired,
    /// A code this build does not know (a newer server's).
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The code as it is written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::TokenRevoked => "token_revoked",
            ErrorCode::AccountDisabled => "account_disabled",
            ErrorCode::BadSignature => "bad_signature",
            ErrorCode::SignInFailed => "sign_in_failed",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::NotFound => "not_found",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::InvalidEvent => "invalid_event",
            ErrorCode::InvalidBatch => "invalid_batch",
            ErrorCode::EventIdConflict => "event_id_conflict",
            ErrorCode::StreamVersionConflict => "stream_version_conflict",
            ErrorCode::RuleBroken => "rule_broken",
            ErrorCode::DatabaseUnavailable => "database_unavailable",
            ErrorCode::DatabaseFailed => "database_failed",
            ErrorCode::StoredEventUnreadable => "stored_event_unreadable",
            ErrorCode::UpdateRequired => "update_required",
            ErrorCode::Unknown => "unknown",
        }
    }

    /// Every code a server of this build sends, for documents and tests.
    pub const ALL: [ErrorCode; 21] = [
        ErrorCode::Unauthorized,
        ErrorCode::TokenExpired,
        ErrorCode::TokenRevoked,
        ErrorCode::AccountDisabled,
        ErrorCode::BadSignature,
        ErrorCode::SignInFailed,
        ErrorCode::Forbidden,
        ErrorCode::RateLimited,
        ErrorCode::BadRequest,
        ErrorCode::TooLarge,
        ErrorCode::NotFound,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::InvalidEvent,
        ErrorCode::InvalidBatch,
        ErrorCode::EventIdConflict,
        ErrorCode::StreamVersionConflict,
        ErrorCode::RuleBroken,
        ErrorCode::DatabaseUnavailable,
        ErrorCode::DatabaseFailed,
        ErrorCode::StoredEventUnreadable,
        ErrorCode::UpdateRequired,
    ];
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of every error answer: a problem document (RFC 9457,
/// `application/problem+json`) with a stable `code` programs match on.
/// `error` repeats `detail` for clients that read the body before it was a
/// problem document; a body from a server older than the codes has no
/// `code`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Problem))]
pub struct ErrorBody {
    #[serde(default = "unknown")]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub code: ErrorCode,
    /// For people; may be reworded.
    pub error: String,
    /// For `rule_broken` and `forbidden`: the rule, by its stable name
    /// (`DomainError::code`, `Forbidden::code`, `forged_actor`, or
    /// `not_decided` for events no command gives).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// RFC 9457's problem type: `about:blank`, the HTTP status says it.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// RFC 9457: the status's phrase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// RFC 9457: the HTTP status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// RFC 9457: this occurrence, for people (the same sentence as `error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The media type of every error answer.
pub const PROBLEM_TYPE: &str = "application/problem+json";

impl ErrorBody {
    /// A problem document for `status` (its number and phrase).
    pub fn new(status: u16, title: &str, code: ErrorCode, error: String) -> Self {
        ErrorBody {
            code,
            detail: Some(error.clone()),
            error,
            rule: None,
            kind: Some("about:blank".to_owned()),
            title: Some(title.to_owned()),
            status: Some(status),
        }
    }

    /// A body with only a code and a sentence, as older servers sent.
    pub fn bare(code: ErrorCode, error: impl Into<String>) -> Self {
        ErrorBody {
            code,
            error: error.into(),
            rule: None,
            kind: None,
            title: None,
            status: None,
            detail: None,
        }
    }
}

fn unknown() -> ErrorCode {
    ErrorCode::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_as_itself() {
        for code in ErrorCode::ALL {
            let text = serde_json::to_string(&code).unwrap();
            assert_eq!(text, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&text).unwrap(), code);
        }
    }

    #[test]
    fn a_newer_or_older_server_body_still_reads() {
        let newer: ErrorBody =
            serde_json::from_str(r#"{"code":"tenant_suspended","error":"why"}"#).unwrap();
        assert_eq!(newer.code, ErrorCode::Unknown);
        let older: ErrorBody = serde_json::from_str(r#"{"error":"why"}"#).unwrap();
        assert_eq!(older.code, ErrorCode::Unknown);
        assert_eq!(older.error, "why");
    }
}
