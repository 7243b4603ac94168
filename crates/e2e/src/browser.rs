//! Headless Chromium over WebDriver, and the ways a person finds things on
//! a page: a control by its accessible name, text on the page.

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// How long a step may take before the journey fails.
pub const PATIENCE: Duration = Duration::from_secs(60);

pub struct Browser {
    pub client: Client,
    _driver: Child,
    /// A profile of the browser's own, deleted with it; `None` when the
    /// test keeps the profile to open it again (see `start_in`).
    _profile: Option<tempfile::TempDir>,
    pub downloads: PathBuf,
    artifacts: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// An XPath string literal for `text` (which may hold either quote).
fn literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else {
        let parts: Vec<String> = text.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

/// Controls whose accessible name (`aria-label`, else their text) is `name`.
pub(crate) fn named(name: &str) -> String {
    let n = literal(name);
    format!(
        "//*[self::button or self::a or self::input or self::select or self::summary]\
         [(@aria-label={n}) or (not(@aria-label) and normalize-space(.)={n})]"
    )
}

impl Drop for Browser {
    /// Ends chromedriver and every Chromium process it started, also when a
    /// test fails halfway: a browser left running keeps the app's timers and
    /// sync loop going, and slows every later test and benchmark.
    fn drop(&mut self) {
        self.kill_processes();
    }
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a fresh profile,
    /// saving downloads and screenshots where the test can find them.
    pub async fn start(artifacts: &Path) -> Browser {
        let profile = tempfile::tempdir().expect("a temporary profile");
        let mut browser = Self::start_in(artifacts, profile.path()).await;
        browser._profile = Some(profile);
        browser
    }

    /// Like `start`, with the profile (and so the site's storage) in
    /// `profile`, which outlives the browser: a later browser started in
    /// the same directory opens the same IndexedDB.
    pub async fn start_in(artifacts: &Path, profile: &Path) -> Browser {
        Self::launch(artifacts, profile, &[]).await
    }

    /// Like `start`, with Chromium's memory figures made exact and a full
    /// garbage collection offered to the page as `gc()`, for benchmarks
    /// that read how much memory a page keeps.
    pub async fn start_measuring(artifacts: &Path) -> Browser {
        let profile = tempfile::tempdir().expect("a temporary profile");
        let mut browser = Self::launch(
            artifacts,
            profile.path(),
            &["--js-flags=--expose-gc", "--enable-precise-memory-info"],
        )
        .await;
        browser._profile = Some(profile);
        browser
    }

    async fn launch(artifacts: &Path, profile: &Path, extra_args: &[&str]) -> Browser {
        let driver_path = std::env::var("CHROMEDRIVER").unwrap_or("/usr/bin/chromedriver".into());
        let port = free_port();
        // A process group of its own, which Chromium's processes join, so
        // that dropping the browser ends all of them (see `Drop`).
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let downloads = profile.join("downloads");
        std::fs::create_dir_all(&downloads).expect("a downloads directory");
        std::fs::create_dir_all(artifacts).expect("an artifacts directory");
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,900",
        ]
        .iter()
        .chain(extra_args)
        .map(|a| a.to_string())
        .collect();
        args.push(format!(
            "--user-data-dir={}",
            profile.join("chrome").display()
        ));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "args": args,
                "prefs": {
                    "download.default_directory": downloads.display().to_string(),
                    "download.prompt_for_download": false,
                },
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) if started.elapsed() < Duration::from_secs(20) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("no WebDriver session: {e}"),
            }
        };
        Browser {
            client,
            _driver: driver,
            _profile: None,
            downloads,
            artifacts: artifacts.to_owned(),
        }
    }

    /// Kills the browser as a crash would (SIGKILL to every process), with
    /// whatever it was doing left unfinished.
    pub fn kill(mut self) {
        self.kill_processes();
    }

    fn kill_processes(&mut self) {
        if let Some(pid) = self._driver.id() {
            // The shell's own `kill` takes a negative id: the whole group.
            let _ = std::process::Command::new("sh")
                .args(["-c", &format!("kill -9 -{pid}")])
                .status();
        }
    }

    /// Waits for `what` to become true, failing the journey after [`PATIENCE`].
    pub async fn until<T, F>(&self, what: &str, check: impl FnMut() -> F) -> T
    where
        F: std::future::Future<Output = Option<T>>,
    {
        self.until_for(PATIENCE, what, check).await
    }

    /// The same, for work known to take longer (a million events), failing
    /// after `patience`.
    pub async fn until_for<T, F>(
        &self,
        patience: Duration,
        what: &str,
        mut check: impl FnMut() -> F,
    ) -> T
    where
        F: std::future::Future<Output = Option<T>>,
    {
        let started = Instant::now();
        loop {
            if let Some(found) = check().await {
                return found;
            }
            if started.elapsed() > patience {
                let _ = self.screenshot("failure").await;
                // What the page said, so that a failure on a machine whose
                // screenshots are gone still says what was shown instead.
                let text = self.page_text().await;
                panic!("gave up waiting for {what}; the page said:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The enabled, visible control named `name`.
    pub async fn control(&self, name: &str) -> Element {
        let xpath = named(name);
        self.until(&format!("a control named {name:?}"), || async {
            for element in self.client.find_all(Locator::XPath(&xpath)).await.ok()? {
                let enabled = element.is_enabled().await.unwrap_or(false);
                if enabled && element.is_displayed().await.unwrap_or(false) {
                    return Some(element);
                }
            }
            None
        })
        .await
    }

    /// Whether a visible control named `name` is on the page now.
    pub async fn shows_control(&self, name: &str) -> bool {
        let found = self.client.find_all(Locator::XPath(&named(name))).await;
        for element in found.unwrap_or_default() {
            if element.is_displayed().await.unwrap_or(false) {
                return true;
            }
        }
        false
    }

    pub async fn click(&self, name: &str) {
        self.control(name)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {name:?}: {e}"));
    }

    /// Replaces the text of the field named `name`.
    /// If the page redraws the field meanwhile (another tab changed what it
    /// shows), the new field is filled, as a person would type again.
    pub async fn fill(&self, name: &str, text: &str) {
        for _ in 0..3 {
            let field = self.control(name).await;
            let typed = async {
                field.clear().await?;
                field.send_keys(text).await?;
                // Leaving the field commits it, as a person's next click would.
                field.send_keys("\u{e004}").await
            };
            match typed.await {
                Ok(()) => return,
                Err(e) if e.to_string().contains("stale element") => continue,
                Err(e) => panic!("typing into {name:?}: {e}"),
            }
        }
        panic!("the field {name:?} kept being redrawn");
    }

    /// Picks the option labelled `label` in the select named `name`.
    pub async fn choose(&self, name: &str, label: &str) {
        let select = self.control(name).await;
        select
            .select_by_label(label)
            .await
            .unwrap_or_else(|e| panic!("choosing {label:?} in {name:?}: {e}"));
    }

    /// Creates an application owned by whoever is signed in, from the
    /// applications page, as a person would, and waits until the page says so.
    pub async fn create_application(&self, name: &str) {
        // The form stays unfolded after a creation: unfold it only if not.
        if !self.shows_control("Application name").await {
            self.click("Create an application").await;
        }
        self.fill("Application name", name).await;
        self.click("Create application").await;
        self.until_text("Application created.").await;
    }

    /// Adds `product` on the application page shown, as a person would,
    /// and waits until the page offers to remove it.
    pub async fn add_product(&self, product: &str) {
        self.fill("API product to add", product).await;
        self.click("Add product").await;
        self.control(&format!("Remove {product}")).await;
    }

    /// Leaves `who` signed in, with `token`, in the app's preferences at
    /// `base`, as a returning user's browser holds them, before the app is
    /// first opened (so that a measurement of its start is of the start
    /// alone). Signing in itself goes through the page in [`Self::sign_in`].
    pub async fn remember_session(&self, base: &str, who: &crate::server::Someone, token: &str) {
        // A page of the same origin that is not the app.
        self.client
            .goto(&format!("{base}/sw.js"))
            .await
            .expect("the origin loads");
        let prefs = serde_json::json!({
            "portal-ledger.sync.token": token,
            "portal-ledger.sync.person.email": who.email,
            "portal-ledger.sync.person.name": who.name,
            "portal-ledger.sync.person.role": who.role.as_str(),
        });
        self.client
            .execute(
                "for (const [k, v] of Object.entries(arguments[0])) \
                 localStorage.setItem(k, JSON.stringify(v));",
                vec![prefs],
            )
            .await
            .expect("the preferences are kept");
    }

    /// Signs `who` in on the Settings page, as a person would, and waits
    /// until the page says so. The app stays on the Settings page.
    pub async fn sign_in(&self, who: &crate::server::Someone) {
        self.click("Settings").await;
        self.fill("Email", who.email).await;
        self.fill("Password", &who.password()).await;
        self.click("Sign in").await;
        self.until_text(&format!("Signed in as {}.", who.name))
            .await;
    }

    /// Scrolls the first element `css` selects into view, for a screenshot
    /// of it.
    pub async fn scroll_to(&self, css: &str) {
        self.client
            .execute(
                "document.querySelector(arguments[0]).scrollIntoView()",
                vec![css.into()],
            )
            .await
            .unwrap_or_else(|e| panic!("scrolling to {css}: {e}"));
    }

    pub async fn page_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until the device follows the server's live subscription (its
    /// status line says "live", ADR 31).
    pub async fn until_live(&self) {
        self.until("the live subscription", || async {
            self.text_of("p.sync-status")
                .await
                .contains("· live ·")
                .then_some(())
        })
        .await
    }

    /// Waits until the page says `text`.
    pub async fn until_text(&self, text: &str) {
        self.until(&format!("the page to say {text:?}"), || async {
            self.page_text().await.contains(text).then_some(())
        })
        .await
    }

    /// The text of the first element matching `css`, once there is one.
    pub async fn text_of(&self, css: &str) -> String {
        self.until(css, || async {
            let element = self.client.find(Locator::Css(css)).await.ok()?;
            element.text().await.ok()
        })
        .await
    }

    /// A property of the first element matching `css` (such as `value`),
    /// once there is one: a page may still be drawing it.
    pub async fn property(&self, css: &str, name: &str) -> String {
        let element = self
            .until(css, || async {
                self.client.find(Locator::Css(css)).await.ok()
            })
            .await;
        element.prop(name).await.ok().flatten().unwrap_or_default()
    }

    /// How many events the status line says the log holds.
    pub async fn event_count(&self) -> u64 {
        let status = self.text_of(".log-ready").await;
        status
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no count in {status:?}"))
    }

    /// Waits until the status line counts at least `events` events; `what`
    /// names the wait in the failure message.
    pub async fn until_event_count(&self, what: &str, events: u64) {
        // At least: the server's processors may add to a history the test
        // put there (its credentials that expired since, ADR 30).
        self.until(what, || async {
            (self.event_count().await >= events).then_some(())
        })
        .await
    }

    /// The files the page has fetched so far whose names contain `part`.
    pub async fn fetched(&self, part: &str) -> Vec<String> {
        let names = self
            .client
            .execute(
                "return performance.getEntriesByType('resource').map(e => e.name)",
                vec![],
            )
            .await
            .expect("the script runs");
        names
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|n| n.as_str())
            .filter(|n| n.contains(part))
            .map(str::to_owned)
            .collect()
    }

    /// The bytes that came over the network for the first file fetched whose
    /// name contains `part`, and the bytes it holds once decoded.
    pub async fn transferred(&self, part: &str) -> (u64, u64) {
        let sizes = self
            .client
            .execute(
                "const e = performance.getEntriesByType('resource')
                   .find(e => e.name.includes(arguments[0]));
                 return e ? [e.encodedBodySize, e.decodedBodySize] : null;",
                vec![json!(part)],
            )
            .await
            .expect("the script runs");
        let size = |i: usize| {
            sizes[i]
                .as_u64()
                .unwrap_or_else(|| panic!("no {part} fetched"))
        };
        (size(0), size(1))
    }

    /// The log as the Data page exports it.
    pub async fn export_log(&self) -> Vec<portal_domain::Envelope> {
        let file = self.downloads.join("portal-ledger.ndjson");
        let _ = std::fs::remove_file(&file);
        self.click("Data").await;
        self.click("Export the log (NDJSON)").await;
        self.until("the export to be saved", || async {
            let complete = std::fs::metadata(&file).is_ok_and(|m| m.len() > 0)
                && !self
                    .downloads
                    .join("portal-ledger.ndjson.crdownload")
                    .exists();
            complete.then_some(())
        })
        .await;
        let text = std::fs::read_to_string(&file).expect("the export reads");
        portal_sync::decode_ndjson(&text).expect("the export decodes")
    }

    /// Runs `script` in every page this browser opens from now on, before
    /// the page's own scripts (Chromium's DevTools protocol, through
    /// chromedriver).
    pub async fn before_each_page(&self, script: &str) {
        self.client
            .issue_cmd(DevTools {
                method: "Page.addScriptToEvaluateOnNewDocument",
                params: json!({ "source": script }),
            })
            .await
            .expect("chromedriver runs the DevTools command");
    }

    /// Saves the page as `<name>.png` among the test's artifacts.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("a screenshot");
        let path = self.artifacts.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("the screenshot is saved");
        path
    }
}

/// A DevTools protocol command, sent through chromedriver's own endpoint.
#[derive(Debug)]
struct DevTools {
    method: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for DevTools {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.method, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}
