// Draws the Vega-Lite charts of the regulator's pages (no inline scripts: the CSP forbids
// them). Each element with data-vega-spec="<url>" gets the spec at that URL (or carries it
// in data-vega-inline="<json>"), drawn by
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

  // The spec at a URL (data-vega-spec) or carried by the element itself as JSON
  // (data-vega-inline: a fragment that already computed it saves a request per chart).
  function load(element) {
    var inline = element.getAttribute("data-vega-inline");
    if (inline) {
      return Promise.resolve(JSON.parse(inline));
    }
    var url = element.getAttribute("data-vega-spec");
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("chart " + url + ": HTTP " + response.status);
        }
        return response.json();
      });
  }

  function draw(element) {
    var source = element.getAttribute("data-vega-spec") || element.getAttribute("data-vega-inline");
    if (!source || element.dataset.vegaDrawn === "yes" || typeof window.vegaEmbed !== "function") {
      return;
    }
    element.dataset.vegaDrawn = "yes";
    load(element)
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
    Array.prototype.forEach.call(
      scope.querySelectorAll("[data-vega-spec], [data-vega-inline]"),
      draw
    );
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else {
    drawAll(document);
  }
  // Charts inside fragments swapped in by htmx.
  document.addEventListener("htmx:load", function (event) { drawAll(event.target); });
})();
