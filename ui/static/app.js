// Herald's only script besides htmx. Loaded from /static (the CSP forbids inline scripts).
(function () {
  "use strict";
  // A <select data-autosubmit> submits its form as soon as a choice is made (the company
  // switcher); the form also has a submit button for people without JavaScript.
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) {
      if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); }
    }
  });
  // Forms with data-confirm ask first (htmx's hx-confirm covers htmx-driven elements).
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); e.stopImmediatePropagation(); }
  }, true);
})();
