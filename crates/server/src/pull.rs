//! Pull: a tenant's events after a global position, in order, as JSON or,
//! when the client asks for it by `Accept`, as a binary page
//! (`portal_sync::page`).

use crate::api::{ServerState, MAX_PAGE};
use crate::auth::Tenant;
use crate::error::ApiError;
use crate::openapi::Postcard;
use crate::storage::{PullRow, Reading};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portal_domain::EventType;
use portal_sync::binary;
use portal_sync::page::{self, Shaped};
use portal_sync::problem::{ErrorBody, ErrorCode};
use serde::Deserialize;
use std::borrow::Cow;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullQuery {
    /// The global position to read after (0: from the start).
    #[serde(default)]
    #[param(minimum = 0, maximum = 9223372036854775807_i64, default = 0)]
    after: u64,
    /// The most events to return.
    #[param(minimum = 1, maximum = 1000, default = 1000)]
    limit: Option<u32>,
}

/// A JSON page of the log, as `json_page` writes it.
#[derive(ToSchema)]
#[allow(dead_code)]
struct JsonPage {
    events: Vec<portal_sync::openapi::EnvelopeSchema>,
    /// The position to pull after next.
    #[schema(minimum = 0)]
    next: u64,
    /// Whether more events follow `next`.
    more: bool,
}

/// The events after a global position, in order
#[utoipa::path(
    get,
    path = "/pull",
    params(PullQuery),
    responses(
        (status = 200,
            description = "A page of events. JSON unless the request's Accept header asks for `application/vnd.portal-ledger.page; schema=N` with the event schema this server writes: then the same page in the stored binary shape, postcard-encoded (crates/sync/src/page.rs). Answers vary by Accept.",
            headers(("Vary" = String, description = "accept")),
            content(
                (JsonPage = "application/json"),
                (Postcard = "application/vnd.portal-ledger.page"),
            )),
        (status = 400, description = "A query parameter out of range", body = ErrorBody, content_type = "application/problem+json"),
        (status = 401, description = "No token, or one that opens no tenant", body = ErrorBody, content_type = "application/problem+json"),
        (status = 426, description = "The Accept header names the binary page in an older event schema than events of this page: that build of the app cannot read them and must be updated (`update_required`)", body = ErrorBody, content_type = "application/problem+json"),
        (status = 429, description = "Over this token's rate limit", body = ErrorBody, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 500, description = "The database failed", body = ErrorBody, content_type = "application/problem+json"),
    )
)]
pub async fn pull(
    State(state): State<ServerState>,
    tenant: Tenant,
    headers: HeaderMap,
    query: Result<Query<PullQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            e.body_text(),
        )
    })?;
    let limit = query.limit.unwrap_or(MAX_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("limit: from 1 to {MAX_PAGE}, not {limit}"),
        ));
    }
    if query.after > i64::MAX as u64 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "after: out of range",
        ));
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let binary = page::accepts(accept);
    let reading = match binary {
        true => Reading::Shapes,
        false => Reading::Bodies,
    };
    let mut rows = state
        .storage
        .pull(&tenant.0, query.after, limit + 1, reading)
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::DatabaseFailed,
                format!("the database failed: {e}"),
            )
        })?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    if let Some(schema) = page::schema_asked(accept).filter(|s| *s < binary::EVENT_SCHEMA) {
        if let Some(event_type) = unreadable_for(schema, &rows) {
            return Err(update_required(schema, event_type));
        }
    }
    let next = rows.last().map_or(query.after, |r| r.global_position);
    let (content_type, body) = if binary {
        (page::content_type(), binary_page(&rows, next, more)?)
    } else {
        (
            "application/json".to_owned(),
            json_page(&rows, next, more)?.into_bytes(),
        )
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::VARY, "accept".to_owned()),
        ],
        body,
    )
        .into_response())
}

/// The first event of `rows` a portal build of event schema `schema`
/// cannot read (rows read as bodies: an older schema is answered JSON).
fn unreadable_for(schema: u16, rows: &[PullRow]) -> Option<EventType> {
    #[derive(Deserialize)]
    struct Typed<'a> {
        #[serde(rename = "type", borrow)]
        event_type: Cow<'a, str>,
    }
    rows.iter().find_map(|row| {
        let typed: Typed<'_> = serde_json::from_str(&row.body).ok()?;
        let event_type = EventType::from_name(&typed.event_type)?;
        (binary::introduced_in(event_type) > schema).then_some(event_type)
    })
}

/// What an older build of the app is told, in words its sync status shows
/// as they are (it knows no `update_required`): it would fail on the page.
fn update_required(schema: u16, event_type: EventType) -> ApiError {
    ApiError::new(
        StatusCode::UPGRADE_REQUIRED,
        ErrorCode::UpdateRequired,
        format!(
            "this app reads event schema {schema}, and the workspace now holds {event_type} events from schema {}: reload the page to update the app. Nothing waiting on this device is lost; it is sent after the update",
            binary::introduced_in(event_type)
        ),
    )
}

fn not_canonical(row: &PullRow) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::StoredEventUnreadable,
        format!(
            "stored event {} is not in the canonical form",
            row.global_position
        ),
    )
}

/// Each stored body is the canonical envelope, which ends with the two
/// fields the server assigns, still empty.
const UNPLACED: &str = ",\"recorded_at\":null,\"global_position\":null}";

/// One stored event as JSON with its place filled in, written onto `body`
/// as text, without a JSON tree.
pub(crate) fn placed_json(body: &mut String, row: &PullRow) -> Result<(), ApiError> {
    let head = row
        .body
        .strip_suffix(UNPLACED)
        .ok_or_else(|| not_canonical(row))?;
    body.push_str(head);
    body.push_str(&format!(
        ",\"recorded_at\":\"{}\",\"global_position\":{}}}",
        row.recorded_at.to_rfc3339(),
        row.global_position
    ));
    Ok(())
}

/// The page is written out directly: the two assigned fields are filled in
/// as text, without a JSON tree per event.
fn json_page(rows: &[PullRow], next: u64, more: bool) -> Result<String, ApiError> {
    let mut body = String::with_capacity(rows.iter().map(|r| r.body.len() + 64).sum());
    body.push_str("{\"events\":[");
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        placed_json(&mut body, row)?;
    }
    body.push_str(&format!("],\"next\":{next},\"more\":{more}}}"));
    Ok(body)
}

/// Each event's stored shape where it has one in this build's schema;
/// otherwise (stored before shapes were kept, or in another schema) its
/// body, decoded and shaped again.
fn binary_page(rows: &[PullRow], next: u64, more: bool) -> Result<Vec<u8>, ApiError> {
    let shapes = rows
        .iter()
        .map(|row| match row.shape.as_deref().and_then(binary::untag) {
            Some(shape) => Ok(Cow::Borrowed(shape)),
            None => {
                let envelope = portal_sync::decode(&row.body).map_err(|_| not_canonical(row))?;
                Ok(Cow::Owned(binary::encode(&envelope)))
            }
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let shaped: Vec<Shaped<'_>> = rows
        .iter()
        .zip(&shapes)
        .map(|(row, shape)| Shaped {
            global_position: row.global_position,
            recorded_at: row.recorded_at,
            shape,
        })
        .collect();
    Ok(page::encode_shaped(&shaped, next, more))
}
