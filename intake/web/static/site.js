// Small behaviours of the staff pages, here rather than in inline handlers so that the
// Content-Security-Policy can forbid inline script (script-src 'self').
(function () {
  "use strict";
  // The agenda's print button.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest(".print-button")) { window.print(); }
  });
  // The duplicates panel shows a refused action's answer (4xx, with its reason) in place, as it
  // shows a successful one; htmx would otherwise drop it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.target;
    if (!target || !target.closest || !target.closest("[data-swap-client-errors]")) { return; }
    var status = event.detail.xhr.status;
    if (status >= 400 && status < 500) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
