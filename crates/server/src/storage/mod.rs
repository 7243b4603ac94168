//! Where each tenant's log is kept: an SQLite file by default, or
//! PostgreSQL. Both keep the same promises, checked by one contract suite
//! (`tests/api.rs`):
//! - a batch is stored all or nothing;
//! - an event id already stored with the same body keeps its place;
//! - positions are gap-free and commit in order, so a puller that has seen
//!   position n never later finds a new event before n. Writers of one
//!   tenant are serialised for that (one writing connection on SQLite, a
//!   per-tenant transaction lock on PostgreSQL).

/// Runs `$body` with `$pool` bound to the backend's pool for `$use`
/// (`write` or `read`).
macro_rules! on_pool {
    ($storage:expr, $use:ident, |$pool:ident| $body:expr) => {
        match $storage {
            Storage::Sqlite(db) => {
                let $pool = on_pool!(@sqlite db, $use);
                $body
            }
            Storage::Postgres(db) => {
                let $pool = &db.pool;
                $body
            }
        }
    };
    (@sqlite $db:ident, write) => { &$db.writer };
    (@sqlite $db:ident, read) => { &$db.readers };
}

mod outbox;
mod people;
mod postgres;

pub use postgres::LOG_CHANNEL;
mod sqlite;
mod webhooks;

pub use people::{AddError, NewPerson, Presented};
pub use webhooks::{Delivery, Webhook};

use chrono::{DateTime, Utc};
use portal_domain::Envelope;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use uuid::Uuid;

/// One validated event to store: its ids, its canonical body (the
/// envelope without what the server assigns), and the same event in its
/// binary shape, tagged with its schema (`portal_sync::binary::tagged`),
/// from which binary pull pages are written without decoding the body.
#[derive(Clone, Debug)]
pub struct Incoming {
    pub event_id: Uuid,
    pub stream_id: Uuid,
    pub stream_version: u64,
    pub body: String,
    pub shape: Vec<u8>,
}

impl Incoming {
    /// `canonical` must hold no global position or recorded time.
    pub fn of(canonical: &Envelope) -> Self {
        Incoming {
            event_id: canonical.event_id.0,
            stream_id: canonical.stream_id.0,
            stream_version: canonical.stream_version,
            body: portal_sync::codec::encode(canonical),
            shape: portal_sync::binary::tagged(canonical),
        }
    }
}

/// What a pull reads of each event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    /// The canonical bodies (for JSON pages).
    Bodies,
    /// The shapes, and the body only of an event stored without one
    /// (before shapes were kept).
    Shapes,
}

pub use portal_sync::Placed;

/// Every tenant with a log, in both backends' SQL.
const TENANTS: &str = "SELECT DISTINCT tenant FROM events ORDER BY tenant";

/// How many schema tags a pull binds: at least as many schemas as this
/// build reads (the SQL names this many placeholders).
const SCHEMAS_READ: usize = 3;

/// The first two bytes of the shapes this build reads, every schema from
/// the oldest to the newest (the newest repeated when fewer are read): for
/// `Reading::Shapes`, an event whose shape another schema wrote comes with
/// its body.
fn schema_tags() -> [Vec<u8>; SCHEMAS_READ] {
    use portal_sync::binary::{EVENT_SCHEMA, READS_FROM};
    const _: () = assert!(
        EVENT_SCHEMA - READS_FROM < SCHEMAS_READ as u16,
        "bind a tag per schema read"
    );
    std::array::from_fn(|i| {
        (READS_FROM + i as u16)
            .min(EVENT_SCHEMA)
            .to_le_bytes()
            .to_vec()
    })
}

pub struct PullRow {
    pub global_position: u64,
    pub recorded_at: DateTime<Utc>,
    /// Empty when shapes were read and this event has one.
    pub body: String,
    /// Read only for `Reading::Shapes`; absent for events stored before
    /// shapes were kept.
    pub shape: Option<Vec<u8>>,
}

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("event {0} is already stored with a different payload")]
    IdConflict(String),
    #[error(
        "stream {stream} is at version {current}, but event {event_id} was decided after \
         version {expected}: another device changed it first"
    )]
    VersionConflict {
        stream: String,
        event_id: String,
        expected: u64,
        current: u64,
    },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Which database holds the logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file, created if missing.
    Sqlite(PathBuf),
    /// A `postgres://` URL.
    Postgres(String),
}

impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "SQLite at {}", path.display()),
            // The URL may carry a password.
            Database::Postgres(_) => write!(f, "PostgreSQL"),
        }
    }
}

impl Database {
    /// A new, empty PostgreSQL database named `{prefix}_{uuid}`, made
    /// through `admin` (a URL with the right to create databases). For the
    /// tests and benchmarks, which each want a clean log.
    pub async fn scratch_postgres(admin: &str, prefix: &str) -> Result<Self, sqlx::Error> {
        use sqlx::Connection;
        let name = format!("{prefix}_{}", Uuid::new_v4().simple());
        let mut connection = sqlx::PgConnection::connect(admin).await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut connection)
            .await?;
        let base = admin.rsplit_once('/').map_or(admin, |(base, _)| base);
        Ok(Database::Postgres(format!("{base}/{name}")))
    }
}

pub enum Storage {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

impl Storage {
    /// Connects, and brings the schema up to date.
    pub async fn open(database: &Database) -> Result<Self, sqlx::Error> {
        Ok(match database {
            Database::Sqlite(path) => Storage::Sqlite(sqlite::Sqlite::open(path).await?),
            Database::Postgres(url) => Storage::Postgres(postgres::Postgres::open(url).await?),
        })
    }

    /// Stores `batch` for `tenant` in one transaction, all or nothing.
    /// Events already stored with the same body keep their place.
    pub async fn push(&self, tenant: &str, batch: &[Incoming]) -> Result<Vec<Placed>, PushError> {
        match self {
            Storage::Sqlite(db) => db.push(tenant, batch).await,
            Storage::Postgres(db) => db.push(tenant, batch).await,
        }
    }

    /// Up to `limit` events of `tenant` after `after`, in order.
    pub async fn pull(
        &self,
        tenant: &str,
        after: u64,
        limit: u32,
        reading: Reading,
    ) -> Result<Vec<PullRow>, sqlx::Error> {
        match self {
            Storage::Sqlite(db) => db.pull(tenant, after, limit, reading).await,
            Storage::Postgres(db) => db.pull(tenant, after, limit, reading).await,
        }
    }

    /// The PostgreSQL pool, when the logs are in PostgreSQL (several
    /// instances may share it, ADR 36).
    pub fn postgres_pool(&self) -> Option<sqlx::PgPool> {
        match self {
            Storage::Postgres(db) => Some(db.pool.clone()),
            Storage::Sqlite(_) => None,
        }
    }

    /// Every tenant with a log.
    pub async fn tenants(&self) -> Result<Vec<String>, sqlx::Error> {
        match self {
            Storage::Sqlite(db) => db.tenants().await,
            Storage::Postgres(db) => db.tenants().await,
        }
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        match self {
            Storage::Sqlite(db) => db.ping().await,
            Storage::Postgres(db) => db.ping().await,
        }
    }
}

/// The schema's history for one backend: each step runs once, in order,
/// recorded in `_sqlx_migrations`.
fn migrator(steps: &[(&'static str, &'static str)]) -> Migrator {
    let migrations = steps
        .iter()
        .enumerate()
        .map(|(i, (description, sql))| {
            Migration::new(
                i as i64 + 1,
                Cow::Borrowed(description),
                MigrationType::Simple,
                Cow::Borrowed(sql),
                false,
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

/// What the tenant's log already holds about a batch.
#[derive(Default)]
struct Known {
    /// Batch events already stored: where, and with which body.
    stored: HashMap<Uuid, (Placed, String)>,
    /// The current version of each stream the batch touches.
    versions: HashMap<Uuid, u64>,
    /// The tenant's last global position.
    head: u64,
}

/// Where each event of a batch goes: the places of all of them, in batch
/// order, and the new ones to insert with their positions. Nothing is
/// written when any event conflicts.
struct Plan<'a> {
    placed: Vec<Placed>,
    new: Vec<(u64, &'a Incoming)>,
}

fn plan<'a>(
    batch: &'a [Incoming],
    mut known: Known,
    now: DateTime<Utc>,
) -> Result<Plan<'a>, PushError> {
    let mut placed = Vec::with_capacity(batch.len());
    let mut new = Vec::new();
    for event in batch {
        if let Some((at, body)) = known.stored.get(&event.event_id) {
            if *body != event.body {
                return Err(PushError::IdConflict(event.event_id.to_string()));
            }
            placed.push(at.clone());
            continue;
        }
        let current = known.versions.get(&event.stream_id).copied().unwrap_or(0);
        if event.stream_version != current + 1 {
            return Err(PushError::VersionConflict {
                stream: event.stream_id.to_string(),
                event_id: event.event_id.to_string(),
                expected: event.stream_version.saturating_sub(1),
                current,
            });
        }
        known.versions.insert(event.stream_id, event.stream_version);
        known.head += 1;
        placed.push(Placed {
            global_position: known.head,
            recorded_at: now,
        });
        new.push((known.head, event));
    }
    Ok(Plan { placed, new })
}
