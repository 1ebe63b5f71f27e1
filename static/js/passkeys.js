/*
 * devportal — passkeys.js
 *
 * Passkey (WebAuthn) ceremonies for the security page ("Add a passkey") and the login page
 * ("Sign in with a passkey"). Loaded with <script src defer>; safe under CSP script-src 'self'.
 *
 * A container names the ceremony and its endpoints:
 *   <div data-passkey-register | data-passkey-login
 *        data-begin="/…/begin" data-finish="/…" data-csrf="…" [data-next="/…"]>
 *     <p data-passkey-error hidden></p>
 *     <button type="button" hidden>…</button>
 *   </div>
 * The button is shown only where the browser supports WebAuthn. A click POSTs the CSRF token to
 * data-begin (form-encoded, as every page form), which answers the options as JSON; the
 * browser's answer goes to data-finish in a real form submission, so the server's redirect (or
 * its error page) is an ordinary navigation.
 */
(function () {
  'use strict';

  function toBytes(b64url) {
    var b64 = b64url.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) { b64 += '='; }
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }

  function toB64url(buf) {
    var bytes = new Uint8Array(buf);
    var bin = '';
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function decodeDescriptors(list) {
    return (list || []).map(function (d) {
      var out = { type: d.type, id: toBytes(d.id) };
      if (d.transports) { out.transports = d.transports; }
      return out;
    });
  }

  // The server's JSON options, with the binary members WebAuthn wants as ArrayBuffers.
  function creationOptions(pk) {
    pk.challenge = toBytes(pk.challenge);
    pk.user.id = toBytes(pk.user.id);
    pk.excludeCredentials = decodeDescriptors(pk.excludeCredentials);
    return pk;
  }

  function requestOptions(pk) {
    pk.challenge = toBytes(pk.challenge);
    if (pk.allowCredentials) { pk.allowCredentials = decodeDescriptors(pk.allowCredentials); }
    return pk;
  }

  // The PublicKeyCredential as the JSON the server parses (WebAuthn §5.1, base64url members).
  function credentialJSON(cred) {
    var r = cred.response;
    var out = {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: toB64url(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = toB64url(r.attestationObject);
      if (r.getTransports) { out.response.transports = r.getTransports(); }
    } else {
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      if (r.userHandle) { out.response.userHandle = toB64url(r.userHandle); }
    }
    return JSON.stringify(out);
  }

  function showError(box, message) {
    var p = box.querySelector('[data-passkey-error]');
    if (p) {
      p.textContent = message;
      p.hidden = false;
    }
  }

  function submit(action, fields) {
    var form = document.createElement('form');
    form.method = 'post';
    form.action = action;
    form.hidden = true;
    Object.keys(fields).forEach(function (name) {
      var input = document.createElement('input');
      input.type = 'hidden';
      input.name = name;
      input.value = fields[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  function begin(box) {
    var body = new URLSearchParams();
    body.set('csrf_token', box.dataset.csrf);
    return fetch(box.dataset.begin, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: body
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) {
          throw new Error(data.message || 'The server could not start the passkey request (HTTP ' + resp.status + '). Reload the page and try again.');
        }
        return data;
      });
    });
  }

  function run(box, register) {
    var button = box.querySelector('button');
    button.disabled = true;
    begin(box).then(function (options) {
      if (register) {
        return navigator.credentials.create({ publicKey: creationOptions(options.publicKey) });
      }
      return navigator.credentials.get({ publicKey: requestOptions(options.publicKey) });
    }).then(function (cred) {
      if (!cred) { throw new Error('No passkey was chosen.'); }
      var fields = { csrf_token: box.dataset.csrf, credential: credentialJSON(cred) };
      if (box.dataset.next) { fields.next = box.dataset.next; }
      submit(box.dataset.finish, fields);
    }).catch(function (err) {
      button.disabled = false;
      if (err && err.name === 'NotAllowedError') {
        showError(box, 'The passkey request was cancelled or timed out.');
      } else if (err && err.name === 'InvalidStateError') {
        showError(box, 'This authenticator already holds a passkey for your account.');
      } else {
        showError(box, (err && err.message) || 'The passkey request failed.');
      }
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var supported = !!(window.PublicKeyCredential && navigator.credentials && window.fetch);
    var boxes = document.querySelectorAll('[data-passkey-register], [data-passkey-login]');
    Array.prototype.forEach.call(boxes, function (box) {
      var register = box.hasAttribute('data-passkey-register');
      if (!supported) {
        if (register) { showError(box, 'This browser does not support passkeys.'); }
        return;
      }
      var button = box.querySelector('button');
      button.hidden = false;
      button.addEventListener('click', function () { run(box, register); });
    });
  });
})();
