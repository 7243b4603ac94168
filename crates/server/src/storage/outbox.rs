//! Through which position each tenant's events were published to the
//! broker (the log is its own outbox, ADR 33), and the secrets the server
//! keeps, in either database, each query written once.

use super::Storage;

impl Storage {
    /// The global position through which `tenant`'s events are published
    /// (0: none yet).
    pub async fn published_through(&self, tenant: &str) -> Result<u64, sqlx::Error> {
        let through: Option<i64> = on_pool!(self, read, |pool| {
            sqlx::query_scalar("SELECT through FROM published WHERE tenant = $1")
                .bind(tenant)
                .fetch_optional(pool)
                .await?
        });
        Ok(through.unwrap_or(0) as u64)
    }

    /// Records that `tenant`'s events through `position` are published.
    /// It never moves back: two publishers (two instances) may race.
    pub async fn set_published_through(
        &self,
        tenant: &str,
        position: u64,
    ) -> Result<(), sqlx::Error> {
        on_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO published (tenant, through) VALUES ($1, $2) \
                 ON CONFLICT (tenant) DO UPDATE SET through = excluded.through \
                 WHERE published.through < excluded.through",
            )
            .bind(tenant)
            .bind(position as i64)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The secret named `name`: made (with `make`) and kept the first time
    /// it is asked for, the same for every instance afterwards.
    pub async fn secret(
        &self,
        name: &str,
        make: impl FnOnce() -> String,
    ) -> Result<String, sqlx::Error> {
        on_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO server_secrets (name, secret) VALUES ($1, $2) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(make())
            .execute(pool)
            .await?;
        });
        on_pool!(self, write, |pool| {
            sqlx::query_scalar("SELECT secret FROM server_secrets WHERE name = $1")
                .bind(name)
                .fetch_one(pool)
                .await
        })
    }
}
