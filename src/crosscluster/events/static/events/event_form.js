/*
 * The recurrence editor of the event form, made lighter with JavaScript; everything works without it.
 * Shows only the parts of the editor that apply to the chosen repetition, names the unit of "every",
 * chooses "By a rule of my own" when a rule is typed under "Advanced", and, for a series that is not set
 * yet, takes the weekday, the week of the month and the day from the start until the manager changes them.
 */
(function () {
  "use strict";
  var form = document.querySelector("form.event-form");
  var editor = form && form.querySelector("#repetition");
  if (!editor) return;
  var CODES = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];
  var parts = editor.querySelectorAll("[data-repeat-for]");
  var unit = editor.querySelector("[data-interval-unit]");
  var unitText = unit ? unit.textContent : "";
  var raw = form.querySelector('[name="rrule"]');
  var start = form.querySelector('[name="start"]');
  var following = editor.hasAttribute("data-follow-start");

  function chosen() {
    var radio = editor.querySelector('input[name="repeat"]:checked');
    return radio ? radio.value : "";
  }

  function update() {
    var value = chosen();
    parts.forEach(function (part) {
      part.hidden = part.getAttribute("data-repeat-for").split(" ").indexOf(value) === -1;
    });
    if (unit) unit.textContent = unit.getAttribute("data-" + value.toLowerCase()) || unitText;
  }

  function followStart() {
    if (!following || !start || !start.value) return;
    var match = /^(\d{4})-(\d{2})-(\d{2})/.exec(start.value);
    if (!match) return;
    var day = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
    var code = CODES[day.getDay()];
    var week = Math.floor((day.getDate() - 1) / 7) + 1;
    editor.querySelectorAll('input[name="repeat_weekdays"]').forEach(function (box) {
      box.checked = box.value === code;
    });
    var ordinal = editor.querySelector('[name="repeat_ordinal"]');
    if (ordinal) ordinal.value = String(week <= 4 ? week : -1);
    var weekday = editor.querySelector('[name="repeat_weekday"]');
    if (weekday) weekday.value = code;
    var monthDay = editor.querySelector('[name="repeat_month_day"]');
    if (monthDay) monthDay.value = String(day.getDate());
  }

  editor.addEventListener("change", function (event) {
    var name = event.target.name || "";
    if (name === "repeat") update();
    else if (/^repeat_(weekdays|ordinal|weekday|month_day)$/.test(name)) following = false;
  });
  if (raw) {
    raw.addEventListener("input", function () {
      var custom = editor.querySelector('input[name="repeat"][value="custom"]');
      if (custom && raw.value.trim()) {
        custom.checked = true;
        update();
      }
    });
  }
  if (start) start.addEventListener("change", followStart);
  followStart();
  update();
})();
