"""Writing the search documents: one row per organisation, offer, event and notice (see models.py).

The apps' services announce every change of searchable text with `core.signals.texts_changed` — the single
saves through their `refresh_search_text`, the bulk paths (feed import, series expansion, directory import)
once per batch — inside the transaction of the change; `on_texts_changed` writes the documents of those
objects right there, so a change is searchable on every app server the moment it is committed, and a
rolled-back change leaves no document behind. `rebuild()` (the `search-index` command) writes them all.

Documents are written for every object, published or not: what the public may see is decided when
searching, by joining each kind's choke point (see backends.py), so publishing or unpublishing an
organisation, merging duplicate events or a notice's validity need no rewrite.

Vectors come from the routing engine's stored embeddings (routing.Embedding, by the hash of the passage
text): an offer's own, an organisation's the centroid of its passages, as the router's profile view. When
the embedding task has stored new ones it announces the organisations (`core.signals.vectors_changed`), and
only the vectors of their documents are updated: the texts were written with the change (a fresh import
writes its documents once, in its transaction, and their vectors when the embeddings are computed).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Prefetch, Q
from django.dispatch import receiver
from django.utils.module_loading import import_string

from crosscluster.core.bilingual import all_texts
from crosscluster.core.plain_text import html_to_text
from crosscluster.core.signals import (
    Drift,
    announce_texts_changed,
    check_derived,
    organizations_changed,
    texts_changed,
    topics_changed,
    vectors_changed,
)
from crosscluster.core.text import heads, search_terms
from crosscluster.directory.models import Offer, Organization
from crosscluster.events.models import Event
from crosscluster.news.models import Notice

from .models import Document, Term

logger = logging.getLogger(__name__)

ORGANIZATION, OFFER, EVENT, NOTICE, COOPERATION = (kind.value for kind in Document.Kind)
CHUNK = 500


class _Texts:
    """Terms of the texts of a batch: each distinct text analysed once, the terms' spellings collected.

    Texts repeat within a batch (an organisation's offers are in its own document and in theirs, topic
    names, a network's boilerplate), so the analysis of each is kept for the batch.
    """

    def __init__(self) -> None:
        self.spellings: dict[str, str] = {}
        self._analysed: dict[str, tuple[str, ...]] = {}

    def _terms_of(self, text: str) -> tuple[str, ...]:
        found = self._analysed.get(text)
        if found is None:
            pairs = search_terms(text)
            for term, word in pairs:
                self.spellings.setdefault(term, word)
            found = self._analysed[text] = tuple(dict.fromkeys(term for term, _word in pairs))
        return found

    def terms(self, parts: Iterable[str]) -> list[str]:
        found: dict[str, None] = {}
        for part in parts:
            if part:
                found.update(dict.fromkeys(self._terms_of(part)))
        return list(found)

    def document(self, kind: str, pk: int, title: Iterable[str], body: Iterable[str]) -> Document:
        title_terms = self.terms(title)
        in_title = set(title_terms)
        body_terms = [term for term in self.terms(body) if term not in in_title]
        words = in_title.union(body_terms)
        parts = dict.fromkeys(head for term in [*title_terms, *body_terms] for head in heads(term))
        return Document(
            kind=kind,
            object_id=pk,
            title=" ".join(title_terms),
            body=" ".join(body_terms),
            parts=" ".join(part for part in parts if part not in words),
        )


def encoder_name() -> str:
    """The name the routing engine stores its vectors under, without loading the model."""
    return import_string(settings.ROUTING_ENCODER).name


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _stored_vectors(name: str, texts: Iterable[str]) -> dict[str, np.ndarray]:
    """Text → stored embedding (float32) of the routing encoder `name`, for the texts that have one."""
    from crosscluster.routing.models import Embedding

    by_hash = {_text_hash(text): text for text in texts}
    found: dict[str, np.ndarray] = {}
    hashes = list(by_hash)
    for start in range(0, len(hashes), CHUNK):
        rows = Embedding.objects.filter(model=name, text_hash__in=hashes[start : start + CHUNK]).values_list(
            "text_hash", "vector"
        )
        for digest, data in rows:
            found[by_hash[digest]] = np.frombuffer(bytes(data), dtype="<f4")
    return found


def _pack(vector: np.ndarray | None) -> bytes | None:
    if vector is None:
        return None
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype("<f2").tobytes() if norm > 0 else None


def unpack(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype="<f2").astype(np.float32)


def _write(kind: str, ids: Sequence[int], documents: list[Document], texts: _Texts) -> None:
    """Replace the documents of `ids` (those without a new document are removed) and record new terms."""
    for start in range(0, len(ids), CHUNK):
        Document.objects.filter(kind=kind, object_id__in=ids[start : start + CHUNK]).delete()
    Document.objects.bulk_create(documents, batch_size=CHUNK)
    used = {term for document in documents for term in f"{document.title} {document.body}".split()}
    Term.objects.bulk_create(
        [Term(term=term[:100], surface=texts.spellings.get(term, term)[:100]) for term in sorted(used)],
        ignore_conflicts=True,
        batch_size=1000,
    )


def _organization_vectors(
    organizations: Sequence[Organization], name: str
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """The stored vectors of these organisations (the centroid of their passages') and of their offers
    (offers prefetched), by primary key; those without a stored embedding are missing."""
    from crosscluster.routing.passages import offer_text, offer_texts
    from crosscluster.routing.services import directory_passages

    entries, passages = directory_passages(organizations)
    vectors = _stored_vectors(name, {p.text for p in passages})
    centroids: dict[int, np.ndarray] = {}
    for passage in passages:
        vector = vectors.get(passage.text)
        if vector is not None:
            pk = entries[passage.org].pk
            centroids[pk] = centroids[pk] + vector if pk in centroids else vector.copy()
    offers: dict[int, np.ndarray] = {}
    for organization in organizations:
        for offer in organization.offers.all():
            vector = vectors.get(
                offer_text(
                    *offer_texts(offer.title_de, offer.description_de, offer.title_en, offer.description_en)
                )
            )
            if vector is not None:
                offers[offer.pk] = vector
    return centroids, offers


def _organizations(chunk: Sequence[int]) -> list[Organization]:
    return list(
        Organization.objects.filter(pk__in=chunk)
        .order_by("pk")
        .prefetch_related("topics", Prefetch("offers", queryset=Offer.objects.prefetch_related("topics")))
    )


def index_organizations(ids: Iterable[int] | None = None) -> int:
    """Write the documents of these organisations (all when None) and of their offers."""
    queryset = Organization.objects.order_by("pk")
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    all_ids = list(queryset.values_list("pk", flat=True))
    name = encoder_name()
    for start in range(0, len(all_ids), CHUNK):
        chunk = all_ids[start : start + CHUNK]
        organizations = _organizations(chunk)
        centroids, offer_vectors = _organization_vectors(organizations, name)
        texts = _Texts()
        documents, offer_documents, offer_ids = [], [], []
        for organization in organizations:
            offers = list(organization.offers.all())
            # German and English texts, whatever the language of the request (core/bilingual.py).
            topics = [all_texts(topic, "name") for topic in organization.topics.all()]
            offer_topics = [all_texts(topic, "name") for offer in offers for topic in offer.topics.all()]
            document = texts.document(
                ORGANIZATION,
                organization.pk,
                [all_texts(organization, "name")],
                [
                    organization.city,
                    all_texts(organization, "summary"),
                    all_texts(organization, "description"),
                    *topics,
                    *offer_topics,
                    *(f"{all_texts(offer, 'title')} {all_texts(offer, 'description')}" for offer in offers),
                ],
            )
            document.vector, document.vector_model = _pack(centroids.get(organization.pk)), name
            documents.append(document)
            for offer in offers:
                document = texts.document(
                    OFFER,
                    offer.pk,
                    [all_texts(offer, "title")],
                    [all_texts(offer, "description"), *(all_texts(t, "name") for t in offer.topics.all())],
                )
                document.vector, document.vector_model = _pack(offer_vectors.get(offer.pk)), name
                offer_documents.append(document)
                offer_ids.append(offer.pk)
        _write(ORGANIZATION, chunk, documents, texts)
        _write(OFFER, offer_ids, offer_documents, texts)
    return len(all_ids)


def update_vectors(ids: Iterable[int]) -> int:
    """Store the new vectors of these organisations and their offers in their documents, the texts as they
    are: after the embedding task computed embeddings (a fresh import's documents were written in its
    transaction, without them). Returns the documents updated."""
    all_ids = sorted(set(ids))
    name = encoder_name()
    updated = 0
    for start in range(0, len(all_ids), CHUNK):
        organizations = _organizations(all_ids[start : start + CHUNK])
        centroids, offer_vectors = _organization_vectors(organizations, name)
        for kind, vectors in ((ORGANIZATION, centroids), (OFFER, offer_vectors)):
            documents = list(
                Document.objects.filter(kind=kind, object_id__in=list(vectors)).only("pk", "object_id")
            )
            for document in documents:
                document.vector, document.vector_model = _pack(vectors[document.object_id]), name
            Document.objects.bulk_update(documents, ["vector", "vector_model"], batch_size=CHUNK)
            updated += len(documents)
    return updated


def index_events(ids: Iterable[int] | None = None) -> int:
    """Write the documents of these events (all when None): title; description, place, topics, organisers."""
    queryset = Event.objects.order_by("pk")
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    all_ids = list(queryset.values_list("pk", flat=True))
    for start in range(0, len(all_ids), CHUNK * 4):
        chunk = all_ids[start : start + CHUNK * 4]
        events = (
            Event.objects.filter(pk__in=chunk)
            .order_by()
            .only("pk", "title", "description", "venue", "city")
            .prefetch_related(
                Prefetch("organizers", queryset=Organization.objects.only("pk", "name")), "topics"
            )
        )
        texts = _Texts()
        documents = [
            texts.document(
                EVENT,
                event.pk,
                [all_texts(event, "title")],
                [
                    html_to_text(all_texts(event, "description")),
                    event.venue,
                    event.city,
                    *(all_texts(topic, "name") for topic in event.topics.all()),
                    *(all_texts(organizer, "name") for organizer in event.organizers.all()),
                ],
            )
            for event in events
        ]
        _write(EVENT, chunk, documents, texts)
    return len(all_ids)


def index_notices(ids: Iterable[int] | None = None) -> int:
    """Write the documents of these notices (all when None): title; text, topics, publisher."""
    queryset = Notice.objects.order_by("pk")
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    all_ids = list(queryset.values_list("pk", flat=True))
    for start in range(0, len(all_ids), CHUNK):
        chunk = all_ids[start : start + CHUNK]
        notices = (
            Notice.objects.filter(pk__in=chunk).select_related("organization").prefetch_related("topics")
        )
        texts = _Texts()
        documents = [
            texts.document(
                NOTICE,
                notice.pk,
                [all_texts(notice, "title")],
                [
                    html_to_text(all_texts(notice, "body_html")),
                    *(all_texts(topic, "name") for topic in notice.topics.all()),
                    all_texts(notice.organization, "name") if notice.organization else "",
                ],
            )
            for notice in notices
        ]
        _write(NOTICE, chunk, documents, texts)
    return len(all_ids)


def index_cooperation_profiles(ids: Iterable[int] | None = None) -> int:
    """Write the documents of these cooperation profiles (all when None): title; text, partner wanted, call,
    roles, kind, topics. Never the owner: the search finds what the public page shows."""
    from crosscluster.cooperation.models import CooperationProfile

    queryset = CooperationProfile.objects.order_by("pk")
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    all_ids = list(queryset.values_list("pk", flat=True))
    for start in range(0, len(all_ids), CHUNK):
        chunk = all_ids[start : start + CHUNK]
        profiles = CooperationProfile.objects.filter(pk__in=chunk, erased_at__isnull=True).prefetch_related(
            "topics"
        )
        texts = _Texts()
        documents = [
            texts.document(
                COOPERATION,
                profile.pk,
                [profile.title],
                [
                    profile.text,
                    profile.partner_wanted,
                    profile.call,
                    profile.roles,
                    str(profile.get_kind_display()),
                    *(all_texts(topic, "name") for topic in profile.topics.all()),
                ],
            )
            for profile in profiles
        ]
        _write(COOPERATION, chunk, documents, texts)
    return len(all_ids)


def _indexers() -> dict[type, Any]:
    from crosscluster.cooperation.models import CooperationProfile

    return {
        Organization: index_organizations,
        Event: index_events,
        Notice: index_notices,
        CooperationProfile: index_cooperation_profiles,
    }


@receiver(vectors_changed, dispatch_uid="search.vectors_changed")
def on_vectors_changed(sender: Any, ids: Iterable[int] = (), **kwargs: Any) -> None:
    """Store the organisations' (and their offers') new vectors in their documents; the texts stay."""
    ids = [pk for pk in ids if pk is not None]
    if sender is Organization and ids:
        update_vectors(ids)


@receiver(texts_changed, dispatch_uid="search.texts_changed")
def on_texts_changed(sender: Any, ids: Iterable[int] = (), **kwargs: Any) -> None:
    """Write the documents of the objects whose text changed, in the transaction of the change."""
    indexer = _indexers().get(sender)
    ids = [pk for pk in ids if pk is not None]
    if indexer is not None and ids:
        indexer(ids)


@receiver(topics_changed, dispatch_uid="search.topics_changed")
def on_topics_changed(sender: Any, ids: Iterable[int] = (), names: bool = False, **kwargs: Any) -> None:
    """A topic's name is in the documents of the organisations (own or their offers'), events and notices
    that have it: their texts changed (announced, so that whoever else keeps texts hears it too)."""
    if not names:
        return
    ids = list(ids)
    organizations = Organization.objects.filter(Q(topics__in=ids) | Q(offers__topics__in=ids))
    announce_texts_changed(Organization, set(organizations.values_list("pk", flat=True)))
    announce_texts_changed(Event, set(Event.objects.filter(topics__in=ids).values_list("pk", flat=True)))
    announce_texts_changed(Notice, set(Notice.objects.filter(topics__in=ids).values_list("pk", flat=True)))


@receiver(organizations_changed, dispatch_uid="search.organizations_changed")
def on_organizations_changed(
    sender: Any, ids: Iterable[int] = (), names: bool = False, **kwargs: Any
) -> None:
    """An organisation's name is in the documents of the events it organises and the notices it publishes
    (its own document and its offers' follow `texts_changed`, which its services send)."""
    if not names:
        return
    ids = list(ids)
    announce_texts_changed(Event, set(Event.objects.filter(organizers__in=ids).values_list("pk", flat=True)))
    announce_texts_changed(
        Notice, set(Notice.objects.filter(organization__in=ids).values_list("pk", flat=True))
    )


def _snapshot(kind: str, ids: Sequence[int]) -> dict[tuple[str, int], tuple[Any, ...]]:
    rows = Document.objects.filter(kind=kind, object_id__in=ids).values_list(
        "object_id", "title", "body", "parts", "vector", "vector_model"
    )
    return {
        (kind, pk): (title, body, parts, bytes(vector or b""), model)
        for pk, title, body, parts, vector, model in rows
    }


def check_documents(*, repair: bool) -> Drift:
    """Compare every stored document with what its object's texts give now (each indexer runs in a savepoint
    that is rolled back), and look for documents whose object is gone; with `repair`, write the differing
    documents anew and delete the orphans. `crosscluster check-derived` runs it."""
    drift = Drift("search: Document")
    owners: tuple[tuple[Any, Any, tuple[str, ...]], ...] = (
        (Organization, index_organizations, (ORGANIZATION, OFFER)),
        (Event, index_events, (EVENT,)),
        (Notice, index_notices, (NOTICE,)),
    )
    for model, indexer, kinds in owners:
        ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
        drift.checked += len(ids)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            keys = {kind: chunk for kind in kinds}
            if OFFER in kinds:
                keys[OFFER] = list(
                    Offer.objects.filter(organization_id__in=chunk).values_list("pk", flat=True)
                )
            stored = {key: row for kind in kinds for key, row in _snapshot(kind, keys[kind]).items()}
            with transaction.atomic():
                indexer(chunk)
                fresh = {key: row for kind in kinds for key, row in _snapshot(kind, keys[kind]).items()}
                transaction.set_rollback(True)
            differing = sorted(
                key for key in stored.keys() | fresh.keys() if stored.get(key) != fresh.get(key)
            )
            drift.found += len(differing)
            drift.examples += [f"{kind} {pk}" for kind, pk in differing[: 5 - len(drift.examples)]]
            if differing and repair:
                indexer(chunk)
                drift.repaired += len(differing)
    for kind, model in ((ORGANIZATION, Organization), (OFFER, Offer), (EVENT, Event), (NOTICE, Notice)):
        orphans = Document.objects.filter(kind=kind).exclude(object_id__in=model.objects.values("pk"))
        found = orphans.count()
        if found:
            drift.found += found
            drift.examples += [
                f"{kind} {pk} (gone)" for pk in orphans.values_list("object_id", flat=True)[:2]
            ]
            if repair:
                drift.repaired += orphans.delete()[0]
    return drift


@receiver(check_derived, dispatch_uid="search.check_documents")
def on_check_derived(sender: Any, dry_run: bool = False, **kwargs: Any) -> Drift:
    return check_documents(repair=not dry_run)


def prune() -> int:
    """Remove documents whose object is gone, and terms no document has any more; returns the rows removed."""
    from crosscluster.cooperation.models import CooperationProfile

    removed = 0
    kinds: list[tuple[str, Any]] = [
        (ORGANIZATION, Organization),
        (OFFER, Offer),
        (EVENT, Event),
        (NOTICE, Notice),
    ]
    for kind, model in [*kinds, (COOPERATION, CooperationProfile)]:
        stale = Document.objects.filter(kind=kind).exclude(object_id__in=model._default_manager.values("pk"))
        removed += stale.delete()[0]
    used: set[str] = set()
    for title, body in Document.objects.values_list("title", "body").iterator(chunk_size=2000):
        used.update(title.split())
        used.update(body.split())
    stale_terms = [pk for pk, term in Term.objects.values_list("pk", "term") if term not in used]
    for start in range(0, len(stale_terms), CHUNK):
        removed += Term.objects.filter(pk__in=stale_terms[start : start + CHUNK]).delete()[0]
    return removed


def rebuild() -> dict[str, int]:
    """Write every document anew (after an upgrade, a change of the analysis or a bulk import past the
    services); returns how many objects of each kind."""
    counts = {
        "organization": index_organizations(),
        "event": index_events(),
        "notice": index_notices(),
        "cooperation": index_cooperation_profiles(),
    }
    counts["removed"] = prune()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for kind in (ORGANIZATION, OFFER, EVENT, NOTICE, COOPERATION):
                cursor.execute(f"INSERT INTO search_fts_{kind}(search_fts_{kind}) VALUES ('optimize')")  # noqa: S608
    return counts


def fill_after_migrate(using: str = "default", **kwargs: Any) -> None:
    """After the migration that created the table, write the documents of existing content (once)."""
    if Document.objects.using(using).exists():
        return
    if Organization.objects.using(using).exists() or Event.objects.using(using).exists():
        counts = rebuild()
        logger.info("search: wrote the documents of existing content: %s", counts)
