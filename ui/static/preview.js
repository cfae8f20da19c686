// The compose page's preview panel (ui/templates/posts/_preview.html): accessible tabs,
// one per ticked account (arrow keys, Home and End move between them, as the WAI-ARIA
// tabs pattern asks), and the chosen tab kept when htmx swaps a fresh preview in while
// the person types. Without JavaScript every account's preview is shown (nojs.css).
(function () {
  "use strict";
  var chosen = null; // the account whose preview was last chosen

  function tabsOf(list) { return Array.prototype.slice.call(list.querySelectorAll("[role='tab']")); }

  function select(tab, focus) {
    var list = tab.closest("[role='tablist']");
    if (!list) { return; }
    tabsOf(list).forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      var panel = document.getElementById(t.getAttribute("aria-controls"));
      if (panel) { panel.hidden = !on; }
    });
    chosen = tab.getAttribute("data-account");
    if (focus) { tab.focus(); }
  }

  document.addEventListener("click", function (e) {
    var tab = e.target.closest ? e.target.closest("[data-preview-tabs] [role='tab']") : null;
    if (tab) { select(tab, false); }
  });

  document.addEventListener("keydown", function (e) {
    var tab = e.target.closest ? e.target.closest("[data-preview-tabs] [role='tab']") : null;
    if (!tab) { return; }
    var tabs = tabsOf(tab.closest("[role='tablist']")), i = tabs.indexOf(tab), next = null;
    switch (e.key) {
      case "ArrowRight": case "ArrowDown": next = tabs[(i + 1) % tabs.length]; break;
      case "ArrowLeft": case "ArrowUp": next = tabs[(i - 1 + tabs.length) % tabs.length]; break;
      case "Home": next = tabs[0]; break;
      case "End": next = tabs[tabs.length - 1]; break;
      default: return;
    }
    e.preventDefault();
    select(next, true);
  });

  // A fresh preview opens on the account chosen before, while it is still ticked.
  document.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail && e.detail.target;
    if (!target || target.id !== "preview-cards" || !chosen) { return; }
    var tab = Array.prototype.find.call(target.querySelectorAll("[data-preview-tabs] [role='tab']"), function (t) {
      return t.getAttribute("data-account") === chosen;
    });
    if (tab) { select(tab, false); }
  });
})();
