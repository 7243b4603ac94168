//! The product as a user runs it: the server on 127.0.0.1 with a fresh
//! SQLite file, serving the release build of the app.

use axum::http::HeaderValue;
use portal_server::auth::Tokens;
use portal_server::limits::Limits;
use portal_server::storage::{Database, Storage};
use portal_server::{router, AppState};
use std::path::PathBuf;
use std::sync::Arc;

pub struct Served {
    pub base: String,
    _data: tempfile::TempDir,
}

/// Serves `dist` on a free port of 127.0.0.1.
pub async fn serve(dist: PathBuf) -> Served {
    assert!(
        dist.join("index.html").exists(),
        "{} holds no built app: run `trunk build --release` first",
        dist.display()
    );
    let data = tempfile::tempdir().expect("a temporary directory");
    let storage = Storage::open(&Database::Sqlite(data.path().join("portal.sqlite3")))
        .await
        .expect("SQLite opens");
    let state = AppState {
        storage: Arc::new(storage),
        tokens: Arc::new(Tokens::parse("local-dev-token=local").expect("a valid token list")),
        limits: Arc::new(Limits::per_second(200)),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let origin = HeaderValue::from_str(&base).expect("an origin header");
    tokio::spawn(async move { axum::serve(listener, router(state, Some(dist), &[origin])).await });
    Served { base, _data: data }
}
