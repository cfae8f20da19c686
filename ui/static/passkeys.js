// Passkeys: "Sign in with a passkey" on the login page (templates/auth/_passkey_login.html)
// and "Add a passkey" on the passkeys page (templates/profile/passkeys.html), with the
// browser's WebAuthn API. Herald's server answers options whose binary members are base64url
// text; this script turns them into ArrayBuffers, calls navigator.credentials, and sends the
// credential back as the JSON of the WebAuthn specification. Loaded from /static (the CSP
// forbids inline scripts). Without it, or in a browser without passkeys, the sign-in button
// stays hidden and the add form says why.
(function () {
  "use strict";

  function supported() {
    return !!(window.PublicKeyCredential && navigator.credentials && navigator.credentials.create && navigator.credentials.get);
  }

  // base64url <-> ArrayBuffer.
  function fromB64url(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }
  function toB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) { return Object.assign({}, d, { id: fromB64url(d.id) }); });
  }

  function creationOptions(o) {
    var pk = Object.assign({}, o.publicKey);
    pk.challenge = fromB64url(pk.challenge);
    pk.user = Object.assign({}, pk.user, { id: fromB64url(pk.user.id) });
    pk.excludeCredentials = descriptors(pk.excludeCredentials);
    return { publicKey: pk };
  }

  function requestOptions(o) {
    var pk = Object.assign({}, o.publicKey);
    pk.challenge = fromB64url(pk.challenge);
    pk.allowCredentials = descriptors(pk.allowCredentials);
    return { publicKey: pk };
  }

  function credentialJSON(cred) {
    var r = cred.response, out = {
      id: cred.id, rawId: toB64url(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: toB64url(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = toB64url(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      if (r.userHandle) { out.response.userHandle = toB64url(r.userHandle); }
    }
    return out;
  }

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; } catch (e) { return ""; }
  }

  // post sends body as JSON and resolves with the answer's JSON, or rejects with an Error
  // carrying the server's message.
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf(), "Accept": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) {
          var err = new Error(data.message || "Herald could not do that (" + res.status + "). Try again.");
          err.fields = data.fields || {};
          throw err;
        }
        return data;
      });
    });
  }

  // explain turns a WebAuthn refusal into words for people.
  function explain(err) {
    if (err && err.name === "NotAllowedError") { return "The passkey request was cancelled or timed out."; }
    if (err && err.name === "InvalidStateError") { return "This device already has a passkey for your Herald account."; }
    if (err && err.name === "SecurityError") { return "Passkeys only work on the address Herald is configured for."; }
    return (err && err.message) || "Something went wrong. Try again.";
  }

  function setStatus(el, text, isError) {
    if (!el) { return; }
    el.textContent = text;
    el.classList.toggle("error", !!isError);
  }

  // Show what needs passkeys once the page (or a page htmx swapped in) is there.
  function reveal(root) {
    var ok = supported();
    (root.querySelectorAll ? root : document).querySelectorAll("[data-passkey-login]").forEach(function (el) { el.hidden = !ok; });
    (root.querySelectorAll ? root : document).querySelectorAll("[data-passkey-unsupported]").forEach(function (el) { el.hidden = ok; });
    (root.querySelectorAll ? root : document).querySelectorAll("[data-passkey-add] button[type=submit]").forEach(function (el) { el.disabled = !ok; });
  }
  document.addEventListener("DOMContentLoaded", function () { reveal(document); });
  document.addEventListener("htmx:load", function (e) { reveal(e.target || document); });

  var busy = false;

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("#passkey-signin");
    if (!button || busy) { return; }
    var box = button.closest("[data-passkey-login]"), status = box.querySelector("#passkey-login-status");
    busy = true;
    button.disabled = true;
    setStatus(status, "Waiting for your passkey…", false);
    post(box.getAttribute("data-begin")).then(function (cer) {
      return navigator.credentials.get(requestOptions(cer.options)).then(function (cred) {
        setStatus(status, "Signing you in…", false);
        return post(box.getAttribute("data-finish"), { ceremony_id: cer.ceremony_id, credential: credentialJSON(cred), next: box.getAttribute("data-next") || "" });
      });
    }).then(function (done) {
      window.location.assign(done.redirect || "/");
    }).catch(function (err) {
      setStatus(status, explain(err), true);
      button.disabled = false;
      busy = false;
    });
  });

  document.addEventListener("submit", function (e) {
    var form = e.target.closest && e.target.closest("[data-passkey-add]");
    if (!form) { return; }
    e.preventDefault();
    if (busy || !supported()) { return; }
    var alert = form.querySelector("#passkey-add-error"), button = form.querySelector("button[type=submit]");
    var name = form.querySelector("[name=name]"), password = form.querySelector("[name=password]");
    alert.hidden = true;
    busy = true;
    button.disabled = true;
    post(form.getAttribute("data-begin"), { password: password ? password.value : "" }).then(function (cer) {
      return navigator.credentials.create(creationOptions(cer.options)).then(function (cred) {
        return post(form.getAttribute("data-finish"), { ceremony_id: cer.ceremony_id, name: name.value, credential: credentialJSON(cred) });
      });
    }).then(function (done) {
      window.location.assign(done.redirect);
    }).catch(function (err) {
      var msg = explain(err);
      if (err && err.fields && err.fields.password) { msg = "Your password " + err.fields.password + "."; }
      if (err && err.fields && err.fields.name) { msg = "The name " + err.fields.name + "."; }
      alert.textContent = msg;
      alert.hidden = false;
      button.disabled = false;
      busy = false;
    });
  });
})();
