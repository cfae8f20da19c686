// The media library in the browser: upload zones that send files through the resumable
// upload API (tus, vendor/tus-js-client) in 8 MB parts, resuming after a dropped connection;
// the compose page's row of chosen files (order, remove, per-account subsets) and its
// library picker. Loaded from /static (the CSP forbids inline scripts). Without it the
// library page still uploads through its plain form.
(function () {
  "use strict";

  var CHUNK = 8 * 1024 * 1024;
  // Waits between attempts after a failed request; a dropped connection resumes from the
  // last part the server confirmed.
  var RETRIES = [0, 1000, 3000, 5000, 10000, 20000, 30000];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function sizeText(n) {
    if (n >= 1 << 30) { return (n / (1 << 30)).toFixed(1) + " GB"; }
    if (n >= 1 << 20) { return (n / (1 << 20)).toFixed(1) + " MB"; }
    return Math.ceil(n / 1024) + " KB";
  }

  // problemOf returns the sentence of a problem-detail answer (RFC 9457), else a fallback.
  function problemOf(err) {
    var res = err && err.originalResponse;
    if (res) {
      var body = "";
      try { body = res.getBody() || ""; } catch (e) { body = ""; }
      try {
        var p = JSON.parse(body);
        if (p && (p.detail || p.title)) { return p.detail || p.title; }
      } catch (e) { /* not JSON */ }
      var st = res.getStatus();
      if (st === 413) { return "The file is too large for your plan."; }
      if (st === 415) { return "This file type is not supported: upload JPEG, PNG, GIF or WebP images, or MP4 or MOV videos."; }
      if (st === 401) { return "Your session ended: sign in again, then upload the file again."; }
      if (st >= 500) { return "Herald could not store the file; try again in a moment."; }
      return "The upload was refused (" + st + ").";
    }
    return "The connection dropped and did not come back; try again.";
  }

  function fetchHTML(url) {
    return fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } }).then(function (res) {
      if (!res.ok) { throw new Error("status " + res.status); }
      return res.text();
    });
  }

  function fragment(html) {
    var t = document.createElement("template");
    t.innerHTML = html.trim();
    return t.content;
  }

  // ---- Upload zones ----

  function uploadFiles(zone, files) {
    var list = zone.querySelector("[data-upload-list]");
    Array.prototype.forEach.call(files, function (file) { uploadOne(zone, list, file); });
  }

  function uploadOne(zone, list, file) {
    var item = el("li", "upload-item");
    item.setAttribute("data-state", "uploading");
    var name = el("span", "upload-name", file.name);
    var bar = el("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    var note = el("small", "upload-note muted", sizeText(file.size) + " · starting");
    item.append(name, bar, note);
    list.appendChild(item);
    zone.heraldActive = (zone.heraldActive || 0) + 1;

    var finish = function (state) {
      item.setAttribute("data-state", state);
      zone.heraldActive -= 1;
    };
    var upload = new tus.Upload(file, {
      endpoint: zone.getAttribute("data-endpoint"),
      chunkSize: CHUNK,
      retryDelays: RETRIES,
      removeFingerprintOnSuccess: true,
      metadata: { filename: file.name, filetype: file.type || "" },
      headers: { "X-CSRF-Token": zone.getAttribute("data-csrf"), "X-Company-ID": zone.getAttribute("data-company") },
      onProgress: function (sent, total) {
        var pct = total > 0 ? Math.floor(sent * 100 / total) : 0;
        bar.value = pct;
        note.textContent = sizeText(sent) + " of " + sizeText(total) + (pct === 100 ? " · checking the file" : "");
      },
      onSuccess: function (payload) {
        var id = payload && payload.lastResponse ? payload.lastResponse.getHeader("Herald-Media-Id") : "";
        bar.value = 100;
        if (!id) {
          finish("error");
          note.className = "upload-note field-error";
          note.textContent = "The file arrived but Herald did not say where it was stored; reload the page.";
          return;
        }
        note.textContent = "Stored";
        item.setAttribute("data-media-id", id);
        stored(zone, id).then(function () { finish("done"); }, function () {
          finish("done");
          note.textContent = "Stored; reload the page to see it.";
        });
      },
      onError: function (err) {
        finish("error");
        bar.remove();
        note.className = "upload-note field-error";
        note.setAttribute("role", "alert");
        note.textContent = problemOf(err);
      }
    });
    upload.findPreviousUploads().then(function (previous) {
      if (previous.length > 0) { upload.resumeFromPreviousUpload(previous[0]); }
      upload.start();
    }, function () { upload.start(); });
  }

  // stored puts a freshly stored file on the page: a tile in the library's grid, or a
  // chosen file on the compose page.
  function stored(zone, id) {
    var base = zone.getAttribute("data-tiles") + "?id=" + encodeURIComponent(id);
    if (zone.getAttribute("data-for") === "compose") {
      return addChosen(id);
    }
    return fetchHTML(base).then(function (html) {
      var grid = document.getElementById("media-grid");
      if (grid) { grid.prepend(fragment(html)); }
      var empty = document.getElementById("no-media");
      if (empty) { empty.hidden = true; }
      if (typeof htmx !== "undefined" && document.getElementById("storage-usage")) {
        htmx.ajax("GET", window.location.pathname, { target: "#storage-usage", select: "#storage-usage", swap: "outerHTML" });
      }
    });
  }

  function initZone(zone) {
    if (zone.heraldZone || typeof tus === "undefined" || !tus.isSupported) { return; }
    zone.heraldZone = true;
    zone.classList.add("enhanced");
    var input = zone.querySelector("[data-upload-input]");
    var plain = zone.querySelector("[data-plain-upload]");
    if (plain) { plain.hidden = true; }
    if (input) {
      input.addEventListener("change", function () {
        if (input.files && input.files.length > 0) { uploadFiles(zone, input.files); }
        input.value = "";
      });
    }
    var form = zone.querySelector("form");
    if (form) {
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        if (input && input.files && input.files.length > 0) { uploadFiles(zone, input.files); input.value = ""; }
      });
    }
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (e) {
        if (!e.dataTransfer || Array.prototype.indexOf.call(e.dataTransfer.types, "Files") < 0) { return; }
        e.preventDefault();
        e.dataTransfer.dropEffect = "copy";
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "dragend"].forEach(function (type) {
      zone.addEventListener(type, function (e) {
        if (e.target === zone || !zone.contains(e.relatedTarget)) { zone.classList.remove("dragging"); }
      });
    });
    zone.addEventListener("drop", function (e) {
      zone.classList.remove("dragging");
      if (!e.dataTransfer || e.dataTransfer.files.length === 0) { return; }
      e.preventDefault();
      uploadFiles(zone, e.dataTransfer.files);
    });
  }

  // ---- Compose: the chosen files ----

  function chosenRow() { return document.getElementById("chosen-media"); }

  function chosenIDs() {
    var row = chosenRow();
    if (!row) { return []; }
    return Array.prototype.map.call(row.querySelectorAll("li[data-media-id]"), function (li) { return li.getAttribute("data-media-id"); });
  }

  // addChosen appends a library file to the post's media, once.
  function addChosen(id) {
    var row = chosenRow();
    if (!row) { return Promise.resolve(); }
    if (chosenIDs().indexOf(id) >= 0) { return Promise.resolve(); }
    return fetchHTML(row.getAttribute("data-tiles") + "?for=compose&id=" + encodeURIComponent(id)).then(function (html) {
      if (chosenIDs().indexOf(id) < 0) { row.appendChild(fragment(html)); }
      chosenChanged();
    });
  }

  // chosenChanged brings everything that depends on the chosen files up to date: the empty
  // note, each account's own-media boxes, the picker's pressed buttons and the rule report
  // (app.js recomputes on a change event of the form).
  function chosenChanged() {
    var row = chosenRow();
    if (!row) { return; }
    var items = row.querySelectorAll("li[data-media-id]");
    var empty = document.getElementById("no-chosen");
    if (empty) { empty.hidden = items.length > 0; }
    document.querySelectorAll("[data-variant-choices]").forEach(function (box) { rebuildChoices(box, items); });
    markPicked();
    var form = row.closest("form");
    if (form) { form.dispatchEvent(new Event("change", { bubbles: true })); }
  }

  // rebuildChoices lists the post's files, in order, as boxes of one account's own media,
  // keeping the boxes already ticked.
  function rebuildChoices(box, items) {
    var account = box.getAttribute("data-variant-choices");
    var ticked = {};
    box.querySelectorAll("input[type=checkbox]").forEach(function (c) { ticked[c.value] = c.checked; });
    box.replaceChildren();
    if (items.length === 0) {
      box.appendChild(el("p", "muted", "Choose the post's media first; then pick which of them go to this account."));
      return;
    }
    Array.prototype.forEach.call(items, function (li) {
      var id = li.getAttribute("data-media-id");
      var label = el("label", "variant-choice");
      var c = document.createElement("input");
      c.type = "checkbox";
      c.name = "variant_media_" + account;
      c.value = id;
      c.setAttribute("data-kind", li.getAttribute("data-kind") || "unknown");
      c.checked = ticked[id] === true;
      label.appendChild(c);
      label.appendChild(document.createTextNode(" "));
      var thumb = li.getAttribute("data-thumb");
      if (thumb) {
        var img = document.createElement("img");
        img.src = thumb;
        img.alt = "";
        label.appendChild(img);
      }
      label.appendChild(el("span", "", li.getAttribute("data-name") || id));
      box.appendChild(label);
    });
  }

  function markPicked() {
    var ids = chosenIDs();
    document.querySelectorAll("[data-pick]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(ids.indexOf(b.getAttribute("data-pick")) >= 0));
    });
  }

  document.addEventListener("click", function (e) {
    var t = e.target.closest ? e.target : null;
    if (!t) { return; }
    var move = t.closest("[data-move]"), remove = t.closest("[data-remove]"), pick = t.closest("[data-pick]");
    var close = t.closest("[data-close-picker]");
    if (move || remove) {
      var li = (move || remove).closest("li[data-media-id]");
      if (!li || !li.parentNode) { return; }
      if (remove) {
        // The focus goes to the next file's remove button, else the previous one's, else
        // the picker button: never lost to the page's top.
        var next = li.nextElementSibling || li.previousElementSibling;
        li.remove();
        chosenChanged();
        var focus = next ? next.querySelector("[data-remove]") : document.getElementById("open-picker");
        if (focus) { focus.focus(); }
        return;
      }
      var step = Number(move.getAttribute("data-move"));
      if (step < 0 && li.previousElementSibling) {
        li.parentNode.insertBefore(li, li.previousElementSibling);
      } else if (step > 0 && li.nextElementSibling) {
        li.parentNode.insertBefore(li.nextElementSibling, li);
      }
      move.focus();
      chosenChanged();
      return;
    }
    if (pick) {
      var id = pick.getAttribute("data-pick");
      if (chosenIDs().indexOf(id) >= 0) {
        var chosen = chosenRow().querySelector("li[data-media-id='" + CSS.escape(id) + "']");
        if (chosen) { chosen.remove(); }
        chosenChanged();
      } else {
        pick.setAttribute("aria-pressed", "true");
        addChosen(id);
      }
      return;
    }
    if (close) {
      var holder = document.getElementById("media-picker");
      if (holder) { holder.replaceChildren(); }
      var opener = document.getElementById("open-picker");
      if (opener) { opener.focus(); }
    }
  });

  // Enter in the picker's search field searches; it must not send the compose form.
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.matches && e.target.matches("[data-picker-search]")) { e.preventDefault(); }
  });

  // Ticking "Use different media" for an account starts with every file of the post.
  document.addEventListener("change", function (e) {
    var own = e.target.matches && e.target.matches("[data-own-media]") ? e.target : null;
    if (!own || !own.checked) { return; }
    var box = document.querySelector("[data-variant-choices='" + CSS.escape(own.value) + "']");
    if (box && !box.querySelector("input:checked")) {
      box.querySelectorAll("input[type=checkbox]").forEach(function (c) { c.checked = true; });
    }
  });

  // A compose form sent while files are still uploading would leave them out: wait.
  document.addEventListener("submit", function (e) {
    if (!e.target.matches || !e.target.matches("form#compose")) { return; }
    var busy = Array.prototype.some.call(e.target.querySelectorAll("[data-upload-zone]"), function (z) { return z.heraldActive > 0; });
    if (busy) {
      e.preventDefault();
      e.stopImmediatePropagation();
      var list = e.target.querySelector("[data-upload-list]");
      if (list) {
        var li = el("li", "upload-item field-error", "Wait for the uploads to finish, then send the post again.");
        li.setAttribute("role", "alert");
        list.appendChild(li);
      }
    }
  }, true);

  function init(root) {
    if (!root || !root.querySelectorAll) { return; }
    if (root.matches && root.matches("[data-upload-zone]")) { initZone(root); }
    root.querySelectorAll("[data-upload-zone]").forEach(initZone);
    if (root.querySelector && (root.querySelector("[data-pick]") || (root.matches && root.matches("[data-pick], #picker-results")))) { markPicked(); }
  }
  init(document);
  document.addEventListener("htmx:load", function (e) { init(e.target); });
})();
