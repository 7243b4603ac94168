//! The server on a free loopback port, over real HTTP, with the tokens
//! the suites share.

use super::BackendKind;
use axum::http::HeaderValue;
use portal_domain::demo::{DemoConfig, DemoGenerator};
use portal_domain::{Envelope, Role};
use portal_server::auth::Tokens;
use portal_server::clock::Clock;
use portal_server::limits::Limits;
use portal_server::people::hash_password;
use portal_server::storage::NewPerson;
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
    // Nothing of the tests' histories (2025 and 2026) falls due by this
    // clock; the processors' own tests set theirs (`spawn_app_clocked`).
    let clock = Clock::starting_at("2000-01-01T00:00:00Z".parse().unwrap());
    serve(backend, rate, dist, clock, configure).await
}

/// The server, its processors going by `clock` (started as the binary
/// starts them).
pub async fn spawn_app_clocked(backend: BackendKind, clock: Clock) -> TestApp {
    serve(backend, 10_000, None, clock, |state| state).await
}

async fn serve(
    backend: BackendKind,
    rate: u32,
    dist: Option<std::path::PathBuf>,
    clock: Clock,
    configure: impl FnOnce(ServerState) -> ServerState,
) -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let database = backend.database(dir.path()).await;
    let storage = Storage::open(&database).await.expect("the database opens");
    let state = ServerState::with_clock(
        storage,
        Tokens::parse(&format!(
            "{ALPHA}=alpha,{BETA}=beta,{EXPIRED}=alpha@2020-01-01T00:00:00Z,\
                 {LATER}=alpha@2999-01-01T00:00:00Z"
        ))
        .unwrap(),
        Limits::per_second(rate),
        clock,
    );
    let state = configure(state);
    state
        .judges
        .start_all()
        .await
        .expect("the processors start");
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
    /// A server already running at `base` (the real binary) on `database`.
    pub fn at(base: &str, database: portal_server::storage::Database) -> Self {
        TestApp {
            base: base.to_owned(),
            client: reqwest::Client::new(),
            database,
            _dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

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

    /// Pushes `body` as it is, under `content_type` (a binary batch, say).
    pub async fn push_bytes(
        &self,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}/api/v1/push", self.base))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        (
            response.status(),
            response.json().await.unwrap_or(Value::Null),
        )
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

    /// The tenant of the `ALPHA` token's whole log, decoded.
    pub async fn log(&self) -> Vec<Envelope> {
        self.pull_all(ALPHA)
            .await
            .iter()
            .map(|e| portal_sync::codec::decode(&e.to_string()).expect("a readable event"))
            .collect()
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

/// Adds a person to tenant `alpha` (the tenant of the `ALPHA` machine
/// token), with a password of their own.
pub async fn person(app: &TestApp, email: &str, role: Role) -> String {
    let password = format!("{email} secret");
    let storage = Storage::open(&app.database).await.unwrap();
    storage
        .add_person(&NewPerson {
            tenant: "alpha",
            email,
            display_name: &email[..3],
            role,
            password_hash: &hash_password(&password).unwrap(),
        })
        .await
        .unwrap();
    password
}

impl TestApp {
    pub async fn sign_in(&self, email: &str, password: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}/api/v1/sessions", self.base))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap();
        (
            response.status(),
            response.json().await.unwrap_or(Value::Null),
        )
    }

    /// A session token of `email`'s.
    pub async fn session(&self, email: &str, password: &str) -> String {
        let (status, reply) = self.sign_in(email, password).await;
        assert_eq!(status, StatusCode::CREATED, "{reply}");
        reply["token"].as_str().unwrap().to_owned()
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        (
            response.status(),
            response.json().await.unwrap_or(Value::Null),
        )
    }
}
