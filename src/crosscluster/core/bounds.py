"""The bounds of what the site accepts at its edges: dates, ids and offsets from URLs and query strings.

Values beyond them are no one's real request, but they reached code that cannot take them: a day of year 1
or 9999 overflowed Python's date arithmetic one day or one time zone later, an offset or id beyond 2^63 - 1
overflowed the database's integer. Pages show such a value as a form error (or answer 404 for a path);
the API answers 422. See docs/api.md and docs/events.md.
"""

import datetime as dt

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext as _

# Days a filter may name. Wide enough for any archive or plan; far enough from datetime's years 1 and
# 9999 that a day more, a week more or a time zone cannot leave the range.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2200, 12, 31)
# The largest integer PostgreSQL's bigint and SQLite's INTEGER hold: ids and offsets beyond it overflow.
DB_INT_MAX = 2**63 - 1


def date_in_range(value: dt.date) -> bool:
    if isinstance(value, dt.datetime):
        value = value.date()
    return EARLIEST_DATE <= value <= LATEST_DATE


def date_range_message() -> str:
    return _("Enter a day between %(earliest)s and %(latest)s.") % {
        "earliest": date_format(EARLIEST_DATE, "SHORT_DATE_FORMAT"),
        "latest": date_format(LATEST_DATE, "SHORT_DATE_FORMAT"),
    }


def limit_dates(form: forms.Form) -> forms.Form:
    """After validation: every valid date of the form outside the bounds becomes an error of its field, and
    is thereby left out of `cleaned_data` (a filter form then applies the other filters)."""
    for name, value in list(getattr(form, "cleaned_data", {}).items()):
        if isinstance(value, dt.date) and not date_in_range(value):
            form.add_error(name, forms.ValidationError(date_range_message(), code="date_out_of_range"))
    return form
