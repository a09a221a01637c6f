"""Stored state of the routing engine: embeddings of directory texts, evidence from handled inquiries, and the
version stamp that tells every process when its in-memory index is out of date."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Embedding(models.Model):
    """The vector of one text under one encoder, keyed by the text's SHA-256: equal texts are embedded once.

    Rows are looked up by hash when an index is built, so they need no link to the offer or organisation they
    came from; texts nobody uses any more are removed by `prune_embeddings`.
    """

    model = models.CharField(_("encoder"), max_length=100)
    text_hash = models.CharField(_("text hash"), max_length=64)
    dim = models.PositiveIntegerField(_("dimensions"))
    # float32, little-endian, L2-normalised.
    vector = models.BinaryField(_("vector"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("embedding")
        verbose_name_plural = _("embeddings")
        constraints = [
            models.UniqueConstraint(fields=["model", "text_hash"], name="routing_embedding_unique")
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.text_hash[:12]}"


class Evidence(models.Model):
    """A text that an organisation has shown to fit: e.g. an inquiry it handled. Ranking learns from these.

    Its embedding is kept on the row itself (not in the shared table), so deleting the row deletes every trace
    of the text, as data protection requires (`forget_evidence`).
    """

    organization = models.ForeignKey(
        "directory.Organization",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="routing_evidence",
    )
    text = models.TextField(_("text"))
    source = models.CharField(_("source"), max_length=40, help_text=_("e.g. inquiry"))
    source_id = models.CharField(_("source id"), max_length=100, blank=True)
    embedding = models.BinaryField(_("embedding"), null=True, blank=True)
    embedding_model = models.CharField(_("encoder"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=~models.Q(source_id=""),
                name="routing_evidence_unique_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.source_id} → {self.organization_id}"


class IndexVersion(models.Model):
    """A single row whose `version` grows with every change the index depends on.

    Each process compares it with the version its in-memory index was built from (one indexed read per query)
    and rebuilds when it differs, so all app servers follow a change on their next request.
    """

    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("index version")
        verbose_name_plural = _("index version")

    def __str__(self) -> str:
        return str(self.version)
