//! Where each tenant's log is kept. SQLite for now (PostgreSQL is to come
//! behind the same calls). Writers are serialised (one writing connection),
//! so global positions are gap-free and commit in order: a puller that has
//! seen position n never later finds a new event before n.

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use uuid::Uuid;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    tenant TEXT NOT NULL,
    global_position INTEGER NOT NULL,
    event_id BLOB NOT NULL,
    stream_id BLOB NOT NULL,
    stream_version INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant, global_position),
    UNIQUE (tenant, event_id),
    UNIQUE (tenant, stream_id, stream_version)
);
";

/// One validated event to store: its ids and its canonical body (the
/// envelope without what the server assigns). Ids are kept as their 16
/// bytes: the unique indexes stay small and compare fast.
#[derive(Clone, Debug)]
pub struct Incoming {
    pub event_id: Uuid,
    pub stream_id: Uuid,
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

/// `SELECT columns FROM events WHERE tenant = ? AND column IN (ids…)`.
fn tenant_rows_where<'a>(
    columns: &str,
    tenant: &'a str,
    column: &str,
    ids: &'a HashSet<Uuid>,
) -> QueryBuilder<'a, Sqlite> {
    let mut query = QueryBuilder::new(format!("SELECT {columns} FROM events WHERE tenant = "));
    query.push_bind(tenant).push(format!(" AND {column} IN ("));
    let mut list = query.separated(", ");
    for id in ids {
        list.push_bind(id.as_bytes().as_slice());
    }
    list.push_unseparated(")");
    query
}

fn uuid_of(bytes: Vec<u8>) -> Uuid {
    Uuid::from_slice(&bytes).unwrap_or_default()
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
    /// Events already stored with the same body keep their place. A batch
    /// costs four statements however many events it holds.
    pub async fn push(&self, tenant: &str, batch: &[Incoming]) -> Result<Vec<Placed>, PushError> {
        let now = Utc::now();
        let mut tx = self.writer.begin().await?;
        let mut next: i64 =
            sqlx::query("SELECT COALESCE(MAX(global_position), 0) FROM events WHERE tenant = ?")
                .bind(tenant)
                .fetch_one(&mut *tx)
                .await?
                .get(0);

        let mut stored: HashMap<Uuid, (Placed, String)> = HashMap::new();
        let ids: HashSet<Uuid> = batch.iter().map(|e| e.event_id).collect();
        let mut query = tenant_rows_where(
            "event_id, global_position, recorded_at, body",
            tenant,
            "event_id",
            &ids,
        );
        for row in query.build().fetch_all(&mut *tx).await? {
            let placed = Placed {
                global_position: row.get::<i64, _>(1) as u64,
                recorded_at: row.get(2),
            };
            stored.insert(uuid_of(row.get(0)), (placed, row.get(3)));
        }

        let mut versions: HashMap<Uuid, u64> = HashMap::new();
        let streams: HashSet<Uuid> = batch.iter().map(|e| e.stream_id).collect();
        let mut query = tenant_rows_where(
            "stream_id, MAX(stream_version)",
            tenant,
            "stream_id",
            &streams,
        );
        query.push(" GROUP BY stream_id");
        for row in query.build().fetch_all(&mut *tx).await? {
            versions.insert(uuid_of(row.get(0)), row.get::<i64, _>(1) as u64);
        }

        let mut placed = Vec::with_capacity(batch.len());
        let mut new = Vec::new();
        for event in batch {
            if let Some((at, body)) = stored.get(&event.event_id) {
                if *body != event.body {
                    return Err(PushError::IdConflict(event.event_id.to_string()));
                }
                placed.push(at.clone());
                continue;
            }
            let current = versions.get(&event.stream_id).copied().unwrap_or(0);
            if event.stream_version != current + 1 {
                return Err(PushError::VersionConflict {
                    stream: event.stream_id.to_string(),
                    event_id: event.event_id.to_string(),
                    expected: event.stream_version.saturating_sub(1),
                    current,
                });
            }
            versions.insert(event.stream_id, event.stream_version);
            next += 1;
            placed.push(Placed {
                global_position: next as u64,
                recorded_at: now,
            });
            new.push((next, event));
        }
        if !new.is_empty() {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO events (tenant, global_position, event_id, stream_id, stream_version, recorded_at, body) ",
            );
            insert.push_values(new, |mut row, (position, event)| {
                row.push_bind(tenant)
                    .push_bind(position)
                    .push_bind(event.event_id.as_bytes().as_slice())
                    .push_bind(event.stream_id.as_bytes().as_slice())
                    .push_bind(event.stream_version as i64)
                    .push_bind(now)
                    .push_bind(&event.body);
            });
            insert.build().execute(&mut *tx).await?;
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
