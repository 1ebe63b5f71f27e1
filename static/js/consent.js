/*
 * devportal consent page: a logo that fails to load is removed, so the application's coloured
 * initial underneath shows instead of a broken image.
 *
 * The CSP allows no inline handler (script-src 'self'), so this file listens on the document:
 * a load error does not bubble, but it passes the document in the capture phase. The page
 * loads this script before the logo, so even an error that comes at once is seen.
 */
(function () {
  'use strict';
  document.addEventListener('error', function (event) {
    var img = event.target;
    if (img instanceof HTMLImageElement && img.hasAttribute('data-fallback')) {
      img.remove();
    }
  }, true);
})();
