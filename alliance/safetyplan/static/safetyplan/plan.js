// The client's safety plan page: a print button, and a word about the copy on this phone.
// The service worker itself is registered by alliance.js on every page (alliance/offline).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
  const page = document.querySelector("[data-service-worker]");
  if (!page || !("serviceWorker" in navigator)) return;
  navigator.serviceWorker.ready
    .then(() => {
      const note = document.getElementById("offline-note");
      if (note) note.hidden = false;
    })
    .catch(() => {});
});
