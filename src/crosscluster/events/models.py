"""The Netzwerktimer: one calendar of the events of all member networks.

Events are entered by managers or imported from an organisation's feed (`FeedSubscription`). Times are aware
and stored in UTC; pages show them in `settings.DISPLAY_TIME_ZONE` (Europe/Berlin).

All-day events keep date semantics: `start` is midnight (Berlin) of the first day and `end` is midnight of the
day *after* the last day, i.e. the end is exclusive, exactly like an iCalendar all-day DTEND. A one-day event
on 3 March therefore runs from 3 March 00:00 to 4 March 00:00.

Recurrence is kept as RFC 5545 text (RRULE value, RDATE and EXDATE lists). Occurrences are rows: the feed
import stores one event per occurrence of a feed's series, and an entered event with a rule gets one row per
further occurrence within a year ahead (`series` points to it; series.expand_series). Every page, export
and the API therefore lists occurrences without expanding anything.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crosscluster.directory.models import Organization, Topic

from . import times


class FeedSubscription(models.Model):
    """An organisation's calendar feed that is fetched periodically (see `events.feeds`)."""

    class Kind(models.TextChoices):
        ICAL = "ical", _("iCalendar")
        RSS = "rss", _("RSS")

    class Status(models.TextChoices):
        OK = "ok", _("OK")
        FAILING = "failing", _("Failing")

    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="feeds"
    )
    url = models.URLField(_("URL"), max_length=1000)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ICAL)
    active = models.BooleanField(_("active"), default=True)
    # HTTP validators of the last successful fetch, for conditional requests.
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(_("last status"), max_length=10, choices=Status.choices, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # What the last successful import skipped or guessed (its first 50 warnings), shown to the managers.
    last_warnings = models.JSONField(_("warnings of the last import"), default=list, blank=True)
    # Failed imports in a row: each doubles the wait before the next fetch (feeds.subscriptions.due_feeds).
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("feed subscription")
        verbose_name_plural = _("feed subscriptions")
        ordering = ["organization__name", "url"]

    def __str__(self) -> str:
        return self.url


class Event(models.Model):
    class Format(models.TextChoices):
        ON_SITE = "on_site", _("On site")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("Hybrid")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")
        POSTPONED = "postponed", _("Postponed")

    class Source(models.TextChoices):
        ENTERED = "entered", _("Entered")
        FEED = "feed", _("Feed")

    title = models.CharField(_("title"), max_length=200)
    # Stored already cleaned by core.sanitize.clean_html, so templates may mark it safe.
    description = models.TextField(_("description"), max_length=20000, blank=True)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    all_day = models.BooleanField(_("all day"), default=False)
    rrule = models.TextField(_("recurrence rule"), blank=True)
    rdates = models.TextField(_("additional dates"), blank=True)
    exdates = models.TextField(_("excluded dates"), blank=True)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True, db_index=True)
    online_url = models.URLField(_("online URL"), max_length=1000, blank=True)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices, default=Format.ON_SITE)
    organizers = models.ManyToManyField(Organization, verbose_name=_("organisers"), related_name="events")
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), related_name="events", blank=True)
    is_free = models.BooleanField(_("free of charge"), default=True)
    price_text = models.CharField(_("price"), max_length=200, blank=True)
    registration_url = models.URLField(_("registration URL"), max_length=1000, blank=True)
    language = models.CharField(_("language"), max_length=10, default="de")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.ENTERED)
    feed = models.ForeignKey(
        FeedSubscription,
        verbose_name=_("feed"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
    )
    # The UID the feed gave the event: the key for updates on the next fetch.
    source_uid = models.CharField(_("UID in the feed"), max_length=500, blank=True)
    # Set when the event disappeared from its feed; such events are no longer listed.
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    published = models.BooleanField(_("published"), default=True)
    # Whether the public calendar lists the event: derived from the fields above, the group of duplicates
    # and the organisers, and written by events.listing alone (`save` leaves it out, see there).
    listed = models.BooleanField(_("listed publicly"), default=False, editable=False)
    # The canonical event of its group of duplicates (see events.dedup); null for a canonical or unique event.
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        # Indexed by the partial index below: almost every event has none, and a full index on a column
        # of NULLs makes SQLite's planner (after ANALYZE) prefer scanning the table to looking it up.
        db_index=False,
    )
    # For an occurrence of an entered recurring event: the event whose rule made it (series.expand_series).
    # Its `source_uid` is then the occurrence's RECURRENCE-ID, the key for updating it when the rule runs
    # again. Feed series are stored the same way, one row per occurrence, keyed by UID#RECURRENCE-ID.
    series = models.ForeignKey(
        "self",
        verbose_name=_("series"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="occurrences",
    )
    # An occurrence of an entered series that its manager edited on its own (another room, another hour):
    # the series no longer rewrites it, and the exports write it as an override (RECURRENCE-ID).
    detached = models.BooleanField(_("edited on its own"), default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Lower-cased, stemmed words of the event, for text search (see directory.search).

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["start"], name="event_start_idx"),
            models.Index(fields=["published", "start"], name="event_published_start_idx"),
            # Partial: SQLite uses an index on (listed, start) for `WHERE listed` (as Django writes the
            # condition) only by its first column, not for the range on start; a partial index it uses whole.
            models.Index(fields=["start"], condition=models.Q(listed=True), name="event_listed_start_idx"),
            models.Index(
                fields=["duplicate_of"],
                condition=models.Q(duplicate_of__isnull=False),
                name="event_duplicate_of_idx",
            ),
            # The search looks up each event matching the words by id for what it needs (search.backends):
            # from this narrow index alone, not from the wide rows with their descriptions.
            models.Index(fields=["id", "listed", "end", "start"], name="event_search_lookup_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["feed", "source_uid"],
                condition=models.Q(feed__isnull=False),
                name="event_unique_feed_uid",
            ),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="event_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        """Save every field but `listed` of a stored event: an instance's flag may be older than the
        stored one (events.listing writes it by UPDATE on the domain signals), so a save must not write it
        back. A new event starts unlisted until its service announces it."""
        if self.pk is not None and not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name != "listed"
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("events:detail", kwargs={"pk": self.pk})

    # Days in the display zone, whatever zone is active: templates use these, never `start.date`.
    @property
    def first_day(self) -> dt.date:
        return times.local(self.start).date()

    @property
    def last_day(self) -> dt.date:
        """The last day the event touches; for all-day events the day before the exclusive end."""
        if self.all_day:
            return times.last_day(self.start, self.end)
        return times.local(self.end).date()

    @property
    def is_single_day(self) -> bool:
        return self.first_day == self.last_day

    @property
    def identity(self) -> str:
        """A key that survives a re-import: the feed's UID for imported events, else the id."""
        if self.feed_id is not None and self.source_uid:
            return f"feed:{self.feed_id}:{self.source_uid}"
        return f"event:{self.pk}"

    # The organisers and topics of the whole group of duplicates; the public pages list these.
    # Without `queries.with_relations` they cost a query per duplicate.
    @property
    def listed_organizers(self) -> list[Organization]:
        return _union([self.organizers.all(), *(d.organizers.all() for d in self.duplicates.all())])

    @property
    def listed_topics(self) -> list[Topic]:
        if "listed_topics" in self.__dict__:  # set by queries.attach_topics
            return self.__dict__["listed_topics"]
        return _union([self.topics.all(), *(d.topics.all() for d in self.duplicates.all())])

    @listed_topics.setter
    def listed_topics(self, topics: list[Topic]) -> None:
        self.__dict__["listed_topics"] = topics


def _union(groups) -> list:
    seen: dict[int, models.Model] = {}
    for group in groups:
        for item in group:
            seen.setdefault(item.pk, item)
    return sorted(seen.values(), key=lambda item: (str(item), item.pk))


class DuplicateDecision(models.Model):
    """The coordination office's word on whether two events are the same; it beats the automatic match.

    The events are named by `Event.identity`, not by id, so that the decision still applies when a feed
    import recreates an event. The pair is stored sorted (`key_a` < `key_b`); a later decision replaces it.
    """

    class Decision(models.TextChoices):
        SAME = "same", _("Same event")
        DIFFERENT = "different", _("Different events")

    key_a = models.CharField(max_length=600)
    key_b = models.CharField(max_length=600)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("duplicate decision")
        verbose_name_plural = _("duplicate decisions")
        constraints = [
            models.UniqueConstraint(fields=["key_a", "key_b"], name="duplicate_decision_unique_pair"),
            models.CheckConstraint(
                condition=models.Q(key_a__lt=models.F("key_b")), name="duplicate_pair_sorted"
            ),
        ]
        indexes = [models.Index(fields=["key_b"], name="duplicate_decision_key_b_idx")]

    def __str__(self) -> str:
        return f"{self.key_a} {self.decision} {self.key_b}"


# The fields of an event that its services and the feed import set (views, API, admin and the import pass them
# by these names).
EVENT_FIELDS = (
    "title",
    "description",
    # The plain names are the German texts (core/bilingual.py), so are the _de names; _en the English ones.
    "title_de",
    "description_de",
    "title_en",
    "description_en",
    "start",
    "end",
    "all_day",
    "rrule",
    "rdates",
    "exdates",
    "venue",
    "address",
    "city",
    "online_url",
    "format",
    "is_free",
    "price_text",
    "registration_url",
    "language",
    "status",
    "published",
)
