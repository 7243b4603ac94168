//! `portal-server`: serves the sync API and the built app.

use portal_server::limits::Limits;
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
    let config = match Config::from_args(std::env::args().skip(1), |k| std::env::var(k).ok()) {
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
    let state = ServerState::new(storage, config.tokens, Limits::per_second(config.rate));
    axum::serve(listener, router(state, config.dist, &config.origins))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| format!("the server stopped: {e}"))
}
