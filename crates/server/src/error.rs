//! Errors as the API answers them: a status, a stable code programs match
//! on, and a sentence that says what is wrong, as an RFC 9457 problem
//! document (`application/problem+json`, `portal_sync::problem`).

use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use portal_sync::problem::{ErrorBody, ErrorCode, PROBLEM_TYPE};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    /// Seconds to wait before trying again (`Retry-After`), for 429.
    pub retry_after: Option<u64>,
    /// The domain's rule, for `rule_broken`.
    pub rule: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
            rule: None,
        }
    }

    /// A body axum could not read as the handler's JSON or query: its
    /// status says which way it failed.
    pub fn unreadable(status: StatusCode, message: String) -> Self {
        let code = match status {
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::TooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::InvalidBatch,
            _ => ErrorCode::BadRequest,
        };
        ApiError::new(status, code, message)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        ApiError::unreadable(e.status(), e.body_text())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(e: BytesRejection) -> Self {
        ApiError::unreadable(e.status(), e.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = %self.status, code = %self.code, message = %self.message, "request failed");
        }
        let title = self.status.canonical_reason().unwrap_or("Error");
        let body = ErrorBody {
            rule: self.rule.map(str::to_owned),
            ..ErrorBody::new(self.status.as_u16(), title, self.code, self.message)
        };
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_TYPE))],
            Json(body),
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
