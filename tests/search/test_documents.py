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


def test_a_fresh_import_writes_its_documents_once_and_then_only_their_vectors(settings):
    from pathlib import Path

    from crosscluster.directory.importing import import_directory, load_directory_file
    from crosscluster.routing.services import ensure_embeddings
    from tests.search.conftest import FAKE_ENCODER

    settings.ROUTING_ENCODER = FAKE_ENCODER
    data = load_directory_file(Path(__file__).parent.parent / "directory" / "data" / "minimal.json")
    import_directory(data, actor=None)
    written = set(Document.objects.values_list("pk", flat=True))
    texts = set(Document.objects.values_list("pk", "title", "body", "parts"))
    assert written and not Document.objects.exclude(vector=None).exists()

    assert ensure_embeddings()

    # The same rows (not deleted and written anew), their texts as they were, now with vectors.
    assert set(Document.objects.values_list("pk", flat=True)) == written
    assert set(Document.objects.values_list("pk", "title", "body", "parts")) == texts
    assert not Document.objects.filter(kind__in=["organization", "offer"], vector=None).exists()
