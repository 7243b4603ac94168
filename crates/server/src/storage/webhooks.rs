//! Outbound webhooks and their deliveries (ADR 35), in either database,
//! each query written once.

use super::Storage;
use chrono::{DateTime, Utc};
use sqlx::Row;
use uuid::Uuid;

/// A registered webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Webhook {
    pub id: String,
    pub tenant: String,
    pub url: String,
    /// The event types it wants; empty: every one.
    pub event_types: Vec<String>,
    pub secret: String,
    pub created_at: DateTime<Utc>,
    /// The global position through which it has been delivered.
    pub delivered_through: u64,
}

/// One attempt to deliver an event to a webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub webhook_id: String,
    pub global_position: u64,
    pub event_id: String,
    pub event_type: String,
    /// 1 for the first attempt at an event, and so on; a replay counts on.
    pub attempt: u32,
    /// `delivered`, `failed` (to be tried again), `gave_up` (after a day)
    /// or `replayed` (an admin's replay that was delivered).
    pub outcome: String,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub at: DateTime<Utc>,
}

const HOOK: &str = "id, tenant, url, event_types, secret, created_at, delivered_through";
const DELIVERY: &str =
    "id, webhook_id, global_position, event_id, event_type, attempt, outcome, status_code, error, at";

trait HookRow: Row {
    fn hook(&self) -> Webhook;
    fn delivery(&self) -> Delivery;
}

macro_rules! hook_row {
    ($row:ty) => {
        impl HookRow for $row {
            fn hook(&self) -> Webhook {
                let types: String = self.get(3);
                Webhook {
                    id: self.get(0),
                    tenant: self.get(1),
                    url: self.get(2),
                    event_types: types
                        .split(',')
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    secret: self.get(4),
                    created_at: self.get(5),
                    delivered_through: self.get::<i64, _>(6) as u64,
                }
            }

            fn delivery(&self) -> Delivery {
                Delivery {
                    id: self.get(0),
                    webhook_id: self.get(1),
                    global_position: self.get::<i64, _>(2) as u64,
                    event_id: self.get(3),
                    event_type: self.get(4),
                    attempt: self.get::<i32, _>(5) as u32,
                    outcome: self.get(6),
                    status_code: self.get::<Option<i32>, _>(7).map(|c| c as u16),
                    error: self.get(8),
                    at: self.get(9),
                }
            }
        }
    };
}

hook_row!(sqlx::sqlite::SqliteRow);
hook_row!(sqlx::postgres::PgRow);

impl Storage {
    /// Registers a webhook for `tenant`, delivered from the log's end on.
    pub async fn add_webhook(
        &self,
        tenant: &str,
        url: &str,
        event_types: &[String],
        secret: &str,
    ) -> Result<Webhook, sqlx::Error> {
        let id = Uuid::now_v7().to_string();
        let now = Utc::now();
        let types = event_types.join(",");
        let sql = "INSERT INTO webhooks (id, tenant, url, event_types, secret, created_at, delivered_through)
                   VALUES ($1, $2, $3, $4, $5, $6,
                           (SELECT COALESCE(MAX(global_position), 0) FROM events WHERE tenant = $2))";
        on_pool!(self, write, |pool| {
            sqlx::query(sql)
                .bind(&id)
                .bind(tenant)
                .bind(url)
                .bind(&types)
                .bind(secret)
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(self.webhook(&id).await?.expect("just stored"))
    }

    pub async fn webhook(&self, id: &str) -> Result<Option<Webhook>, sqlx::Error> {
        let sql = format!("SELECT {HOOK} FROM webhooks WHERE id = $1 AND removed_at IS NULL");
        on_pool!(self, write, |pool| {
            let row = sqlx::query(&sql).bind(id).fetch_optional(pool).await?;
            Ok(row.map(|r| r.hook()))
        })
    }

    /// The webhooks in use, of `tenant` or of every tenant, oldest first.
    pub async fn webhooks(&self, tenant: Option<&str>) -> Result<Vec<Webhook>, sqlx::Error> {
        let sql = match tenant {
            Some(_) => format!(
                "SELECT {HOOK} FROM webhooks WHERE tenant = $1 AND removed_at IS NULL ORDER BY id"
            ),
            None => format!("SELECT {HOOK} FROM webhooks WHERE removed_at IS NULL ORDER BY id"),
        };
        on_pool!(self, read, |pool| {
            let mut query = sqlx::query(&sql);
            if let Some(tenant) = tenant {
                query = query.bind(tenant);
            }
            let rows = query.fetch_all(pool).await?;
            Ok(rows.iter().map(|r| r.hook()).collect())
        })
    }

    /// Stops delivering to a webhook of `tenant`; whether there was one.
    pub async fn remove_webhook(&self, tenant: &str, id: &str) -> Result<bool, sqlx::Error> {
        let sql = "UPDATE webhooks SET removed_at = $1
                   WHERE tenant = $2 AND id = $3 AND removed_at IS NULL";
        on_pool!(self, write, |pool| {
            let done = sqlx::query(sql)
                .bind(Utc::now())
                .bind(tenant)
                .bind(id)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Records that a webhook's events through `position` are delivered
    /// (or given up on); it never moves back.
    pub async fn set_delivered_through(&self, id: &str, position: u64) -> Result<(), sqlx::Error> {
        let sql = "UPDATE webhooks SET delivered_through = $1
                   WHERE id = $2 AND delivered_through < $1";
        on_pool!(self, write, |pool| {
            sqlx::query(sql)
                .bind(position as i64)
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn record_delivery(&self, delivery: &Delivery) -> Result<(), sqlx::Error> {
        let sql = format!(
            "INSERT INTO deliveries ({DELIVERY}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        on_pool!(self, write, |pool| {
            sqlx::query(&sql)
                .bind(&delivery.id)
                .bind(&delivery.webhook_id)
                .bind(delivery.global_position as i64)
                .bind(&delivery.event_id)
                .bind(&delivery.event_type)
                .bind(delivery.attempt as i32)
                .bind(&delivery.outcome)
                .bind(delivery.status_code.map(i32::from))
                .bind(&delivery.error)
                .bind(delivery.at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// A webhook's latest attempts, newest first.
    pub async fn deliveries(
        &self,
        webhook_id: &str,
        limit: u32,
    ) -> Result<Vec<Delivery>, sqlx::Error> {
        let sql = format!(
            "SELECT {DELIVERY} FROM deliveries WHERE webhook_id = $1 ORDER BY at DESC, id DESC LIMIT $2"
        );
        on_pool!(self, read, |pool| {
            let rows = sqlx::query(&sql)
                .bind(webhook_id)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
            Ok(rows.iter().map(|r| r.delivery()).collect())
        })
    }

    pub async fn delivery(&self, id: &str) -> Result<Option<Delivery>, sqlx::Error> {
        let sql = format!("SELECT {DELIVERY} FROM deliveries WHERE id = $1");
        on_pool!(self, read, |pool| {
            let row = sqlx::query(&sql).bind(id).fetch_optional(pool).await?;
            Ok(row.map(|r| r.delivery()))
        })
    }
}
