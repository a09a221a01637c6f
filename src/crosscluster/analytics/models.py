"""Page views per page and day: numbers only, nothing about the people who viewed them (docs/analytics.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from crosscluster.directory.models import Region


class PageViewCount(models.Model):
    """How often one public page was viewed on one day (in the display time zone).

    The page is named by its kind and its object's id rather than by a foreign key: the counter never blocks
    deleting an organisation, event or notice, and counting needs no join. The slug of an organisation or a
    notice may change; its id does not, so the figures stay with the page.
    """

    class Kind(models.TextChoices):
        ORGANIZATION = "organization", _("Organisation")
        EVENT = "event", _("Event")
        NOTICE = "notice", _("Notice")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField(_("object id"))
    # The region the page belongs to when it was viewed (an event: its first organiser's region).
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    day = models.DateField(_("day"))
    count = models.PositiveIntegerField(_("views"), default=0)

    class Meta:
        verbose_name = _("page view count")
        verbose_name_plural = _("page view counts")
        constraints = [
            # The conflict target of the upsert in analytics.counting.
            models.UniqueConstraint(
                fields=["kind", "object_id", "day"], name="pageviewcount_unique_page_day"
            ),
        ]
        indexes = [models.Index(fields=["day"], name="pageviewcount_day_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} {self.day}: {self.count}"
