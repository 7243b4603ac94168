//! How a simulated device reaches the server: over HTTP to the real binary
//! (the soak), or by calling the server's router in process, with no socket
//! (the convergence property test, which runs many short histories).
#![allow(dead_code)] // Each test crate uses part of it.

use axum::body::Body;
use axum::http::Request;
use portal_client::{json, CallError, Page, Placed};
use portal_domain::Envelope;
use tower::ServiceExt;

#[derive(Clone)]
pub enum SoakRemote {
    Http {
        client: reqwest::Client,
        base: String,
        token: String,
    },
    InProcess {
        router: axum::Router,
        token: String,
    },
}

impl SoakRemote {
    pub fn http(base: &str, token: &str) -> SoakRemote {
        SoakRemote::Http {
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap(),
            base: base.to_owned(),
            token: token.to_owned(),
        }
    }

    /// The same server, reached with another token.
    pub fn with_token(&self, token: &str) -> SoakRemote {
        let mut other = self.clone();
        match &mut other {
            SoakRemote::Http { token: t, .. } | SoakRemote::InProcess { token: t, .. } => {
                *t = token.to_owned()
            }
        }
        other
    }

    /// `GET path` (under the server's root): the status and the body.
    pub async fn get(&self, path: &str) -> Result<(u16, String), String> {
        self.call("GET", path, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: String) -> Result<(u16, String), String> {
        self.call("POST", path, Some(body)).await
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<(u16, String), String> {
        match self {
            SoakRemote::Http {
                client,
                base,
                token,
            } => {
                let url = format!("{base}{path}");
                let request = match body {
                    None => client.get(url),
                    Some(body) => client
                        .post(url)
                        .header("content-type", "application/json")
                        .body(body),
                };
                let response = request
                    .bearer_auth(token)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = response.status().as_u16();
                Ok((status, response.text().await.map_err(|e| e.to_string())?))
            }
            SoakRemote::InProcess { router, token } => {
                let request = Request::builder()
                    .method(method)
                    .uri(path)
                    .header("authorization", format!("Bearer {token}"))
                    .header("content-type", "application/json")
                    .body(Body::from(body.unwrap_or_default()))
                    .map_err(|e| e.to_string())?;
                let response = router
                    .clone()
                    .oneshot(request)
                    .await
                    .map_err(|e| e.to_string())?;
                let status = response.status().as_u16();
                let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
            }
        }
    }
}

/// The sync API as the client crate calls it, in the JSON forms.
impl portal_client::Remote for SoakRemote {
    async fn pull(&self, after: u64, limit: u32) -> Result<Page, CallError> {
        let (status, text) = self
            .get(&format!("/api/v1/pull?after={after}&limit={limit}"))
            .await
            .map_err(CallError::Unreachable)?;
        if status != 200 {
            return Err(json::refusal(status, &text, None));
        }
        json::read_pull(&text)
    }

    async fn push(&self, events: &[Envelope]) -> Result<Vec<Placed>, CallError> {
        let (status, text) = self
            .post("/api/v1/push", json::push_body(events))
            .await
            .map_err(CallError::Unreachable)?;
        if status != 200 {
            return Err(json::refusal(status, &text, None));
        }
        json::read_push(&text)
    }
}
