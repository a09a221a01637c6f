"""The directory's texts in German and English (django-modeltranslation; see core/bilingual.py)."""

from modeltranslation.translator import TranslationOptions, register

from .models import Offer, Organization, Topic


@register(Topic)
class TopicTranslation(TranslationOptions):
    fields = ("name", "introduction")
    required_languages = {"de": ("name",)}


@register(Organization)
class OrganizationTranslation(TranslationOptions):
    fields = ("name", "summary", "description")
    required_languages = {"de": ("name",)}


@register(Offer)
class OfferTranslation(TranslationOptions):
    fields = ("title", "description")
    required_languages = {"de": ("title",)}
