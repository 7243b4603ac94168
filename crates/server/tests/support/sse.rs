//! A live subscription (`GET /api/v1/events`) read as it arrives.

use super::http::TestApp;
use portal_domain::Envelope;
use reqwest::StatusCode;
use std::time::Duration;

/// A subscription's events as they arrive: (id, envelope).
pub struct Subscription {
    pub response: reqwest::Response,
    text: String,
}

impl Subscription {
    pub async fn open(app: &TestApp, token: &str, query: &str, last_id: Option<u64>) -> Self {
        let mut request = app
            .client
            .get(format!("{}/api/v1/events{query}", app.base))
            .bearer_auth(token);
        if let Some(id) = last_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        Subscription {
            response,
            text: String::new(),
        }
    }

    /// The next `n` events, waiting at most a few seconds for them.
    pub async fn next(&mut self, n: usize) -> Vec<(u64, Envelope)> {
        let mut events = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while events.len() < n {
            events.extend(self.take_events());
            if events.len() >= n {
                break;
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .unwrap_or_else(|_| panic!("{} of {n} events arrived", events.len()))
                .unwrap()
                .expect("the stream goes on");
            self.text.push_str(std::str::from_utf8(&chunk).unwrap());
        }
        events
    }

    /// Everything that arrives until the stream ends (its server went) or
    /// nothing comes for a few seconds.
    pub async fn drain(&mut self) -> Vec<(u64, Envelope)> {
        while let Ok(Ok(Some(chunk))) =
            tokio::time::timeout(Duration::from_secs(3), self.response.chunk()).await
        {
            self.text.push_str(std::str::from_utf8(&chunk).unwrap());
        }
        self.take_events()
    }

    /// The whole events read so far, taken out of the text.
    fn take_events(&mut self) -> Vec<(u64, Envelope)> {
        let mut events = Vec::new();
        while let Some(end) = self.text.find("\n\n") {
            let block: String = self.text.drain(..end + 2).collect();
            let id = block
                .lines()
                .find_map(|l| l.strip_prefix("id:"))
                .map(|v| v.trim().parse::<u64>().unwrap());
            let data = block.lines().find_map(|l| l.strip_prefix("data:"));
            if let (Some(id), Some(data)) = (id, data) {
                events.push((id, portal_sync::codec::decode(data.trim()).unwrap()));
            }
        }
        events
    }

    /// Nothing more arrives for a while.
    pub async fn quiet(&mut self) {
        let more = tokio::time::timeout(Duration::from_millis(700), self.response.chunk()).await;
        if let Ok(Ok(Some(chunk))) = more {
            let text = String::from_utf8_lossy(&chunk);
            assert!(
                !text.contains("data:"),
                "nothing more was to arrive: {text}"
            );
        }
    }
}
