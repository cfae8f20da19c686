// The bell in the top bar (layout.html): its button opens a panel of the latest
// notifications (fetched from data-panel), and one event stream per page (data-events)
// keeps the unread count live. A boosted link swaps the whole body, bell included, so the
// handlers look the bell up each time, and the stream is kept across pages while the
// company stays the same. A rising count is announced in the polite live region
// #bell-status, which holds nothing else (never a form). Opening an unread notification
// marks it read.
(function () {
  "use strict";
  var stream = null, streamCompany = "";

  function $(id) { return document.getElementById(id); }
  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; } catch (e) { return ""; }
  }
  function current() {
    var c = $("bell-count");
    return c ? (parseInt(c.textContent, 10) || 0) : 0;
  }

  function show(n) {
    var count = $("bell-count"), name = $("bell-name"), live = $("bell-status");
    if (!count || !name) { return; }
    var was = current();
    count.textContent = String(n);
    count.hidden = n === 0;
    name.textContent = "Notifications" + (n ? ", " + n + " unread" : "");
    if (live && n > was) { live.textContent = n === 1 ? "1 unread notification" : n + " unread notifications"; }
  }

  function load() {
    var bell = $("bell"), panel = $("bell-panel");
    if (!bell || !panel || typeof htmx === "undefined") { return; }
    htmx.ajax("GET", bell.getAttribute("data-panel"), { target: "#bell-panel", swap: "innerHTML" });
  }

  function setOpen(open, focus) {
    var btn = $("bell-button"), panel = $("bell-panel");
    if (!btn || !panel) { return; }
    btn.setAttribute("aria-expanded", String(open));
    panel.hidden = !open;
    if (open) { load(); } else if (focus) { btn.focus(); }
  }
  function isOpen() {
    var btn = $("bell-button");
    return !!btn && btn.getAttribute("aria-expanded") === "true";
  }

  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!t.closest) { return; }
    if (t.closest("#bell-button")) { setOpen(!isOpen(), false); return; }
    var a = t.closest("a[data-notification-id][data-unread]");
    var bell = $("bell");
    if (a && bell) {
      var body = new URLSearchParams();
      body.append("id", a.getAttribute("data-notification-id"));
      body.append("_csrf", csrf());
      fetch(bell.getAttribute("data-read"), { method: "POST", body: body, credentials: "same-origin", keepalive: true,
        headers: { "X-CSRF-Token": csrf(), "HX-Request": "true" } });
      a.removeAttribute("data-unread");
    }
    if (isOpen() && !t.closest("#bell")) { setOpen(false, false); }
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && isOpen()) { setOpen(false, true); }
  });
  document.addEventListener("htmx:beforeHistorySave", function () { setOpen(false, false); });

  function follow() {
    var bell = $("bell");
    if (!bell) {
      if (stream) { stream.close(); stream = null; streamCompany = ""; }
      return;
    }
    var company = bell.getAttribute("data-company") || "";
    if (stream && streamCompany === company) { return; }
    if (stream) { stream.close(); }
    if (typeof EventSource === "undefined") { return; }
    streamCompany = company;
    stream = new EventSource(bell.getAttribute("data-events"));
    stream.addEventListener("change", function (e) {
      var n = parseInt(String(e.data).split(":")[0], 10);
      if (isNaN(n)) { return; }
      show(n);
      if (isOpen()) { load(); }
    });
  }
  follow();
  document.addEventListener("htmx:afterSettle", function () {
    var c = $("bell-panel-count"); // the panel just loaded knows the count: marking read lowers it at once
    if (c) { show(parseInt(c.getAttribute("data-count"), 10) || 0); c.remove(); }
    follow();
  });
  document.addEventListener("htmx:historyRestore", follow);
  window.addEventListener("pagehide", function () { if (stream) { stream.close(); stream = null; streamCompany = ""; } });
  window.addEventListener("pageshow", function (e) { if (e.persisted) { follow(); } });
})();
