/*
 * devportal — app.js
 *
 * Small progressive enhancement for the server-rendered pages. Every page
 * works without it. Loaded with <script src="/static/js/app.js" defer>;
 * safe under CSP script-src 'self' (no inline handlers, no eval).
 *
 *   1. Copy buttons:  <button data-copy="ELEMENT_ID" hidden>Copy</button>
 *   2. Focus the first field with aria-invalid="true" on page load.
 *   3. Relative times: <time class="relative" datetime="...">...</time>
 *   4. Fields that do not apply to the chosen application type:
 *      <div data-hide-for-type="machine">...</div> next to radios name="type"
 */
(function () {
  'use strict';

  /* ------------------------------------------------------------------ */
  /* 1. Copy to clipboard                                               */
  /* ------------------------------------------------------------------ */

  var IS_MAC = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
  var COPIED_LABEL = 'Copied';
  var SELECTED_LABEL = IS_MAC ? 'Press \u2318C' : 'Press Ctrl+C';
  var RESTORE_AFTER_MS = 2000;

  var liveRegion = null;
  var originalLabels = new WeakMap(); // button -> its server-rendered label
  var restoreTimers = new WeakMap();  // button -> pending timeout id

  // A polite, visually hidden live region so screen readers hear the result
  // even when the button's label change is not announced.
  function announce(message) {
    if (!liveRegion) {
      liveRegion = document.createElement('div');
      liveRegion.className = 'visually-hidden';
      liveRegion.setAttribute('role', 'status');
      liveRegion.setAttribute('aria-live', 'polite');
      document.body.appendChild(liveRegion);
    }
    liveRegion.textContent = '';
    window.setTimeout(function () {
      liveRegion.textContent = message;
    }, 50);
  }

  function selectContents(el) {
    var selection = window.getSelection();
    if (!selection) {
      return false;
    }
    var range = document.createRange();
    range.selectNodeContents(el);
    selection.removeAllRanges();
    selection.addRange(range);
    return true;
  }

  // Fallback for browsers or contexts without the async Clipboard API
  // (e.g. plain http): select the text, then try the legacy copy command.
  // If that fails too, the text stays selected for the user to copy.
  function fallbackCopy(el) {
    if (!selectContents(el)) {
      return false;
    }
    try {
      return document.execCommand('copy') === true;
    } catch (e) {
      return false;
    }
  }

  function showFeedback(button, label) {
    // Remember the original label once, so repeated clicks never
    // "restore" to the feedback text.
    if (!originalLabels.has(button)) {
      originalLabels.set(button, button.textContent);
    }
    window.clearTimeout(restoreTimers.get(button));
    button.textContent = label;
    restoreTimers.set(button, window.setTimeout(function () {
      button.textContent = originalLabels.get(button);
      restoreTimers.delete(button);
    }, RESTORE_AFTER_MS));
  }

  function copyFrom(button) {
    var target = document.getElementById(button.getAttribute('data-copy'));
    if (!target) {
      return;
    }
    // innerText keeps a list's items on lines of their own (recovery codes).
    var text = (target.innerText || target.textContent).trim();

    function onCopied() {
      showFeedback(button, COPIED_LABEL);
      announce('Copied to clipboard');
    }

    function onFallback() {
      if (fallbackCopy(target)) {
        onCopied();
      } else {
        showFeedback(button, SELECTED_LABEL);
        announce('Text selected. Use your copy shortcut to copy it.');
      }
    }

    if (navigator.clipboard && typeof navigator.clipboard.writeText === 'function') {
      navigator.clipboard.writeText(text).then(onCopied, onFallback);
    } else {
      onFallback();
    }
  }

  function initCopyButtons() {
    var buttons = document.querySelectorAll('button[data-copy]');
    Array.prototype.forEach.call(buttons, function (button) {
      // Only reveal buttons whose target exists; the rest stay hidden.
      if (!document.getElementById(button.getAttribute('data-copy'))) {
        return;
      }
      // Never submit a surrounding form.
      if (!button.hasAttribute('type')) {
        button.type = 'button';
      }
      button.hidden = false;
    });

    document.addEventListener('click', function (event) {
      var button = event.target instanceof Element ?
        event.target.closest('button[data-copy]') : null;
      if (!button || button.disabled) {
        return;
      }
      event.preventDefault();
      copyFrom(button);
    });
  }

  /* ------------------------------------------------------------------ */
  /* 2. Focus the first invalid field                                   */
  /* ------------------------------------------------------------------ */

  function focusFirstInvalid() {
    var field = document.querySelector('[aria-invalid="true"]');
    if (field && typeof field.focus === 'function') {
      field.focus();
    }
  }

  /* ------------------------------------------------------------------ */
  /* 3. Relative times                                                  */
  /* ------------------------------------------------------------------ */

  var UNITS = [
    ['year', 365 * 24 * 3600],
    ['month', 30 * 24 * 3600],
    ['week', 7 * 24 * 3600],
    ['day', 24 * 3600],
    ['hour', 3600],
    ['minute', 60]
  ];

  // "just now", "5 minutes ago", "in 3 days", ...
  function relativePhrase(date, now) {
    var seconds = Math.round((date.getTime() - now) / 1000);
    var abs = Math.abs(seconds);
    if (abs < 45) {
      return 'just now';
    }
    var unit = 'minute';
    var count = 1;
    for (var i = 0; i < UNITS.length; i++) {
      if (abs >= UNITS[i][1]) {
        unit = UNITS[i][0];
        count = Math.floor(abs / UNITS[i][1]);
        break;
      }
    }
    var phrase = count + ' ' + unit + (count === 1 ? '' : 's');
    return seconds < 0 ? phrase + ' ago' : 'in ' + phrase;
  }

  function updateRelativeTimes() {
    var now = Date.now();
    var times = document.querySelectorAll('time.relative[datetime]');
    Array.prototype.forEach.call(times, function (el) {
      var date = new Date(el.getAttribute('datetime'));
      if (isNaN(date.getTime())) {
        return;
      }
      // Keep the server-rendered (absolute) text available as a tooltip.
      if (!el.title) {
        el.title = el.textContent.trim() || date.toLocaleString();
      }
      el.textContent = relativePhrase(date, now);
    });
    return times.length > 0;
  }

  function initRelativeTimes() {
    if (updateRelativeTimes()) {
      // Keep phrases fresh on pages left open.
      window.setInterval(updateRelativeTimes, 60 * 1000);
    }
  }

  /* ------------------------------------------------------------------ */
  /* 4. Fields for some application types only                          */
  /* ------------------------------------------------------------------ */

  // The server renders every field (the form works without scripts, and
  // ignores what does not apply); this hides, say, the redirect URIs while
  // "Machine-to-machine" is chosen, and shows them again for another type.
  function initTypeDependentFields() {
    var fields = document.querySelectorAll('[data-hide-for-type]');
    var radios = document.querySelectorAll('input[type="radio"][name="type"]');
    if (!fields.length || !radios.length) {
      return;
    }
    function update() {
      var chosen = document.querySelector('input[type="radio"][name="type"]:checked');
      var type = chosen ? chosen.value : '';
      Array.prototype.forEach.call(fields, function (field) {
        field.hidden = field.getAttribute('data-hide-for-type') === type;
      });
    }
    Array.prototype.forEach.call(radios, function (radio) {
      radio.addEventListener('change', update);
    });
    update();
  }

  /* ------------------------------------------------------------------ */
  /* Start                                                              */
  /* ------------------------------------------------------------------ */

  function init() {
    initCopyButtons();
    focusFirstInvalid();
    initRelativeTimes();
    initTypeDependentFields();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
