//! The release build as `cargo xtask post-build` leaves it in `dist/`: what
//! the service worker keeps for offline use is every script and module the
//! build holds, each file exists, compiles or runs, and each compressed
//! twin is the file itself. "Nothing lost" here: no page of the portal can
//! need a file that the worker did not keep, or that the server would send
//! as something else.

use portal_e2e::browser::Browser;
use portal_e2e::server::serve;
use portal_e2e::workspace;
use std::collections::BTreeSet;
use std::io::Read;

/// What the service worker keeps, as paths, once it has installed.
const KEPT: &str = r#"
const [done] = arguments;
(async () => {
  const registration = await navigator.serviceWorker.ready;
  const release = document.querySelector('meta[name="release"]').content;
  for (let i = 0; i < 200 && !(await caches.has("portal-ledger-" + release)); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const cache = await caches.open("portal-ledger-" + release);
  const keys = await cache.keys();
  done({ scope: registration.scope, kept: keys.map((k) => new URL(k.url).pathname) });
})().catch((e) => done({ error: String(e) }));
"#;

/// Whether the file at `path` loads as what it is: a wasm module compiles,
/// a script is imported, a style sheet is sent as one.
const LOADS: &str = r#"
const [path, done] = arguments;
(async () => {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) return done("status " + response.status);
  if (path.endsWith(".wasm")) {
    await WebAssembly.compile(await response.arrayBuffer());
  } else if (path.endsWith(".js") && path !== "/sw.js") {
    await import(path);
  } else if (path.endsWith(".css")) {
    const type = response.headers.get("content-type") || "";
    if (!type.startsWith("text/css")) return done("sent as " + type);
  }
  done("loads");
})().catch((e) => done(String(e)));
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_worker_keeps_every_file_of_the_build_and_each_one_loads() {
    let dist = workspace().join("dist");
    let served = serve(dist.clone()).await;
    let artifacts = workspace().join("target/e2e-artifacts/release");
    let b = Browser::start(&artifacts).await;
    b.client.goto(&served.base).await.expect("the app loads");
    b.text_of(".log-ready").await;

    let answer = b
        .client
        .execute_async(KEPT, vec![])
        .await
        .expect("the script runs");
    assert!(answer.get("error").is_none(), "{answer}");
    let kept: BTreeSet<String> = serde_json::from_value(answer["kept"].clone()).unwrap();

    // Every script and module the build holds is kept (sw.js is the worker
    // itself, which the browser keeps).
    let mut built = BTreeSet::new();
    for entry in std::fs::read_dir(&dist).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let shipped = [".wasm", ".js", ".css"].iter().any(|e| name.ends_with(e));
        if shipped && name != "sw.js" {
            built.insert(format!("/{name}"));
        }
    }
    let missing: Vec<_> = built.difference(&kept).collect();
    assert!(missing.is_empty(), "the worker does not keep {missing:?}");
    let pages = kept.iter().filter(|p| p.starts_with("/split_")).count();
    assert!(pages >= 10, "the pages' modules are kept: {kept:?}");

    for path in &kept {
        if path == "/" {
            continue;
        }
        let file = dist.join(path.trim_start_matches('/'));
        let bytes = std::fs::read(&file).unwrap_or_else(|_| panic!("{path} is in the build"));
        let loads = b
            .client
            .execute_async(LOADS, vec![serde_json::json!(path)])
            .await
            .expect("the script runs");
        assert_eq!(loads, "loads", "{path}");

        let mut gz = Vec::new();
        let twin = std::fs::read(format!("{}.gz", file.display())).unwrap();
        flate2::read::GzDecoder::new(&twin[..])
            .read_to_end(&mut gz)
            .unwrap();
        assert!(gz == bytes, "{path}.gz is {path}");
        let mut br = Vec::new();
        let twin = std::fs::read(format!("{}.br", file.display())).unwrap();
        brotli::Decompressor::new(&twin[..], 4096)
            .read_to_end(&mut br)
            .unwrap();
        assert!(br == bytes, "{path}.br is {path}");
    }
    b.screenshot("release-shell-kept").await;
}
