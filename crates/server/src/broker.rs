//! The broker (ADR 33): every event a tenant's log takes is published to
//! NATS JetStream, in log order, on `portal.<tenant>.<stream kind>.<EVENT_TYPE>`,
//! where other services (the seed's handlers, a survey app, a
//! communication app, an analytics pipeline) follow it.
//!
//! The log is its own outbox: an event is stored in the same transaction
//! as everything else about it, and the `published` table says through
//! which position each tenant's events are acknowledged by JetStream. A
//! publisher per tenant reads what follows, publishes it in order, waits
//! for the acknowledgements, and only then moves the position on. A server
//! that stops in between publishes the rest when it starts again; what it
//! publishes twice carries the same `Nats-Msg-Id` (the event id), which
//! JetStream takes once.

use crate::instances::Leases;
use crate::live::Heads;
use crate::storage::{Reading, Storage};
use async_nats::jetstream::{self, stream};
use async_nats::HeaderMap;
use portal_domain::{Envelope, Event};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The JetStream stream every portal event goes to.
pub const STREAM: &str = "PORTAL";
/// The window in which JetStream recognises a message id published again.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// Events published before their acknowledgements are awaited.
const AT_ONCE: u32 = 256;

/// A connection to the broker.
#[derive(Clone)]
pub struct Broker {
    jetstream: jetstream::Context,
    /// Whether the stream is known to exist.
    ready: Arc<AtomicBool>,
}

impl Broker {
    /// A client of the NATS server at `url`, which connects (and connects
    /// again) in the background: a broker that is away when the server
    /// starts is published to once it is there.
    pub async fn connect(url: &str) -> Result<Self, String> {
        let client = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connect(url)
            .await
            .map_err(|e| format!("NATS at {url}: {e}"))?;
        Ok(Broker {
            jetstream: jetstream::new(client),
            ready: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Makes sure the stream exists (`portal.>`, kept on disk, duplicates
    /// recognised for two minutes).
    async fn stream(&self) -> Result<(), String> {
        if self.ready.load(Ordering::Relaxed) {
            return Ok(());
        }
        self.jetstream
            .get_or_create_stream(stream::Config {
                name: STREAM.to_owned(),
                subjects: vec!["portal.>".to_owned()],
                duplicate_window: DUPLICATE_WINDOW,
                storage: stream::StorageType::File,
                ..Default::default()
            })
            .await
            .map_err(|e| format!("the JetStream stream {STREAM}: {e}"))?;
        self.ready.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Publishes `tenant`'s events from where the last publisher stopped,
    /// and each new one as its thread stores it, until the server stops.
    /// A failure (the broker away) is retried with backoff; nothing is
    /// skipped.
    pub async fn follow(
        self,
        tenant: String,
        storage: Arc<Storage>,
        heads: Arc<Heads>,
        leases: Arc<Leases>,
    ) {
        let mut head = heads.watch(&tenant);
        let mut closing = heads.closing();
        let mut failures: u32 = 0;
        loop {
            if *closing.borrow() {
                return;
            }
            // One instance publishes a tenant's events (ADR 36).
            if !leases.hold(&tenant).await {
                tokio::select! {
                    _ = tokio::time::sleep(crate::instances::TRY_AGAIN) => {}
                    _ = closing.changed() => return,
                }
                continue;
            }
            head.borrow_and_update();
            match self.publish_next(&tenant, &storage).await {
                Ok(0) => {
                    failures = 0;
                    tokio::select! {
                        moved = head.changed() => if moved.is_err() { return },
                        _ = closing.changed() => return,
                    }
                }
                Ok(_) => failures = 0,
                Err(e) => {
                    failures += 1;
                    let wait = Duration::from_millis(250 * 2u64.pow(failures.min(7)));
                    tracing::warn!(tenant, error = %e, ?wait, "publishing to the broker waits");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = closing.changed() => return,
                    }
                }
            }
        }
    }

    /// Publishes the next events after the published position, waits for
    /// JetStream to acknowledge them, and moves the position on. Returns
    /// how many it published.
    async fn publish_next(&self, tenant: &str, storage: &Storage) -> Result<usize, String> {
        self.stream().await?;
        let through = storage
            .published_through(tenant)
            .await
            .map_err(|e| e.to_string())?;
        let rows = storage
            .pull(tenant, through, AT_ONCE, Reading::Bodies)
            .await
            .map_err(|e| e.to_string())?;
        let Some(last) = rows.last().map(|r| r.global_position) else {
            return Ok(0);
        };
        let mut acks = Vec::with_capacity(rows.len());
        for row in &rows {
            let envelope = portal_sync::codec::decode(&row.body)
                .map_err(|e| format!("event {}: {e}", row.global_position))?;
            let mut data = String::with_capacity(row.body.len() + 64);
            crate::pull::placed_json(&mut data, row).map_err(|e| e.message)?;
            let mut headers = HeaderMap::new();
            headers.insert(
                async_nats::header::NATS_MESSAGE_ID,
                envelope.event_id.0.to_string().as_str(),
            );
            let ack = self
                .jetstream
                .publish_with_headers(subject(tenant, &envelope), headers, data.into())
                .await
                .map_err(|e| e.to_string())?;
            acks.push(ack);
        }
        for ack in acks {
            ack.await.map_err(|e| e.to_string())?;
        }
        storage
            .set_published_through(tenant, last)
            .await
            .map_err(|e| e.to_string())?;
        Ok(rows.len())
    }
}

/// The subject an event is published on: `portal.<tenant>.<stream
/// kind>.<EVENT_TYPE>`, the kind being `application` or `survey`. A
/// tenant's name is written with the characters a subject cannot hold
/// (`.`, `*`, `>`, white space) as `_`.
pub fn subject(tenant: &str, envelope: &Envelope) -> String {
    let kind = match envelope.event {
        Event::SurveyAdded { .. }
        | Event::SurveySent { .. }
        | Event::SurveyFeedbackRecorded { .. } => "survey",
        _ => "application",
    };
    format!(
        "portal.{}.{kind}.{}",
        subject_token(tenant),
        envelope.event_type().name()
    )
}

/// `tenant` as one token of a subject.
pub fn subject_token(tenant: &str) -> String {
    tenant
        .chars()
        .map(|c| match c {
            '.' | '*' | '>' => '_',
            c if c.is_whitespace() => '_',
            c => c,
        })
        .collect()
}

/// One event as a follower of the broker gets it.
#[derive(Debug)]
pub struct Delivered {
    pub subject: String,
    /// `Nats-Msg-Id`: the event's id.
    pub message_id: Option<String>,
    /// Its place in the JetStream stream.
    pub stream_sequence: u64,
    /// The envelope as a pull returns it.
    pub data: String,
}

/// Follows `tenant`'s events on the broker at `url` with the durable
/// consumer `durable` (made if missing, from the stream's first event; a
/// follower that stops and comes back goes on where it was), as the
/// seed's handlers do: each event goes to `handle`, and is acknowledged
/// once handled; `handle` returning false stops.
pub async fn consume(
    url: &str,
    tenant: &str,
    durable: &str,
    mut handle: impl FnMut(Delivered) -> bool,
) -> Result<(), String> {
    use futures_util::StreamExt;
    let client = async_nats::connect(url)
        .await
        .map_err(|e| format!("NATS at {url}: {e}"))?;
    let jetstream = jetstream::new(client);
    let stream = jetstream
        .get_stream(STREAM)
        .await
        .map_err(|e| format!("the stream {STREAM}: {e}"))?;
    let consumer = stream
        .get_or_create_consumer(
            durable,
            jetstream::consumer::pull::Config {
                durable_name: Some(durable.to_owned()),
                filter_subject: format!("portal.{}.>", subject_token(tenant)),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| format!("the consumer {durable}: {e}"))?;
    let mut messages = consumer
        .messages()
        .await
        .map_err(|e| format!("the consumer {durable}: {e}"))?;
    while let Some(message) = messages.next().await {
        let message = message.map_err(|e| e.to_string())?;
        let stream_sequence = message.info().map(|i| i.stream_sequence).unwrap_or(0);
        let delivered = Delivered {
            subject: message.subject.to_string(),
            message_id: message
                .headers
                .as_ref()
                .and_then(|h| h.get(async_nats::header::NATS_MESSAGE_ID))
                .map(|v| v.to_string()),
            stream_sequence,
            data: String::from_utf8_lossy(&message.payload).into_owned(),
        };
        let go_on = handle(delivered);
        message.ack().await.map_err(|e| e.to_string())?;
        if !go_on {
            return Ok(());
        }
    }
    Ok(())
}
