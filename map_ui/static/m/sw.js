/* Service worker for /m: keeps the page shell (HTML, JS, CSS, Leaflet) so it opens offline.
 * API calls are never cached here: the outbox in IndexedDB handles them. */
"use strict";

const CACHE = "wangge-m-shell-v4";
const SHELL = [
  "/m",
  "/m/manifest.webmanifest",
  "/static/m/app.js",
  "/static/common.js",
  "/static/datum.js",
  "/static/basemap.js",
  "/static/m/outbox_view.js",
  "/static/m/queue.js",
  "/static/m/m.css",
  "/static/m/icon.svg",
  "/vendor/leaflet/dist/leaflet.js",
  "/vendor/leaflet/dist/leaflet.css",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

// the shared browser modules the page imports (outside /static/m/)
const SHARED_MODULES = ["/static/common.js", "/static/datum.js", "/static/basemap.js"];

function isShell(url) {
  return url.origin === self.location.origin &&
    (url.pathname === "/m" || url.pathname.startsWith("/static/m/") ||
     SHARED_MODULES.includes(url.pathname) ||
     url.pathname === "/m/manifest.webmanifest" ||
     url.pathname.startsWith("/vendor/leaflet/dist/"));
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || !isShell(url)) return; // the network, untouched
  // Network first (fresh code when online), the cached shell when offline.
  event.respondWith(
    fetch(event.request)
      .then((resp) => {
        if (resp.ok) {
          const copy = resp.clone();
          caches.open(CACHE).then((c) => c.put(event.request, copy));
        }
        return resp;
      })
      .catch(() => caches.match(event.request, { ignoreSearch: true }))
  );
});
