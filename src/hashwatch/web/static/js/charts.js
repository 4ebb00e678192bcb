// Draws the Vega-Lite charts of the regulator's pages (no inline scripts: the CSP forbids
// them). Each element with data-vega-spec="<url>" gets the spec at that URL, drawn by
// vegaEmbed with the expression interpreter (no eval) and without injected styles. The
// tables next to each chart carry the same figures, so the pages work without this file.
"use strict";
(function () {
  var OPTIONS = {
    actions: false,
    ast: true,
    defaultStyle: false,
    renderer: "svg",
    tooltip: { disableDefaultStyle: true }
  };

  function draw(element) {
    var url = element.getAttribute("data-vega-spec");
    if (!url || element.dataset.vegaDrawn === "yes" || typeof window.vegaEmbed !== "function") {
      return;
    }
    element.dataset.vegaDrawn = "yes";
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("chart " + url + ": HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (spec) {
        return window.vegaEmbed(element, spec, OPTIONS);
      })
      .then(function () {
        // the table beside the chart is what screen readers read (the chart is aria-hidden)
        element.dataset.vegaReady = "yes";
      })
      .catch(function (error) {
        element.dataset.vegaDrawn = "failed";
        if (window.console) {
          window.console.error(error);
        }
      });
  }

  function drawAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    Array.prototype.forEach.call(scope.querySelectorAll("[data-vega-spec]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else {
    drawAll(document);
  }
  // Charts inside fragments swapped in by htmx.
  document.addEventListener("htmx:load", function (event) { drawAll(event.target); });
})();
