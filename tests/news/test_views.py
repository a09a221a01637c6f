"""Public notice pages: list and filters, the notice page, the feeds, the home banner, the organisation."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import NoticeAttachmentFactory, NoticeFactory, OrganizationFactory, TopicFactory

ATOM = "{http://www.w3.org/2005/Atom}"


def test_notice_list_shows_only_public_notices(client, organization):
    NoticeFactory(organization=organization, title="Aktueller Hinweis")
    NoticeFactory(organization=organization, title="Entwurf", published=False)
    NoticeFactory(
        organization=organization,
        title="Abgelaufen",
        valid_from=timezone.now() - dt.timedelta(days=3),
        valid_until=timezone.now() - dt.timedelta(days=1),
    )
    NoticeFactory(organization=OrganizationFactory(published=False), title="Verborgene Organisation")

    response = client.get(reverse("news:list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Aktueller Hinweis" in html
    for hidden in ("Entwurf", "Abgelaufen", "Verborgene Organisation"):
        assert hidden not in html


def test_notice_list_filters_by_topic_organisation_and_office(
    client, organization, other_organization, topic
):
    NoticeFactory(organization=organization, title="Mit Thema", topics=[topic])
    NoticeFactory(organization=other_organization, title="Anderes Netzwerk")
    NoticeFactory(organization=None, title="Von der Geschäftsstelle")

    def titles(**params):
        return [notice.title for notice in client.get(reverse("news:list"), params).context["notices"]]

    assert titles(topic=topic.slug) == ["Mit Thema"]
    assert titles(organization=other_organization.slug) == ["Anderes Netzwerk"]
    assert titles(organization="office") == ["Von der Geschäftsstelle"]
    assert titles(q="Netzwerk anderes") == ["Anderes Netzwerk"]
    assert len(titles(topic="gibt-es-nicht")) == 3  # an invalid filter is reported and left out


def test_notice_list_paginates(client, organization):
    for number in range(25):
        NoticeFactory(organization=organization, title=f"Hinweis Nummer {number}")

    first = client.get(reverse("news:list"))
    second = client.get(reverse("news:list"), {"page": 2})

    assert len(first.context["notices"]) == 20
    assert len(second.context["notices"]) == 5
    assert 'rel="next"' in first.content.decode()


def test_notice_list_query_count_does_not_grow_with_notices(
    client, organization, topic, django_assert_num_queries
):
    def add(count):
        for _ in range(count):
            notice = NoticeFactory(organization=organization, topics=[topic, TopicFactory()])
            NoticeAttachmentFactory(notice=notice)

    add(3)
    # publisher choices, count, page, topics prefetch, topic choices
    with django_assert_num_queries(5):
        client.get(reverse("news:list"))
    add(10)
    with django_assert_num_queries(5):
        client.get(reverse("news:list"))


def test_notice_detail_renders_body_attachments_and_topics(client, organization, topic):
    notice = NoticeFactory(
        organization=organization,
        title="Energiepreise",
        body="## Was jetzt gilt\n\n- Antrag **bis Freitag**",
        topics=[topic],
    )
    NoticeAttachmentFactory(notice=notice, title="Merkblatt Härtefallhilfe")

    response = client.get(notice.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert notice.get_absolute_url() == "/hinweise/" + notice.slug + "/"
    assert "<h4>Was jetzt gilt</h4>" in html
    assert "<strong>bis Freitag</strong>" in html
    assert "Merkblatt Härtefallhilfe" in html
    assert topic.get_absolute_url() in html
    assert organization.get_absolute_url() in html


@pytest.mark.parametrize(
    "overrides",
    [
        {"published": False},
        {"valid_from": dt.timedelta(days=1)},
        {"valid_until": -dt.timedelta(minutes=1), "valid_from": -dt.timedelta(days=1)},
    ],
    ids=["unpublished", "not-yet-valid", "expired"],
)
def test_notice_detail_is_404_when_not_public(client, organization, overrides):
    now = timezone.now()
    values = {
        key: now + value if isinstance(value, dt.timedelta) else value for key, value in overrides.items()
    }
    notice = NoticeFactory(organization=organization, **values)

    assert client.get(notice.get_absolute_url()).status_code == 404


def test_notice_rss_and_atom_feeds_list_public_notices_with_filters(client, organization, topic):
    NoticeFactory(organization=organization, title="Förderaufruf", topics=[topic], pinned=True)
    NoticeFactory(organization=organization, title="Ohne Thema")
    NoticeFactory(organization=organization, title="Entwurf", published=False)

    rss = ET.fromstring(client.get(reverse("news:rss")).content)
    atom = ET.fromstring(client.get(reverse("news:atom"), {"topic": topic.slug}).content)

    rss_titles = sorted(item.findtext("title") for item in rss.iter("item"))
    assert rss_titles == ["Dringend: Förderaufruf", "Ohne Thema"]
    entries = atom.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == ["Dringend: Förderaufruf"]
    assert "<strong>Fördermittel</strong>" in entries[0].findtext(f"{ATOM}summary")
    assert entries[0].find(f"{ATOM}author").findtext(f"{ATOM}name") == organization.name


def test_home_page_shows_urgent_notices_until_they_expire(client, organization):
    now = timezone.now()
    NoticeFactory(
        organization=None,
        title="Hochwasser: Hilfen für Betriebe",
        pinned=True,
        valid_until=now + dt.timedelta(days=2),
    )
    NoticeFactory(organization=organization, title="Nicht dringend")
    NoticeFactory(
        organization=organization,
        title="Vorbei",
        pinned=True,
        valid_from=now - dt.timedelta(days=3),
        valid_until=now - dt.timedelta(days=1),
    )

    html = client.get(reverse("portal:home")).content.decode()

    # The urgent banner; the home page's list of current notices below it shows the others too.
    assert 'aria-labelledby="urgent-heading"' in html
    banner = html.split('aria-labelledby="urgent-heading"')[1].split("</section>")[0]
    assert "Hochwasser: Hilfen für Betriebe" in banner
    assert "Nicht dringend" not in banner
    assert "Nicht dringend" in html
    assert "Vorbei" not in html


def test_home_page_without_urgent_notices_has_no_banner(client, organization):
    NoticeFactory(organization=organization)

    assert "urgent-heading" not in client.get(reverse("portal:home")).content.decode()


def test_organization_page_shows_its_current_notices(client, organization, other_organization):
    NoticeFactory(organization=organization, title="Eigener Hinweis")
    NoticeFactory(organization=other_organization, title="Fremder Hinweis")
    NoticeFactory(organization=organization, title="Entwurf", published=False)

    html = client.get(organization.get_absolute_url()).content.decode()

    assert "Eigener Hinweis" in html
    assert "Fremder Hinweis" not in html
    assert "Entwurf" not in html


def test_main_navigation_links_the_notices_and_marks_them_current(client, organization):
    notice = NoticeFactory(organization=organization)

    home = client.get(reverse("portal:home")).content.decode()
    listing = client.get(reverse("news:list")).content.decode()
    detail = client.get(notice.get_absolute_url()).content.decode()

    link = f'<a href="{reverse("news:list")}"'
    assert f"{link}>Hinweise</a>" in home
    assert f'{link} aria-current="page">Hinweise</a>' in listing
    assert f'{link} aria-current="page">Hinweise</a>' in detail


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 404),
        ("outsider", 404),
        ("other_manager", 404),
        ("manager", 200),
        ("coordinator", 200),
    ],
)
def test_notice_detail_previews_a_draft_for_its_editors_only(client, request, organization, role, status):
    notice = NoticeFactory(organization=organization, title="Entwurf", published=False)
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))

    response = client.get(notice.get_absolute_url())

    assert response.status_code == status
    if status == 200:
        assert response.context["preview"] is True
        assert "Vorschau" in response.content.decode()
        assert "no-store" in response["Cache-Control"]
        assert response["X-Robots-Tag"] == "noindex"


def test_notice_detail_of_a_public_notice_is_no_preview(client, manager, organization):
    notice = NoticeFactory(organization=organization)
    client.force_login(manager)

    response = client.get(notice.get_absolute_url())

    assert response.context["preview"] is False
    assert "X-Robots-Tag" not in response
