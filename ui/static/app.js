// Herald's only script besides htmx. Loaded from /static (the CSP forbids inline scripts).
// Every page works without it; it adds conveniences on top.
(function () {
  "use strict";

  // The browser's time zone goes to the server in the herald_tz cookie, so times are shown
  // in it until the person picks one on their profile page.
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var m = document.cookie.match(/(?:^|;\s*)herald_tz=([^;]*)/);
    if (tz && /^[A-Za-z0-9_+\-\/]{1,64}$/.test(tz) && (!m || m[1] !== tz)) {
      document.cookie = "herald_tz=" + tz + "; Path=/; Max-Age=31536000; SameSite=Lax" +
        (location.protocol === "https:" ? "; Secure" : "");
    }
  } catch (e) { /* no Intl: the server shows UTC */ }

  // The sidebar's Menu button (phones) opens the sidebar as a drawer and closes it; Escape
  // or a click beside the drawer closes it, and Escape gives the focus back to the button.
  // A boosted link swaps the body, so the next page starts with the drawer closed. The
  // person menu in the top bar is a <details>: Escape and a click elsewhere close it too.
  function setMenu(btn, open) {
    var menu = document.getElementById(btn.getAttribute("aria-controls"));
    btn.setAttribute("aria-expanded", String(open));
    if (menu) { menu.classList.toggle("open", open); }
  }
  function closePersonMenu(focus) {
    var pm = document.getElementById("person-menu");
    if (pm && pm.open) {
      pm.open = false;
      if (focus) { pm.querySelector("summary").focus(); }
      return true;
    }
    return false;
  }
  document.addEventListener("click", function (e) {
    var btn = e.target.closest ? e.target.closest("#menu-button") : null;
    if (btn) { setMenu(btn, btn.getAttribute("aria-expanded") !== "true"); return; }
    var open = document.getElementById("menu-button");
    if (open && open.getAttribute("aria-expanded") === "true" && !e.target.closest("#site-menu")) {
      setMenu(open, false);
    }
    if (!e.target.closest("#person-menu")) { closePersonMenu(false); }
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") { return; }
    if (closePersonMenu(true)) { return; }
    var btn = document.getElementById("menu-button");
    if (btn && btn.getAttribute("aria-expanded") === "true") {
      setMenu(btn, false);
      btn.focus();
    }
  });

  // htmx keeps a copy of the page for the back button: keep it with the menus closed.
  document.addEventListener("htmx:beforeHistorySave", function () {
    var btn = document.getElementById("menu-button");
    if (btn) { setMenu(btn, false); }
    closePersonMenu(false);
  });

  // A <select data-autosubmit> submits its form as soon as a choice is made (the company
  // switcher); the form also has a submit button for people without JavaScript.
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) {
      if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); }
    }
  });
  // A button with data-copy="#field" copies that field's value (an invitation link) to the
  // clipboard; without JavaScript the read-only field can be selected and copied by hand.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("button[data-copy]");
    if (!btn) { return; }
    var field = document.querySelector(btn.getAttribute("data-copy"));
    if (!field) { return; }
    field.select();
    var done = function () { btn.textContent = "Copied"; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });
  // Forms with data-confirm ask first (htmx's hx-confirm covers htmx-driven elements).
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); e.stopImmediatePropagation(); }
  }, true);

  // Compose: a live character count per platform and the platform rules each ticked account
  // would break, recomputed while typing from the rules the page embeds as JSON. The
  // server checks the same rules with domain.CheckRules when the form is sent.
  var word = /[\p{L}\p{Nd}\p{Mn}_]/u;

  // countRunes counts Unicode code points, as the platforms (and Go's utf8) do.
  function countRunes(s) { return Array.from(s).length; }

  // hashtags mirrors domain.Hashtags: '#' at the start or after a non-word character,
  // followed by letters, digits, combining marks or underscores.
  function hashtags(text) {
    var r = Array.from(text), tags = [];
    for (var i = 0; i < r.length; i++) {
      if (r[i] !== "#" || (i > 0 && word.test(r[i - 1]))) { continue; }
      var j = i + 1;
      while (j < r.length && word.test(r[j])) { j++; }
      if (j > i + 1) { tags.push(r.slice(i + 1, j).join("")); }
      i = j - 1;
    }
    return tags;
  }

  // mediaKind mirrors domain.KindOfMedia: the extension of the address's path.
  function mediaKind(rules, raw) {
    var p;
    try { p = decodeURIComponent(new URL(raw).pathname); } catch (e) { p = raw.split(/[?#]/)[0]; }
    var slash = p.lastIndexOf("/"), dot = p.lastIndexOf(".");
    if (dot <= slash) { return "unknown"; }
    return rules.media_kinds[p.slice(dot).toLowerCase()] || "unknown";
  }

  function thousands(n) { return n.toLocaleString("en-US"); }

  // check mirrors domain.CheckRules and returns every rule broken, as sentences, for text
  // and media (the kind of each item, in order: "image", "video" or "unknown"). With
  // quiet, the rules an empty post breaks (no text, no media) are left out: nobody needs
  // them before they have started writing or tried to send the form.
  function check(rules, platform, text, media, quiet) {
    var r = rules.platforms[platform];
    if (!r) { return ["Herald cannot publish to " + platform]; }
    var problems = [], name = r.name, n = countRunes(text), tags = hashtags(text).length;
    if (r.max_runes > 0 && n > r.max_runes) {
      problems.push("is " + thousands(n) + " characters long; " + name + " allows " + thousands(r.max_runes));
    }
    if (r.max_hashtags > 0 && tags > r.max_hashtags) {
      problems.push("has " + tags + " hashtags; " + name + " allows " + r.max_hashtags);
    }
    if (text.trim() === "" && media.length === 0 && !quiet) { problems.push("is empty: write something or attach media"); }
    if (r.media_required && media.length === 0 && !quiet) {
      problems.push(r.video_required ? "needs a video: " + name + " does not publish text alone"
        : "needs at least one image or video: " + name + " does not publish text alone");
    }
    if (r.max_media > 0 && media.length > r.max_media) {
      problems.push("has " + media.length + " media items; " + name + " allows " + r.max_media);
    }
    var videos = media.filter(function (kind) { return kind === "video"; }).length;
    if (r.max_videos > 0 && videos > r.max_videos) {
      problems.push("has " + videos + " videos; " + name + " takes " + r.max_videos);
    } else if (r.video_alone && videos > 0 && media.length > 1) {
      problems.push("has a video with other media; " + name + " publishes a video on its own");
    }
    media.forEach(function (kind, i) {
      if (r.video_required && i === 0 && kind !== "video") {
        problems.push("needs a video (.mp4, .mov, .m4v or .webm); " + name + " publishes videos only");
      } else if (kind === "video" && !r.allows_video) {
        problems.push("media " + (i + 1) + " is a video; " + name + " takes images only");
      } else if (kind === "image" && !r.allows_images) {
        problems.push("media " + (i + 1) + " is an image; " + name + " takes videos only");
      }
    });
    return problems;
  }

  function text(tag, s, cls) {
    var el = document.createElement(tag);
    el.textContent = s;
    if (cls) { el.className = cls; }
    return el;
  }

  function updateCompose(form) {
    var blob = document.getElementById("platform-rules");
    if (!blob) { return; }
    var rules;
    try { rules = JSON.parse(blob.textContent); } catch (e) { return; }
    var content = (form.querySelector("[data-compose-text]") || {value: ""}).value.trim();
    var mediaField = form.querySelector("[data-compose-media]");
    var media = (mediaField ? mediaField.value : "").split("\n")
      .map(function (l) { return l.trim(); }).filter(function (l) { return l !== ""; });
    var urlKinds = media.map(function (m) { return mediaKind(rules, m); });
    // The library files chosen (media.js keeps the row), before the addresses, as
    // domain.Post.MediaKindsFor counts them; an account with its own takes those ticked.
    var library = Array.prototype.map.call(form.querySelectorAll("#chosen-media li[data-kind]"), function (li) { return li.getAttribute("data-kind"); });
    var kindsFor = function (id) {
      var own = Array.prototype.find.call(form.querySelectorAll("input[data-own-media]"), function (b) { return b.value === id; });
      if (!own || !own.checked) { return library.concat(urlKinds); }
      var box = form.querySelector("[data-variant-choices='" + CSS.escape(id) + "']");
      var mine = box ? Array.prototype.map.call(box.querySelectorAll("input:checked"), function (c) { return c.getAttribute("data-kind"); }) : [];
      return mine.concat(urlKinds);
    };
    var counters = form.querySelector("#platform-counters");
    var warnings = form.querySelector("#rule-warnings");
    var ok = form.querySelector("#rules-ok");
    var seen = {}, anyTicked = false;
    var quiet = !form.hasAttribute("data-sent") && !form.hasAttribute("data-typed");
    var blank = content === "" && media.length === 0 && library.length === 0;
    if (counters) { counters.replaceChildren(); }
    if (warnings) { warnings.replaceChildren(); }

    form.querySelectorAll("input[name='account_ids']").forEach(function (box) {
      var id = box.value, platform = box.getAttribute("data-platform"), r = rules.platforms[platform];
      var details = form.querySelector("[data-variant-for='" + id + "']");
      var variantField = form.querySelector("[data-variant='" + id + "']");
      var variant = variantField ? variantField.value.trim() : "";
      var counter = form.querySelector("[data-counter-for='" + id + "']");
      if (details) { details.hidden = !box.checked; }
      if (counter && r) {
        var vn = countRunes(variant);
        counter.textContent = variant === "" ? "Empty: the post's text is published."
          : thousands(vn) + (r.max_runes ? " / " + thousands(r.max_runes) : "") + " characters on " + r.name;
        counter.classList.toggle("over", variant !== "" && r.max_runes > 0 && vn > r.max_runes);
      }
      if (!box.checked) { return; }
      anyTicked = true;
      if (counters && r && !seen[platform]) {
        seen[platform] = true;
        var n = countRunes(content);
        var li = text("li", r.name + " " + thousands(n) + (r.max_runes ? " / " + thousands(r.max_runes) : ""));
        li.setAttribute("data-platform", platform);
        if (r.max_runes > 0 && n > r.max_runes) { li.className = "over"; }
        counters.appendChild(li);
      }
      var problems = check(rules, platform, variant !== "" ? variant : content, kindsFor(id), quiet);
      if (warnings && problems.length > 0) {
        var item = document.createElement("li");
        item.setAttribute("data-account", id);
        item.appendChild(text("strong", box.getAttribute("data-name") + " (" + (r ? r.name : platform) + ")"));
        item.appendChild(document.createTextNode(": the text " + problems.join("; ")));
        warnings.appendChild(item);
      }
    });
    if (ok) {
      // The success line never stands beside an error still shown on the page.
      var errors = form.querySelector(".field-error") !== null || document.getElementById("compose-error") !== null;
      ok.hidden = (warnings && warnings.children.length > 0) || (anyTicked && errors);
      ok.textContent = !anyTicked ? "Choose accounts to see their platforms' limits."
        : blank && quiet ? "Write the post to check it against each chosen platform's rules."
        : "The post fits every chosen platform.";
    }
  }

  function composeOf(el) { return el && el.closest ? el.closest("form#compose") : null; }
  document.addEventListener("input", function (e) {
    var f = composeOf(e.target);
    if (!f) { return; }
    if (e.target.matches("[data-compose-text], [data-compose-media], [data-variant]")) { f.setAttribute("data-typed", ""); }
    updateCompose(f);
  });
  // Trying to send the form shows every rule, the empty ones too.
  document.addEventListener("submit", function (e) {
    var f = composeOf(e.target);
    if (f) { f.setAttribute("data-sent", ""); updateCompose(f); }
  });
  document.addEventListener("change", function (e) {
    var f = composeOf(e.target);
    if (f) { updateCompose(f); }
  });
  // Compose, AI panel: the platforms to ask for follow the ticked accounts (all of them when
  // none is ticked); a box can still be unticked before asking.
  function syncAIPlatforms(form) {
    var panel = document.getElementById("ai-form");
    if (!panel) { return; }
    var ticked = {}, any = false;
    form.querySelectorAll("input[name='account_ids']").forEach(function (box) {
      if (box.checked) { ticked[box.getAttribute("data-platform")] = true; any = true; }
    });
    panel.querySelectorAll("input[data-ai-platform]").forEach(function (box) {
      box.checked = !any || ticked[box.dataset.aiPlatform] === true;
    });
  }
  document.addEventListener("change", function (e) {
    var f = composeOf(e.target);
    if (f && e.target.name === "account_ids") { syncAIPlatforms(f); }
  });

  // A suggestion's "Use in post" and "Use for <account>" buttons put its text (data-text)
  // into the post's text or the account's own text, and fire an input event so the
  // counters and rule report update.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest ? e.target.closest("button[data-use-caption]") : null;
    if (!btn) { return; }
    var form = document.getElementById("compose");
    if (!form) { return; }
    var id = btn.dataset.account, field;
    if (id) {
      field = Array.prototype.find.call(form.querySelectorAll("textarea[data-variant]"), function (t) { return t.dataset.variant === id; });
      var details = field ? field.closest("details") : null;
      if (details) { details.hidden = false; details.open = true; }
    } else {
      field = form.querySelector("[data-compose-text]");
    }
    if (!field) { return; }
    // The post now has AI help: a company may require approval for it (ai_assisted).
    var assisted = form.querySelector("#ai-assisted");
    if (assisted) { assisted.value = "1"; }
    field.value = btn.dataset.text || "";
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.focus();
  });

  // An answer swapped into the suggestions area (cards, 429, 503) means the panel's fields
  // were accepted: problems left from an earlier 422 go.
  document.addEventListener("htmx:afterSwap", function (e) {
    if (!e.detail || !e.detail.target || e.detail.target.id !== "ai-suggestions") { return; }
    var panel = document.getElementById("ai-form");
    if (!panel) { return; }
    panel.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
    panel.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
  });

  // Live pages (the post page, the calendar): an element with data-live-events listens to
  // the server's event stream and, on each "change", has htmx fetch data-live-refresh into
  // data-live-target (picking data-live-select from the answer when set). Those targets
  // never hold a form. The region named by data-live-forms holds the buttons and forms;
  // when the post's status changed it is fetched again from data-live-forms-src, unless
  // the person is using it (focus inside, or a field changed): then it stays as it is and
  // its #post-outdated note says to reload.
  var streams = [];

  function edited(region) {
    var active = document.activeElement;
    if (active && active !== document.body && region.contains(active)) { return true; }
    return Array.prototype.some.call(region.querySelectorAll("input, textarea, select"), function (f) {
      if (f.type === "hidden") { return false; }
      if (f.type === "checkbox" || f.type === "radio") { return f.checked !== f.defaultChecked; }
      if (f.tagName === "SELECT") {
        return Array.prototype.some.call(f.options, function (o) { return o.selected !== o.defaultSelected; });
      }
      return f.value !== f.defaultValue;
    });
  }

  function followForms(el) {
    var sel = el.getAttribute("data-live-forms"), src = el.getAttribute("data-live-forms-src");
    var region = sel ? document.querySelector(sel) : null;
    var state = document.querySelector("#post-state");
    if (!region || !src || !state || region.getAttribute("data-status") === state.getAttribute("data-status")) { return; }
    if (edited(region)) {
      var note = region.querySelector("#post-outdated");
      if (note) { note.hidden = false; }
      return;
    }
    htmx.ajax("GET", src, { target: sel, select: sel, swap: "outerHTML" });
  }

  function listen(el) {
    if (el.heraldStream || typeof EventSource === "undefined" || typeof htmx === "undefined") { return; }
    var src = new EventSource(el.getAttribute("data-live-events"));
    el.heraldStream = src;
    streams.push(el);
    // htmx drops a request for a target that already has one in flight, so a change that
    // arrives during a refresh is remembered and fetched once that refresh is done.
    var busy = false, again = false;
    function refresh() {
      if (busy) { again = true; return; }
      var target = el.getAttribute("data-live-target");
      if (!document.querySelector(target)) { return; }
      var ctx = { target: target, swap: "outerHTML" };
      var select = el.getAttribute("data-live-select");
      if (select) { ctx.select = select; }
      busy = true;
      var done = function () {
        busy = false;
        if (again) { again = false; refresh(); }
      };
      htmx.ajax("GET", el.getAttribute("data-live-refresh"), ctx).then(function () { followForms(el); }).then(done, done);
    }
    src.addEventListener("change", function () {
      if (!document.body.contains(el)) { src.close(); return; }
      refresh();
    });
  }

  // A page left through boosted navigation takes its streams with it.
  function sweep() {
    streams = streams.filter(function (el) {
      if (document.body.contains(el)) { return true; }
      el.heraldStream.close();
      return false;
    });
  }
  document.addEventListener("htmx:afterSettle", sweep);
  document.addEventListener("htmx:historyRestore", sweep);
  window.addEventListener("pagehide", function () { streams.forEach(function (el) { el.heraldStream.close(); }); streams = []; });
  window.addEventListener("pageshow", function (e) {
    if (e.persisted) { document.querySelectorAll("[data-live-events]").forEach(function (el) { el.heraldStream = null; listen(el); }); }
  });

  // On first load and whenever htmx swaps a compose form in (boosted navigation, a 422).
  function init(root) {
    var f = root && root.querySelector ? root.querySelector("form#compose") : null;
    if (!f && root && root.matches && root.matches("form#compose")) { f = root; }
    if (f) { updateCompose(f); }
    if (root && root.querySelectorAll) {
      if (root.matches && root.matches("[data-live-events]")) { listen(root); }
      root.querySelectorAll("[data-live-events]").forEach(listen);
    }
  }
  init(document);
  document.addEventListener("htmx:load", function (e) { init(e.target); });
})();
