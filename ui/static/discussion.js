// A post's thread (ui/templates/posts/_discussion.html): the comment form is emptied once
// htmx has added the comment to the list, and typing @ in it suggests the company's
// members (a listbox: arrows move, Enter or Tab inserts, Escape closes). The list of
// comments refreshes live by itself (app.js); this never touches it. The review-link panel
// selects the new link's address when it gets focus, to copy it.
(function () {
  "use strict";

  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.target;
    if (!form || form.id !== "comment-form" || !e.detail.successful) { return; }
    form.reset();
    var box = form.querySelector("textarea");
    if (box) { box.focus(); }
  });

  document.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("[data-select-on-focus]")) { e.target.select(); }
  });

  function membersOf(box) {
    try { return JSON.parse(box.getAttribute("data-mentions") || "[]"); } catch (err) { return []; }
  }

  // The @word being typed before the caret, or null.
  function pending(box) {
    var upto = box.value.slice(0, box.selectionStart);
    var m = /(^|[^\w.\-@])@([^\s@]{0,40})$/.exec(upto);
    return m ? { start: upto.length - m[2].length - 1, text: m[2] } : null;
  }

  function listOf(box) { return document.getElementById(box.getAttribute("aria-controls")); }

  function close(box) {
    var list = listOf(box);
    if (list) { list.hidden = true; list.innerHTML = ""; }
    box.removeAttribute("aria-activedescendant");
  }

  function choose(box, li) {
    var at = pending(box);
    if (!at || !li) { close(box); return; }
    var text = "@" + li.getAttribute("data-insert") + " ";
    var before = box.value.slice(0, at.start), after = box.value.slice(box.selectionStart);
    box.value = before + text + after;
    var caret = before.length + text.length;
    box.setSelectionRange(caret, caret);
    close(box);
  }

  function show(box) {
    var list = listOf(box), at = pending(box);
    if (!list || !at) { close(box); return; }
    var q = at.text.toLowerCase();
    var found = membersOf(box).filter(function (m) {
      return m.name.toLowerCase().indexOf(q) === 0 || m.handle.toLowerCase().indexOf(q) === 0;
    }).slice(0, 8);
    if (!found.length) { close(box); return; }
    list.innerHTML = "";
    found.forEach(function (m, i) {
      var li = document.createElement("li");
      li.id = "mention-option-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === 0 ? "true" : "false");
      // A name with a space would end the mention early in plain text readers' eyes, but
      // Herald matches whole names; insert the name when it is one word, else the handle.
      li.setAttribute("data-insert", /\s/.test(m.name) ? m.handle : m.name);
      li.textContent = m.name;
      if (m.handle !== m.name) {
        var s = document.createElement("small");
        s.textContent = "@" + m.handle;
        li.appendChild(s);
      }
      li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(box, li); });
      list.appendChild(li);
    });
    list.hidden = false;
    box.setAttribute("aria-activedescendant", "mention-option-0");
  }

  function move(box, by) {
    var list = listOf(box);
    var items = Array.prototype.slice.call(list.querySelectorAll("[role='option']"));
    var i = items.findIndex(function (li) { return li.getAttribute("aria-selected") === "true"; });
    var next = (i + by + items.length) % items.length;
    items.forEach(function (li, k) { li.setAttribute("aria-selected", k === next ? "true" : "false"); });
    box.setAttribute("aria-activedescendant", items[next].id);
    items[next].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("input", function (e) {
    if (e.target.matches && e.target.matches("textarea[data-mentions]")) { show(e.target); }
  });

  document.addEventListener("keydown", function (e) {
    var box = e.target;
    if (!box.matches || !box.matches("textarea[data-mentions]")) { return; }
    var list = listOf(box);
    if (!list || list.hidden) { return; }
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      move(box, e.key === "ArrowDown" ? 1 : -1);
    } else if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      choose(box, list.querySelector("[aria-selected='true']"));
    } else if (e.key === "Escape") {
      e.preventDefault();
      close(box);
    }
  });

  document.addEventListener("focusout", function (e) {
    if (e.target.matches && e.target.matches("textarea[data-mentions]")) { close(e.target); }
  });
})();
