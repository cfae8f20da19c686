// Reuse: the composer's "Insert snippet" list (templates/snippets/_insert.html). Loaded
// from /static (the CSP forbids inline scripts). Without it the list still shows every
// snippet's text, to copy by hand.
(function () {
  "use strict";

  // The text boxes a snippet can go into: the post's text, a variant, the first comment.
  var TARGETS = "form#compose textarea#content, form#compose textarea[data-variant], form#compose textarea#first_comment, " +
    "form#compose textarea[data-variant-comment]";
  var last = null; // the text box focused last, and where its caret was

  function isTarget(el) { return el && el.matches && el.matches(TARGETS); }

  function remember(el) {
    last = { el: el, start: el.selectionStart, end: el.selectionEnd };
  }

  document.addEventListener("focusin", function (e) { if (isTarget(e.target)) { remember(e.target); } });
  document.addEventListener("selectionchange", function () {
    if (isTarget(document.activeElement)) { remember(document.activeElement); }
  });
  ["keyup", "mouseup", "select", "input"].forEach(function (type) {
    document.addEventListener(type, function (e) { if (isTarget(e.target)) { remember(e.target); } }, true);
  });

  // insert puts text into field at [start, end), with a space on either side where it
  // would otherwise run into a word, and leaves the caret after it.
  function insert(field, text, start, end) {
    var v = field.value;
    start = Math.max(0, Math.min(start, v.length));
    end = Math.max(start, Math.min(end, v.length));
    var before = v.slice(0, start), after = v.slice(end);
    if (before && !/\s$/.test(before)) { text = " " + text; }
    if (after && !/^\s/.test(after)) { text = text + " "; }
    field.value = before + text + after;
    var caret = before.length + text.length;
    field.focus();
    field.setSelectionRange(caret, caret);
    remember(field);
    field.dispatchEvent(new Event("input", { bubbles: true })); // recount, re-preview
  }

  document.addEventListener("click", function (e) {
    var btn = e.target.closest ? e.target.closest("[data-snippet-insert]") : null;
    if (!btn) { return; }
    e.preventDefault();
    var item = btn.closest("[data-snippet-item]");
    var content = item ? item.querySelector("[data-snippet-content]") : null;
    if (!content) { return; }
    var field = last && document.contains(last.el) ? last.el : document.querySelector("form#compose textarea#content");
    if (!field) { return; }
    var start = field === (last && last.el) ? last.start : field.value.length;
    var end = field === (last && last.el) ? last.end : field.value.length;
    insert(field, content.textContent, start, end);
    var status = document.getElementById("snippet-status");
    if (status) { status.textContent = "Inserted " + (item.getAttribute("data-name") || "the snippet") + "."; }
  });

  // The search box narrows the list to snippets whose name or text holds every word.
  document.addEventListener("input", function (e) {
    if (!e.target.matches || !e.target.matches("[data-snippet-search]")) { return; }
    var panel = e.target.closest("[data-snippet-insert-panel]");
    var words = e.target.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    panel.querySelectorAll("[data-snippet-item]").forEach(function (li) {
      var hay = (li.getAttribute("data-name") + " " + li.querySelector("[data-snippet-content]").textContent).toLowerCase();
      var ok = words.every(function (w) { return hay.indexOf(w) >= 0; });
      li.hidden = !ok;
      if (ok) { shown++; }
    });
    var none = panel.querySelector("#snippet-none");
    if (none) { none.hidden = shown > 0; }
  });

  // Enter in the search box inserts the first match instead of sending the post.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || !e.target.matches || !e.target.matches("[data-snippet-search]")) { return; }
    e.preventDefault();
    var panel = e.target.closest("[data-snippet-insert-panel]");
    var first = Array.prototype.find.call(panel.querySelectorAll("[data-snippet-item]"), function (li) { return !li.hidden; });
    if (first) { first.querySelector("[data-snippet-insert]").click(); }
  });

  // The controls that need this script are hidden until it runs.
  function init(root) {
    if (root && root.querySelectorAll) { root.querySelectorAll("[data-snippet-js]").forEach(function (el) { el.hidden = false; }); }
  }
  init(document);
  document.addEventListener("htmx:load", function (e) { init(e.target); });
})();
