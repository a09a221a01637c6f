"""Forms of the manager area. They parse and validate; the functions in directory.services save."""

import copy
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from crosscluster.core.images import normalise_image

from .models import Contact, Offer, Organization, Topic, Video

# Logos, photos, posters and captions are small; only videos may be big (settings.MAX_VIDEO_UPLOAD_BYTES).
MAX_IMAGE_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_CAPTIONS_UPLOAD_BYTES = 1024 * 1024
# Under each English field (core/bilingual.py): German is the text of record, English optional.
ENGLISH_HELP = _("Optional. English pages show the German text while this is empty.")
# Longest side, in pixels, that an uploaded picture keeps (twice what the pages show, for sharp screens).
IMAGE_MAX_SIDE = {"logo": 512, "picture": 1920, "photo": 480, "poster": 1280}


def check_size(file: Any, limit: int) -> None:
    """Refuse a new upload above `limit` bytes; a file that is already stored passes."""
    if isinstance(file, UploadedFile) and file.size > limit:
        raise ValidationError(
            _("The file is %(size)s; at most %(limit)s are allowed."),
            code="file_too_large",
            params={"size": filesizeformat(file.size), "limit": filesizeformat(limit)},
        )


def _formfield(model_field: models.Field, **kwargs: Any) -> forms.Field | None:
    """Web addresses typed without a scheme mean https (Django 6's default, chosen now)."""
    if isinstance(model_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return model_field.formfield(**kwargs)


class ServiceForm(forms.ModelForm):
    """A ModelForm that validates like one (model validators, choices, constraints) but never saves.

    ModelForm validation writes the typed values onto its instance. The form therefore works on a copy, so
    the object the view hands to the service still holds what is stored, and the service sees, audits and
    saves the real changes in one transaction.
    """

    # Optional groups for the template: (legend, description, field names). Fields in no group come first.
    fieldsets: ClassVar[list[tuple[Any, Any, list[str]]]] = []

    class Meta:
        formfield_callback = _formfield

    def __init__(self, *args: Any, instance: models.Model | None = None, **kwargs: Any) -> None:
        super().__init__(*args, instance=copy.deepcopy(instance) if instance is not None else None, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ImageField):
                field.validators.append(lambda file: check_size(file, MAX_IMAGE_UPLOAD_BYTES))

    def _post_clean(self) -> None:
        """New pictures are decoded, resized and stripped of EXIF before the model sees them."""
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if isinstance(field, forms.ImageField) and isinstance(value, UploadedFile):
                try:
                    self.cleaned_data[name] = normalise_image(value, IMAGE_MAX_SIDE.get(name, 1280))
                except ValidationError as error:
                    self.add_error(name, error)
        super()._post_clean()

    def service_values(self) -> dict[str, Any]:
        """The cleaned values as keyword arguments for the service function."""
        values = {}
        for name, field in self.fields.items():
            value = self.cleaned_data[name]
            if isinstance(field, forms.FileField) and not value:
                value = ""  # no file, or "clear" was ticked (False)
            values[name] = value
        return values

    def groups(self) -> list[dict[str, Any]]:
        grouped = {name for _legend, _description, names in self.fieldsets for name in names}
        result = [
            {
                "legend": None,
                "description": None,
                "fields": [self[n] for n in self.fields if n not in grouped],
            }
        ]
        for legend, description, names in self.fieldsets:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                result.append({"legend": legend, "description": description, "fields": fields})
        return [group for group in result if group["fields"]]

    def save(self, commit: bool = True) -> models.Model:
        raise NotImplementedError("Call the service function with form.service_values().")


class TopicsWidget(forms.CheckboxSelectMultiple):
    """Check boxes in a fieldset: keyboard- and screen-reader-friendly, unlike a multiple select box."""


class TopicForm(ServiceForm):
    class Meta(ServiceForm.Meta):
        model = Topic
        fields = ["introduction_de", "introduction_en", "synonyms"]
        widgets = {
            "introduction_de": forms.Textarea(attrs={"rows": 8}),
            "introduction_en": forms.Textarea(attrs={"rows": 8}),
            "synonyms": forms.Textarea(attrs={"rows": 6}),
        }


class OrganizationForm(ServiceForm):
    class Meta(ServiceForm.Meta):
        model = Organization
        fields = [
            *("name_de", "name_en", "kind", "city", "website"),
            *("summary_de", "summary_en", "description_de", "description_en"),
            *("logo", "picture", "topics", "published"),
        ]
        widgets = {
            "summary_de": forms.Textarea(attrs={"rows": 3, "maxlength": 600}),
            "summary_en": forms.Textarea(attrs={"rows": 3, "maxlength": 600}),
            "description_de": forms.Textarea(attrs={"rows": 10}),
            "description_en": forms.Textarea(attrs={"rows": 10}),
            "topics": TopicsWidget,
            "website": forms.URLInput(attrs={"autocomplete": "url"}),
        }
        help_texts = {
            "summary_de": _("Two or three sentences for the directory list; at most 600 characters."),
            "summary_en": ENGLISH_HELP,
            "description_de": _("Plain text without formatting."),
            "description_en": ENGLISH_HELP,
            "name_en": ENGLISH_HELP,
            "website": _("The full address, starting with https://"),
            "logo": _("PNG, JPEG or WebP."),
            "picture": _(
                "A wide photo for the top of your page (PNG, JPEG or WebP); it is resized for the web."
            ),
            "topics": _("Choose the topics your organisation works on; companies find you through them."),
            "published": _("Only published organisations appear in the public directory."),
        }

    def __init__(self, *args: Any, allow_publish: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not allow_publish:
            # Publishing is the coordination office's decision; the service refuses it too.
            del self.fields["published"]


class OfferForm(ServiceForm):
    class Meta(ServiceForm.Meta):
        model = Offer
        fields = ["title_de", "title_en", "description_de", "description_en", "kind", "topics"]
        widgets = {
            "description_de": forms.Textarea(attrs={"rows": 8}),
            "description_en": forms.Textarea(attrs={"rows": 8}),
            "topics": TopicsWidget,
        }
        help_texts = {
            "title_en": ENGLISH_HELP,
            "description_de": _("Plain text: what a company gets, and for whom it is meant."),
            "description_en": ENGLISH_HELP,
        }


class ContactForm(ServiceForm):
    class Meta(ServiceForm.Meta):
        model = Contact
        fields = ["name", "role", "email", "phone", "photo"]
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "off"}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }
        help_texts = {
            "role": _("For example “Network manager” or “Funding advice”."),
            "photo": _(
                "PNG, JPEG or WebP. Publish a person's photo and contact details only with their consent."
            ),
        }


# The first bytes of the two containers browsers play natively: an ISO media file (MP4) has its `ftyp` box
# first, a WebM file starts with the EBML magic number. The extension alone says nothing about the content.
_VIDEO_SIGNATURES = {
    ".mp4": lambda head: head[4:8] == b"ftyp",
    ".webm": lambda head: head[:4] == b"\x1a\x45\xdf\xa3",
}


def check_video_content(file: UploadedFile) -> None:
    """Refuse an upload whose content is not the MP4 or WebM its name claims."""
    head = file.read(16)
    file.seek(0)
    suffix = "." + file.name.rsplit(".", 1)[-1].lower() if "." in file.name else ""
    signature = _VIDEO_SIGNATURES.get(suffix)
    if signature is not None and not signature(head):
        raise ValidationError(
            _("This file is not an MP4 or WebM video, whatever its name says."), code="not_video"
        )


class VideoForm(ServiceForm):
    """Either an uploaded file (with poster and captions) or a link to an external platform, never both."""

    fieldsets: ClassVar[list[tuple[Any, Any, list[str]]]] = [
        (
            _("Uploaded video"),
            _(
                "An MP4 or WebM file, played on this site, with a poster image and captions (required: "
                "captions make it usable for people who cannot hear it)."
            ),
            ["file", "captions", "captions_language"],
        ),
        (
            _("Or: external video"),
            _("A link to a video platform. Visitors see it only after they agree to load it."),
            ["url"],
        ),
        (
            _("Poster image"),
            _("Shown in the video gallery and before the video plays; for an external video, too."),
            ["poster"],
        ),
    ]

    class Meta(ServiceForm.Meta):
        model = Video
        fields = ["title", "file", "poster", "captions", "captions_language", "url"]
        widgets = {"url": forms.URLInput(attrs={"inputmode": "url"})}
        help_texts = {
            "poster": _("An image shown before the video starts (PNG, JPEG or WebP)."),
            "captions": _("A WebVTT file (.vtt) with the spoken words."),
            "url": _("The full address, starting with https://"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("MP4 or WebM, at most %(size)s.") % {
            "size": filesizeformat(settings.MAX_VIDEO_UPLOAD_BYTES)
        }

    def clean_file(self) -> Any:
        file = self.cleaned_data.get("file")
        check_size(file, settings.MAX_VIDEO_UPLOAD_BYTES)
        if isinstance(file, UploadedFile):
            check_video_content(file)
        return file

    def clean_captions(self) -> Any:
        captions = self.cleaned_data.get("captions")
        check_size(captions, MAX_CAPTIONS_UPLOAD_BYTES)
        if isinstance(captions, UploadedFile):
            start = captions.read(16)
            captions.seek(0)
            # WebVTT starts with "WEBVTT", perhaps after a byte order mark; browsers ignore anything else.
            if not start.removeprefix(b"\xef\xbb\xbf").startswith(b"WEBVTT"):
                raise ValidationError(
                    _("This is not a WebVTT file; it must start with “WEBVTT”."), code="not_vtt"
                )
        return captions

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        if "file" in self.errors or "url" in self.errors:
            return cleaned_data
        has_file = bool(cleaned_data.get("file"))
        has_url = bool(cleaned_data.get("url"))
        if has_file and has_url:
            self.add_error(
                "url",
                ValidationError(
                    _("Give either a video file or an external address, not both."), code="file_and_url"
                ),
            )
        elif not has_file and not has_url:
            self.add_error(
                "file",
                ValidationError(
                    _("Upload a video file or give the address of an external video."), code="no_video"
                ),
            )
        elif has_file:
            # Served by us, the video must be usable without sound (BITV 2.0 / WCAG 1.2.2) and look like
            # something in the gallery before it plays.
            if not cleaned_data.get("captions") and "captions" not in self.errors:
                self.add_error(
                    "captions",
                    ValidationError(
                        _("An uploaded video needs captions: add a WebVTT file with the spoken words."),
                        code="captions_required",
                    ),
                )
            if not cleaned_data.get("poster") and "poster" not in self.errors:
                self.add_error(
                    "poster",
                    ValidationError(
                        _("An uploaded video needs a poster image, shown before it plays."),
                        code="poster_required",
                    ),
                )
        return cleaned_data
