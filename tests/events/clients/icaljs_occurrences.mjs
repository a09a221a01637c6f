// Reads an iCalendar file on stdin with ical.js (Mozilla's parser, as Thunderbird's web relatives use it)
// and prints every occurrence that starts before argv[2] (an ISO instant) as JSON, one list:
// {uid, summary, status, start, end, startUtc, endUtc, allDay}; start/end are the wall-clock times in the
// event's own zone as ical.js computes them from the file's VTIMEZONE, *Utc the instants.
// Used by tests/events/test_exports.py as a second client beside icalendar + recurring-ical-events.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const until = ICAL.Time.fromJSDate(new Date(process.argv[2]), true);
const root = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));
for (const zone of root.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(zone);
}
const series = new Map();
const exceptions = [];
for (const component of root.getAllSubcomponents("vevent")) {
  const event = new ICAL.Event(component);
  if (event.isRecurrenceException()) exceptions.push(event);
  else series.set(event.uid, event);
}
for (const exception of exceptions) series.get(exception.uid).relateException(exception);

function describe(item, start, end) {
  const endTime = end || start;
  return {
    uid: item.uid,
    summary: item.summary,
    status: item.component.getFirstPropertyValue("status"),
    start: start.toString(),
    end: endTime.toString(),
    startUtc: start.isDate ? null : start.toJSDate().toISOString(),
    endUtc: endTime.isDate ? null : endTime.toJSDate().toISOString(),
    allDay: start.isDate,
  };
}

const found = [];
for (const event of series.values()) {
  if (!event.isRecurring()) {
    if (event.startDate.compare(until) < 0) found.push(describe(event, event.startDate, event.endDate));
    continue;
  }
  const iterator = event.iterator();
  for (let next = iterator.next(); next && next.compare(until) < 0; next = iterator.next()) {
    const details = event.getOccurrenceDetails(next);
    found.push(describe(details.item, details.startDate, details.endDate));
  }
}
process.stdout.write(JSON.stringify(found));
