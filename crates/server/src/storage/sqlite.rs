//! The SQLite backend: one file in WAL mode with full sync. One writing
//! connection serialises writers; readers have their own pool.

use super::{migrator, plan, schema_tags, Incoming, Known, Placed, PullRow, PushError, Reading};
use chrono::{SubsecRound, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite as Db, SqlitePool};
use std::collections::HashSet;
use std::path::Path;
use std::str::FromStr;
use uuid::Uuid;

const MIGRATIONS: &[(&str, &str)] = &[
    (
        "events",
        include_str!("../../migrations/sqlite/0001_events.sql"),
    ),
    (
        "shapes",
        include_str!("../../migrations/sqlite/0002_shapes.sql"),
    ),
    (
        "people",
        include_str!("../../migrations/sqlite/0003_people.sql"),
    ),
    (
        "published",
        include_str!("../../migrations/sqlite/0004_published.sql"),
    ),
    (
        "server secrets",
        include_str!("../../migrations/sqlite/0005_server_secrets.sql"),
    ),
    (
        "webhooks",
        include_str!("../../migrations/sqlite/0006_webhooks.sql"),
    ),
];

/// `SELECT columns FROM events WHERE tenant = ? AND column IN (ids…)`.
fn tenant_rows_where<'a>(
    columns: &str,
    tenant: &'a str,
    column: &str,
    ids: &'a HashSet<Uuid>,
) -> QueryBuilder<'a, Db> {
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

pub struct Sqlite {
    pub(super) writer: SqlitePool,
    pub(super) readers: SqlitePool,
}

impl Sqlite {
    /// Opens (creating) the file at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        migrator(MIGRATIONS).run(&writer).await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Sqlite { writer, readers })
    }

    /// Stores `batch` for `tenant` in one transaction, all or nothing.
    /// Events already stored with the same body keep their place. A batch
    /// costs four statements however many events it holds.
    pub async fn push(&self, tenant: &str, batch: &[Incoming]) -> Result<Vec<Placed>, PushError> {
        // PostgreSQL keeps microseconds: both backends answer alike.
        let now = Utc::now().trunc_subsecs(6);
        let mut tx = self.writer.begin().await?;
        let mut known = Known {
            head: sqlx::query(
                "SELECT COALESCE(MAX(global_position), 0) FROM events WHERE tenant = ?",
            )
            .bind(tenant)
            .fetch_one(&mut *tx)
            .await?
            .get::<i64, _>(0) as u64,
            ..Known::default()
        };

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
            known
                .stored
                .insert(uuid_of(row.get(0)), (placed, row.get(3)));
        }

        // One index probe per stream (SQLite answers MAX over an index
        // prefix from its last entry), not a scan of the streams' events.
        let streams: HashSet<Uuid> = batch.iter().map(|e| e.stream_id).collect();
        let mut query = QueryBuilder::<Db>::new(
            "SELECT column1, (SELECT MAX(stream_version) FROM events WHERE tenant = ",
        );
        query
            .push_bind(tenant)
            .push(" AND stream_id = column1) FROM (VALUES ");
        let mut list = query.separated(", ");
        for id in &streams {
            list.push("(")
                .push_bind_unseparated(id.as_bytes().as_slice())
                .push_unseparated(")");
        }
        list.push_unseparated(")");
        for row in query.build().fetch_all(&mut *tx).await? {
            if let Some(version) = row.get::<Option<i64>, _>(1) {
                known.versions.insert(uuid_of(row.get(0)), version as u64);
            }
        }

        let plan = plan(batch, known, now)?;
        if !plan.new.is_empty() {
            let mut insert = QueryBuilder::<Db>::new(
                "INSERT INTO events (tenant, global_position, event_id, stream_id, stream_version, recorded_at, body, shape) ",
            );
            insert.push_values(plan.new, |mut row, (position, event)| {
                row.push_bind(tenant)
                    .push_bind(position as i64)
                    .push_bind(event.event_id.as_bytes().as_slice())
                    .push_bind(event.stream_id.as_bytes().as_slice())
                    .push_bind(event.stream_version as i64)
                    .push_bind(now)
                    .push_bind(&event.body)
                    .push_bind(&event.shape);
            });
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(plan.placed)
    }

    /// Up to `limit` events of `tenant` after `after`, in order.
    pub async fn pull(
        &self,
        tenant: &str,
        after: u64,
        limit: u32,
        reading: Reading,
    ) -> Result<Vec<PullRow>, sqlx::Error> {
        let columns = match reading {
            Reading::Bodies => "NULL, body",
            Reading::Shapes => {
                "shape, CASE WHEN shape IS NULL OR substr(shape, 1, 2) NOT IN (?4, ?5, ?6) THEN body ELSE '' END"
            }
        };
        let sql = format!(
            "SELECT global_position, recorded_at, {columns} FROM events
             WHERE tenant = ?1 AND global_position > ?2 ORDER BY global_position LIMIT ?3"
        );
        let mut query = sqlx::query(&sql)
            .bind(tenant)
            .bind(after as i64)
            .bind(i64::from(limit));
        if reading == Reading::Shapes {
            for tag in schema_tags() {
                query = query.bind(tag);
            }
        }
        let rows = query.fetch_all(&self.readers).await?;
        Ok(rows
            .into_iter()
            .map(|row| PullRow {
                global_position: row.get::<i64, _>(0) as u64,
                recorded_at: row.get(1),
                shape: row.get(2),
                body: row.get(3),
            })
            .collect())
    }

    pub async fn tenants(&self) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(super::TENANTS)
            .fetch_all(&self.readers)
            .await
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.readers)
            .await
            .map(|_| ())
    }
}
