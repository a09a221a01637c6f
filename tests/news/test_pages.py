"""Notice pages and the topic page in the site frame: one h1, no skipped heading levels, labelled fields."""

import itertools

import pytest

from tests.core.test_pages import outline
from tests.factories import EventFactory, NoticeAttachmentFactory, NoticeFactory

PAGES = [
    "/hinweise/",
    "/hinweise/?topic=kunststoffe&organization=office",
    "/hinweise/?topic=gibt-es-nicht",
    "/hinweise/dringend/",
    "/themen/kunststoffe/",
    "/",
    "/organisationen/polymer-netz/",
]
ALL_PAGES = PAGES + [f"/en{path}" for path in PAGES]


@pytest.fixture
def notices(organization, topic):
    topic.introduction = "# Überblick\n\nText mit **Markdown**."
    topic.save()
    notice = NoticeFactory(
        organization=organization,
        slug="dringend",
        title="Dringend",
        pinned=True,
        body="# Was gilt\n\n## Fristen\n\nBis Freitag.",
        topics=[topic],
    )
    NoticeAttachmentFactory(notice=notice)
    NoticeFactory(organization=None, topics=[topic])
    EventFactory(organizers=[organization], topics=[topic])


@pytest.mark.parametrize("path", ALL_PAGES)
def test_notice_and_topic_pages_have_one_h1_and_no_skipped_heading_levels(client, notices, path):
    response = client.get(path)

    assert response.status_code == 200
    headings = outline(response).headings
    assert headings.count(1) == 1
    assert headings[0] == 1
    for previous, current in itertools.pairwise(headings):
        assert current <= previous + 1, headings


@pytest.mark.parametrize("path", ALL_PAGES)
def test_notice_and_topic_pages_label_every_field_and_have_no_inline_code(client, notices, path):
    page = outline(client.get(path))

    for field in page.fields:
        assert field.get("id") in page.label_targets or field.get("aria-label"), field
    # JSON-LD (organisation pages) is data, never run; every script is a file.
    assert all(script.get("src") or script.get("type") == "application/ld+json" for script in page.scripts)
    assert page.inline_styles == 0
