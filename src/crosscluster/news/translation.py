"""The notices' texts in German and English (django-modeltranslation; see core/bilingual.py)."""

from modeltranslation.translator import TranslationOptions, register

from .models import Notice


@register(Notice)
class NoticeTranslation(TranslationOptions):
    # body_html is the rendered body (news.rendering), kept per language as well.
    fields = ("title", "body", "body_html")
    required_languages = {"de": ("title", "body")}
