// The calendar as a workspace: drag a post to another day (month: keeping its time of
// day) or hour (week: keeping its minutes), move it with the Move dialog from the keyboard,
// click an empty day or hour to write a post due then, and keep the week view's working
// hours in view. Loaded from /static (the CSP forbids inline scripts). Without it the
// calendar still shows everything; Move opens the post, whose page can reschedule it.
(function () {
  "use strict";

  var dragging = null; // the drag under way: {entry, from, next, ghost, startX, startY, moved, pointer}
  var justDragged = false;

  function calendar() { return document.getElementById("calendar"); }

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; } catch (e) { return ""; }
  }

  function say(msg, problem) {
    var status = document.getElementById("cal-status");
    if (!status) { return; }
    status.textContent = msg;
    status.classList.toggle("problem", !!problem);
  }

  // focusPost is the post whose entry keeps the focus across refreshes (the live one that
  // follows a move included) while nothing else took it.
  var focusPost = null;
  function refocus() {
    if (!focusPost) { return; }
    var active = document.activeElement;
    if (active && active !== document.body && document.body.contains(active)) { return; }
    var el = document.querySelector('#calendar .cal-post[data-post="' + CSS.escape(focusPost) + '"] .cal-open');
    if (el) { el.focus(); }
  }
  document.addEventListener("htmx:afterSettle", refocus);
  document.addEventListener("focusin", function (e) {
    var entry = e.target.closest ? e.target.closest("#calendar .cal-post") : null;
    if (!entry || entry.getAttribute("data-post") !== focusPost) { focusPost = null; }
  });

  // refresh fetches the calendar again into #calendar, then focuses the entry of post, if any.
  function refresh(post) {
    var cal = calendar();
    if (!cal || typeof htmx === "undefined") { location.reload(); return Promise.resolve(); }
    return htmx.ajax("GET", cal.getAttribute("data-self"), { target: "#calendar", select: "#calendar", swap: "outerHTML" }).then(function () {
      if (!post) { return; }
      var moved = document.querySelector('#calendar .cal-post[data-post="' + CSS.escape(post) + '"] .cal-open');
      if (moved) { moved.focus(); }
    });
  }

  // move asks the server to move entry to at ("YYYY-MM-DDTHH:MM", the viewer's zone).
  // undo puts the entry back where it was when the server refuses.
  function move(entry, at, undo) {
    var post = entry.getAttribute("data-post");
    var body = new URLSearchParams();
    body.set("at", at);
    body.set("version", entry.getAttribute("data-version"));
    entry.classList.add("cal-saving");
    return fetch(entry.getAttribute("data-move"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "HX-Request": "true", "X-CSRF-Token": csrf(), "Content-Type": "application/x-www-form-urlencoded" }
    }).then(function (res) {
      var plain = (res.headers.get("Content-Type") || "").indexOf("text/plain") === 0;
      return res.text().then(function (text) {
        entry.classList.remove("cal-saving");
        if (res.ok) {
          say(text, false);
          return refresh(post).then(function () { return true; });
        }
        if (undo) { undo(); }
        if (res.status === 412) {
          say(text || "This post changed meanwhile; reloaded.", true);
          return refresh(post).then(function () { return false; });
        }
        if (res.status === 404) {
          say("This post is no longer there; reloaded.", true);
          return refresh().then(function () { return false; });
        }
        say(plain && text ? text : "The post could not be moved (error " + res.status + ").", true);
        return false;
      });
    }, function () {
      entry.classList.remove("cal-saving");
      if (undo) { undo(); }
      say("The post could not be moved: Herald could not be reached.", true);
      return false;
    });
  }

  // targetAt is the time a drop on slot gives entry: the slot's day at the entry's time of
  // day (a month's day), or the slot's hour at the entry's minutes (a week's hour).
  function targetAt(entry, slot) {
    var time = entry.getAttribute("data-time") || "09:00";
    if (slot.hasAttribute("data-slot")) {
      return slot.getAttribute("data-slot").slice(0, 14) + time.slice(3, 5);
    }
    return slot.getAttribute("data-date") + "T" + time;
  }

  function slotAt(x, y) {
    var el = document.elementFromPoint(x, y);
    var slot = el && el.closest ? el.closest("#calendar [data-drop]") : null;
    return slot;
  }

  function clearOver() {
    document.querySelectorAll("#calendar .drop-over").forEach(function (el) { el.classList.remove("drop-over"); });
  }

  document.addEventListener("pointerdown", function (e) {
    if (e.button !== 0 || dragging) { return; }
    var entry = e.target.closest ? e.target.closest("#calendar .cal-post[data-movable]") : null;
    if (!entry || e.target.closest(".cal-move")) { return; }
    var cal = calendar();
    if (!cal || cal.getAttribute("data-view") === "list") { return; }
    dragging = { entry: entry, from: entry.parentNode, next: entry.nextSibling, startX: e.clientX, startY: e.clientY, moved: false, pointer: e.pointerId };
  });

  document.addEventListener("pointermove", function (e) {
    if (!dragging || e.pointerId !== dragging.pointer) { return; }
    var dx = e.clientX - dragging.startX, dy = e.clientY - dragging.startY;
    if (!dragging.moved) {
      if (Math.abs(dx) + Math.abs(dy) < 6) { return; }
      dragging.moved = true;
      var r = dragging.entry.getBoundingClientRect();
      var ghost = dragging.entry.cloneNode(true);
      ghost.removeAttribute("data-post");
      ghost.classList.add("cal-ghost");
      ghost.setAttribute("aria-hidden", "true");
      ghost.querySelectorAll("a").forEach(function (a) { a.setAttribute("tabindex", "-1"); });
      ghost.style.width = r.width + "px";
      ghost.style.left = r.left + "px";
      ghost.style.top = r.top + "px";
      document.body.appendChild(ghost);
      dragging.ghost = ghost;
      dragging.entry.classList.add("cal-dragging");
      document.documentElement.classList.add("cal-drag-active");
    }
    e.preventDefault();
    dragging.ghost.style.transform = "translate(" + dx + "px, " + dy + "px)";
    clearOver();
    var slot = slotAt(e.clientX, e.clientY);
    if (slot) { slot.classList.add("drop-over"); }
  });

  function endDrag(e, cancel) {
    if (!dragging || (e && e.pointerId !== dragging.pointer)) { return; }
    var d = dragging;
    dragging = null;
    clearOver();
    document.documentElement.classList.remove("cal-drag-active");
    if (!d.moved) { return; }
    justDragged = true;
    setTimeout(function () { justDragged = false; }, 0);
    if (d.ghost) { d.ghost.remove(); }
    d.entry.classList.remove("cal-dragging");
    var slot = cancel ? null : slotAt(e.clientX, e.clientY);
    if (!slot) { return; }
    var at = targetAt(d.entry, slot);
    var was = d.entry.getAttribute("data-date") + "T" + d.entry.getAttribute("data-time");
    if (at === was) { return; }
    var list = slot.querySelector(".cal-posts");
    if (!list) {
      list = document.createElement("ul");
      list.className = "cal-posts";
      slot.appendChild(list);
    }
    list.appendChild(d.entry);
    move(d.entry, at, function () { d.from.insertBefore(d.entry, d.next && d.next.parentNode === d.from ? d.next : null); });
  }
  document.addEventListener("pointerup", function (e) { endDrag(e, false); });
  document.addEventListener("pointercancel", function (e) { endDrag(e, true); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && dragging) {
      var d = dragging;
      endDrag({ pointerId: d.pointer }, true);
    }
  });

  // A drag ends with a click on the entry's link: it must not open the post.
  document.addEventListener("click", function (e) {
    if (justDragged && e.target.closest && e.target.closest("#calendar")) {
      e.preventDefault();
      e.stopPropagation();
    }
  }, true);

  // The live refresh never replaces the calendar under a drag.
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (dragging && dragging.moved && e.detail && e.detail.target && e.detail.target.id === "calendar") { e.detail.shouldSwap = false; }
  });

  // Click an empty part of a day or an hour: write a post due then.
  document.addEventListener("click", function (e) {
    if (e.defaultPrevented || !e.target.closest) { return; }
    var slot = e.target.closest("#calendar [data-new]");
    if (!slot || e.target.closest("a, button, .cal-post, input, select")) { return; }
    location.assign(slot.getAttribute("data-new"));
  });

  // The Move dialog: the keyboard's (and anyone's) way to give a post another time.
  var opener = null, opening = false;
  document.addEventListener("click", function (e) {
    var btn = e.target.closest ? e.target.closest("#calendar [data-move-open]") : null;
    var dialog = document.getElementById("cal-move-dialog");
    if (!btn || !dialog || typeof dialog.showModal !== "function") { return; }
    // Before htmx's boosted-link handler, which would follow the link.
    e.preventDefault();
    e.stopPropagation();
    var entry = btn.closest(".cal-post");
    opener = entry;
    var form = dialog.querySelector("form");
    form.setAttribute("action", entry.getAttribute("data-move"));
    form.elements.version.value = entry.getAttribute("data-version");
    dialog.querySelector("#cal-move-date").value = entry.getAttribute("data-date");
    dialog.querySelector("#cal-move-time").value = entry.getAttribute("data-time");
    var line = entry.querySelector(".cal-line");
    dialog.querySelector("#cal-move-what").textContent = (line ? line.textContent : "") + " — now " + entry.getAttribute("data-date") + " " + entry.getAttribute("data-time");
    var err = dialog.querySelector("#cal-move-error");
    err.hidden = true;
    err.textContent = "";
    // Opened by Enter: the same key press must not also send the form from the field that
    // now has the focus. It may once the key is up.
    opening = e.detail === 0;
    dialog.showModal();
    dialog.querySelector("#cal-move-date").focus();
  }, true);
  document.addEventListener("keyup", function () { opening = false; });

  function closeDialog(dialog, focusBack) {
    dialog.close();
    if (focusBack && opener && document.body.contains(opener)) {
      var a = opener.querySelector(".cal-move") || opener.querySelector(".cal-open");
      if (a) { a.focus(); }
    }
  }

  document.addEventListener("click", function (e) {
    if (e.target.id === "cal-move-cancel") { closeDialog(document.getElementById("cal-move-dialog"), true); }
  });

  document.addEventListener("submit", function (e) {
    if (e.target.id !== "cal-move-form") { return; }
    e.preventDefault();
    if (opening) { return; }
    var dialog = document.getElementById("cal-move-dialog");
    var date = dialog.querySelector("#cal-move-date").value, time = dialog.querySelector("#cal-move-time").value;
    var err = dialog.querySelector("#cal-move-error");
    if (!date || !time) {
      err.textContent = "Give the date and the time.";
      err.hidden = false;
      return;
    }
    var entry = opener;
    if (!entry || !document.body.contains(entry)) {
      entry = document.querySelector('#calendar .cal-post[data-move="' + CSS.escape(e.target.getAttribute("action")) + '"]');
    }
    if (!entry) { closeDialog(dialog, false); return; }
    var submit = dialog.querySelector("#cal-move-submit");
    submit.disabled = true;
    var post = entry.getAttribute("data-post");
    move(entry, date + "T" + time.slice(0, 5), null).then(function (ok) {
      submit.disabled = false;
      var status = document.getElementById("cal-status");
      if (ok || !status || !status.classList.contains("problem") || /reloaded/.test(status.textContent)) {
        closeDialog(dialog, false);
        // Closing gives the focus back to where the dialog was opened, which the refresh
        // replaced: the post's new entry takes it.
        var moved = document.querySelector('#calendar .cal-post[data-post="' + CSS.escape(post) + '"] .cal-open');
        if (moved) { moved.focus(); }
        focusPost = post;
        return;
      }
      err.textContent = status.textContent;
      err.hidden = false;
    });
  }, true);

  // The week view opens on the working day, not at midnight.
  function scrollToWork(root) {
    var box = root && root.querySelector ? root.querySelector("#cal-scroll") : null;
    if (!box || box.getAttribute("data-scrolled")) { return; }
    var row = box.querySelector("#cal-hour-" + parseInt(box.getAttribute("data-first-hour") || "8", 10));
    if (row) { box.scrollTop = row.offsetTop - box.querySelector(".cal-colhead").offsetHeight; }
    box.setAttribute("data-scrolled", "");
  }
  function init(root) { scrollToWork(root); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  document.addEventListener("htmx:load", function (e) { init(e.target.parentNode || e.target); });
  // A refresh keeps where the person had scrolled the week to.
  var kept = null;
  document.addEventListener("htmx:beforeSwap", function (e) {
    var box = document.getElementById("cal-scroll");
    kept = box && e.detail && e.detail.target && e.detail.target.id === "calendar" ? { top: box.scrollTop, left: box.scrollLeft } : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    var box = document.getElementById("cal-scroll");
    if (box && kept) { box.scrollTop = kept.top; box.scrollLeft = kept.left; box.setAttribute("data-scrolled", ""); }
    kept = null;
  });
})();
