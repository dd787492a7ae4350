// The station's service worker: keeps the page and its files so the station opens and scans with no
// network. Network first (a new version shows at once when online), the cache when offline. Scans are not
// handled here: the page keeps them in IndexedDB and sends them itself.

const CACHE = "ordertrail-station-v1";
const SHELL = [
  "/scan",
  "/scan/static/station.css?v=1",
  "/scan/static/station.js?v=1",
  "/scan/static/camera.js",
  "/scan/static/feedback.js",
  "/scan/static/signature.js",
  "/scan/static/store.js",
  "/scan/static/sync.js",
  "/scan/static/tracking-number.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("ordertrail-station-") && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname !== "/scan" && !url.pathname.startsWith("/scan/static/")) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        }
        return response;
      })
      .catch(() => caches.match(event.request, { ignoreSearch: url.pathname === "/scan" })),
  );
});
