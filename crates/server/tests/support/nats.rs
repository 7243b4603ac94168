//! A throwaway NATS server with JetStream on a free loopback port, its
//! store in a temporary directory, as `scripts/nats.sh` starts one: each
//! test that needs a broker gets its own, so no two share a stream.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Nats {
    pub url: String,
    pub port: u16,
    store: tempfile::TempDir,
    process: Option<Child>,
}

impl Nats {
    /// Starts one, and waits until it takes connections.
    pub async fn start() -> Nats {
        let mut nats = Nats {
            port: super::binary::free_port(),
            url: String::new(),
            store: tempfile::tempdir().expect("a directory for JetStream"),
            process: None,
        };
        nats.url = format!("nats://127.0.0.1:{}", nats.port);
        nats.run().await;
        nats
    }

    /// Starts it again on the same port and store (after [`Nats::stop`]).
    pub async fn run(&mut self) {
        let child = Command::new("nats-server")
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(self.store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts (scripts/setup.sh installs it)");
        self.process = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "nats-server takes connections"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops it (SIGKILL): the broker is away.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.stop();
    }
}
