"""Text search over the directory that understands German word forms.

Each organisation stores the Snowball stems of its own and its offers' words in `search_text`. A query word
matches when its stem occurs anywhere in that text, so `Förderung` (stem `forder`) finds `Fördermittel`
(`fordermittel`) and parts of compounds are found too. Plain substring tests work the same on SQLite and
PostgreSQL.
"""

from collections.abc import Iterable

from django.db.models import QuerySet

from crosscluster.core.signals import texts_changed
from crosscluster.core.text import terms


def stems(text: str) -> list[str]:
    """Search terms of the meaningful words of a text, in order (core.text)."""
    return terms(text)


def build_search_text(parts: Iterable[str]) -> str:
    return " ".join(sorted({stem for part in parts if part for stem in stems(part)}))


def organization_search_text(organization) -> str:
    parts = [organization.name, organization.city, organization.summary, organization.description]
    parts += [topic.name for topic in organization.topics.all()]
    for offer in organization.offers.all():
        parts += [offer.title, offer.description]
    return build_search_text(parts)


def refresh_search_text(organization) -> None:
    """Recompute after any change to the organisation, its topics or its offers; the search documents of
    the organisation and its offers follow in the same transaction (core.signals.texts_changed)."""
    text = organization_search_text(organization)
    if text != organization.search_text:
        organization.search_text = text
        type(organization).objects.filter(pk=organization.pk).update(search_text=text)
    texts_changed.send(sender=type(organization), ids=[organization.pk])


def filter_by_text(queryset: QuerySet, query: str, field: str = "search_text") -> QuerySet:
    """Keep rows that contain every meaningful word of the query in some form."""
    for query_stem in dict.fromkeys(stems(query)):
        queryset = queryset.filter(**{f"{field}__contains": query_stem})
    return queryset
