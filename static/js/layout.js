/*
 * devportal — layout.js
 *
 * Layout enhancements of every page frame; every page works without it.
 * Loaded with <script src="/static/js/layout.js" defer> (CSP script-src 'self').
 *
 *   1. Stacked tables: on a narrow screen app.css shows each table cell on a
 *      line of its own; each cell gets data-label, its column's header, which
 *      the stylesheet prints before it. No template spells the labels twice.
 *   2. Scrollable regions (code blocks, wide tables) that scroll sideways
 *      can be focused, so a keyboard can scroll them too (WCAG 2.1.1).
 */
(function () {
  'use strict';

  /* 1. Column headers as data-label on every body cell. */
  function labelCells(table) {
    var head = table.tHead && table.tHead.rows[0];
    if (!head) return;
    var labels = [];
    Array.prototype.forEach.call(head.cells, function (th) {
      var text = th.textContent.replace(/\s+/g, ' ').trim();
      for (var i = 0; i < (th.colSpan || 1); i++) labels.push(text);
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var col = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          var label = labels[col] || '';
          if (label && !cell.hasAttribute('data-label')) cell.setAttribute('data-label', label);
          col += cell.colSpan || 1;
        });
      });
    });
  }

  /* 2. A region that scrolls sideways takes keyboard focus; one that fits does not. */
  var SCROLLERS = 'pre, .table-wrap, article table';

  function updateFocusable(el) {
    if (el.scrollWidth > el.clientWidth + 1) {
      if (!el.hasAttribute('tabindex')) {
        el.setAttribute('tabindex', '0');
        el.setAttribute('data-scroll-focus', '');
      }
    } else if (el.hasAttribute('data-scroll-focus')) {
      el.removeAttribute('tabindex');
      el.removeAttribute('data-scroll-focus');
    }
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll('main table'), labelCells);
    var scrollers = document.querySelectorAll(SCROLLERS);
    Array.prototype.forEach.call(scrollers, updateFocusable);
    if ('ResizeObserver' in window) {
      var ro = new ResizeObserver(function (entries) {
        entries.forEach(function (e) { updateFocusable(e.target); });
      });
      Array.prototype.forEach.call(scrollers, function (el) { ro.observe(el); });
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
