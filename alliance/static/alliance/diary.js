// Diary card autosave. The page works without this file: "Save draft" and "Done for today"
// are ordinary form buttons. With it, the answers are saved as a draft a moment after each
// change, and kept in this browser until the server has them, so a lost connection or an
// expired login loses nothing: they come back the next time the page opens, and are saved then.
// "Done for today" pressed while offline keeps the card on this device, marked to send, and
// sends it when the connection is back (the online event, or the next time the page opens),
// with the form's own token: the server saves a card sent twice with one token once.
(function () {
  "use strict";

  var DELAY_MS = 1500;
  var KEEP_DAYS = 9; // the card can be changed for 8 days; a little longer, then tidy up
  var SKIP = { csrfmiddlewaretoken: true, form_token: true, day: true, action: true };

  var form = document.querySelector("form.diary-card");
  if (!form || !window.fetch || !window.FormData || !window.JSON) { return; }
  var status = document.getElementById("diary-status");
  var prefix = "alliance-diary:" + form.getAttribute("data-owner") + ":";
  var key = prefix + form.getAttribute("data-day");
  var timer = null;
  var inFlight = false;
  var again = false;
  var pending = null; // the form token of a card waiting on this device to be sent
  var sending = false;
  var says = {};
  Array.prototype.forEach.call(document.querySelectorAll("[data-diary-says]"), function (el) {
    says[el.getAttribute("data-diary-says")] = el.textContent.trim();
  });

  function say(text) { if (status) { status.textContent = text; } }

  // What to say comes from the page (data-say-* on the status line), already in the reader's
  // language; "{time}" and "{reason}" in it are filled in here.
  function words(name, fill) {
    var text = (status && status.getAttribute("data-say-" + name)) || "";
    Object.keys(fill || {}).forEach(function (slot) {
      text = text.split("{" + slot + "}").join(fill[slot]);
    });
    return text;
  }

  function store(method, name, value) {
    // Private browsing or a full disk can refuse localStorage; the form still works without it.
    try { return window.localStorage[method](name, value); } catch (e) { return null; }
  }

  function answers() {
    var out = {};
    new FormData(form).forEach(function (value, name) {
      if (SKIP[name]) { return; }
      (out[name] = out[name] || []).push(String(value));
    });
    return out;
  }

  function keep() {
    var entry = { base: form.getAttribute("data-version"), at: Date.now(), answers: answers() };
    if (pending) { entry.send = pending; }
    store("setItem", key, JSON.stringify(entry));
    return JSON.stringify(entry.answers);
  }

  function kept() {
    var raw = store("getItem", key);
    if (!raw) { return null; }
    try { return JSON.parse(raw); } catch (e) { return null; }
  }

  function restore(saved) {
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || SKIP[field.name] || field.type === "submit") { return; }
      var values = saved[field.name] || [];
      if (field.type === "radio" || field.type === "checkbox") {
        field.checked = values.indexOf(field.value) !== -1;
      } else {
        field.value = values.length ? values[0] : "";
      }
    });
  }

  function tidy() {
    var cutoff = Date.now() - KEEP_DAYS * 24 * 3600 * 1000;
    var names = [];
    for (var i = 0; i < window.localStorage.length; i++) {
      var name = window.localStorage.key(i);
      if (name && name.indexOf(prefix) === 0) { names.push(name); }
    }
    names.forEach(function (name) {
      try {
        if (JSON.parse(store("getItem", name)).at < cutoff) { store("removeItem", name); }
      } catch (e) { store("removeItem", name); }
    });
  }

  function save() {
    if (inFlight) { again = true; return; }
    var snapshot = keep();
    inFlight = true;
    fetch(form.getAttribute("data-draft-url"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      redirect: "manual", // a login page instead of JSON means the login has expired
      headers: { Accept: "application/json" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (response.status === 400 && type.indexOf("application/json") === 0) {
        // The server read the answers and says why it can't keep them (a day out of reach,
        // care that has ended): that is what the client needs to hear, not "offline".
        return response.json().then(function (body) {
          var refused = new Error("refused");
          refused.said = body.message;
          throw refused;
        });
      }
      if (!response.ok || type.indexOf("application/json") !== 0) {
        throw new Error(response.type === "opaqueredirect" ? "login" : String(response.status));
      }
      return response.json();
    }).then(function (body) {
      form.setAttribute("data-version", body.version);
      if (pending) {
        keep(); // a card waiting to be sent stays marked to send, against the new version
        say(says.kept);
        return;
      }
      if (JSON.stringify(answers()) === snapshot) {
        store("removeItem", key);
      } else {
        keep(); // changed while saving: keep the newer answers against the new version
      }
      var sent = form.getAttribute("data-sent") === "1";
      say(words(sent ? "saved-sent" : "saved", { time: body.saved_at }));
    }).catch(function (error) {
      if (pending) { say(says.kept); return; }
      if (error.message === "refused" && error.said) {
        say(words("refused", { reason: error.said }));
        return;
      }
      say(words(error.message === "login" || error.message === "403" ? "login" : "offline"));
    }).then(function () {
      inFlight = false;
      if (again) { again = false; schedule(); }
    });
  }

  function formToken() {
    var field = form.querySelector('input[name="form_token"]');
    return field ? field.value : "";
  }

  // Send a card that waited on this device, as "Done for today" would.
  function send() {
    if (sending || !pending) { return; }
    sending = true;
    window.clearTimeout(timer);
    var body = new FormData(form);
    body.set("action", "submit");
    body.set("form_token", pending);
    say(says.sending);
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "manual",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") !== 0) {
        throw new Error(response.type === "opaqueredirect" || response.status === 403 ? "login" : "network");
      }
      return response.json().then(function (reply) {
        if (reply.sent) {
          pending = null;
          store("removeItem", key);
          window.location.assign(reply.url);
          return;
        }
        // Refused: the server says why and keeps the answers as a draft; they stay here too,
        // no longer marked to send, so nothing is sent again without the client.
        pending = null;
        keep();
        say(says.refused + " " + reply.message + " " + says["still-here"]);
      });
    }).catch(function (error) {
      say(error.message === "login" ? says.login : says.kept);
    }).then(function () { sending = false; });
  }

  function schedule() {
    keep();
    window.clearTimeout(timer);
    timer = window.setTimeout(save, DELAY_MS);
  }

  function scheduleUnlessSending() { if (!pending) { schedule(); } else { keep(); } }

  form.addEventListener("change", scheduleUnlessSending);
  form.addEventListener("input", scheduleUnlessSending);
  form.addEventListener("submit", function (event) {
    window.clearTimeout(timer);
    var done = !event.submitter || event.submitter.value === "submit";
    if (done) { pending = formToken(); }
    // If the send fails on the way, the answers come back next time, still marked to send.
    keep();
    if (done && navigator.onLine === false) {
      // No connection: the page would be lost to an error. Keep the card and wait instead.
      event.preventDefault();
      say(says.kept);
    }
  });
  window.addEventListener("online", function () {
    if (pending) { send(); } else if (kept()) { save(); }
  });

  try { tidy(); } catch (e) { /* no localStorage here: nothing to tidy */ }
  var saved = kept();
  if (saved && saved.answers) {
    if (saved.base === form.getAttribute("data-version") && saved.send) {
      // "Done for today" was pressed and the card never reached the server: send it now.
      pending = saved.send;
      restore(saved.answers);
      if (navigator.onLine === false) { say(says.waiting); } else { send(); }
    } else if (saved.base === form.getAttribute("data-version")) {
      restore(saved.answers);
      say(words("restored"));
      save();
    } else {
      // The card changed on the server since (another device, or it was sent): that wins.
      store("removeItem", key);
      saved = null;
    }
  }
  if (!(saved && saved.answers) && touched()) {
    // This script loads after the page shows: a quick tap (or the browser putting back what
    // was typed before a reload) can change the card before the listeners above were there.
    schedule();
  }

  function touched() {
    return Array.prototype.some.call(form.elements, function (field) {
      if (!field.name || SKIP[field.name] || field.type === "submit") { return false; }
      if (field.type === "radio" || field.type === "checkbox") {
        return field.checked !== field.defaultChecked;
      }
      if (field.options) {
        return Array.prototype.some.call(field.options, function (option) {
          return option.selected !== option.defaultSelected;
        });
      }
      return field.value !== field.defaultValue;
    });
  }
})();
