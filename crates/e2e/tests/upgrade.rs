//! A device that still keeps its log in the first store layout (schema 1:
//! one JSON line per event) opens this build. "Nothing lost" here: the log
//! the app then holds, and exports, begins with the old log event for event
//! (what follows is the process managers' doing), and no old record is left
//! behind to be read twice. The JSON reader the
//! migration needs is fetched for it, and only for it (ADR 18).
//!
//! And a returning user's browser across releases: each release's service
//! worker caches its own shell and drops all but the release before it.
//!
//! And earlier releases (kept built in `fixtures/`): each beside this one
//! against this server, after an event type it cannot read was written
//! (ADR 39), and a log the previous release wrote, opened by this build.

use portal_domain::demo::{DemoConfig, DemoGenerator};
use portal_domain::{process, Event, Role};
use portal_e2e::browser::Browser;
use portal_e2e::history;
use portal_e2e::server::{serve, Someone};
use portal_e2e::workspace;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Writes `lines` where the first layout kept them, as the old build did.
const CREATE_SCHEMA_1: &str = r#"
const [lines, done] = arguments;
const open = indexedDB.open("portal-ledger", 1);
open.onupgradeneeded = () => {
  open.result.createObjectStore("events");
  open.result.createObjectStore("meta");
};
open.onerror = () => done("open failed: " + open.error);
open.onsuccess = () => {
  const db = open.result;
  const tx = db.transaction("events", "readwrite");
  lines.forEach((line, key) => tx.objectStore("events").put(line, key));
  tx.oncomplete = () => { db.close(); done("written"); };
  tx.onerror = () => done("write failed: " + tx.error);
};
"#;

/// How many records the first layout's store still holds.
const COUNT_SCHEMA_1: &str = r#"
const [done] = arguments;
const open = indexedDB.open("portal-ledger");
open.onsuccess = () => {
  const db = open.result;
  const count = db.transaction("events").objectStore("events").count();
  count.onsuccess = () => { db.close(); done(count.result); };
};
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_in_the_first_layout_is_moved_whole_with_the_json_reader_fetched_for_it() {
    let served = serve(workspace().join("dist")).await;
    let artifacts = workspace().join("target/e2e-artifacts");
    let b = Browser::start(&artifacts).await;
    let old = DemoGenerator::generate(DemoConfig::year(18, 600));
    let lines: Vec<String> = old.iter().map(portal_sync::codec::encode).collect();

    // A page of the same origin that is not the app, so the old layout is
    // in place before the app first opens the database.
    b.client
        .goto(&format!("{}/sw.js", served.base))
        .await
        .expect("the origin loads");
    let written = b
        .client
        .execute_async(CREATE_SCHEMA_1, vec![serde_json::json!(lines)])
        .await
        .expect("the script runs");
    assert_eq!(written, "written");

    b.client.goto(&served.base).await.expect("the app loads");
    b.until("the old log to be moved", || async {
        (b.event_count().await >= old.len() as u64).then_some(())
    })
    .await;
    assert_eq!(
        b.fetched("/split_json-").await.len(),
        1,
        "the JSON reader is fetched to read the old layout"
    );
    let log = b.export_log().await;
    assert_eq!(log[..old.len()], old, "the old log, event for event");
    // The device adds nothing of its own to the old log: what its processes
    // owe since is the server's processors' to write (ADR 30), and comes
    // back with a pull.
    let processes = [process::EXPIRY_PROCESS, process::SURVEYS_PROCESS];
    for event in &log[old.len()..] {
        assert!(
            processes.contains(&event.actor.as_str()),
            "only processes add to the old log: {event:?}"
        );
    }

    b.client.refresh().await.expect("the app reloads");
    b.until_event_count("the log after a reload", log.len() as u64)
        .await;
    let left = b
        .client
        .execute_async(COUNT_SCHEMA_1, vec![])
        .await
        .expect("the script runs");
    assert_eq!(left, 0, "no old record is left to be moved twice");
    assert!(
        b.fetched("/split_json-").await.is_empty(),
        "with nothing left to move, the JSON reader is not fetched again"
    );
}

/// The caches this origin holds, in the order they were made.
const CACHE_NAMES: &str = r#"
const [done] = arguments;
caches.keys().then(done, (e) => done(["failed: " + e]));
"#;

/// How many requests the cache `name` holds.
const CACHE_SIZE: &str = r#"
const [name, done] = arguments;
caches.open(name).then((c) => c.keys()).then((k) => done(k.length), () => done(-1));
"#;

/// The build in `dist`, copied as the `k`th release would be shipped: the
/// same files, with an index.html that names another release (a new build's
/// does; cargo xtask post-build writes it), built a minute after the one before
/// (the browser asks for the page again with its time, and a page of the
/// same second would be answered "not modified"). Its compressed twins are
/// left out, so the server sends the page as rewritten.
fn as_release(dist: &Path, into: &Path, release: &str, k: u32) -> PathBuf {
    let out = into.join(release);
    std::fs::create_dir_all(&out).unwrap();
    for entry in std::fs::read_dir(dist).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.starts_with("index.html.") {
            continue;
        }
        std::fs::copy(&path, out.join(&name)).unwrap();
    }
    let page = std::fs::read_to_string(dist.join("index.html")).unwrap();
    let marker = r#"<meta name="release" content=""#;
    let start = page.find(marker).expect("the build names its release") + marker.len();
    let end = start + page[start..].find('"').unwrap();
    let page = format!("{}{release}{}", &page[..start], &page[end..]);
    let index = out.join("index.html");
    std::fs::write(&index, page).unwrap();
    let built = SystemTime::now() - Duration::from_secs(60 * u64::from(10 - k));
    let file = std::fs::File::options().write(true).open(&index).unwrap();
    file.set_modified(built).unwrap();
    out
}

/// Each release's service worker keeps the shell in a cache of its own and,
/// when it takes over, deletes all but the cache of the release before it
/// (a tab still open on that one may fetch a page's module from it). Three
/// releases in turn: a returning user never holds more than two, and the
/// newest works with no network, its pages included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_release_has_its_own_cache_and_only_the_one_before_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let dist = workspace().join("dist");
    let names = ["one", "two", "three"];
    let releases: Vec<PathBuf> = (0..3)
        .map(|k| as_release(&dist, dir.path(), names[k], k as u32))
        .collect();
    let mut served = serve(releases[0].clone()).await;
    let artifacts = workspace().join("target/e2e-artifacts/releases");
    let b = Browser::start(&artifacts).await;
    b.client.goto(&served.base).await.expect("the app loads");
    b.text_of(".log-ready").await;

    let caches = || async {
        let names = b.client.execute_async(CACHE_NAMES, vec![]).await.ok()?;
        serde_json::from_value::<Vec<String>>(names).ok()
    };
    let expected = [
        vec!["portal-ledger-one"],
        vec!["portal-ledger-one", "portal-ledger-two"],
        vec!["portal-ledger-two", "portal-ledger-three"],
    ];
    for (k, want) in expected.iter().enumerate() {
        if k > 0 {
            served.switch_to(releases[k].clone()).await;
            b.client.refresh().await.expect("the new release loads");
        }
        b.until(&format!("the caches of release {}", k + 1), || async {
            let controller = b
                .client
                .execute(
                    "return navigator.serviceWorker.controller?.scriptURL || ''",
                    vec![],
                )
                .await
                .ok()?;
            let controls = controller
                .as_str()
                .is_some_and(|url| url.ends_with(&format!("release={}", names[k])));
            (controls && caches().await? == *want).then_some(())
        })
        .await;
    }

    // The shell of the newest release is whole: the page, its scripts and
    // wasm, and every page's module, named in its index.html.
    let page = std::fs::read_to_string(releases[2].join("index.html")).unwrap();
    let lazy = page
        .split("name=\"lazy-modules\" content=\"")
        .nth(1)
        .unwrap();
    let modules = lazy[..lazy.find('"').unwrap()].split(' ').count();
    let held = b
        .client
        .execute_async(CACHE_SIZE, vec![serde_json::json!("portal-ledger-three")])
        .await
        .expect("the script runs");
    assert!(
        held.as_u64().unwrap() as usize > modules,
        "the cache holds the page's {modules} modules and the shell: {held}"
    );
    served.stop().await;
    b.client.refresh().await.expect("the page reloads");
    b.text_of(".log-ready").await;
    b.click("Timeline").await;
    b.text_of("#timeline-heading").await;
    b.screenshot("third-release-offline").await;
}

/// A release kept as it was shipped: see `fixtures/README.md`.
fn release(name: &str) -> PathBuf {
    workspace().join("crates/e2e/fixtures").join(name)
}

/// What the device on this build writes that a release cannot read.
#[derive(Clone, Copy)]
enum Newer {
    /// An offer (event schema 2).
    Offer,
    /// A catalogue product (event schema 3).
    CatalogueProduct,
}

/// The last release of event schema 1 (before offers), beside this build
/// that makes an offer. It only knows a sync that failed, and shows the
/// server's words, which name the type it cannot read; a reload updates it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_on_event_schema_1_is_told_to_update_and_loses_nothing() {
    two_builds("release-event-schema-1", Newer::Offer).await;
}

/// The last release of event schema 2 (offers, before the catalogue),
/// beside this build that adds a catalogue product. It knows the answer
/// and offers the reload itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_on_event_schema_2_is_told_to_update_and_loses_nothing() {
    two_builds("release-event-schema-2", Newer::CatalogueProduct).await;
}

/// Two builds side by side against this server (ADR 39): a device still
/// running an older release, with a change it has not sent, and a device
/// on this build that writes an event type the older release cannot read.
/// The older release is told, in its own sync status, to reload to update;
/// its unsent change waits, untouched, and reaches the server once the
/// reload has brought this build, which then shows the newer event.
/// "Nothing lost": the change made under the old build is on the server,
/// and every event the server holds is on that device.
async fn two_builds(fixture: &str, newer: Newer) {
    let mut served = serve(release(fixture)).await;
    let pat = Someone::new("pat@example.com", "Pat", Role::ProductOwner);
    let grace = Someone::new("grace@example.com", "Grace", Role::Developer);
    served.add(&pat).await;
    served.add(&grace).await;
    let history = served
        .preload_log(&history::free_application(grace.email, "Weather", 45))
        .await;
    let artifacts = workspace()
        .join("target/e2e-artifacts/two-builds")
        .join(fixture);
    let dirs = [artifacts.join("previous"), artifacts.join("current")];
    let (old, new) = tokio::join!(Browser::start(&dirs[0]), Browser::start(&dirs[1]));

    // Grace, on the older release, works offline-first as always: her
    // new application waits while sync is paused.
    old.client.goto(&served.base).await.expect("the app loads");
    old.text_of(".log-ready").await;
    old.sign_in(&grace).await;
    old.until_event_count("the history", history).await;
    old.click("Sync automatically").await;
    old.click("Save settings").await;
    old.until_text("Sync paused").await;
    old.click("Applications").await;
    old.create_application("Field notes").await;
    old.until_text("2 events to send").await;

    // The server is updated; Pat's device loads this build and writes
    // what the older release cannot read.
    served.switch_to(workspace().join("dist")).await;
    new.client.goto(&served.base).await.expect("the app loads");
    new.text_of(".log-ready").await;
    new.sign_in(&pat).await;
    new.until_event_count("the history", history).await;
    let unreadable = match newer {
        Newer::Offer => {
            new.click("Campaigns").await;
            new.fill("API product", "payments").await;
            new.fill("Terms of the offer", "Three months at half price")
                .await;
            new.click("Offer to Weather").await;
            new.click("Make 1 offer").await;
            new.until_text("Made 1 offer of payments.").await;
            "OFFER_MADE"
        }
        Newer::CatalogueProduct => {
            new.click("Products").await;
            new.fill("Product name", "Payments").await;
            new.fill("Summary", "Card payments and payouts.").await;
            new.click("Add to the catalogue").await;
            new.until_text("Added Payments to the catalogue.").await;
            "API_PRODUCT_INSERT"
        }
    };
    new.until("the new event to be sent", || async {
        let status = new.text_of("p.sync-status").await;
        status.contains("everything sent").then_some(())
    })
    .await;

    // Grace's page, still the older release, syncs again: it is told to
    // update, in words, and sends nothing it holds in the meantime.
    old.click("Settings").await;
    old.click("Sync automatically").await;
    old.click("Save settings").await;
    let status = old
        .until("the older release to be told to update", || async {
            let status = old.text_of("p.sync-status").await;
            status
                .contains("reload the page to update")
                .then_some(status)
        })
        .await;
    assert!(status.contains("2 events to send"), "{status}");
    old.scroll_to("body").await;
    old.screenshot("told-to-update").await;
    let before_reload = served.pull_all().await;
    assert!(
        before_reload
            .iter()
            .any(|e| e.event_type().name() == unreadable),
        "the newer event is on the server"
    );
    assert!(
        !before_reload.iter().any(|e| e.actor.as_str() == grace.email
            && e.occurred_at > chrono::Utc::now() - chrono::Duration::hours(1)),
        "nothing of Grace's new work is on the server yet"
    );

    // A reload brings this build: the change waiting is sent, and the
    // newer event shows.
    match newer {
        // The first schema's build knows only a failed sync, in the
        // server's words, which name what it cannot read.
        Newer::Offer => {
            assert!(status.contains(unreadable), "{status}");
            old.client.refresh().await.expect("the page reloads");
        }
        Newer::CatalogueProduct => old.click("Reload to update").await,
    }
    old.until("everything to be sent", || async {
        let status = old.text_of("p.sync-status").await;
        (status.contains("everything sent") && status.contains("last sync")).then_some(())
    })
    .await;
    let server = served.pull_all().await;
    assert!(
        server.iter().any(
            |e| matches!(&e.event, Event::ApplicationInsert(r) if r.name.as_str() == "Field notes")
        ),
        "the change made under the older release reached the server"
    );
    old.until_event_count("every event the server holds", server.len() as u64)
        .await;
    match newer {
        Newer::Offer => {
            old.click("Applications").await;
            old.click("Weather").await;
            old.until_text("Three months at half price").await;
            old.control("Take up the offer of payments").await;
        }
        Newer::CatalogueProduct => {
            old.click("Products").await;
            old.until_text("Card payments and payouts.").await;
        }
    }
    old.screenshot("updated").await;
}

/// A log the previous release wrote, opened by this build on the same
/// browser profile, with sync paused so that this build reads only what
/// that release stored: the same applications, and the same log, event for
/// event, in its export.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_the_previous_release_wrote_opens_in_this_build_unchanged() {
    let mut served = serve(release("release-event-schema-2")).await;
    let grace = Someone::new("grace@example.com", "Grace", Role::Developer);
    served.add(&grace).await;
    let artifacts = workspace().join("target/e2e-artifacts/previous-log");
    let b = Browser::start(&artifacts).await;
    b.client.goto(&served.base).await.expect("the app loads");
    b.text_of(".log-ready").await;
    b.sign_in(&grace).await;
    b.click("Sync automatically").await;
    b.click("Save settings").await;
    b.until_text("Sync paused").await;

    // Grace's day on the previous release.
    b.click("Applications").await;
    b.create_application("Field notes").await;
    b.click("Applications").await;
    b.create_application("Orchard").await;
    b.click("Field notes").await;
    b.add_product("maps").await;
    b.add_product("Payments").await;
    b.click("Move to the paid plan").await;
    b.until_text("on the paid plan").await;
    b.click("Applications").await;
    let listed_then = b.text_of("table.apps").await;
    let log_then = b.export_log().await;
    assert!(log_then.len() >= 10, "{} events", log_then.len());

    // This build opens the same profile.
    served.switch_to(workspace().join("dist")).await;
    b.client.refresh().await.expect("the page reloads");
    b.text_of(".log-ready").await;
    b.until_text("Sync paused").await;
    b.click("Applications").await;
    b.until_text("Orchard").await;
    assert_eq!(b.text_of("table.apps").await, listed_then);
    b.click("Field notes").await;
    b.until_text("on the paid plan").await;
    b.control("Remove Payments").await;
    b.screenshot("opened-by-this-build").await;
    assert_eq!(b.export_log().await, log_then, "the log, event for event");
}
