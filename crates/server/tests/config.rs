//! Settings from flags and the environment.

use portal_server::auth::Tokens;
use portal_server::storage::Database;
use portal_server::Config;
use std::path::PathBuf;

fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |key| {
        pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.to_string())
    }
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn defaults_listen_on_loopback_with_sqlite_under_data() {
    let config = Config::from_args(args(&[]), env(&[])).unwrap();
    assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(
        config.database,
        Database::Sqlite(PathBuf::from("./data/portal.sqlite3"))
    );
    assert!(config
        .tokens
        .tenant(portal_server::config::LOCAL_TOKEN)
        .is_some());
}

#[test]
fn flags_win_over_the_environment() {
    let config = Config::from_args(
        args(&["--listen", "127.0.0.1:9999", "--tokens", "abcdefgh=team"]),
        env(&[
            ("PORTAL_LISTEN", "127.0.0.1:7777"),
            ("PORTAL_TOKENS", "zzzzzzzz=other"),
        ]),
    )
    .unwrap();
    assert_eq!(config.listen.port(), 9999);
    assert_eq!(config.tokens.tenant("abcdefgh").unwrap().0.as_ref(), "team");
    assert!(config.tokens.tenant("zzzzzzzz").is_none());
}

#[test]
fn bad_settings_say_what_is_wrong() {
    let short = Config::from_args(args(&["--tokens", "abc=team"]), env(&[]))
        .err()
        .unwrap();
    assert!(short.contains("at least 8 characters"), "{short}");
    let unknown = Config::from_args(args(&["--port", "1"]), env(&[]))
        .err()
        .unwrap();
    assert!(unknown.contains("unknown flag --port"), "{unknown}");
    let listen = Config::from_args(args(&["--listen", "nowhere"]), env(&[]))
        .err()
        .unwrap();
    assert!(listen.contains("listen address"), "{listen}");
    let rate = Config::from_args(args(&["--rate", "0"]), env(&[]))
        .err()
        .unwrap();
    assert!(rate.contains("at least 1"), "{rate}");
    let mysql = Config::from_args(args(&[]), env(&[("DATABASE_URL", "mysql://x/y")]))
        .err()
        .unwrap();
    assert!(mysql.contains("only postgres://"), "{mysql}");
}

#[test]
fn a_postgres_url_selects_postgresql_and_the_flag_wins() {
    let from_env = Config::from_args(
        args(&[]),
        env(&[("DATABASE_URL", "postgres://db.internal/portal")]),
    )
    .unwrap();
    assert_eq!(
        from_env.database,
        Database::Postgres("postgres://db.internal/portal".into())
    );
    let from_flag = Config::from_args(
        args(&["--database-url", "postgresql://other/portal"]),
        env(&[("DATABASE_URL", "postgres://db.internal/portal")]),
    )
    .unwrap();
    assert_eq!(
        from_flag.database,
        Database::Postgres("postgresql://other/portal".into())
    );
}

#[test]
fn a_token_may_carry_an_expiry() {
    let tokens = Tokens::parse("abcdefgh=team@2027-01-31T00:00:00Z").unwrap();
    let before = "2027-01-30T23:59:59Z".parse().unwrap();
    let after = "2027-01-31T00:00:00Z".parse().unwrap();
    assert_eq!(tokens.open("abcdefgh", before).unwrap().0.as_ref(), "team");
    let why = tokens.open("abcdefgh", after).unwrap_err().to_string();
    assert!(why.contains("expired at 2027-01-31"), "{why}");
    let bad = Tokens::parse("abcdefgh=team@next tuesday").unwrap_err();
    assert!(bad.contains("RFC 3339"), "{bad}");
}

#[test]
fn sessions_last_12_hours_unless_told_otherwise() {
    let default = Config::from_args(args(&[]), env(&[])).unwrap();
    assert_eq!(default.session, chrono::Duration::hours(12));
    let from_env = Config::from_args(args(&[]), env(&[("PORTAL_SESSION_HOURS", "2")])).unwrap();
    assert_eq!(from_env.session, chrono::Duration::hours(2));
    let flag = Config::from_args(args(&["--session-hours", "3"]), env(&[])).unwrap();
    assert_eq!(flag.session, chrono::Duration::hours(3));
    let hours = Config::from_args(args(&["--session-hours", "0"]), env(&[]))
        .err()
        .unwrap();
    assert!(hours.contains("1 to 720"), "{hours}");
}

#[test]
fn the_broker_is_off_unless_a_nats_url_is_given() {
    assert_eq!(
        Config::from_args(args(&[]), env(&[])).unwrap().nats_url,
        None
    );
    let from_env =
        Config::from_args(args(&[]), env(&[("NATS_URL", "nats://127.0.0.1:4222")])).unwrap();
    assert_eq!(from_env.nats_url.as_deref(), Some("nats://127.0.0.1:4222"));
    let flag = Config::from_args(args(&["--nats-url", "nats://n:1"]), env(&[])).unwrap();
    assert_eq!(flag.nats_url.as_deref(), Some("nats://n:1"));
    let blank = Config::from_args(args(&[]), env(&[("NATS_URL", " ")])).unwrap();
    assert_eq!(blank.nats_url, None, "an empty NATS_URL is none");
}
