//! The server as the client reaches it: two calls, whatever carries them
//! (`fetch` in the browser, an HTTP client in the tests), and why a call
//! failed, sorted by what the round does next.

use portal_domain::Envelope;
use portal_sync::problem::{ErrorBody, ErrorCode};

/// A page of pulled events, from either form (binary or JSON).
pub use portal_sync::page::Page;

/// The most events a page holds (the server's maximum).
pub const PAGE: u32 = 1_000;

pub use portal_sync::Placed;

/// The sync API's two calls. Futures are not `Send`: in the browser
/// everything runs on one thread.
#[allow(async_fn_in_trait)]
pub trait Remote {
    /// Up to `limit` events after the global position `after`.
    async fn pull(&self, after: u64, limit: u32) -> Result<Page, CallError>;
    /// Stores `events`, all or nothing; where each one was placed, in order.
    async fn push(&self, events: &[Envelope]) -> Result<Vec<Placed>, CallError>;
}

/// Why a call did not succeed, sorted by what the round does next.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CallError {
    /// No answer: offline, or the server is down. Retry later.
    #[error("the server cannot be reached ({0})")]
    Unreachable(String),
    /// The token was refused (401/403). Retrying will not help.
    #[error("the server refused the access token: {0}")]
    Refused(String),
    /// Too many requests: wait this many seconds.
    #[error("the server asks to wait {0} s")]
    Busy(u64),
    /// Another device changed a stream first: pull, then push again.
    #[error("{0}")]
    Conflict(String),
    /// The server refuses this content for good.
    #[error("{0}")]
    Invalid(String),
    /// This build is older than events the server holds and cannot read
    /// them: only updating the app helps.
    #[error("{0}")]
    UpdateRequired(String),
    /// The server failed (5xx). Retry later.
    #[error("the server failed: {0}")]
    Server(String),
}

impl CallError {
    /// What an error answer means: by its code where the server sent one,
    /// and by its status otherwise (a proxy's answer, or an older server).
    /// `body` is the answer's body if it was an error body.
    pub fn from_answer(status: u16, body: Option<ErrorBody>, retry_after: Option<u64>) -> Self {
        let (code, message) = match body {
            Some(ErrorBody { code, error, .. }) => (code, error),
            None => (ErrorCode::Unknown, format!("HTTP {status}")),
        };
        match code {
            ErrorCode::StreamVersionConflict => return CallError::Conflict(message),
            ErrorCode::UpdateRequired => return CallError::UpdateRequired(message),
            ErrorCode::RateLimited => return CallError::Busy(retry_after.unwrap_or(1)),
            ErrorCode::Unauthorized
            | ErrorCode::TokenExpired
            | ErrorCode::TokenRevoked
            | ErrorCode::AccountDisabled
            | ErrorCode::SignInFailed => return CallError::Refused(message),
            // The person may not do this one thing: the command is refused,
            // not the token.
            ErrorCode::Forbidden => return CallError::Invalid(message),
            ErrorCode::DatabaseUnavailable
            | ErrorCode::DatabaseFailed
            | ErrorCode::StoredEventUnreadable => return CallError::Server(message),
            _ => {}
        }
        match status {
            401 | 403 => CallError::Refused(message),
            429 => CallError::Busy(retry_after.unwrap_or(1)),
            400..=499 => CallError::Invalid(message),
            _ => CallError::Server(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(code: ErrorCode, error: &str) -> Option<ErrorBody> {
        Some(ErrorBody::bare(code, error))
    }

    #[test]
    fn a_conflict_is_known_by_its_code_not_its_words() {
        let worded_otherwise = body(ErrorCode::StreamVersionConflict, "le flux a changé");
        assert_eq!(
            CallError::from_answer(409, worded_otherwise, None),
            CallError::Conflict("le flux a changé".into())
        );
        // The old test on the words is gone: a 409 for a reused id that
        // happens to say "expected version" is still refused content.
        let reused = body(ErrorCode::EventIdConflict, "expected version 3");
        assert!(matches!(
            CallError::from_answer(409, reused, None),
            CallError::Invalid(_)
        ));
    }

    #[test]
    fn a_forbidden_command_is_refused_content_and_a_revoked_token_is_refused_access() {
        assert_eq!(
            CallError::from_answer(403, body(ErrorCode::Forbidden, "not yours"), None),
            CallError::Invalid("not yours".into())
        );
        for code in [ErrorCode::TokenRevoked, ErrorCode::AccountDisabled] {
            assert!(matches!(
                CallError::from_answer(401, body(code, "sign in"), None),
                CallError::Refused(_)
            ));
        }
    }

    #[test]
    fn an_older_build_is_told_to_update_by_the_code() {
        let told = body(ErrorCode::UpdateRequired, "reload the page");
        assert_eq!(
            CallError::from_answer(426, told, None),
            CallError::UpdateRequired("reload the page".into())
        );
    }

    #[test]
    fn without_a_code_the_status_decides_and_never_says_conflict() {
        assert_eq!(
            CallError::from_answer(409, None, None),
            CallError::Invalid("HTTP 409".into())
        );
        assert_eq!(
            CallError::from_answer(429, None, Some(7)),
            CallError::Busy(7)
        );
        assert!(matches!(
            CallError::from_answer(403, None, None),
            CallError::Refused(_)
        ));
        assert!(matches!(
            CallError::from_answer(502, None, None),
            CallError::Server(_)
        ));
    }

    #[test]
    fn codes_the_round_can_wait_out_are_not_refusals() {
        assert_eq!(
            CallError::from_answer(429, body(ErrorCode::RateLimited, "slow down"), Some(3)),
            CallError::Busy(3)
        );
        assert!(matches!(
            CallError::from_answer(503, body(ErrorCode::DatabaseUnavailable, "down"), None),
            CallError::Server(_)
        ));
        assert!(matches!(
            CallError::from_answer(401, body(ErrorCode::TokenExpired, "expired"), None),
            CallError::Refused(_)
        ));
    }
}
