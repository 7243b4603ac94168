//! The product as a user runs it: the server on 127.0.0.1 with a fresh
//! SQLite file, serving the release build of the app. It can be stopped
//! and started again on the same address and data, as a network outage.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::IntoResponse;
use portal_domain::demo::{DemoConfig, DemoGenerator};
use portal_domain::{Envelope, Role};
use portal_server::auth::Tokens;
use portal_server::limits::Limits;
use portal_server::people::hash_password;
use portal_server::storage::{Database, NewPerson, Storage};
use portal_server::{router, ServerState};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The machine token the served product accepts (the tests' own calls;
/// the app signs people in).
pub const TOKEN: &str = "local-dev-token";

/// Someone of the workspace, as a test adds and signs them in.
#[derive(Clone, Copy, Debug)]
pub struct Someone {
    pub email: &'static str,
    pub name: &'static str,
    pub role: Role,
}

impl Someone {
    pub const fn new(email: &'static str, name: &'static str, role: Role) -> Self {
        Someone { email, name, role }
    }

    pub fn password(&self) -> String {
        format!("{}'s long password", self.name)
    }
}

/// The admin most journeys sign in as.
pub const ADA: Someone = Someone::new("ada@example.com", "Ada", Role::Admin);

pub struct Served {
    pub base: String,
    address: SocketAddr,
    dist: PathBuf,
    data: tempfile::TempDir,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
    /// Answers as a server from before binary pages and batches: the
    /// `Accept` header never reaches the API, so every pull is JSON, and a
    /// binary push gets the 415 an older server gave any body not JSON.
    json_only: bool,
    /// The pushes that reached the API, by form.
    pub pushes: Arc<Pushes>,
}

/// How many pushes reached the API as binary batches and as JSON.
#[derive(Debug, Default)]
pub struct Pushes {
    binary: AtomicUsize,
    json: AtomicUsize,
}

impl Pushes {
    pub fn binary(&self) -> usize {
        self.binary.load(Ordering::SeqCst)
    }

    pub fn json(&self) -> usize {
        self.json.load(Ordering::SeqCst)
    }
}

/// Serves `dist` on a free port of 127.0.0.1.
pub async fn serve(dist: PathBuf) -> Served {
    serve_with(dist, false).await
}

/// Serves `dist` as a server that writes only JSON pull pages would.
pub async fn serve_json_only(dist: PathBuf) -> Served {
    serve_with(dist, true).await
}

async fn serve_with(dist: PathBuf, json_only: bool) -> Served {
    assert!(
        dist.join("index.html").exists(),
        "{} holds no built app: run `trunk build --release` first",
        dist.display()
    );
    let data = tempfile::tempdir().expect("a temporary directory");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().expect("an address");
    let mut served = Served {
        base: format!("http://{address}"),
        address,
        dist,
        data,
        running: None,
        json_only,
        pushes: Arc::default(),
    };
    served.run(listener).await;
    served
}

impl Served {
    async fn run(&mut self, listener: tokio::net::TcpListener) {
        let storage = Storage::open(&Database::Sqlite(self.data.path().join("portal.sqlite3")))
            .await
            .expect("SQLite opens");
        let state = ServerState::new(
            storage,
            Tokens::parse(&format!("{TOKEN}=local")).expect("a valid token list"),
            Limits::per_second(200),
        );
        // As the binary does: the processors start with the server.
        state
            .judges
            .start_all()
            .await
            .expect("the processors start");
        let origin = HeaderValue::from_str(&self.base).expect("an origin header");
        let judges = state.judges.clone();
        let (json_only, pushes) = (self.json_only, self.pushes.clone());
        let app = router(state, Some(self.dist.clone()), &[origin]).layer(
            axum::middleware::from_fn(move |mut request: Request, next: Next| {
                let pushes = pushes.clone();
                async move {
                    let binary = request
                        .headers()
                        .get(header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(portal_sync::batch::is_batch);
                    if json_only {
                        request.headers_mut().remove(header::ACCEPT);
                        if binary {
                            return (
                                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                                "Expected request with `Content-Type: application/json`",
                            )
                                .into_response();
                        }
                    }
                    if request.uri().path() == "/api/v1/push" {
                        let counter = if binary { &pushes.binary } else { &pushes.json };
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                    next.run(request).await
                }
            }),
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                    // As the binary does: open subscriptions end.
                    judges.heads().close();
                })
                .await;
        });
        self.running = Some((stop, task));
    }

    /// Adds `who` to the tenant the app syncs with, as
    /// `portal-server users add` would.
    pub async fn add(&self, who: &Someone) {
        self.add_person(who.email, who.name, who.role, &who.password())
            .await;
    }

    /// Adds a person to the tenant the app syncs with (`local`).
    pub async fn add_person(&self, email: &str, name: &str, role: Role, password: &str) {
        let storage = Storage::open(&Database::Sqlite(self.data.path().join("portal.sqlite3")))
            .await
            .expect("SQLite opens");
        storage
            .add_person(&NewPerson {
                tenant: "local",
                email,
                display_name: name,
                role,
                password_hash: &hash_password(password).expect("a long enough password"),
            })
            .await
            .expect("the person is added");
    }

    /// A session for `who`, asked for over the API as the app would.
    pub async fn session(&self, who: &Someone) -> String {
        let reply: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/api/v1/sessions", self.base))
            .json(&serde_json::json!({"email": who.email, "password": who.password()}))
            .send()
            .await
            .expect("the server answers")
            .json()
            .await
            .expect("a session");
        reply["token"].as_str().expect("a session token").to_owned()
    }

    /// Stops answering, as if the network were gone.
    pub async fn stop(&mut self) {
        if let Some((stop, task)) = self.running.take() {
            let _ = stop.send(());
            let _ = task.await;
        }
    }

    /// Stores another device's history of about `events` demo events
    /// (seed `seed`) through the API, as that device would have pushed it.
    /// Returns how many events it holds.
    pub async fn preload(&self, seed: u64, events: usize) -> u64 {
        self.preload_log(&DemoGenerator::generate(DemoConfig::year(seed, events)))
            .await
    }

    /// Pushes `log` to the server, in batches as a device would, and
    /// returns how many events it holds.
    pub async fn preload_log(&self, log: &[Envelope]) -> u64 {
        let client = reqwest::Client::new();
        for batch in portal_domain::recover::batches(log, 500) {
            let lines: Vec<String> = batch.iter().map(portal_sync::codec::encode).collect();
            let response = client
                .post(format!("{}/api/v1/push", self.base))
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(format!("{{\"events\":[{}]}}", lines.join(",")))
                .send()
                .await
                .expect("the server answers");
            assert!(response.status().is_success(), "the history is taken");
        }
        log.len() as u64
    }

    /// The tenant's whole log, as the server holds it.
    pub async fn pull_all(&self) -> Vec<Envelope> {
        let client = reqwest::Client::new();
        let mut events = Vec::new();
        loop {
            let page: serde_json::Value = client
                .get(format!(
                    "{}/api/v1/pull?after={}&limit=1000",
                    self.base,
                    events.len()
                ))
                .bearer_auth(TOKEN)
                .send()
                .await
                .expect("the server answers")
                .json()
                .await
                .expect("a JSON page");
            let batch = page["events"].as_array().expect("events").clone();
            events.extend(
                batch
                    .iter()
                    .map(|e| portal_sync::codec::decode(&e.to_string()).expect("a readable event")),
            );
            if !page["more"].as_bool().unwrap_or(false) {
                return events;
            }
        }
    }

    /// Answers again with the app in `dist` (another release), on the same
    /// address and with the same data.
    pub async fn switch_to(&mut self, dist: PathBuf) {
        self.stop().await;
        self.dist = dist;
        self.start().await;
    }

    /// Answers again, on the same address and with the same data.
    pub async fn start(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.address)
            .await
            .expect("the same address again");
        self.run(listener).await;
    }
}
