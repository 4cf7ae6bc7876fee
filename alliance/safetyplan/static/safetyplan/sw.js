// Keeps the client's own safety plan and the crisis lines readable without internet.
// OFFLINE_URLS and LOGOUT_URL are written in above by the server (alliance/safetyplan/views.py).
// Only those pages are ever kept: every other request goes to the network untouched, so no
// staff page, and no other page of the client's, is stored on the device.
"use strict";

const CACHE = "alliance-safety-plan-v1";

function keep(cache, url) {
  // A page is kept only as the signed-in client saw it: not a redirect to the login page, not
  // an error. A page that now needs a login is forgotten.
  return fetch(url, { credentials: "same-origin", cache: "no-store" }).then((response) => {
    if (response.ok && !response.redirected) {
      return cache.put(url, response.clone()).then(() => response);
    }
    return cache.delete(url).then(() => response);
  });
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => Promise.all(OFFLINE_URLS.map((url) => keep(cache, url).catch(() => null))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin) return;
  if (event.request.method === "POST" && url.pathname === LOGOUT_URL) {
    // Logging out removes the copy, so the next person to use this device cannot read it.
    event.waitUntil(caches.delete(CACHE));
    return;
  }
  if (event.request.method !== "GET" || !OFFLINE_URLS.includes(url.pathname)) return;
  event.respondWith(
    caches.open(CACHE).then((cache) =>
      keep(cache, url.pathname).then(
        // A page may not answer a navigation with a redirected response: send the redirect.
        (response) => (response.redirected ? Response.redirect(response.url, 302) : response),
        () =>
          cache.match(url.pathname, { ignoreVary: true }).then((kept) => kept || Response.error()),
      ),
    ),
  );
});
