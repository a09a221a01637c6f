"""How an event's time reads on every page: `{% event_when event %}`.

Written in Python rather than as an included template: lists show dozens of events, and the template version
(ten `date` filters per event) cost more than the rest of an event card. The output is the markup the
template had: `<time>` elements with machine-readable values, dates and times in the active time zone.
"""

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


def _day(day) -> SafeString:
    return format_html(
        '<time datetime="{}">{}, {}</time>', day.isoformat(), date_format(day, "D"), date_format(day)
    )


@register.simple_tag
def event_when(event) -> SafeString:
    """The days of an all-day event, else start and end (the end's day only when it differs; no end for an
    event without duration)."""
    if event.all_day:
        first, last = event.first_day, event.last_day
        span = _day(first) if first == last else format_html("{}–{}", _day(first), _day(last))
        return format_html("{} ({})", span, _("all day"))
    start, end = timezone.localtime(event.start), timezone.localtime(event.end)
    if end == start:  # without duration (a deadline): the moment alone, no "18:00–18:00"
        return format_html(
            '<time datetime="{}">{}, {}, {}</time>',
            date_format(start, "c"),
            date_format(start, "D"),
            date_format(start),
            date_format(start, "H:i"),
        )
    if event.is_single_day:
        end_text = date_format(end, "H:i")
    else:
        end_text = f"{date_format(end, 'D')}, {date_format(end)}, {date_format(end, 'H:i')}"
    return format_html(
        '<time datetime="{}">{}, {}, {}</time>–<time datetime="{}">{}</time>',
        date_format(start, "c"),
        date_format(start, "D"),
        date_format(start),
        date_format(start, "H:i"),
        date_format(end, "c"),
        end_text,
    )
