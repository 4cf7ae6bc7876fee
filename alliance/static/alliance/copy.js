// A "Copy" button beside text a person needs to paste elsewhere (a setup key, recovery codes).
// Progressive: without this script there is no button, and the text stays selectable as is.
// Markup: <code id="x" data-copy data-copy-label="Copy" data-copied-label="Copied"
//          data-copy-value="optional text to copy instead of the element's own">
(function () {
  "use strict";

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }

  function addButton(source) {
    var button = document.createElement("button");
    var status = document.createElement("span");
    // The words come from the page, in its language: without them there is no button.
    var label = source.getAttribute("data-copy-label");
    if (!label) { return; }
    button.type = "button";
    button.className = "copy-button";
    button.textContent = label;
    status.className = "copy-status";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      var text = source.getAttribute("data-copy-value");
      if (text === null) { text = source.value !== undefined ? source.value : source.textContent; }
      copyText(text).then(function () {
        status.textContent = source.getAttribute("data-copied-label") || "";
      }, function () {
        status.textContent = source.getAttribute("data-copy-failed-label") || "";
      });
    });
    source.insertAdjacentElement("afterend", status);
    source.insertAdjacentElement("afterend", button);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-copy]").forEach(addButton);
  });
})();
