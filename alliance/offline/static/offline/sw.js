// The one service worker for the whole site. The server writes SETTINGS and VERSION in above
// (alliance/offline/views.py): the offline page, the pages it may keep, the static files.
//
// What it keeps, and for whom:
// - a page only when the server marked it with the keep header (client pages meant for
//   offline reading: the safety plan, the help page, the offline page) and named in the person
//   header the same person the copy belongs to. Nothing else, ever: no staff page, no API
//   answer, no page without the mark. Everything else goes to the network untouched.
// - the static files every page needs, so a kept page looks right offline.
// A page from another person, or a signed-out page (no person header), makes it forget every
// copy first; so does the log-out button's post. When a page can't be reached it shows the
// kept copy of that page, or else the offline page.
"use strict";

const CACHE = "alliance-offline";
const OWNER = "/.offline-owner"; // a made-up address in the cache holding whose copy it is

let queue = Promise.resolve();

// One change to the cache at a time: two pages loading together must not interleave a forget.
function serial(task) {
  const run = queue.then(task);
  queue = run.catch(() => null);
  return run;
}

// The worker's own fetches, not the person's: marked, so that their answers set no cookie. One
// that left before a login and came back after it would otherwise put the old CSRF token back
// and the person's next form would be refused (alliance/offline/middleware.py).
function background(url) {
  return fetch(url, {
    credentials: "same-origin",
    cache: "no-store",
    headers: { [SETTINGS.fetchHeader]: SETTINGS.background },
  });
}

function forget() {
  return caches.keys().then((names) => Promise.all(names.map((name) => caches.delete(name))));
}

function personOf(response) {
  return response.headers.get(SETTINGS.personHeader) || "";
}

function keepable(response, person) {
  return (
    response.ok &&
    response.type === "basic" &&
    !response.redirected &&
    response.headers.get(SETTINGS.keepHeader) === SETTINGS.keep &&
    personOf(response) === person
  );
}

// Fetch the static files, the offline page and the pages meant for offline reading, keeping
// what the server marks for this person. The first of the pages (the help page) tells whether
// this person may keep any: when it comes back unmarked (staff), the others aren't asked for.
// A page no longer marked is dropped.
function fill(cache, person) {
  const page = (url) =>
    background(url).then((response) => {
      if (keepable(response, person)) return cache.put(url, response).then(() => true);
      return cache.delete(url).then(() => false);
    });
  const assets = SETTINGS.assets.map((url) =>
    fetch(url) // static files: WhiteNoise answers them before any cookie is set
      .then((response) => (response.ok ? cache.put(url, response) : null))
      .catch(() => null),
  );
  const [first, ...others] = SETTINGS.pages;
  const pages = page(first)
    // Signed out, the help page is all there is to keep.
    .then((mayKeep) => (mayKeep && person !== "" ? Promise.all(others.map(page)) : null))
    .catch(() => null);
  return Promise.all(assets.concat([page(SETTINGS.offlinePage).catch(() => null), pages]));
}

// Start afresh for `person` ("" when signed out): forget everything, then fetch again.
function startFor(person) {
  return forget()
    .then(() => caches.open(CACHE))
    .then((cache) => cache.put(OWNER, new Response(person)).then(() => fill(cache, person)));
}

function owner(cache) {
  return cache.match(OWNER).then((kept) => (kept ? kept.text() : null));
}

// A page just came from the network: whose it is, and whether it may be kept.
function learn(url, response) {
  if (response.type !== "basic") return Promise.resolve(); // a redirect: nothing to read
  const person = personOf(response);
  return serial(() =>
    caches
      .open(CACHE)
      .then((cache) => owner(cache))
      .then((known) => (known === person ? null : startFor(person)))
      .then(() => caches.open(CACHE))
      .then((cache) =>
        // Nothing kept yet for this person (the first pages after logging in may send them to
        // the second step, not to the pages asked for): try again now. Not while signed out,
        // which includes a login waiting for its code: nothing is fetched mid-login.
        cache.match(SETTINGS.offlinePage).then((kept) =>
          kept || person === "" ? cache : fill(cache, person).then(() => cache),
        ),
      )
      .then((cache) => {
        if (url.search !== "" || url.pathname === OWNER) return null;
        return keepable(response, person) ? cache.put(url.pathname, response) : cache.delete(url.pathname);
      }),
  );
}

function offline(url) {
  return caches.open(CACHE).then((cache) => {
    const own = url.search === "" && url.pathname !== OWNER;
    return (own ? cache.match(url.pathname, { ignoreVary: true }) : Promise.resolve(undefined))
      .then((kept) => kept || cache.match(SETTINGS.offlinePage, { ignoreVary: true }))
      .then((kept) => kept || Response.error());
  });
}

self.addEventListener("install", (event) => {
  // Whoever is signed in now (the offline page names them), and their copies.
  event.waitUntil(
    background(SETTINGS.offlinePage)
      .then((response) => serial(() => startFor(personOf(response))))
      .catch(() => null)
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("message", (event) => {
  if (event.data === "forget") event.waitUntil(serial(forget));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === SETTINGS.logout) {
    // Logging out removes every copy, so the next person to use this phone can't read it.
    event.waitUntil(serial(forget));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request).then(
        (response) => {
          event.waitUntil(learn(url, response.clone()));
          return response;
        },
        () => offline(url),
      ),
    );
    return;
  }
  if (SETTINGS.assets.includes(url.pathname)) {
    event.respondWith(
      fetch(request).catch(() =>
        caches.match(url.pathname).then((kept) => kept || Response.error()),
      ),
    );
  }
});
