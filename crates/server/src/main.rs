//! `portal-server`: serves the sync API and the built app.

use portal_server::limits::Limits;
use portal_server::sessions::SignIn;
use portal_server::storage::{Database, Storage};
use portal_server::{router, Config, ServerState};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info")),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("users") {
        let env = |k: &str| std::env::var(k).ok();
        if let Err(message) = portal_server::cli::users(args.into_iter().skip(1), env).await {
            eprintln!("portal-server: {message}");
            std::process::exit(1);
        }
        return;
    }
    let config = match Config::from_args(args, |k| std::env::var(k).ok()) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("portal-server: {message}");
            std::process::exit(2);
        }
    };
    if let Err(message) = run(config).await {
        eprintln!("portal-server: {message}");
        std::process::exit(1);
    }
}

async fn run(config: Config) -> Result<(), String> {
    if let Database::Sqlite(path) = &config.database {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
    }
    let storage = Storage::open(&config.database)
        .await
        .map_err(|e| format!("cannot open {}: {e}", config.database))?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    tracing::info!(
        address = %config.listen,
        database = %config.database,
        app = ?config.dist,
        "serving"
    );
    let state = ServerState::new(storage, config.tokens, Limits::per_second(config.rate))
        .with_sign_in(SignIn::new(config.session));
    if let Some(url) = &config.nats_url {
        let broker = portal_server::broker::Broker::connect(url).await?;
        state.judges.publish_to(broker);
        tracing::info!(
            stream = portal_server::broker::STREAM,
            "publishing every event to NATS"
        );
    }
    // Every tenant's processors start now, and first write what fell due
    // while the server was down.
    let started = state.judges.start_all().await?;
    tracing::info!(tenants = started, "processors running");
    let judges = state.judges.clone();
    // The peer's address limits failed sign-ins per address.
    let app = router(state, config.dist, &config.origins)
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            // Open subscriptions would keep the server from stopping.
            judges.heads().close();
        })
        .await
        .map_err(|e| format!("the server stopped: {e}"))
}
