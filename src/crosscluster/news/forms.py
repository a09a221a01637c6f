"""Forms of the notices: the manager's notice and attachment forms and the public filter form.

They parse and validate; the functions in news.services save.
"""

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from crosscluster.directory.access import is_coordinator, organizations_managed_by
from crosscluster.directory.forms import ENGLISH_HELP, ServiceForm, TopicsWidget
from crosscluster.directory.models import Organization, Topic
from crosscluster.events.forms import DateTimeLocalInput

from .models import Notice
from .services import max_attachment_bytes

OFFICE = "office"


class NoticeForm(ServiceForm):
    """The organisation is a choice among the user's own; the coordination office may also choose itself."""

    publisher = forms.ChoiceField(label=_("Published by"))
    valid_from = forms.DateTimeField(
        label=_("Valid from"),
        widget=DateTimeLocalInput(),
        required=False,
        help_text=_("Local time in Thüringen. Empty: from now on."),
    )
    valid_until = forms.DateTimeField(
        label=_("Valid until"),
        widget=DateTimeLocalInput(),
        required=False,
        help_text=_("Local time in Thüringen. Empty: until you remove it."),
    )

    class Meta(ServiceForm.Meta):
        model = Notice
        fields = [
            *("title_de", "title_en", "body_de", "body_en"),
            *("topics", "valid_from", "valid_until", "pinned", "published"),
        ]
        widgets = {
            "body_de": forms.Textarea(attrs={"rows": 12}),
            "body_en": forms.Textarea(attrs={"rows": 12}),
            "topics": TopicsWidget,
        }
        help_texts = {
            "title_en": ENGLISH_HELP,
            "body_en": ENGLISH_HELP,
            "body_de": _(
                "Markdown: **bold**, *italics*, lists with “- ”, links as [text](https://…), “#” headings."
            ),
            "pinned": _(
                "Urgent crisis information: shown prominently on the home page until it expires. "
                "Use sparingly."
            ),
            "published": _("Only published notices appear on the public pages."),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organizations = {str(org.pk): org for org in self._publisher_choices(user)}
        choices = [(pk, org.name) for pk, org in self.organizations.items()]
        if is_coordinator(user):
            choices.insert(0, (OFFICE, _("The coordination office")))
        self.fields["publisher"].choices = choices
        self.fields["topics"].queryset = Topic.objects.all()
        self.order_fields(["title_de", "title_en", "publisher", "body_de", "body_en", "topics"])
        notice = self.instance
        if notice.pk:
            self.initial["publisher"] = str(notice.organization_id) if notice.organization_id else OFFICE
        elif len(choices) == 1:
            self.initial["publisher"] = choices[0][0]

    def _publisher_choices(self, user: Any) -> QuerySet[Organization]:
        """The user's organisations, plus the current one, so that saving never changes it unasked."""
        managed = organizations_managed_by(user).order_by("name")
        if self.instance.pk and self.instance.organization_id:
            return (
                Organization.objects.filter(pk__in=managed.values("pk"))
                | Organization.objects.filter(pk=self.instance.organization_id)
            ).order_by("name")
        return managed

    def service_values(self) -> dict[str, Any]:
        values = super().service_values()
        publisher = values.pop("publisher")
        values["organization"] = None if publisher == OFFICE else self.organizations[publisher]
        return values


class AttachmentForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Empty: the file name."),
    )
    file = forms.FileField(
        label=_("PDF file"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("A PDF document of at most %(limit)s.") % {
            "limit": filesizeformat(max_attachment_bytes())
        }


class NoticeFilterForm(forms.Form):
    """The filters of the public list as plain GET parameters; an invalid value is reported, not applied."""

    q = forms.CharField(
        label=_("Search term"),
        required=False,
        max_length=200,
        widget=forms.SearchInput(attrs={"autocomplete": "off"}),
    )
    topic = forms.ModelChoiceField(
        label=_("Topic"),
        queryset=Topic.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=_("All topics"),
    )
    organization = forms.ChoiceField(label=_("Published by"), required=False)

    def __init__(self, *args: Any, organizations: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organizations = {org.slug: org for org in organizations}
        self.fields["organization"].choices = [
            ("", _("Everyone")),
            (OFFICE, _("The coordination office")),
            *((slug, org.name) for slug, org in self.organizations.items()),
        ]

    def _data(self) -> dict[str, Any]:
        return self.cleaned_data if hasattr(self, "cleaned_data") else {}

    def filters(self) -> dict[str, Any]:
        """The valid filters as keyword arguments for `queries.filter_notices`."""
        data = self._data()
        publisher = data.get("organization") or ""
        return {
            "text": data.get("q") or "",
            "topic": data.get("topic"),
            "organization": self.organizations.get(publisher),
            "office_only": publisher == OFFICE,
        }

    @property
    def is_filtered(self) -> bool:
        return any(self.filters().values())

    def query(self) -> str:
        """The valid filters as a query string, for links to the feeds and back to the list."""
        data = self._data()
        params = {name: self.data[name] for name in ("q", "topic", "organization") if data.get(name)}
        return urlencode(params)
