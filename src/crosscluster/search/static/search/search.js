// Loads the routing engine's suggestions for a need-like search after the page is shown, so the results
// themselves never wait for them. Without JavaScript the link in the placeholder opens the same list.
(function () {
  "use strict";
  document.querySelectorAll("[data-suggestions-src]").forEach(function (box) {
    fetch(box.dataset.suggestionsSrc, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        box.innerHTML = html;
      })
      .catch(function () {
        // Keep the link: it still works.
      });
  });
})();
