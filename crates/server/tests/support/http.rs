//! The server on a free loopback port, over real HTTP, with the tokens
//! the suites share.

use super::BackendKind;
use axum::http::HeaderValue;
use portal_domain::demo::{DemoConfig, DemoGenerator};
use portal_domain::Envelope;
use portal_server::auth::Tokens;
use portal_server::limits::Limits;
use portal_server::storage::Storage;
use portal_server::{router, ServerState};
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const ALPHA: &str = "alpha-token-123";
pub const BETA: &str = "beta-token-456";
pub const EXPIRED: &str = "expired-token-789";
pub const LATER: &str = "later-token-012";
pub const APP_ORIGIN: &str = "http://127.0.0.1:8081";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub database: portal_server::storage::Database,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_limited(BackendKind::Sqlite, 10_000).await
}

pub async fn spawn_app_on(backend: BackendKind) -> TestApp {
    spawn_app_limited(backend, 10_000).await
}

pub async fn spawn_app_limited(backend: BackendKind, rate: u32) -> TestApp {
    spawn_app_with(backend, rate, None).await
}

pub async fn spawn_app_with(
    backend: BackendKind,
    rate: u32,
    dist: Option<std::path::PathBuf>,
) -> TestApp {
    spawn_app_configured(backend, rate, dist, |state| state).await
}

/// The server with `configure` applied to its state, served as `main`
/// serves it (with the peer's address).
pub async fn spawn_app_configured(
    backend: BackendKind,
    rate: u32,
    dist: Option<std::path::PathBuf>,
    configure: impl FnOnce(ServerState) -> ServerState,
) -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let database = backend.database(dir.path()).await;
    let storage = Storage::open(&database).await.expect("the database opens");
    let state = ServerState::new(
        storage,
        Tokens::parse(&format!(
            "{ALPHA}=alpha,{BETA}=beta,{EXPIRED}=alpha@2020-01-01T00:00:00Z,\
                 {LATER}=alpha@2999-01-01T00:00:00Z"
        ))
        .unwrap(),
        Limits::per_second(rate),
    );
    let state = configure(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let app = router(state, dist, &[HeaderValue::from_static(APP_ORIGIN)]);
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    TestApp {
        base,
        client: reqwest::Client::new(),
        database,
        _dir: dir,
    }
}

pub fn demo(n: usize) -> Vec<Envelope> {
    DemoGenerator::generate(DemoConfig::year(5, n))
}

pub fn wire(events: &[Envelope]) -> Value {
    let events: Vec<Value> = events
        .iter()
        .map(|e| serde_json::from_str(&portal_sync::codec::encode(e)).unwrap())
        .collect();
    json!({ "events": events })
}

impl TestApp {
    pub async fn health(&self) -> reqwest::Response {
        self.client
            .get(format!("{}/api/v1/health", self.base))
            .send()
            .await
            .unwrap()
    }

    pub async fn push_json(&self, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        let mut request = self
            .client
            .post(format!("{}/api/v1/push", self.base))
            .json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        (
            response.status(),
            response.json().await.unwrap_or(Value::Null),
        )
    }

    pub async fn push(&self, token: &str, events: &[Envelope]) -> (StatusCode, Value) {
        self.push_json(Some(token), &wire(events)).await
    }

    pub async fn pull(&self, token: &str, after: u64, limit: u32) -> Value {
        let response = self
            .client
            .get(format!(
                "{}/api/v1/pull?after={after}&limit={limit}",
                self.base
            ))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    pub async fn pull_all(&self, token: &str) -> Vec<Value> {
        let mut after = 0;
        let mut all = Vec::new();
        loop {
            let page = self.pull(token, after, 1000).await;
            all.extend(page["events"].as_array().unwrap().iter().cloned());
            after = page["next"].as_u64().unwrap();
            if !page["more"].as_bool().unwrap() {
                return all;
            }
        }
    }
}

pub fn positions(reply: &Value) -> Vec<u64> {
    reply["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["global_position"].as_u64().unwrap())
        .collect()
}
