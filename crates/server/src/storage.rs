//! Where each tenant's log is kept. SQLite for now (PostgreSQL is to come
//! behind the same calls). Writers are serialised (one writing connection),
//! so global positions are gap-free and commit in order: a puller that has
//! seen position n never later finds a new event before n.

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    tenant TEXT NOT NULL,
    global_position INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    stream_id TEXT NOT NULL,
    stream_version INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant, global_position),
    UNIQUE (tenant, event_id),
    UNIQUE (tenant, stream_id, stream_version)
);
CREATE INDEX IF NOT EXISTS events_by_stream ON events (tenant, stream_id, stream_version);
";

/// One validated event to store: its ids and its canonical body (the
/// envelope without what the server assigns).
#[derive(Clone, Debug)]
pub struct Incoming {
    pub event_id: String,
    pub stream_id: String,
    pub stream_version: u64,
    pub body: String,
}

/// Where an event stands in the tenant's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    pub global_position: u64,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("event {0} is already stored with a different payload")]
    IdConflict(String),
    #[error(
        "stream {stream} is at version {current}; event {event_id} expected version {expected}"
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

pub struct Pulled {
    pub global_position: u64,
    pub recorded_at: DateTime<Utc>,
    pub body: String,
}

pub struct Storage {
    writer: SqlitePool,
    readers: SqlitePool,
}

impl Storage {
    /// Opens (creating) the SQLite file at `path`, in WAL mode with full
    /// sync, and brings its schema up to date.
    pub async fn sqlite(path: &Path) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::raw_sql(SCHEMA).execute(&writer).await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Storage { writer, readers })
    }

    /// Stores `batch` for `tenant` in one transaction, all or nothing.
    /// Events already stored with the same body keep their place.
    pub async fn push(&self, tenant: &str, batch: &[Incoming]) -> Result<Vec<Placed>, PushError> {
        let now = Utc::now();
        let mut tx = self.writer.begin().await?;
        let mut next: i64 =
            sqlx::query("SELECT COALESCE(MAX(global_position), 0) FROM events WHERE tenant = ?")
                .bind(tenant)
                .fetch_one(&mut *tx)
                .await?
                .get(0);
        let mut versions: HashMap<&str, u64> = HashMap::new();
        let mut placed = Vec::with_capacity(batch.len());
        for event in batch {
            let stored = sqlx::query(
                "SELECT global_position, recorded_at, body FROM events WHERE tenant = ? AND event_id = ?",
            )
            .bind(tenant)
            .bind(&event.event_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = stored {
                if row.get::<String, _>(2) != event.body {
                    return Err(PushError::IdConflict(event.event_id.clone()));
                }
                placed.push(Placed {
                    global_position: row.get::<i64, _>(0) as u64,
                    recorded_at: row.get(1),
                });
                continue;
            }
            let current = match versions.get(event.stream_id.as_str()) {
                Some(v) => *v,
                None => {
                    let v: i64 = sqlx::query(
                        "SELECT COALESCE(MAX(stream_version), 0) FROM events WHERE tenant = ? AND stream_id = ?",
                    )
                    .bind(tenant)
                    .bind(&event.stream_id)
                    .fetch_one(&mut *tx)
                    .await?
                    .get(0);
                    v as u64
                }
            };
            if event.stream_version != current + 1 {
                return Err(PushError::VersionConflict {
                    stream: event.stream_id.clone(),
                    event_id: event.event_id.clone(),
                    expected: event.stream_version.saturating_sub(1),
                    current,
                });
            }
            versions.insert(&event.stream_id, event.stream_version);
            next += 1;
            sqlx::query(
                "INSERT INTO events (tenant, global_position, event_id, stream_id, stream_version, recorded_at, body)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(tenant)
            .bind(next)
            .bind(&event.event_id)
            .bind(&event.stream_id)
            .bind(event.stream_version as i64)
            .bind(now)
            .bind(&event.body)
            .execute(&mut *tx)
            .await?;
            placed.push(Placed {
                global_position: next as u64,
                recorded_at: now,
            });
        }
        tx.commit().await?;
        Ok(placed)
    }

    /// Up to `limit` events of `tenant` after `after`, in order.
    pub async fn pull(
        &self,
        tenant: &str,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Pulled>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT global_position, recorded_at, body FROM events
             WHERE tenant = ? AND global_position > ? ORDER BY global_position LIMIT ?",
        )
        .bind(tenant)
        .bind(after as i64)
        .bind(i64::from(limit))
        .fetch_all(&self.readers)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| Pulled {
                global_position: row.get::<i64, _>(0) as u64,
                recorded_at: row.get(1),
                body: row.get(2),
            })
            .collect())
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.readers)
            .await
            .map(|_| ())
    }
}
