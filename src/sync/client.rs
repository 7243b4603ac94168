//! The server's calls over `fetch`: the browser's `portal_client::Remote`.

use super::settings::Settings;
use gloo_net::http::{Request, RequestBuilder, Response};
use portal_client::{json, CallError, Page, Placed};
use portal_domain::Envelope;
use portal_sync::{batch, page};
use std::future::Future;
use std::pin::Pin;

/// Reads a JSON page; `None` when the code that reads JSON could not be
/// fetched (ADR 18). Handed in, so that this module does not reach the
/// modules loaded on demand.
pub type PageReader = fn(String) -> PageRead;

/// The page read by a [`PageReader`], once it is.
pub type PageRead = Pin<Box<dyn Future<Output = Option<Result<Page, CallError>>>>>;

pub struct FetchRemote {
    settings: Settings,
    read_json: PageReader,
}

impl FetchRemote {
    pub fn new(settings: Settings, read_json: PageReader) -> Self {
        FetchRemote {
            settings,
            read_json,
        }
    }

    fn authorized(&self, request: RequestBuilder) -> RequestBuilder {
        request.header(
            "authorization",
            &format!("Bearer {}", self.settings.token.trim()),
        )
    }
}

fn unreachable(e: gloo_net::Error) -> CallError {
    CallError::Unreachable(e.to_string())
}

async fn check(response: Response) -> Result<Response, CallError> {
    if response.ok() {
        return Ok(response);
    }
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.parse().ok());
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    Err(json::refusal(status, &text, retry_after))
}

impl portal_client::Remote for FetchRemote {
    /// Asked for in the binary form, which reads several times faster; a
    /// server that does not write this build's schema answers JSON.
    async fn pull(&self, after: u64, limit: u32) -> Result<Page, CallError> {
        let url = format!("{}/pull?after={after}&limit={limit}", self.settings.api());
        let response = self
            .authorized(Request::get(&url))
            .header(
                "accept",
                &format!("{}, application/json;q=0.5", page::content_type()),
            )
            .send()
            .await
            .map_err(unreachable)?;
        let response = check(response).await?;
        let binary = response
            .headers()
            .get("content-type")
            .is_some_and(|t| t.starts_with(page::MEDIA_TYPE));
        if binary {
            let bytes = response.binary().await.map_err(unreachable)?;
            page::decode(&bytes).map_err(|e| CallError::Server(format!("an unreadable page: {e}")))
        } else {
            let text = response.text().await.map_err(unreachable)?;
            (self.read_json)(text).await.unwrap_or_else(|| {
                Err(CallError::Unreachable(
                    "the JSON page reader could not be fetched".into(),
                ))
            })
        }
    }

    /// Sent as a binary batch, which the browser writes without building
    /// JSON. A server that does not take this build's batches (an older
    /// one, or one of another event schema) answers 415, whatever its body,
    /// and gets the same batch as JSON, which every server reads.
    async fn push(&self, events: &[Envelope]) -> Result<Vec<Placed>, CallError> {
        let url = format!("{}/push", self.settings.api());
        let binary = self
            .authorized(Request::post(&url))
            .header("content-type", &batch::content_type())
            .body(js_sys::Uint8Array::from(batch::encode(events).as_slice()))
            .map_err(unreachable)?
            .send()
            .await
            .map_err(unreachable)?;
        let response = if binary.status() == 415 {
            self.authorized(Request::post(&url))
                .header("content-type", "application/json")
                .body(json::push_body(events))
                .map_err(unreachable)?
                .send()
                .await
                .map_err(unreachable)?
        } else {
            binary
        };
        let text = check(response).await?.text().await.map_err(unreachable)?;
        json::read_push(&text)
    }
}
