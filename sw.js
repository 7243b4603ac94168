// Portal Ledger's service worker: keeps the app shell (the page, its script,
// its wasm and its styles) so the portal opens and works with no network.
// The event log lives in IndexedDB and syncs by itself; the API is never
// cached here.
//
// Each release registers its own worker (index.html adds the release to this
// script's URL), and keeps its shell in a cache of its own: the files of
// older releases never pile up in one cache.
const PREFIX = "portal-ledger-";
const RELEASE = new URL(self.location.href).searchParams.get("release") || "dev";
const CACHE = PREFIX + RELEASE;

// The shell is whatever the current index.html names: Trunk gives its
// files content hashes, so a new build brings new names.
async function shellUrls() {
  const response = await fetch("/index.html", { cache: "no-store" });
  const html = await response.text();
  const urls = new Set(["/", "/index.html"]);
  for (const match of html.matchAll(/(?:href|src)="(\/[^"]+)"/g)) urls.add(match[1]);
  for (const match of html.matchAll(/'(\/[^']+\.(?:js|wasm))'/g)) urls.add(match[1]);
  // The pages' own modules, loaded on demand (cargo xtask post-build lists them).
  const lazy = html.match(/<meta name="lazy-modules" content="([^"]*)"/);
  for (const url of lazy ? lazy[1].split(" ") : []) if (url) urls.add(url);
  return [...urls];
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(await shellUrls());
      await self.skipWaiting();
    })()
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      // Caches are listed in the order they were made: the last other one
      // is the release before this one. It stays, for a tab still running
      // it that opens a page whose module it has not fetched yet.
      const others = (await caches.keys()).filter((name) => name !== CACHE);
      const before = others.filter((name) => name.startsWith(PREFIX)).pop();
      for (const name of others) {
        if (name !== before) await caches.delete(name);
      }
      await self.clients.claim();
    })()
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) return;
  if (event.request.mode === "navigate") {
    // Pages: the network when it answers (a new build), else the shell.
    event.respondWith(
      (async () => {
        try {
          const response = await fetch(event.request);
          // Only the page itself: an error page must not replace the shell.
          if (response.ok) {
            const cache = await caches.open(CACHE);
            await cache.put("/index.html", response.clone());
          }
          return response;
        } catch {
          return (await caches.match("/index.html", { ignoreVary: true })) || Response.error();
        }
      })()
    );
    return;
  }
  // Hashed assets never change: the cache first, then the network.
  event.respondWith(
    (async () => {
      // The server's CORS layer marks answers `Vary: Origin`; the files are
      // the same whoever asks.
      const cached = await caches.match(event.request, { ignoreVary: true });
      if (cached) return cached;
      const response = await fetch(event.request);
      if (response.ok) {
        const cache = await caches.open(CACHE);
        await cache.put(event.request, response.clone());
      }
      return response;
    })()
  );
});
