"""Notices in German and English: the manager form renders both texts; English pages fall back to German."""

import pytest
from django.urls import reverse

from crosscluster.news.models import Notice
from tests.factories import NoticeFactory

from .test_manage_views import notice_data

pytestmark = pytest.mark.django_db


def test_manager_writes_a_notice_in_both_languages(client, manager, organization):
    client.force_login(manager)

    client.post(reverse("manage:notice-create"), notice_data(organization, title_en="New", body_en="*Hello*"))

    notice = Notice.objects.get(title="Neuer Hinweis")
    assert (notice.title_en, notice.body_en, notice.body_html_en) == (
        "New",
        "*Hello*",
        "<p><em>Hello</em></p>",
    )
    assert notice.body_html_de == "<p>Text mit <strong>Hervorhebung</strong></p>"


def test_english_notice_page_shows_english_or_marked_german(client, organization):
    english = NoticeFactory(organization=organization, title="Hinweis", title_en="Notice")
    english.body_en, english.body_html_en = "News", "<p>News</p>"
    english.save()
    german = NoticeFactory(organization=organization, title="Nur Deutsch")

    urls = ["/en" + english.get_absolute_url(), "/en" + german.get_absolute_url()]  # before /en/ is active

    page, fallback = (client.get(url).content.decode() for url in urls)

    assert "<h1>Notice</h1>" in page and "<p>News</p>" in page
    assert '<h1 lang="de">Nur Deutsch</h1>' in fallback
    assert 'aria-labelledby="body-heading" lang="de"' in fallback
