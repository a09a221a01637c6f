"""`{% manage_nav_counts as counts %}`: the numbers on the manager navigation (see accounts.todo)."""

from typing import Any

from django import template

from crosscluster.accounts.todo import NavCounts, nav_counts

register = template.Library()


@register.simple_tag(takes_context=True)
def manage_nav_counts(context: dict[str, Any]) -> NavCounts:
    request = context.get("request")
    return nav_counts(request) if request is not None else NavCounts()
