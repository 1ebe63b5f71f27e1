/*
 * devportal — form_post.js
 *
 * Submits the OAuth 2.0 Form Post Response Mode form as soon as the page loads. Without
 * JavaScript the form's visible button does the same. Loaded from /static, so the page's CSP
 * needs no inline script.
 */
(function () {
  'use strict';
  function submit() {
    var form = document.getElementById('form-post');
    if (form) {
      form.submit();
    }
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', submit);
  } else {
    submit();
  }
})();
