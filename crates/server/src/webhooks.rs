//! Outbound webhooks (ADR 35): an admin registers a URL and the event
//! types it wants; every such event the tenant's log takes is POSTed to it
//! as the envelope a pull returns, signed like a survey's answer
//! (`Portal-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`,
//! with the hook's secret), one at a time and in log order. A delivery that
//! fails is tried again with backoff for a day before it is given up, and
//! every attempt is in the hook's delivery log; an admin can replay one.

use crate::api::ServerState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::instances::Leases;
use crate::live::Heads;
use crate::storage::{Delivery, Reading, Storage, Webhook};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use portal_domain::{EventType, Role};
use portal_sync::problem::{ErrorBody, ErrorCode};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use utoipa::ToSchema;

/// How long a failing delivery is tried again before it is given up.
pub const GIVE_UP_AFTER: chrono::Duration = chrono::Duration::hours(24);
/// The longest wait between two attempts.
const MOST_BETWEEN_ATTEMPTS: Duration = Duration::from_secs(3600);
/// How long a receiver has to answer.
const RECEIVER_TIMEOUT: Duration = Duration::from_secs(10);
/// How often an idle deliverer looks whether its hook was removed.
const LOOK_AGAIN: Duration = Duration::from_secs(30);

/// Delivers to one webhook, from where it stopped, until the hook is
/// removed or the server stops.
pub async fn deliver_to(id: String, storage: Arc<Storage>, heads: Arc<Heads>, leases: Arc<Leases>) {
    let client = reqwest::Client::builder()
        .timeout(RECEIVER_TIMEOUT)
        .build()
        .expect("an HTTP client");
    let mut closing = heads.closing();
    let mut head = None;
    loop {
        if *closing.borrow() {
            return;
        }
        let hook = match storage.webhook(&id).await {
            Ok(Some(hook)) => hook,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(webhook = id, error = %e, "a webhook waits for the database");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        // One instance delivers a tenant's webhooks (ADR 36).
        if !leases.hold(&hook.tenant).await {
            tokio::select! {
                _ = tokio::time::sleep(crate::instances::TRY_AGAIN) => {}
                _ = closing.changed() => return,
            }
            continue;
        }
        let head = head.get_or_insert_with(|| heads.watch(&hook.tenant));
        head.borrow_and_update();
        let rows = match storage
            .pull(&hook.tenant, hook.delivered_through, 100, Reading::Bodies)
            .await
        {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(webhook = id, error = %e, "a webhook waits for the database");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if rows.is_empty() {
            tokio::select! {
                _ = head.changed() => {}
                _ = tokio::time::sleep(LOOK_AGAIN) => {}
                _ = closing.changed() => return,
            }
            continue;
        }
        for row in rows {
            let Ok(envelope) = portal_sync::codec::decode(&row.body) else {
                tracing::warn!(position = row.global_position, "an unreadable stored event");
                return;
            };
            let wanted = hook.event_types.is_empty()
                || hook
                    .event_types
                    .iter()
                    .any(|t| t == envelope.event_type().name());
            if wanted {
                let mut data = String::with_capacity(row.body.len() + 64);
                if crate::pull::placed_json(&mut data, &row).is_err() {
                    return;
                }
                let event = Event {
                    position: row.global_position,
                    id: envelope.event_id.0.to_string(),
                    kind: envelope.event_type().name(),
                    data,
                };
                let delivered =
                    until_delivered(&client, &storage, &hook, &event, &mut closing).await;
                if !delivered {
                    return;
                }
            }
            if storage
                .set_delivered_through(&hook.id, row.global_position)
                .await
                .is_err()
            {
                break;
            }
        }
    }
}

/// One event on its way to a hook.
struct Event {
    position: u64,
    id: String,
    kind: &'static str,
    data: String,
}

/// Tries `event` until the hook takes it, or a day has gone by (given
/// up), recording each attempt. False when the server stops or the hook
/// is removed meanwhile.
async fn until_delivered(
    client: &reqwest::Client,
    storage: &Storage,
    hook: &Webhook,
    event: &Event,
    closing: &mut tokio::sync::watch::Receiver<bool>,
) -> bool {
    let first = Utc::now();
    for attempt in 1u32.. {
        let (status, error) = send(client, hook, event).await;
        let delivered = status.is_some_and(|s| (200..300).contains(&s));
        let gave_up = !delivered && Utc::now() - first > GIVE_UP_AFTER;
        let outcome = match (delivered, gave_up) {
            (true, _) => "delivered",
            (false, true) => "gave_up",
            (false, false) => "failed",
        };
        let _ = storage
            .record_delivery(&attempt_record(
                hook, event, attempt, outcome, status, error,
            ))
            .await;
        if delivered || gave_up {
            return true;
        }
        let wait = Duration::from_secs(2u64.saturating_pow(attempt - 1)).min(MOST_BETWEEN_ATTEMPTS);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = closing.changed() => return false,
        }
        if !matches!(storage.webhook(&hook.id).await, Ok(Some(_))) {
            return false;
        }
    }
    unreachable!("attempts go on until one returns")
}

fn attempt_record(
    hook: &Webhook,
    event: &Event,
    attempt: u32,
    outcome: &str,
    status: Option<u16>,
    error: Option<String>,
) -> Delivery {
    Delivery {
        id: uuid::Uuid::now_v7().to_string(),
        webhook_id: hook.id.clone(),
        global_position: event.position,
        event_id: event.id.clone(),
        event_type: event.kind.to_owned(),
        attempt,
        outcome: outcome.to_owned(),
        status_code: status,
        error,
        at: Utc::now(),
    }
}

/// One POST of `event` to `hook`: the answer's status, or why there was none.
async fn send(
    client: &reqwest::Client,
    hook: &Webhook,
    event: &Event,
) -> (Option<u16>, Option<String>) {
    let time = Utc::now().timestamp();
    let signature = crate::surveys::sign(&hook.secret, time, event.data.as_bytes());
    let sent = client
        .post(&hook.url)
        .header("content-type", "application/json")
        .header(crate::surveys::SIGNATURE_HEADER, signature)
        .header("portal-event-id", &event.id)
        .header("portal-event-type", event.kind)
        .body(event.data.clone())
        .send()
        .await;
    match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            let error = (!response.status().is_success()).then(|| format!("HTTP {status}"));
            (Some(status), error)
        }
        Err(e) => (None, Some(e.to_string())),
    }
}

// The API: admins (and machine clients) manage the tenant's hooks.

fn admin_only(principal: &Principal) -> Result<(), ApiError> {
    match principal.person() {
        Some(person) if person.role != Role::Admin => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "only an admin manages the workspace's webhooks",
        )),
        _ => Ok(()),
    }
}

fn database(e: sqlx::Error) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::DatabaseFailed,
        format!("the database failed: {e}"),
    )
}

fn bad(why: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, why)
}

fn no_such_hook(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        format!("this workspace has no webhook {id}"),
    )
}

/// A webhook to register.
#[derive(Deserialize, ToSchema)]
pub struct NewWebhook {
    /// Where deliveries are POSTed: `http://` or `https://`.
    url: String,
    /// The event types to deliver; none, or empty: every one.
    #[serde(default)]
    event_types: Vec<String>,
}

/// A registered webhook, without its secret.
#[derive(Serialize, ToSchema)]
pub struct WebhookView {
    id: String,
    url: String,
    event_types: Vec<String>,
    created_at: DateTime<Utc>,
    /// The global position through which it has been delivered.
    delivered_through: u64,
}

impl From<&Webhook> for WebhookView {
    fn from(hook: &Webhook) -> Self {
        WebhookView {
            id: hook.id.clone(),
            url: hook.url.clone(),
            event_types: hook.event_types.clone(),
            created_at: hook.created_at,
            delivered_through: hook.delivered_through,
        }
    }
}

/// A webhook just registered, with its secret: shown this once.
#[derive(Serialize, ToSchema)]
pub struct RegisteredWebhook {
    #[serde(flatten)]
    webhook: WebhookView,
    /// Signs every delivery; keep it where the receiver checks them.
    secret: String,
}

/// Register a webhook
///
/// For admins and machine clients. Events are delivered from now on.
#[utoipa::path(
    post,
    path = "/webhooks",
    request_body(content = NewWebhook, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered; the secret is shown this once", body = RegisteredWebhook),
        (status = 400, description = "The body is not JSON, the URL not an http(s) one, or a type not an event type", body = ErrorBody, content_type = "application/problem+json"),
        (status = 401, description = "No token, or one that opens no tenant", body = ErrorBody, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = ErrorBody, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as JSON", body = ErrorBody, content_type = "application/problem+json"),
        (status = 422, description = "A field missing or of the wrong type", body = ErrorBody, content_type = "application/problem+json"),
    )
)]
pub async fn register(
    State(state): State<ServerState>,
    principal: Principal,
    body: Result<Json<NewWebhook>, JsonRejection>,
) -> Result<(StatusCode, Json<RegisteredWebhook>), ApiError> {
    admin_only(&principal)?;
    let Json(new) = body?;
    let url = new.url.trim();
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(format!("url: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(bad("url: an http:// or https:// address".into()));
    }
    let mut types = Vec::new();
    for name in &new.event_types {
        let name = name.trim();
        if !EventType::ALL.iter().any(|t| t.name() == name) {
            return Err(bad(format!("event_types: {name} is no event type")));
        }
        if !types.iter().any(|t: &String| t == name) {
            types.push(name.to_owned());
        }
    }
    let (secret, _) = crate::people::new_token(crate::people::TokenKind::Personal);
    let secret = secret.replacen("plp_", "whsec_", 1);
    let hook = state
        .storage
        .add_webhook(&principal.tenant().0, url, &types, &secret)
        .await
        .map_err(database)?;
    state.judges.deliver(&hook.id);
    Ok((
        StatusCode::CREATED,
        Json(RegisteredWebhook {
            webhook: WebhookView::from(&hook),
            secret,
        }),
    ))
}

/// The workspace's webhooks
#[utoipa::path(
    get,
    path = "/webhooks",
    responses(
        (status = 200, description = "Its webhooks, oldest first", body = Vec<WebhookView>),
        (status = 401, description = "No token, or one that opens no tenant", body = ErrorBody, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = ErrorBody, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<ServerState>,
    principal: Principal,
) -> Result<Json<Vec<WebhookView>>, ApiError> {
    admin_only(&principal)?;
    let hooks = state
        .storage
        .webhooks(Some(&principal.tenant().0))
        .await
        .map_err(database)?;
    Ok(Json(hooks.iter().map(WebhookView::from).collect()))
}

async fn hook_of(
    state: &ServerState,
    principal: &Principal,
    id: &str,
) -> Result<Webhook, ApiError> {
    state
        .storage
        .webhook(id)
        .await
        .map_err(database)?
        .filter(|h| h.tenant == *principal.tenant().0)
        .ok_or_else(|| no_such_hook(id))
}

/// Remove a webhook
#[utoipa::path(
    delete,
    path = "/webhooks/{id}",
    params(("id" = String, Path, description = "The webhook's id")),
    responses(
        (status = 204, description = "Removed: nothing more is delivered to it"),
        (status = 401, description = "No token, or one that opens no tenant", body = ErrorBody, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = ErrorBody, content_type = "application/problem+json"),
        (status = 404, description = "No webhook of this workspace has this id", body = ErrorBody, content_type = "application/problem+json"),
    )
)]
pub async fn remove(
    State(state): State<ServerState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin_only(&principal)?;
    let removed = state
        .storage
        .remove_webhook(&principal.tenant().0, &id)
        .await
        .map_err(database)?;
    if removed {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(no_such_hook(&id))
    }
}

/// One attempt to deliver an event.
#[derive(Serialize, ToSchema)]
pub struct DeliveryView {
    id: String,
    global_position: u64,
    event_id: String,
    event_type: String,
    attempt: u32,
    /// `delivered`, `failed` (tried again), `gave_up` (after a day) or
    /// `replayed`.
    outcome: String,
    /// The receiver's HTTP status, when it answered.
    status_code: Option<u16>,
    error: Option<String>,
    at: DateTime<Utc>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        DeliveryView {
            id: d.id,
            global_position: d.global_position,
            event_id: d.event_id,
            event_type: d.event_type,
            attempt: d.attempt,
            outcome: d.outcome,
            status_code: d.status_code,
            error: d.error,
            at: d.at,
        }
    }
}

/// A webhook's delivery log
#[utoipa::path(
    get,
    path = "/webhooks/{id}/deliveries",
    params(("id" = String, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "Its latest 100 attempts, newest first", body = Vec<DeliveryView>),
        (status = 401, description = "No token, or one that opens no tenant", body = ErrorBody, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = ErrorBody, content_type = "application/problem+json"),
        (status = 404, description = "No webhook of this workspace has this id", body = ErrorBody, content_type = "application/problem+json"),
    )
)]
pub async fn deliveries(
    State(state): State<ServerState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Vec<DeliveryView>>, ApiError> {
    admin_only(&principal)?;
    let hook = hook_of(&state, &principal, &id).await?;
    let log = state
        .storage
        .deliveries(&hook.id, 100)
        .await
        .map_err(database)?;
    Ok(Json(log.into_iter().map(DeliveryView::from).collect()))
}

/// Deliver an event again
///
/// Sends the event of a delivery to the webhook once more, now, and
/// answers with the attempt.
#[utoipa::path(
    post,
    path = "/webhooks/{id}/deliveries/{delivery}/replay",
    params(
        ("id" = String, Path, description = "The webhook's id"),
        ("delivery" = String, Path, description = "The delivery whose event is sent again"),
    ),
    responses(
        (status = 200, description = "The new attempt", body = DeliveryView),
        (status = 401, description = "No token, or one that opens no tenant", body = ErrorBody, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = ErrorBody, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook or delivery here", body = ErrorBody, content_type = "application/problem+json"),
    )
)]
pub async fn replay(
    State(state): State<ServerState>,
    principal: Principal,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<Json<DeliveryView>, ApiError> {
    admin_only(&principal)?;
    let hook = hook_of(&state, &principal, &id).await?;
    let earlier = state
        .storage
        .delivery(&delivery)
        .await
        .map_err(database)?
        .filter(|d| d.webhook_id == hook.id)
        .ok_or_else(|| no_such_hook(&format!("{id} delivery {delivery}")))?;
    let row = state
        .storage
        .pull(
            &hook.tenant,
            earlier.global_position.saturating_sub(1),
            1,
            Reading::Bodies,
        )
        .await
        .map_err(database)?
        .into_iter()
        .next()
        .ok_or_else(|| no_such_hook(&format!("{id} delivery {delivery}")))?;
    let mut data = String::new();
    crate::pull::placed_json(&mut data, &row)?;
    let kind = EventType::ALL
        .into_iter()
        .find(|t| t.name() == earlier.event_type)
        .map_or("", |t| t.name());
    let event = Event {
        position: row.global_position,
        id: earlier.event_id.clone(),
        kind,
        data,
    };
    let client = reqwest::Client::builder()
        .timeout(RECEIVER_TIMEOUT)
        .build()
        .expect("an HTTP client");
    let (status, error) = send(&client, &hook, &event).await;
    let delivered = status.is_some_and(|s| (200..300).contains(&s));
    let attempt = state
        .storage
        .deliveries(&hook.id, 1000)
        .await
        .map_err(database)?
        .iter()
        .filter(|d| d.event_id == earlier.event_id)
        .map(|d| d.attempt)
        .max()
        .unwrap_or(0)
        + 1;
    let record = attempt_record(
        &hook,
        &event,
        attempt,
        if delivered { "replayed" } else { "failed" },
        status,
        error,
    );
    state
        .storage
        .record_delivery(&record)
        .await
        .map_err(database)?;
    Ok(Json(DeliveryView::from(record)))
}
