//! The PostgreSQL backend. Each push is one transaction that first takes a
//! transaction-scoped advisory lock on its tenant: pushes of one tenant
//! run one after another (so positions are gap-free and become visible in
//! order), while other tenants' pushes go on in parallel.

use super::{migrator, plan, schema_tags, Incoming, Known, Placed, PullRow, PushError, Reading};
use chrono::{SubsecRound, Utc};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::Row;
use std::collections::HashSet;
use uuid::Uuid;

const MIGRATIONS: &[(&str, &str)] = &[
    (
        "events",
        include_str!("../../migrations/postgres/0001_events.sql"),
    ),
    (
        "shapes",
        include_str!("../../migrations/postgres/0002_shapes.sql"),
    ),
    (
        "people",
        include_str!("../../migrations/postgres/0003_people.sql"),
    ),
    (
        "published",
        include_str!("../../migrations/postgres/0004_published.sql"),
    ),
    (
        "server secrets",
        include_str!("../../migrations/postgres/0005_server_secrets.sql"),
    ),
    (
        "webhooks",
        include_str!("../../migrations/postgres/0006_webhooks.sql"),
    ),
];

/// The channel on which a push says where a tenant's log now ends, as
/// `<position>:<tenant>`.
pub const LOG_CHANNEL: &str = "portal_log";

pub struct Postgres {
    pub(super) pool: PgPool,
}

impl Postgres {
    pub async fn open(url: &str) -> Result<Self, sqlx::Error> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect(url)
            .await?;
        migrator(MIGRATIONS).run(&pool).await?;
        Ok(Postgres { pool })
    }

    pub async fn push(&self, tenant: &str, batch: &[Incoming]) -> Result<Vec<Placed>, PushError> {
        let now = Utc::now().trunc_subsecs(6);
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(tenant)
            .execute(&mut *tx)
            .await?;
        let mut known = Known {
            head: sqlx::query(
                "SELECT COALESCE(MAX(global_position), 0) FROM events WHERE tenant = $1",
            )
            .bind(tenant)
            .fetch_one(&mut *tx)
            .await?
            .get::<i64, _>(0) as u64,
            ..Known::default()
        };

        let ids: Vec<Uuid> = batch.iter().map(|e| e.event_id).collect();
        let rows = sqlx::query(
            "SELECT event_id, global_position, recorded_at, body FROM events
             WHERE tenant = $1 AND event_id = ANY($2)",
        )
        .bind(tenant)
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?;
        for row in rows {
            let placed = Placed {
                global_position: row.get::<i64, _>(1) as u64,
                recorded_at: row.get(2),
            };
            known.stored.insert(row.get(0), (placed, row.get(3)));
        }

        let streams: Vec<Uuid> = batch
            .iter()
            .map(|e| e.stream_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let rows = sqlx::query(
            // One backward index probe per stream, not a scan of its events.
            "SELECT s, (SELECT stream_version FROM events
                        WHERE tenant = $1 AND stream_id = s
                        ORDER BY stream_version DESC LIMIT 1)
             FROM UNNEST($2::uuid[]) AS s",
        )
        .bind(tenant)
        .bind(&streams)
        .fetch_all(&mut *tx)
        .await?;
        for row in rows {
            if let Some(version) = row.get::<Option<i64>, _>(1) {
                known.versions.insert(row.get(0), version as u64);
            }
        }

        let plan = plan(batch, known, now)?;
        if !plan.new.is_empty() {
            // One statement of five arrays, whatever the batch's size.
            let mut positions = Vec::with_capacity(plan.new.len());
            let mut event_ids = Vec::with_capacity(plan.new.len());
            let mut stream_ids = Vec::with_capacity(plan.new.len());
            let mut versions = Vec::with_capacity(plan.new.len());
            let mut bodies = Vec::with_capacity(plan.new.len());
            let mut shapes = Vec::with_capacity(plan.new.len());
            for (position, event) in &plan.new {
                positions.push(*position as i64);
                event_ids.push(event.event_id);
                stream_ids.push(event.stream_id);
                versions.push(event.stream_version as i64);
                bodies.push(event.body.as_str());
                shapes.push(event.shape.as_slice());
            }
            sqlx::query(
                "INSERT INTO events
                   (tenant, global_position, event_id, stream_id, stream_version, recorded_at, body, shape)
                 SELECT $1, p, e, s, v, $2, b, h
                 FROM UNNEST($3::bigint[], $4::uuid[], $5::uuid[], $6::bigint[], $7::text[], $8::bytea[])
                   AS t(p, e, s, v, b, h)",
            )
            .bind(tenant)
            .bind(now)
            .bind(&positions)
            .bind(&event_ids)
            .bind(&stream_ids)
            .bind(&versions)
            .bind(&bodies)
            .bind(&shapes)
            .execute(&mut *tx)
            .await?;
            // Other instances on this database learn where the log now
            // ends when this commits (ADR 36).
            if let Some(last) = positions.last() {
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(LOG_CHANNEL)
                    .bind(format!("{last}:{tenant}"))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(plan.placed)
    }

    pub async fn pull(
        &self,
        tenant: &str,
        after: u64,
        limit: u32,
        reading: Reading,
    ) -> Result<Vec<PullRow>, sqlx::Error> {
        let columns = match reading {
            Reading::Bodies => "NULL::bytea, body",
            Reading::Shapes => {
                "shape, CASE WHEN shape IS NULL OR substring(shape from 1 for 2) NOT IN ($4, $5, $6) THEN body ELSE '' END"
            }
        };
        let sql = format!(
            "SELECT global_position, recorded_at, {columns} FROM events
             WHERE tenant = $1 AND global_position > $2 ORDER BY global_position LIMIT $3"
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
        let rows = query.fetch_all(&self.pool).await?;
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
            .fetch_all(&self.pool)
            .await
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }
}
