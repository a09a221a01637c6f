/*
 * Netzwerktimer widget: put the upcoming events of an organisation or a topic on another site.
 *
 *   <script src="https://…/static/events/widget.js" data-organizer="slug" defer></script>
 *
 * Inserts an iframe with the widget page right after the script element. Loads nothing but that page from
 * the site the script came from: no third-party requests, no cookies set.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) {
    return;
  }
  var origin = new URL(script.src, document.baseURI).origin;
  var params = new URLSearchParams();
  ["organizer", "topic", "format", "city", "q"].forEach(function (name) {
    var value = script.getAttribute("data-" + name);
    if (value) {
      params.set(name, value);
    }
  });
  var frame = document.createElement("iframe");
  frame.src = origin + "/veranstaltungen/widget/" + (params.toString() ? "?" + params.toString() : "");
  frame.title = script.getAttribute("data-title") || "Veranstaltungen";
  frame.loading = "lazy";
  frame.referrerPolicy = "strict-origin-when-cross-origin";
  frame.style.width = "100%";
  frame.style.border = "0";
  frame.height = script.getAttribute("data-height") || "400";
  script.parentNode.insertBefore(frame, script.nextSibling);
})();
