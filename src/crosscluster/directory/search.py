"""The directory's search text and its text filter.

`search_text` keeps the terms (core.text) of each organisation and its offers; `refresh_search_text`
recomputes it after every change and announces the change (core.signals.texts_changed), so that the
search documents follow in the same transaction. `filter_by_text` narrows a list by the search's documents
(search.filters), the same word forms, prefixes and compound parts as the site search.
"""

from collections.abc import Iterable

from django.db.models import QuerySet

from crosscluster.core.bilingual import all_texts
from crosscluster.core.signals import announce_texts_changed
from crosscluster.core.text import terms


def stems(text: str) -> list[str]:
    """Search terms of the meaningful words of a text, in order (core.text)."""
    return terms(text)


def build_search_text(parts: Iterable[str]) -> str:
    return " ".join(sorted({stem for part in parts if part for stem in stems(part)}))


def organization_search_text(organization) -> str:
    # German and English texts, whatever the language of the request (core/bilingual.py).
    parts = [all_texts(organization, "name"), organization.city]
    parts += [all_texts(organization, "summary"), all_texts(organization, "description")]
    parts += [all_texts(topic, "name") for topic in organization.topics.all()]
    for offer in organization.offers.all():
        parts += [all_texts(offer, "title"), all_texts(offer, "description")]
    return build_search_text(parts)


def refresh_search_text(organization) -> None:
    """Recompute after any change to the organisation, its topics or its offers; the search documents of
    the organisation and its offers follow in the same transaction (core.signals.texts_changed)."""
    text = organization_search_text(organization)
    if text != organization.search_text:
        organization.search_text = text
        type(organization).objects.filter(pk=organization.pk).update(search_text=text)
    announce_texts_changed(type(organization), [organization.pk])


def filter_by_text(queryset: QuerySet, query: str, kind: str = "organization") -> QuerySet:
    """Keep rows whose search document contains every meaningful word of the query in some form."""
    from crosscluster.search.filters import filter_by_text as search_filter

    return search_filter(queryset, query, kind)
