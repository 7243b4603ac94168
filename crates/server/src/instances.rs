//! Several server instances over one PostgreSQL database (ADR 36). Every
//! instance takes pushes, pulls and subscriptions; for each tenant, one
//! instance at a time (the holder of its lease) runs the processors,
//! publishes to the broker and delivers the webhooks. A lease is a
//! PostgreSQL session advisory lock held on a connection of its own: when
//! its instance dies, the connection closes, the lock is released, and
//! another instance takes it at its next try. Instances learn where each
//! tenant's log ends from one another through `LISTEN`/`NOTIFY`. On SQLite
//! there is one instance, which holds every lease.

use crate::live::Heads;
use crate::storage::{Storage, LOG_CHANNEL};
use sqlx::postgres::{PgListener, PgPool};
use sqlx::PgConnection;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often an instance that holds no lease for a tenant tries again.
pub const TRY_AGAIN: Duration = Duration::from_secs(2);
/// The advisory lock's first key, setting the leases apart from every
/// other lock (a push's takes one key, a `bigint`, and so never meets
/// these).
const LEASES: i32 = 0x5054_4c45;

/// This instance's leases.
pub struct Leases {
    /// The database's pool, and the connection the locks live on (taken
    /// out of the pool for good); `None` on SQLite.
    postgres: Option<(PgPool, tokio::sync::Mutex<Option<PgConnection>>)>,
    held: Mutex<HashSet<String>>,
}

impl Leases {
    /// Leases on `storage`'s database.
    pub fn of(storage: &Storage) -> Self {
        Leases {
            postgres: storage
                .postgres_pool()
                .map(|pool| (pool, tokio::sync::Mutex::new(None))),
            held: Mutex::new(HashSet::new()),
        }
    }

    /// Whether this instance holds `tenant`'s lease, taking it if nobody
    /// does.
    pub async fn hold(&self, tenant: &str) -> bool {
        let Some((pool, connection)) = &self.postgres else {
            return true;
        };
        if self.held().contains(tenant) {
            return true;
        }
        let mut connection = connection.lock().await;
        if connection.is_none() {
            match pool.acquire().await {
                Ok(c) => *connection = Some(c.detach()),
                Err(e) => {
                    tracing::warn!(error = %e, "the leases' connection waits for the database");
                    return false;
                }
            }
        }
        let Some(open) = connection.as_mut() else {
            return false;
        };
        let taken: Result<bool, _> =
            sqlx::query_scalar("SELECT pg_try_advisory_lock($1, hashtext($2))")
                .bind(LEASES)
                .bind(tenant)
                .fetch_one(&mut *open)
                .await;
        match taken {
            Ok(true) => {
                tracing::info!(tenant, "this instance runs the tenant's processors");
                self.held().insert(tenant.to_owned());
                true
            }
            Ok(false) => false,
            Err(e) => {
                // The connection is gone, and every lock with it.
                tracing::warn!(error = %e, "the leases' connection was lost");
                *connection = None;
                self.held().clear();
                false
            }
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Follows what the other instances write: each notice says where a
/// tenant's log now ends, which moves its head (the subscribers read on)
/// and is handed to `nudge` (the tenant's thread reads on, and, holding the
/// lease, runs the processors on it). Nothing on SQLite.
pub async fn listen(
    storage: Arc<Storage>,
    heads: Arc<Heads>,
    nudge: impl Fn(&str) + Send + 'static,
) {
    let Some(pool) = storage.postgres_pool() else {
        return;
    };
    let mut closing = heads.closing();
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, "listening to the other instances waits");
                tokio::time::sleep(TRY_AGAIN).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(LOG_CHANNEL).await {
            tracing::warn!(error = %e, "listening to the other instances waits");
            tokio::time::sleep(TRY_AGAIN).await;
            continue;
        }
        loop {
            let notice = tokio::select! {
                notice = listener.recv() => notice,
                _ = closing.changed() => return,
            };
            match notice {
                Ok(notice) => {
                    if let Some((position, tenant)) = notice.payload().split_once(':') {
                        if let Ok(position) = position.parse() {
                            heads.moved(tenant, position);
                            nudge(tenant);
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "listening to the other instances starts again");
                    break;
                }
            }
        }
    }
}
