//! Live subscriptions: `GET /api/v1/events`, a tenant's log as
//! Server-Sent Events, from a position on, as it grows. A subscriber (a
//! device that wants to pull at once, another service following the log)
//! gets every event once and in order: each is read from the log, never
//! from memory, and the tenant's thread only says where the log now ends,
//! so a slow subscriber loses nothing, it reads more at a time.

use crate::api::ServerState;
use crate::auth::Tenant;
use crate::error::ApiError;
use crate::storage::{Reading, Storage};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use portal_domain::EventType;
use portal_sync::problem::{ErrorBody, ErrorCode};
use serde::Deserialize;
use std::collections::{HashMap, HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use utoipa::IntoParams;

/// How often an idle subscription carries a comment, so that proxies and
/// the subscriber know it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// How often an idle subscription reads the log again even when no notice
/// came.
const READ_AGAIN: Duration = Duration::from_secs(10);
/// Events read from the log at a time for a subscriber.
const READ_AT_ONCE: u32 = 500;

/// Where each tenant's log ends, as its thread last wrote it; and whether
/// the server is stopping, which ends every subscription (a graceful
/// shutdown waits for open connections, and a subscription never ends by
/// itself).
pub struct Heads {
    tenants: Mutex<HashMap<String, watch::Sender<u64>>>,
    closing: watch::Sender<bool>,
}

impl Default for Heads {
    fn default() -> Self {
        Heads {
            tenants: Mutex::new(HashMap::new()),
            closing: watch::channel(false).0,
        }
    }
}

impl Heads {
    /// Tells when the server is stopping.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Ends every subscription: the server is stopping.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    fn sender(&self, tenant: &str) -> watch::Sender<u64> {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants
            .entry(tenant.to_owned())
            .or_insert_with(|| watch::channel(0).0)
            .clone()
    }

    /// The tenant's log now ends at `head`.
    pub fn moved(&self, tenant: &str, head: u64) {
        // Instances tell each other where the log ends, and a notice may
        // come after a later one: the head only moves on.
        self.sender(tenant).send_if_modified(|now| {
            let moved = head > *now;
            if moved {
                *now = head;
            }
            moved
        });
    }

    /// Follows where the tenant's log ends.
    pub fn watch(&self, tenant: &str) -> watch::Receiver<u64> {
        self.sender(tenant).subscribe()
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// The global position to follow after (0: from the start). A
    /// `Last-Event-ID` header, as a reconnecting `EventSource` sends,
    /// takes its place.
    #[param(minimum = 0, maximum = 9223372036854775807_i64, default = 0)]
    after: Option<u64>,
    /// Only these event types, comma-separated (`ADD_API_PRODUCT_TO_APPLICATION,...`).
    types: Option<String>,
}

/// The tenant's events as they are stored, as Server-Sent Events
///
/// Each event's `id` is its global position and its `data` the envelope as
/// a pull returns it. The stream first sends what the log holds after the
/// position, then each new event as it is stored; every 15 s without one,
/// a comment keeps it alive. A reconnecting client sends `Last-Event-ID`
/// and misses nothing.
#[utoipa::path(
    get,
    path = "/events",
    params(EventsQuery),
    responses(
        (status = 200, description = "A stream of events (text/event-stream)", content_type = "text/event-stream"),
        (status = 400, description = "A position or event type that is not one", body = ErrorBody, content_type = "application/problem+json"),
        (status = 401, description = "No token, or one that opens no tenant", body = ErrorBody, content_type = "application/problem+json"),
        (status = 429, description = "Over this token's rate limit", body = ErrorBody, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn events(
    State(state): State<ServerState>,
    tenant: Tenant,
    headers: HeaderMap,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let bad = |why: String| ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, why);
    let Query(query) = query.map_err(|e| bad(e.body_text()))?;
    let last_event_id = match headers.get("last-event-id") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| bad("Last-Event-ID: a global position".into()))?,
        ),
    };
    let after = last_event_id.or(query.after).unwrap_or(0);
    if after > i64::MAX as u64 {
        return Err(bad("after: out of range".into()));
    }
    let types = match query.types.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(list) => Some(
            list.split(',')
                .map(|name| {
                    EventType::ALL
                        .into_iter()
                        .find(|t| t.name() == name.trim())
                        .ok_or_else(|| bad(format!("types: {} is no event type", name.trim())))
                })
                .collect::<Result<HashSet<_>, _>>()?,
        ),
    };
    let following = Following {
        tenant: tenant.0.to_string(),
        storage: state.storage.clone(),
        head: state.judges.heads().watch(&tenant.0),
        closing: state.judges.heads().closing(),
        after,
        types,
        ready: VecDeque::new(),
    };
    let stream = futures_util::stream::unfold(following, |mut following| async move {
        let event = following.next().await?;
        Some((Ok(event), following))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat")))
}

/// One subscriber's place in the log.
struct Following {
    tenant: String,
    storage: Arc<Storage>,
    head: watch::Receiver<u64>,
    closing: watch::Receiver<bool>,
    after: u64,
    types: Option<HashSet<EventType>>,
    ready: VecDeque<Event>,
}

impl Following {
    /// The next event to send; `None` ends the stream (the server is
    /// stopping, or the log cannot be read: the client reconnects from
    /// its last id).
    async fn next(&mut self) -> Option<Event> {
        loop {
            if *self.closing.borrow() {
                return None;
            }
            if let Some(event) = self.ready.pop_front() {
                return Some(event);
            }
            // Marked seen before reading, so that a write during the read
            // wakes the wait below.
            self.head.borrow_and_update();
            let rows = match self
                .storage
                .pull(&self.tenant, self.after, READ_AT_ONCE, Reading::Bodies)
                .await
            {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(tenant = %self.tenant, error = %e, "a subscription ends");
                    return None;
                }
            };
            if rows.is_empty() {
                tokio::select! {
                    moved = self.head.changed() => moved.ok()?,
                    _ = self.closing.changed() => return None,
                    // A notice from another instance may have been missed
                    // (its connection was renewed): read again now and then.
                    _ = tokio::time::sleep(READ_AGAIN) => {}
                }
                continue;
            }
            for row in rows {
                self.after = row.global_position;
                if let Some(types) = &self.types {
                    let wanted = portal_sync::codec::decode(&row.body)
                        .is_ok_and(|e| types.contains(&e.event_type()));
                    if !wanted {
                        continue;
                    }
                }
                let mut data = String::with_capacity(row.body.len() + 64);
                if crate::pull::placed_json(&mut data, &row).is_err() {
                    tracing::warn!(position = row.global_position, "an unreadable stored event");
                    return None;
                }
                self.ready.push_back(
                    Event::default()
                        .id(row.global_position.to_string())
                        .data(data),
                );
            }
        }
    }
}
