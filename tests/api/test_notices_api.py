"""Notices in the API: whole payloads, filters, only public notices, errors as problems, query counts."""

import datetime as dt

import pytest
from django.utils import timezone

from crosscluster.news.models import Notice
from tests.factories import NoticeAttachmentFactory, NoticeFactory, OrganizationFactory, TopicFactory


def iso(value: dt.datetime) -> str:
    """As the API writes it: UTC, milliseconds."""
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def payload(notice: Notice, **overrides) -> dict:
    """The list payload of a notice made by NoticeFactory with its defaults."""
    data = {
        "slug": notice.slug,
        "title": notice.title,
        "title_en": None,
        "url": f"http://testserver/hinweise/{notice.slug}/",
        "organization": notice.organization.slug if notice.organization else None,
        "region": "thueringen",
        "body": "Neue **Fördermittel** für die Digitalisierung kleiner Unternehmen.",
        "body_en": None,
        "body_html": "<p>Neue <strong>Fördermittel</strong> für die Digitalisierung kleiner Unternehmen.</p>",
        "body_html_en": None,
        "text": "Neue Fördermittel für die Digitalisierung kleiner Unternehmen.",
        "text_en": None,
        "topics": [],
        "valid_from": iso(notice.valid_from),
        "valid_until": None,
        "pinned": False,
        "updated_at": iso(notice.updated_at),
    }
    return data | overrides


def problem_422(path: str, field: str, detail: str, code: str) -> dict:
    return {
        "type": "about:blank",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "The request is not valid.",
        "instance": path,
        "errors": [{"location": "query", "field": field, "detail": detail, "code": code}],
    }


@pytest.fixture
def notices(organization, other_organization, topic):
    now = timezone.now()
    return {
        "urgent": NoticeFactory(
            organization=None,
            title="Hochwasser",
            pinned=True,
            topics=[topic],
            valid_from=now - dt.timedelta(hours=3),
            valid_until=now + dt.timedelta(days=2),
        ),
        "newest": NoticeFactory(
            organization=organization, title="Förderaufruf", valid_from=now - dt.timedelta(hours=1)
        ),
        "older": NoticeFactory(
            organization=other_organization, title="Fachkräfte", valid_from=now - dt.timedelta(days=2)
        ),
        "draft": NoticeFactory(organization=organization, title="Entwurf", published=False),
        "future": NoticeFactory(organization=organization, valid_from=now + dt.timedelta(days=1)),
        "hidden": NoticeFactory(organization=OrganizationFactory(published=False), title="Versteckt"),
    }


def test_notices_list_returns_current_public_notices_whole(api_client, notices, topic):
    response = api_client.get("/api/v1/notices")

    assert response.status_code == 200
    urgent = notices["urgent"]
    assert response.json() == {
        "count": 3,
        "items": [
            payload(urgent, topics=[topic.slug], pinned=True, valid_until=iso(urgent.valid_until)),
            payload(notices["newest"]),
            payload(notices["older"]),
        ],
    }


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ({"topic": "kunststoffe"}, ["Hochwasser"]),
        ({"organization": "polymer-netz"}, ["Förderaufruf"]),
        ({"organization": "office"}, ["Hochwasser"]),
        ({"q": "Fachkräfte"}, ["Fachkräfte"]),
        ({"q": "digitalisierung", "organization": "andere-org"}, ["Fachkräfte"]),
        ({"limit": 1, "offset": 1}, ["Förderaufruf"]),
    ],
)
def test_notices_list_filters(api_client, notices, query, titles):
    response = api_client.get("/api/v1/notices", query)

    assert [item["title"] for item in response.json()["items"]] == titles


@pytest.mark.parametrize(
    ("query", "field", "detail", "code"),
    [
        ({"topic": "gibt-es-nicht"}, "topic", "There is no topic with this slug.", "unknown_slug"),
        (
            {"organization": "gibt-es-nicht"},
            "organization",
            "There is no organisation with this slug.",
            "unknown_slug",
        ),
        ({"limit": 0}, "limit", "Input should be greater than or equal to 1", "greater_than_equal"),
    ],
)
def test_notices_bad_filters_are_problems(api_client, db, query, field, detail, code):
    response = api_client.get("/api/v1/notices", query)

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == problem_422("/api/v1/notices", field, detail, code)


def test_notices_list_hides_notices_of_an_unpublished_organisation_filter(api_client, db):
    hidden = OrganizationFactory(slug="versteckt", published=False)
    NoticeFactory(organization=hidden)

    response = api_client.get("/api/v1/notices", {"organization": "versteckt"})

    assert response.status_code == 422


def test_notices_list_query_count_does_not_grow_with_rows(
    api_client, organization, django_assert_num_queries
):
    def add(count):
        for _ in range(count):
            NoticeFactory(organization=organization, topics=[TopicFactory(), TopicFactory()])

    add(2)
    # count, page (with organisation and region), topics
    with django_assert_num_queries(3):
        api_client.get("/api/v1/notices")
    add(8)
    with django_assert_num_queries(3):
        assert api_client.get("/api/v1/notices").json()["count"] == 10


def test_notice_detail_with_attachments(api_client, organization, topic):
    notice = NoticeFactory(organization=organization, topics=[topic])
    attachment = NoticeAttachmentFactory(notice=notice, title="Merkblatt")

    response = api_client.get(f"/api/v1/notices/{notice.slug}")

    assert response.status_code == 200
    assert response.json() == payload(
        notice,
        topics=[topic.slug],
        attachments=[{"title": "Merkblatt", "url": f"http://testserver{attachment.file.url}"}],
    )


@pytest.mark.parametrize("kind", ["draft", "future", "hidden"])
def test_notice_detail_is_404_when_not_public(api_client, notices, kind):
    slug = notices[kind].slug

    response = api_client.get(f"/api/v1/notices/{slug}")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == f"There is no current notice “{slug}”."


def test_notice_text_keeps_paragraphs_lists_and_entities(api_client, organization):
    notice = NoticeFactory(
        organization=organization,
        body="Erster Absatz.\n\nZweiter & letzter:\n\n- Punkt eins\n- Punkt zwei",
    )

    data = api_client.get(f"/api/v1/notices/{notice.slug}").json()

    assert data["text"] == "Erster Absatz.\n\nZweiter & letzter:\n\n- Punkt eins\n- Punkt zwei"
