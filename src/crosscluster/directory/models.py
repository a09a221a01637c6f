"""The directory: regions, the shared topic taxonomy, organisations with offers, contacts and videos."""

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import FileExtensionValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

slug_validator = RegexValidator(r"^[a-z0-9-]+$", _("Use lower-case letters, digits and hyphens only."))


class Region(models.Model):
    """A region runs its own initiative (Thüringen first); every organisation belongs to one."""

    slug = models.SlugField(_("slug"), max_length=60, unique=True, validators=[slug_validator])
    name = models.CharField(_("name"), max_length=120)
    # Public holidays do not count as working days for response deadlines: ISO country and subdivision.
    holiday_calendar = models.CharField(
        _("holiday calendar"),
        max_length=10,
        default="DE-TH",
        help_text=_(
            "Country and state of the public holidays, e.g. DE-TH for Thüringen or DE-SN for Sachsen."
        ),
    )

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Topic(models.Model):
    if TYPE_CHECKING:  # the language columns modeltranslation adds (translation.py)
        name_de: str
        name_en: str
        introduction_de: str
        introduction_en: str

    """One entry of the taxonomy that all regions share."""

    slug = models.SlugField(_("slug"), max_length=60, unique=True, validators=[slug_validator])
    name = models.CharField(_("name"), max_length=120)
    # Keeps the order of the import file, so that an export round trip is lossless.
    position = models.PositiveIntegerField(_("position"), default=0)
    # Other words for the same topic (one a line); search and routing both match them.
    synonyms = models.TextField(
        _("synonyms"),
        blank=True,
        help_text=_("One synonym per line, e.g. abbreviations or other word forms."),
    )
    # Written by the coordination office; shown at the top of the topic page. Markdown.
    introduction = models.TextField(
        _("introduction"),
        max_length=10000,
        blank=True,
        help_text=_("Shown at the top of the topic page. Markdown: **bold**, lists, links."),
    )

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("portal:topic", kwargs={"slug": self.slug})  # the topic page composes several apps

    def synonym_list(self) -> list[str]:
        """The synonyms, one per non-empty line, stripped, without duplicates, in their order."""
        return list(dict.fromkeys(line.strip() for line in self.synonyms.splitlines() if line.strip()))


class Organization(models.Model):
    class Kind(models.TextChoices):
        NETWORK = "network", _("Network")
        CLUSTER = "cluster", _("Cluster")
        CENTER = "center", _("Competence center")
        AGENCY = "agency", _("Agency")
        CHAMBER = "chamber", _("Chamber")
        RESEARCH = "research", _("Research institution")
        SUPPORTER = "supporter", _("Supporter")
        COORDINATION = "coordination", _("Coordination office")

    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="organizations"
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True, validators=[slug_validator])
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    city = models.CharField(_("city"), max_length=100, blank=True, db_index=True)
    website = models.URLField(_("website"), blank=True)
    summary = models.TextField(_("summary"), max_length=600, blank=True)
    description = models.TextField(_("description"), max_length=10000, blank=True)
    logo = models.ImageField(
        _("logo"),
        upload_to="logos/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "webp", "svg"])],
    )
    picture = models.ImageField(
        _("picture"),
        upload_to="pictures/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "webp"])],
    )
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), related_name="organizations", blank=True)
    published = models.BooleanField(_("published"), default=True)
    # Lower-cased, stemmed words of the organisation and its offers, for text search (see directory.search).
    updated_at = models.DateTimeField(auto_now=True)
    if TYPE_CHECKING:  # the language columns modeltranslation adds (translation.py)
        name_de: str
        name_en: str
        summary_de: str
        summary_en: str
        description_de: str
        description_en: str

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:organization", kwargs={"slug": self.slug})


class Offer(models.Model):
    if TYPE_CHECKING:  # the language columns modeltranslation adds (translation.py)
        title_de: str
        title_en: str
        description_de: str
        description_en: str

    class Kind(models.TextChoices):
        ADVICE = "advice", _("Advice")
        FUNDING = "funding", _("Funding")
        NETWORKING = "networking", _("Networking")
        TRAINING = "training", _("Training")
        EVENT = "event", _("Event")
        INFRASTRUCTURE = "infrastructure", _("Infrastructure")
        MATCHMAKING = "matchmaking", _("Matchmaking")
        INFORMATION = "information", _("Information")

    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="offers"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.ADVICE)
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), related_name="offers", blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class Contact(models.Model):
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=150)
    role = models.CharField(_("role"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    photo = models.ImageField(
        _("photo"),
        upload_to="contacts/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "webp"])],
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Video(models.Model):
    """A short video: an uploaded file (played natively, with captions) or a link to an external platform.

    External videos are shown only after the visitor consents, so no third party is contacted before.
    """

    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="videos"
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(
        _("video file"),
        upload_to="videos/",
        blank=True,
        validators=[FileExtensionValidator(["mp4", "webm"])],
    )
    poster = models.ImageField(
        _("poster image"),
        upload_to="videos/posters/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "webp"])],
    )
    captions = models.FileField(
        _("captions (WebVTT)"),
        upload_to="videos/captions/",
        blank=True,
        validators=[FileExtensionValidator(["vtt"])],
    )
    captions_language = models.CharField(
        _("captions language"), max_length=10, choices=settings.LANGUAGES, default="de"
    )
    url = models.URLField(_("external URL"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("video")
        verbose_name_plural = _("videos")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(file="") & ~models.Q(url="")) | (~models.Q(file="") & models.Q(url="")),
                name="video_file_xor_url",
                violation_error_message=_("Upload a video file or give an external URL, not both."),
            ),
            # BITV 2.0 / WCAG 1.2.2: a video we serve has captions. External platforms bring their own.
            models.CheckConstraint(
                condition=models.Q(file="") | ~models.Q(captions=""),
                name="video_file_has_captions",
                violation_error_message=_("An uploaded video needs captions (a WebVTT file)."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_external(self) -> bool:
        return bool(self.url)
