//! The databases the contract suite runs against.

pub mod binary;

use portal_server::storage::Database;
use std::path::Path;

/// Where `scripts/test.sh` puts the URL of the PostgreSQL server it starts
/// (`scripts/postgres.sh`): a superuser's URL to its `postgres` database.
pub const POSTGRES_ENV: &str = "PORTAL_TEST_POSTGRES";

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// A fresh, empty database: a file in `dir`, or a new PostgreSQL
    /// database, so tests never see each other's events.
    pub async fn database(self, dir: &Path) -> Database {
        match self {
            Backend::Sqlite => Database::Sqlite(dir.join("test.sqlite3")),
            Backend::Postgres => {
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
