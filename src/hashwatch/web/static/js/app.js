// hashwatch's own small script (no inline scripts: the CSP forbids them).
// Pages work without it; it only prevents double submits and keeps typing in a
// warning's explanation from re-running the inline check.
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  if (!(form instanceof HTMLFormElement) || !button || !button.hasAttribute("data-submit-once")) {
    return;
  }
  if (form.dataset.submitting === "yes") {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "yes";
  window.setTimeout(function () { button.disabled = true; }, 0);
});
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target instanceof Element && target.closest(".explanation")) {
    event.stopPropagation();
  }
}, true);
