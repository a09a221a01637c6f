"""The search's stored state: one document per searchable object, and the vocabulary of its terms.

A document holds the object's search terms (core.text: German stems, numbers) as plain text in three
fields: `title` (an organisation's name, an offer's, event's or notice's title), `body` (the rest of its
text: descriptions, topics, organisers, places) and `parts` (the possible back parts of its compound terms,
so that `Beratung` finds `Fördermittelberatung`). The database indexes them with its own full-text engine:
on PostgreSQL a generated `tsvector` column with a GIN index per kind (migration 0002), on SQLite an FTS5
table kept in step by triggers. Visibility (published, listed, valid) is not stored here: every search joins
the object's own table through the app's choke point, so a document never shows what is hidden.

`vector` is the object's embedding under the routing engine's encoder (`vector_model`), float16: an
offer's own, an organisation's the centroid of its passages' (routing.passages). The hybrid ranking of
organisations and offers compares the query's embedding with it.
"""

from django.db import models


class Document(models.Model):
    class Kind(models.TextChoices):
        ORGANIZATION = "organization"
        OFFER = "offer"
        EVENT = "event"
        NOTICE = "notice"
        COOPERATION = "cooperation"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    object_id = models.BigIntegerField()
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)
    parts = models.TextField(blank=True)
    vector = models.BinaryField(null=True, blank=True)
    vector_model = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="search_document_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class Term(models.Model):
    """A term some document contains as a word of its own, and a spelling of it for "did you mean".

    Written with the documents (insert only); a term whose documents are gone stays until `search-index
    --prune` and is never suggested, as a suggestion must find something.
    """

    term = models.CharField(max_length=100, unique=True)
    surface = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.term
