//! The databases the contract suite runs against.
#![allow(dead_code)] // Each test crate uses part of it.

pub mod binary;
pub mod http;
pub mod local;
pub mod nats;
pub mod sse;

use portal_server::storage::Database;
use std::path::Path;

/// Where `scripts/test.sh` puts the URL of the PostgreSQL server it starts
/// (`scripts/postgres.sh`): a superuser's URL to its `postgres` database.
pub const POSTGRES_ENV: &str = "PORTAL_TEST_POSTGRES";

#[derive(Clone, Copy, Debug)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

impl BackendKind {
    /// A fresh, empty database: a file in `dir`, or a new PostgreSQL
    /// database, so tests never see each other's events.
    pub async fn database(self, dir: &Path) -> Database {
        match self {
            BackendKind::Sqlite => Database::Sqlite(dir.join("test.sqlite3")),
            BackendKind::Postgres => {
                let admin = std::env::var(POSTGRES_ENV).unwrap_or_else(|_| {
                    panic!(
                        "{POSTGRES_ENV} is not set: the PostgreSQL half of the contract suite \
                         needs a server. scripts/test.sh starts one; by hand: \
                         eval \"$(scripts/postgres.sh start)\""
                    )
                });
                Database::scratch_postgres(&admin, "portal_test")
                    .await
                    .unwrap_or_else(|e| panic!("cannot make a database on {admin}: {e}"))
            }
        }
    }
}

/// Runs `sql` on `database` behind the server's back: to set up a state
/// only an older server, or a damaged database, leaves behind.
pub async fn execute(database: &Database, sql: &str) {
    match database {
        Database::Sqlite(path) => {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                .await
                .expect("the SQLite file opens");
            sqlx::query(sql).execute(&pool).await.expect(sql);
            pool.close().await;
        }
        Database::Postgres(url) => {
            let pool = sqlx::PgPool::connect(url)
                .await
                .expect("PostgreSQL answers");
            sqlx::query(sql).execute(&pool).await.expect(sql);
            pool.close().await;
        }
    }
}

/// The first column of `sql`'s rows, as text: to look at what the
/// database holds behind the server's back.
pub async fn dump(database: &Database, sql: &str) -> Vec<String> {
    use sqlx::Row;
    match database {
        Database::Sqlite(path) => {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                .await
                .expect("the SQLite file opens");
            let rows = sqlx::query(sql).fetch_all(&pool).await.expect(sql);
            rows.iter().map(|r| r.get::<String, _>(0)).collect()
        }
        Database::Postgres(url) => {
            let pool = sqlx::PgPool::connect(url)
                .await
                .expect("PostgreSQL answers");
            let rows = sqlx::query(sql).fetch_all(&pool).await.expect(sql);
            rows.iter().map(|r| r.get::<String, _>(0)).collect()
        }
    }
}

/// Each case (an `async fn(BackendKind)` of the calling module), as one
/// test per backend: `sqlite::case` and `postgres::case`.
#[allow(unused_macros)] // Not every test crate has cases on both.
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $case() {
                super::$case(super::BackendKind::Sqlite).await
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $case() {
                super::$case(super::BackendKind::Postgres).await
            })*
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_both_backends;
