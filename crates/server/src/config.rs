//! The server's settings, from flags or environment variables.

use crate::auth::Tokens;
use crate::storage::Database;
use axum::http::HeaderValue;
use std::net::SocketAddr;
use std::path::PathBuf;

pub struct Config {
    pub listen: SocketAddr,
    /// Where the logs are kept.
    pub database: Database,
    pub tokens: Tokens,
    /// The built app to serve, if any.
    pub dist: Option<PathBuf>,
    /// Origins allowed to call the API from a page served elsewhere.
    pub origins: Vec<HeaderValue>,
    /// Requests a second each token may make (bursts of twice that).
    pub rate: u32,
    /// How long a session from signing in lasts.
    pub session: chrono::Duration,
    /// The NATS server every accepted event is published to (ADR 33);
    /// none by default.
    pub nats_url: Option<String>,
}

/// A token for trying the product on this machine, used when none is set.
pub const LOCAL_TOKEN: &str = "local-dev-token";

const USAGE: &str =
    "usage: portal-server [--listen ADDR] [--data-dir DIR] [--database-url URL] [--dist DIR] [--tokens token=tenant[@expiry],...]
                     [--rate N] [--origins URL,...] [--session-hours H] [--nats-url URL]
       portal-server users (add|list|disable|first-admin) ...   (portal-server users --help)
  the database is an SQLite file under --data-dir (./data) unless a postgres:// URL is given
  --tokens are machine tokens, for trusted clients of a tenant (imports, integrations): they
  may write as anyone. People sign in (POST /api/v1/sessions) and act as themselves.
  the server's processors write credential expiry and the feedback surveys (added, sent)
  --nats-url publishes every accepted event to NATS JetStream (stream PORTAL, subjects
  portal.<tenant>.<application|survey>.<EVENT_TYPE>); off when unset
environment: PORTAL_LISTEN, PORTAL_DATA_DIR, PORTAL_DIST, PORTAL_TOKENS, DATABASE_URL,
  PORTAL_RATE, PORTAL_ORIGINS, PORTAL_SESSION_HOURS, NATS_URL";

/// The database `data_dir` and `database_url` name: a postgres:// URL, or
/// an SQLite file in `data_dir`.
pub fn database(data_dir: &str, database_url: Option<String>) -> Result<Database, String> {
    match database_url.filter(|u| !u.is_empty()) {
        None => Ok(Database::Sqlite(
            PathBuf::from(data_dir).join("portal.sqlite3"),
        )),
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Database::Postgres(url))
        }
        Some(url) => Err(format!(
            "database URL \"{}\": only postgres:// URLs are supported; leave it unset for SQLite",
            url.split(':').next().unwrap_or_default()
        )),
    }
}

impl Config {
    /// Flags win over the environment; everything has a default.
    pub fn from_args(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let mut listen = env("PORTAL_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".into());
        let mut data_dir = env("PORTAL_DATA_DIR").unwrap_or_else(|| "./data".into());
        let mut dist = env("PORTAL_DIST").or_else(|| Some("./dist".into()));
        let mut tokens = env("PORTAL_TOKENS");
        let mut database_url = env("DATABASE_URL").filter(|u| !u.is_empty());
        let mut origins = env("PORTAL_ORIGINS").unwrap_or_default();
        let mut rate = env("PORTAL_RATE").unwrap_or_else(|| "200".into());
        let mut session_hours = env("PORTAL_SESSION_HOURS").unwrap_or_else(|| "12".into());
        let mut nats_url = env("NATS_URL").filter(|u| !u.trim().is_empty());
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || {
                args.next()
                    .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
            };
            match flag.as_str() {
                "--listen" => listen = value()?,
                "--data-dir" => data_dir = value()?,
                "--dist" => dist = Some(value()?),
                "--tokens" => tokens = Some(value()?),
                "--database-url" => database_url = Some(value()?),
                "--origins" => origins = value()?,
                "--rate" => rate = value()?,
                "--session-hours" => session_hours = value()?,
                "--nats-url" => nats_url = Some(value()?),
                "--help" | "-h" => return Err(USAGE.into()),
                other => return Err(format!("unknown flag {other}\n{USAGE}")),
            }
        }
        let database = database(&data_dir, database_url)?;
        let listen = listen
            .parse()
            .map_err(|e| format!("listen address \"{listen}\": {e}"))?;
        let tokens = Tokens::parse(&tokens.unwrap_or_else(|| format!("{LOCAL_TOKEN}=local")))?;
        let origins = origins
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|o| {
                HeaderValue::from_str(o)
                    .map_err(|_| format!("origin \"{o}\" is not a valid header value"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rate =
            rate.parse::<u32>().ok().filter(|r| *r > 0).ok_or_else(|| {
                format!("rate \"{rate}\": a number of requests a second, at least 1")
            })?;
        let session = session_hours
            .parse::<u32>()
            .ok()
            .filter(|h| (1..=24 * 30).contains(h))
            .map(|h| chrono::Duration::hours(i64::from(h)))
            .ok_or_else(|| {
                format!("session hours \"{session_hours}\": a whole number from 1 to 720")
            })?;
        Ok(Config {
            rate,
            nats_url,
            session,
            origins,
            listen,
            database,
            tokens,
            dist: dist
                .map(PathBuf::from)
                .filter(|d| d.join("index.html").exists()),
        })
    }
}
