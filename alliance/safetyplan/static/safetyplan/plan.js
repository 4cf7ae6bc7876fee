// The client's safety plan page: a print button, and the offline copy (sw.js).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
  const page = document.querySelector("[data-service-worker]");
  if (!page || !("serviceWorker" in navigator)) return;
  navigator.serviceWorker
    .register(page.dataset.serviceWorker)
    .then(() => {
      const note = document.getElementById("offline-note");
      if (note) note.hidden = false;
    })
    .catch(() => {});
});
