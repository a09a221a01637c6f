"""The subscribe form and the form of the private "manage my subscription" page."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from crosscluster.directory.models import Topic

# Bots fill every field they find; people never see this one (see the template).
HONEYPOT = "homepage"


class TopicsField(forms.ModelMultipleChoiceField):
    def __init__(self, **kwargs) -> None:
        super().__init__(
            queryset=Topic.objects.order_by("position", "name"),
            widget=forms.CheckboxSelectMultiple,
            label=_("Topics"),
            help_text=_("You receive the new notices and the coming events of these topics."),
            error_messages={"required": _("Please choose at least one topic.")},
            **kwargs,
        )


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("We send you a link to confirm the subscription. Nothing is sent before you confirm."),
    )
    topics = TopicsField()
    consent = forms.BooleanField(
        widget=forms.CheckboxInput(attrs={"aria-describedby": "consent-notice"}),
        label=_("I agree that my e-mail address and topics are stored to send me the weekly digest."),
        error_messages={
            "required": _("Please agree to the privacy notice so that we may send you the digest.")
        },
    )
    # The honeypot: visually hidden, hidden from assistive technology and out of the tab order.
    homepage = forms.CharField(
        label=_("Please leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.consent_version = settings.DIGEST_CONSENT_VERSION


class ManageForm(forms.Form):
    topics = TopicsField()
    language = forms.ChoiceField(label=_("Language of the mails"), choices=settings.LANGUAGES)
