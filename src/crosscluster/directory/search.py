"""The directory's part of the search: announcing changed texts, and its text filter.

`refresh_search_text` announces a change of an organisation or its offers (core.signals.texts_changed), so
that their search documents (search.documents) are rewritten in the same transaction. `filter_by_text`
narrows a list by the search's documents (search.filters), the same word forms, prefixes and compound parts
as the site search.
"""

from django.db.models import QuerySet

from crosscluster.core.signals import announce_texts_changed
from crosscluster.core.text import terms


def stems(text: str) -> list[str]:
    """Search terms of the meaningful words of a text, in order (core.text)."""
    return terms(text)


def refresh_search_text(organization) -> None:
    """After any change to the organisation, its topics or its offers: the search documents of the
    organisation and its offers are rewritten in the same transaction (core.signals.texts_changed)."""
    announce_texts_changed(type(organization), [organization.pk])


def filter_by_text(queryset: QuerySet, query: str, kind: str = "organization") -> QuerySet:
    """Keep rows whose search document contains every meaningful word of the query in some form."""
    from crosscluster.search.filters import filter_by_text as search_filter

    return search_filter(queryset, query, kind)
