"""Writing the search documents: the words of HTML texts stay apart."""

import pytest

from crosscluster.search.models import Document
from tests.factories import EventFactory, NoticeFactory

pytestmark = pytest.mark.django_db


def document(kind, pk):
    found = Document.objects.get(kind=kind, object_id=pk)
    return set(f"{found.title} {found.body}".split())


def test_event_description_paragraphs_are_separate_words():
    event = EventFactory(
        title="Sprechstunde", description="<p>Wasserstoff</p><p>Recycling</p><ul><li>Erfurt</li></ul>"
    )
    terms = document("event", event.pk)
    assert {"wasserstoff", "recycling", "erfurt"} <= terms
    assert not any("wasserstoffrecycling" in term for term in terms)


def test_notice_body_paragraphs_are_separate_words():
    notice = NoticeFactory(title="Hinweis", body_html="<p>Wasserstoff</p><p>Recycling</p>")
    terms = document("notice", notice.pk)
    assert {"wasserstoff", "recycling"} <= terms
    assert not any("wasserstoffrecycling" in term for term in terms)
