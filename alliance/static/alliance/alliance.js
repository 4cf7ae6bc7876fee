// Small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Check-in: questions about a moment of tension are shown only once the client says there
  // was one. Without this script they are always visible (and optional), so nothing is lost.
  function updateDependents(form) {
    var blocks = form.querySelectorAll("[data-depends-on]");
    blocks.forEach(function (block) {
      var name = block.getAttribute("data-depends-on");
      var chosen = form.querySelector('input[name="' + name + '"]:checked');
      var show = chosen !== null && parseInt(chosen.value, 10) >= 1;
      block.hidden = !show;
      if (!show) {
        block.querySelectorAll("input").forEach(function (input) { input.checked = false; });
      }
    });
  }

  // The one service worker (alliance/offline): the offline page, the safety plan and the
  // crisis lines without internet. Registered once the page has loaded, so it never slows it.
  var worker = document.querySelector('meta[name="alliance-worker"]');
  if (worker && "serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register(worker.getAttribute("content"), { scope: "/" })
        .catch(function () { /* no worker (private window, switched off): pages still work */ });
    });
    // Logging out: the page tells the worker to delete every copy kept on this device (it
    // also does so when it sees the post, and when a signed-out page arrives).
    document.addEventListener("submit", function (event) {
      var action = event.target.getAttribute("action") || "";
      if (/\/logout\/$/.test(action) && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage("forget");
      }
    });
  }

  // A table wider than the screen scrolls in its own box: let the keyboard reach and scroll
  // it too, named after its caption.
  function scrollersReachable() {
    document.querySelectorAll(".table-wrap:not([tabindex])").forEach(function (wrap) {
      if (wrap.scrollWidth <= wrap.clientWidth) { return; }
      var caption = wrap.querySelector("caption");
      wrap.setAttribute("tabindex", "0");
      if (caption) {
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", caption.textContent.trim());
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.checkin");
    if (form) {
      updateDependents(form);
      form.addEventListener("change", function () { updateDependents(form); });
    }
    focusSummary();
    document.querySelectorAll("input.copy").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });
    scrollersReachable();
  });
  // A form sent back with its mistakes: the summary takes the focus, so a screen reader reads
  // it first and the keyboard starts from it. Again once the page has loaded: a form sent from
  // a page opened through the skip link comes back to the same address, ending in #main,
  // and the browser then moves the focus to the main content.
  function focusSummary() {
    var summary = document.getElementById("form-message");
    if (summary && !summary.contains(document.activeElement)) { summary.focus(); }
  }
  window.addEventListener("load", function () {
    var active = document.activeElement;
    if (!active || active === document.body || active.id === "main") { focusSummary(); }
  });
  // A phone turned on its side, a window made narrower: a table may only now be too wide.
  window.addEventListener("resize", scrollersReachable);
})();
