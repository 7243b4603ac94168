//! The HTTP API under `/api/v1` (health, push, pull; signing in, people and
//! tokens in `sessions.rs`) and the built app.

use crate::auth::{Principal, Tokens};
use crate::clock::Clock;
use crate::error::ApiError;
use crate::judge::{Acting, Judges, Pushed, Refusal};
use crate::limits::Limits;
use crate::openapi::Postcard;
use crate::sessions::{self, SignIn};
use crate::storage::{Incoming, PushError, Storage};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use portal_domain::Envelope;
use portal_sync::batch::{self, BatchError};
use portal_sync::binary::{EVENT_SCHEMA, READS_FROM};
use portal_sync::problem::{ErrorBody, ErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The largest request body, in bytes.
pub const MAX_BODY: usize = 4 * 1024 * 1024;
/// The most events one push may carry.
pub const MAX_BATCH: usize = 1_000;
/// The most events one pull returns.
pub const MAX_PAGE: u32 = 1_000;

#[derive(Clone)]
pub struct ServerState {
    pub storage: Arc<Storage>,
    pub tokens: Arc<Tokens>,
    pub limits: Arc<Limits>,
    /// Decides every pushed command again before it is stored.
    pub judges: Arc<Judges>,
    pub sign_in: Arc<SignIn>,
}

impl ServerState {
    /// The state of a server whose processors go by the system clock.
    pub fn new(storage: Storage, tokens: Tokens, limits: Limits) -> Self {
        Self::with_clock(storage, tokens, limits, Clock::system())
    }

    /// The same, with the processors going by `clock`.
    pub fn with_clock(storage: Storage, tokens: Tokens, limits: Limits, clock: Clock) -> Self {
        let storage = Arc::new(storage);
        ServerState {
            judges: Arc::new(Judges::new(storage.clone(), clock)),
            storage,
            tokens: Arc::new(tokens),
            limits: Arc::new(limits),
            sign_in: Arc::new(SignIn::default()),
        }
    }

    pub fn with_sign_in(self, sign_in: SignIn) -> Self {
        ServerState {
            sign_in: Arc::new(sign_in),
            ..self
        }
    }
}

/// The whole server: the API, and the app from `dist` (any other path is
/// the app's, for its client-side routes). `origins` may call the API from
/// elsewhere (the app served by another server during development).
pub fn router(state: ServerState, dist: Option<PathBuf>, origins: &[HeaderValue]) -> Router {
    let (api, _) = crate::openapi::api().split_for_parts();
    let api = api.layer(DefaultBodyLimit::max(MAX_BODY)).with_state(state);
    let mut app = Router::new().nest("/api/v1", api);
    if let Some(dist) = dist {
        let index = dist.join("index.html");
        // The release build writes a .br and a .gz beside each file; which
        // one a response carries depends on the request's Accept-Encoding,
        // and caches are told so.
        let page = ServeFile::new(index)
            .precompressed_br()
            .precompressed_gzip();
        let route = any(move |request: Request| client_route(page.clone(), request));
        let files = ServeDir::new(dist).precompressed_br().precompressed_gzip();
        let vary = SetResponseHeaderLayer::appending(
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
        );
        app = app.fallback_service(
            ServiceBuilder::new()
                .layer(axum::middleware::from_fn(crate::cache::policy))
                .layer(vary)
                .service(files.fallback(route)),
        );
    }
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins.iter().cloned()))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]);
    // Every request gets an id, kept in its log lines and echoed back.
    let request_id = HeaderName::from_static("x-request-id");
    app.layer(cors).layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                    let id = request
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    tracing::info_span!("request", id, method = %request.method(), uri = %request.uri())
                }),
            )
            .layer(PropagateRequestIdLayer::new(request_id)),
    )
}

/// A path the build has no file for: a client-side route gets the page, but
/// a missing file (its name has an extension: a module of another build, a
/// typo) gets a 404. Sent the page instead, a browser would read HTML as a
/// module, and the service worker would keep it under that name.
async fn client_route(page: ServeFile, request: Request) -> Response {
    let last = request.uri().path().rsplit('/').next().unwrap_or("");
    if last.contains('.') {
        return (StatusCode::NOT_FOUND, "There is no such file.").into_response();
    }
    match page.oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    }
}

/// Every handler of `/api/v1`, each registered with its route and its
/// part of the OpenAPI document (`openapi.rs`).
pub fn routes(doc: utoipa::openapi::OpenApi) -> OpenApiRouter<ServerState> {
    OpenApiRouter::with_openapi(doc)
        .routes(routes!(health))
        .routes(routes!(push))
        .routes(routes!(crate::pull::pull))
        .routes(routes!(crate::live::events))
        .routes(routes!(crate::gateway::verify))
        .routes(routes!(crate::applications::list))
        .routes(routes!(crate::applications::one))
        .routes(routes!(crate::surveys::link))
        .routes(routes!(crate::surveys::respond))
        .routes(routes!(crate::webhooks::register, crate::webhooks::list))
        .routes(routes!(crate::webhooks::remove))
        .routes(routes!(crate::webhooks::deliveries))
        .routes(routes!(crate::webhooks::replay))
        .routes(routes!(sessions::sign_in))
        .routes(routes!(sessions::current, sessions::sign_out))
        .routes(routes!(sessions::people))
        .routes(routes!(sessions::add_token, sessions::tokens))
        .routes(routes!(sessions::revoke_token))
        .routes(routes!(openapi))
}

/// This document
#[utoipa::path(
    get,
    path = "/openapi.json",
    security(()),
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json"))
)]
async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::document(),
    )
}

#[derive(Serialize, ToSchema)]
struct Health {
    status: Up,
}

#[derive(Serialize, ToSchema)]
enum Up {
    #[serde(rename = "ok")]
    Ok,
}

/// Whether the server and its database answer
#[utoipa::path(
    get,
    path = "/health",
    security(()),
    responses(
        (status = 200, description = "Up", body = Health),
        (status = 503, description = "The database does not answer", body = ErrorBody, content_type = "application/problem+json"),
    )
)]
async fn health(State(state): State<ServerState>) -> Result<Json<Health>, ApiError> {
    state.storage.ping().await.map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::DatabaseUnavailable,
            format!("the database does not answer: {e}"),
        )
    })?;
    Ok(Json(Health { status: Up::Ok }))
}

/// A batch of envelopes, stored all or nothing.
// Each event stays raw text until the codec reads it: no JSON tree is built.
#[derive(Deserialize, ToSchema)]
struct PushBody {
    #[schema(value_type = Vec<portal_sync::openapi::EnvelopeSchema>, min_items = 1, max_items = 1000)]
    events: Vec<Box<RawValue>>,
}

/// Where the server placed one event of the batch.
#[derive(Serialize, ToSchema)]
struct PushedEvent {
    #[schema(format = Uuid)]
    event_id: String,
    #[schema(minimum = 1)]
    global_position: u64,
    recorded_at: DateTime<Utc>,
}

/// The batch's events, in the order sent.
#[derive(Serialize, ToSchema)]
struct PushReply {
    events: Vec<PushedEvent>,
}

/// Reads one envelope of a JSON batch as the browser's codec would.
fn decoded(index: usize, raw: &RawValue) -> Result<Envelope, ApiError> {
    portal_sync::codec::decode(raw.get()).map_err(|e| invalid_event(index, e.to_string()))
}

fn invalid_event(index: usize, message: String) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidEvent,
        format!("events[{index}]: {message}"),
    )
}

/// Checks one read envelope's rules, and gives its canonical body: the
/// envelope without what the server assigns.
fn validate(index: usize, envelope: Envelope) -> Result<Pushed, ApiError> {
    if envelope.stream_id != envelope.event.stream_id() {
        return Err(invalid_event(
            index,
            format!(
                "stream_id {} is not the stream its event belongs to ({})",
                envelope.stream_id,
                envelope.event.stream_id()
            ),
        ));
    }
    if envelope.stream_version == 0 {
        return Err(invalid_event(index, "stream_version starts at 1".into()));
    }
    let canonical = Envelope {
        global_position: None,
        recorded_at: None,
        ..envelope
    };
    Ok(Pushed {
        incoming: Incoming::of(&canonical),
        envelope: canonical,
    })
}

/// Reads a push body and checks it whole, as `push` does before anything
/// is stored: the JSON, the batch's size, every envelope, and repeated ids.
/// Every failure is a 4xx whose message names what is wrong.
pub fn read_push(body: &[u8]) -> Result<Vec<Incoming>, ApiError> {
    let Json(body) = Json::<PushBody>::from_bytes(body)?;
    Ok(check_batch(PushRequest::Json(body.events))?
        .into_iter()
        .map(|p| p.incoming)
        .collect())
}

/// `read_push` for a binary batch (ADR 37), body for body the same checks.
pub fn read_binary_push(body: &[u8]) -> Result<Vec<Incoming>, ApiError> {
    Ok(check_batch(PushRequest::Binary(decode_batch(body)?))?
        .into_iter()
        .map(|p| p.incoming)
        .collect())
}

/// A push body as sent: JSON (the documented form) or the binary batch
/// (`portal_sync::batch`), told apart by its `Content-Type`.
enum PushRequest {
    Json(Vec<Box<RawValue>>),
    Binary(Vec<Envelope>),
}

impl PushRequest {
    fn len(&self) -> usize {
        match self {
            PushRequest::Json(events) => events.len(),
            PushRequest::Binary(events) => events.len(),
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for PushRequest {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !batch::is_batch(content_type) {
            let Json(body) = Json::<PushBody>::from_request(request, state).await?;
            return Ok(PushRequest::Json(body.events));
        }
        let schema = batch::schema_of(content_type);
        if !schema.is_some_and(portal_sync::binary::readable) {
            return Err(other_schema(schema));
        }
        let bytes = Bytes::from_request(request, state).await?;
        decode_batch(&bytes).map(PushRequest::Binary)
    }
}

fn other_schema(schema: Option<u16>) -> ApiError {
    let this_one = match schema {
        Some(s) => format!("this one is in schema {s}"),
        None => "this one names no schema".to_owned(),
    };
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedMediaType,
        format!(
            "this server reads binary batches in event schemas {READS_FROM} to {EVENT_SCHEMA} only ({this_one}); send the batch as JSON"
        ),
    )
}

/// Reads a binary batch's events; every failure is a 4xx naming it.
fn decode_batch(bytes: &[u8]) -> Result<Vec<Envelope>, ApiError> {
    batch::decode(bytes).map_err(|e| match e {
        BatchError::Schema(s) => other_schema(Some(s)),
        BatchError::Unreadable(why) => ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("the batch cannot be read: {why}"),
        ),
        BatchError::Invalid { index, why } => invalid_event(index, why),
    })
}

fn check_batch(events: PushRequest) -> Result<Vec<Pushed>, ApiError> {
    if events.len() == 0 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidBatch,
            "events: the batch is empty",
        ));
    }
    // A well-formed body that asks too much: 422 like any other broken
    // rule of the batch (413 is for bodies over MAX_BODY).
    if events.len() > MAX_BATCH {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidBatch,
            format!("events: at most {MAX_BATCH} per push, not {}", events.len()),
        ));
    }
    let batch = match events {
        PushRequest::Json(events) => events
            .iter()
            .enumerate()
            .map(|(i, raw)| validate(i, decoded(i, raw)?))
            .collect::<Result<Vec<_>, _>>()?,
        PushRequest::Binary(events) => events
            .into_iter()
            .enumerate()
            .map(|(i, envelope)| validate(i, envelope))
            .collect::<Result<Vec<_>, _>>()?,
    };
    let mut seen = HashSet::new();
    if let Some(dup) = batch.iter().find(|e| !seen.insert(e.incoming.event_id)) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidBatch,
            format!(
                "events: event {} appears twice in the batch",
                dup.incoming.event_id
            ),
        ));
    }
    Ok(batch)
}

/// Store a batch of envelopes, all or nothing
///
/// Idempotent by event id: a retried batch gets the same positions. Each
/// event must be its stream's next version.
#[utoipa::path(
    post,
    path = "/push",
    request_body(content(
        (PushBody = "application/json"),
        (Postcard = "application/vnd.portal-ledger.batch"),
    )),
    responses(
        (status = 200, description = "Stored (or already stored), in the order sent", body = PushReply),
        (status = 400, description = "The body cannot be read (not JSON, or not a binary batch)", body = ErrorBody, content_type = "application/problem+json"),
        (status = 401, description = "No token, or one that opens no tenant", body = ErrorBody, content_type = "application/problem+json"),
        (status = 403, description = "A person's command under another actor, on someone else's application, beyond their role, or one only processes write (`forbidden`, naming the `rule`)", body = ErrorBody, content_type = "application/problem+json"),
        (status = 409, description = "An event id stored with another content, or a stream at another version", body = ErrorBody, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the server's limit", body = ErrorBody, content_type = "application/problem+json"),
        (status = 415, description = "The body is sent neither as JSON nor as a binary batch in this server's event schema", body = ErrorBody, content_type = "application/problem+json"),
        (status = 422, description = "An envelope or the batch breaks a rule, or the portal's rules refuse a command (`rule_broken`, naming the `rule`)", body = ErrorBody, content_type = "application/problem+json"),
        (status = 429, description = "Over this token's rate limit", body = ErrorBody, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 500, description = "The database failed", body = ErrorBody, content_type = "application/problem+json"),
    )
)]
async fn push(
    State(state): State<ServerState>,
    principal: Principal,
    body: PushRequest,
) -> Result<Json<PushReply>, ApiError> {
    let acting = match principal.person() {
        Some(person) => Some(Acting {
            actor: person.actor().ok_or_else(|| {
                ApiError::new(
                    StatusCode::FORBIDDEN,
                    ErrorCode::Forbidden,
                    "this account's email cannot name an actor",
                )
            })?,
            role: person.role,
        }),
        None => None,
    };
    let batch = check_batch(body)?;
    let ids: Vec<String> = batch
        .iter()
        .map(|p| p.incoming.event_id.to_string())
        .collect();
    let placed = state
        .judges
        .push(&principal.tenant().0, acting, batch)
        .await
        .map_err(refused)?;
    Ok(Json(PushReply {
        events: ids
            .into_iter()
            .zip(placed)
            .map(|(event_id, p)| PushedEvent {
                event_id,
                global_position: p.global_position,
                recorded_at: p.recorded_at,
            })
            .collect(),
    }))
}

/// A batch the judge or the storage refused, as the client reads it.
fn refused(refusal: Refusal) -> ApiError {
    let rule = refusal.rule();
    let error = match refusal {
        Refusal::Push(PushError::Database(db)) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::DatabaseFailed,
            format!("the database failed: {db}"),
        ),
        Refusal::Unreadable(why) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::StoredEventUnreadable,
            why,
        ),
        Refusal::Push(e @ PushError::IdConflict(_)) => ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::EventIdConflict,
            e.to_string(),
        ),
        Refusal::Push(e @ PushError::VersionConflict { .. }) => ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::StreamVersionConflict,
            e.to_string(),
        ),
        e @ Refusal::Forbidden { .. } => {
            ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, e.to_string())
        }
        e
        @ (Refusal::RuleBroken { .. } | Refusal::NotDecided { .. } | Refusal::UnknownOwner(_)) => {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::RuleBroken,
                e.to_string(),
            )
        }
    };
    ApiError { rule, ..error }
}
