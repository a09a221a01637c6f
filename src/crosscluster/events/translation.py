"""The events' texts in German and English (django-modeltranslation; see core/bilingual.py)."""

from modeltranslation.translator import TranslationOptions, register

from .models import Event


@register(Event)
class EventTranslation(TranslationOptions):
    fields = ("title", "description")
    required_languages = {"de": ("title",)}
