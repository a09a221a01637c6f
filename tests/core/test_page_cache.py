"""The page cache (core.page_cache): served to anonymous visitors only, current after every change, 304s."""

import datetime as dt
import gzip

import brotli
import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from crosscluster.core import page_cache
from crosscluster.core.models import PageVersion
from crosscluster.directory import services as directory_services
from crosscluster.directory.models import Contact, Organization
from crosscluster.events import services as event_services
from crosscluster.news import services as news_services
from tests.factories import EventFactory, NoticeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_ENABLED = True
    caches["default"].clear()
    page_cache.store.clear_local()
    yield
    page_cache.store.clear_local()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block's on-commit callbacks as a real commit would (the version bump). The test's own
    transaction never commits: forget the bump its fixtures are waiting for, so the block adds its own."""

    def run():
        page_cache._pending.token = None
        return django_capture_on_commit_callbacks(execute=True)

    return run


def profile(organization, **changes):
    return {
        "name_de": organization.name_de,
        "kind": organization.kind,
        "city": organization.city,
        "website": organization.website,
        "summary_de": organization.summary_de,
        "description_de": organization.description_de,
        "topics": [topic.pk for topic in organization.topics.all()],
    } | changes


def version() -> str:
    return page_cache.current_version().value


def test_page_cache_answers_the_second_visitor_without_rendering(
    client, organization, django_assert_num_queries
):
    url = reverse("directory:organization", kwargs={"slug": organization.slug})
    first = client.get(url)

    with django_assert_num_queries(1):  # the version, nothing else
        second = Client().get(url)

    assert second.status_code == 200
    assert second.content == first.content
    assert organization.name in second.content.decode()
    assert second["ETag"] == first["ETag"]
    assert second["Cache-Control"] == "no-cache"


def test_page_cache_shows_a_managers_edit_on_the_next_anonymous_request(
    client, organization, manager, committed
):
    url = reverse("directory:organization", kwargs={"slug": organization.slug})
    assert "PolymerNetz Mitteldeutschland" not in client.get(url).content.decode()
    office = Client()
    office.force_login(manager)
    form = profile(organization, name_de="PolymerNetz Mitteldeutschland")

    with committed():
        saved = office.post(reverse("manage:organization-edit", kwargs={"slug": organization.slug}), form)

    assert saved.status_code == 302
    assert "PolymerNetz Mitteldeutschland" in Client().get(url).content.decode()


def test_page_cache_answers_an_unchanged_calendar_poll_with_304_after_one_query(
    client, organization, django_assert_num_queries
):
    EventFactory(organizers=[organization])
    url = reverse("events:calendar")
    first = client.get(url)
    assert first.status_code == 200
    assert first["Content-Type"].startswith("text/calendar")

    with django_assert_num_queries(1):
        poll = Client().get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert poll.status_code == 304
    assert poll.content == b""
    assert poll["ETag"] == first["ETag"]
    since = Client().get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304


def test_page_cache_answers_200_to_a_poll_after_a_change(client, organization, committed):
    event = EventFactory(organizers=[organization], title="Kunststofftag")
    url = reverse("events:calendar")
    etag = client.get(url)["ETag"]

    with committed():
        event_services.update_event(event, actor=None, title="Kunststofftag 2027")

    poll = Client().get(url, HTTP_IF_NONE_MATCH=etag)
    assert poll.status_code == 200
    assert "Kunststofftag 2027" in poll.content.decode()
    assert poll["ETag"] != etag


def test_page_cache_api_reads_and_feeds_carry_validators(client, organization):
    NoticeFactory(organization=organization)
    for url in ("/api/v1/organizations", reverse("news:rss"), reverse("events:widget")):
        response = client.get(url)
        assert response.status_code == 200, url
        etag = response["ETag"]
        assert Client().get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304, url


def test_page_cache_keys_by_language(client, organization):
    organization.name_en = "PolymerNet Thuringia"
    organization.save()
    url = reverse("directory:organization", kwargs={"slug": organization.slug})

    german = client.get(url)
    english = Client().get("/en" + url)
    german_again = Client().get(url)

    assert german["Content-Language"] == "de" and english["Content-Language"] == "en"
    assert "PolymerNet Thuringia" in english.content.decode()
    assert "PolymerNet Thuringia" not in german_again.content.decode()
    assert german["ETag"] != english["ETag"]


def test_page_cache_keys_htmx_fragments_apart_from_pages(client, organization):
    url = reverse("search:results") + "?q=Kunststoff"
    page = client.get(url)
    fragment = Client().get(url, HTTP_HX_REQUEST="true")
    page_again = Client().get(url)

    assert b"<html" in page.content and b"<html" not in fragment.content
    assert page_again.content == page.content


def test_page_cache_never_gives_a_visitor_anothers_data(client, organization, manager, committed):
    """A logged-in manager's page (the link to the manager area, the message about their edit, their cookies)
    is never stored, and what anonymous visitors get carries no cookie, no message and no CSRF token."""
    office = Client()
    office.force_login(manager)
    url = reverse("directory:organization", kwargs={"slug": organization.slug})
    edit = reverse("manage:organization-edit", kwargs={"slug": organization.slug})
    with committed():
        office.post(edit, profile(organization))
    personal = office.get(url).content.decode()
    manage_link = f'href="{reverse("manage:dashboard")}"'
    assert manage_link in personal and 'class="messages"' in personal

    anonymous = client.get(url)
    again = Client().get(url)

    for response in (anonymous, again):
        body = response.content.decode()
        assert manage_link not in body and 'class="messages"' not in body
        assert "csrfmiddlewaretoken" not in body
        assert not response.cookies
    # The manager is never served the anonymous copy, not even as a 304.
    assert office.get(url, HTTP_IF_NONE_MATCH=again["ETag"]).status_code == 200


@pytest.mark.parametrize(
    "reason",
    ["csrf token", "cookie", "message", "session", "private", "post", "session cookie", "authorization"],
)
def test_page_cache_stores_no_response_with_a_secret(reason, db):
    """Forms (CSRF token), cookies, messages, the session, `private` answers, POST, logged-in visitors and
    API tokens: nothing of these is stored, so no other visitor can get it."""
    from django.contrib.messages import add_message, constants
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.contrib.sessions.backends.db import SessionStore

    factory = RequestFactory()
    request = factory.post("/verzeichnis/") if reason == "post" else factory.get("/verzeichnis/")
    if reason == "session cookie":
        request.COOKIES["sessionid"] = "x"
    if reason == "authorization":
        request.META["HTTP_AUTHORIZATION"] = "Bearer secret"
    request.session = SessionStore()
    request._messages = CookieStorage(request)
    rendered = []

    def view(request):
        rendered.append(1)
        response = HttpResponse(f"<p>secret {len(rendered)}</p>")
        if reason == "csrf token":
            response.content = get_token(request).encode()
        elif reason == "cookie":
            response.set_cookie("x", "1")
        elif reason == "message":
            add_message(request, constants.INFO, "Gespeichert.")
        elif reason == "session":
            request.session["seen"] = True
        elif reason == "private":
            response["Cache-Control"] = "private"
        return response

    middleware = page_cache.page_cache(view)
    middleware(request)
    second = factory.get("/verzeichnis/")
    second.session, second._messages = SessionStore(), CookieStorage(second)
    middleware(second)

    assert len(rendered) == 2


def test_page_cache_gives_the_widget_a_fresh_nonce_and_keeps_it_frameable(client, organization):
    EventFactory(organizers=[organization])
    url = reverse("events:widget")
    nonces = []
    for visitor in (client, Client(), Client()):
        response = visitor.get(url)
        nonce = response.content.decode().split('nonce="')[1].split('"')[0]
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        assert "X-Frame-Options" not in response
        assert "frame-ancestors *" in response["Content-Security-Policy"]
        nonces.append(nonce)
    assert len(set(nonces)) == 3


def test_page_cache_compresses_cached_pages_as_accepted(client, organization):
    url = reverse("directory:list")
    plain = client.get(url)
    zipped = Client().get(url, HTTP_ACCEPT_ENCODING="gzip")
    smaller = Client().get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    refused = Client().get(url, HTTP_ACCEPT_ENCODING="br;q=0, gzip;q=0")

    assert "Content-Encoding" not in plain and "Content-Encoding" not in refused
    assert zipped["Content-Encoding"] == "gzip" and smaller["Content-Encoding"] == "br"
    assert gzip.decompress(zipped.content) == plain.content
    assert brotli.decompress(smaller.content) == plain.content
    for response in (plain, zipped, smaller):
        assert int(response["Content-Length"]) == len(response.content)
    assert "Accept-Encoding" in plain["Vary"]


def test_page_cache_compresses_anonymous_pages_it_does_not_cache(client, organization, settings):
    settings.PAGE_CACHE_ENABLED = False

    plain = client.get(reverse("directory:list"))
    zipped = Client().get(reverse("directory:list"), HTTP_ACCEPT_ENCODING="gzip")

    assert zipped["Content-Encoding"] == "gzip"
    assert int(zipped["Content-Length"]) == len(zipped.content)
    assert gzip.decompress(zipped.content) == plain.content


def test_page_cache_never_compresses_a_page_with_a_csrf_token(client, db):
    """BREACH: the inquiry form reflects input next to a CSRF token; it is sent uncompressed."""
    response = client.get(reverse("inquiries:create"), HTTP_ACCEPT_ENCODING="gzip, br")

    assert response.status_code == 200
    assert "Content-Encoding" not in response
    assert b"csrfmiddlewaretoken" in response.content


@pytest.mark.parametrize(
    "change",
    [
        "organization unpublished",
        "contact added",
        "video added",
        "topic introduced",
        "event moved",
        "event unpublished",
        "notice published",
        "notice deleted",
    ],
)
def test_page_cache_version_changes_with_every_public_change(change, organization, topic, committed):
    event = EventFactory(organizers=[organization])
    notice = NoticeFactory(organization=organization, published=False)
    before = version()

    with committed():
        if change == "organization unpublished":
            directory_services.update_organization(organization, actor=None, published=False)
        elif change == "contact added":
            directory_services.create_contact(organization, actor=None, name="Dr. Ute Beispiel")
        elif change == "video added":
            directory_services.create_video(
                organization, actor=None, title="Kurz erklärt", url="https://www.youtube.com/watch?v=abc"
            )
        elif change == "topic introduced":
            directory_services.update_topic(topic, actor=None, introduction="Leichter bauen.")
        elif change == "event moved":
            event_services.update_event(event, actor=None, start=event.start + dt.timedelta(hours=1))
        elif change == "event unpublished":
            event_services.update_event(event, actor=None, published=False)
        elif change == "notice published":
            news_services.update_notice(notice, actor=None, published=True)
        elif change == "notice deleted":
            news_services.delete_notice(notice, actor=None)

    assert version() != before


def test_page_cache_version_stays_without_public_change(organization, committed):
    before = version()

    with committed():
        UserFactory()  # accounts, not shown on public pages
        Client().get(reverse("portal:home"))  # reading (and counting a view) changes nothing

    assert version() == before


def test_page_cache_bumps_once_per_transaction(organization, committed):
    with committed() as callbacks:
        for n in range(5):
            Organization.objects.filter(pk=organization.pk).update(city=f"Jena {n}")
        Contact.objects.create(organization=organization, name="Dr. Ute Beispiel")

    assert len([c for c in callbacks if hasattr(c, "page_cache_token")]) == 1


def test_page_cache_shows_a_notice_when_its_validity_starts(client, organization, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    NoticeFactory(
        organization=organization,
        title="Förderaufruf Wasserstoff",
        valid_from=timezone.now() + dt.timedelta(minutes=30),
    )
    PageVersion.objects.all().delete()  # the notice's factory wrote no committed version
    url = reverse("news:list")
    assert "Förderaufruf Wasserstoff" not in client.get(url).content.decode()
    assert "Förderaufruf Wasserstoff" not in Client().get(url).content.decode()

    time_machine.shift(dt.timedelta(minutes=31))

    assert "Förderaufruf Wasserstoff" in Client().get(url).content.decode()


def test_page_cache_drops_an_event_from_the_list_when_it_is_over(client, organization, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    EventFactory(
        organizers=[organization],
        title="Frühstück der Netzwerke",
        start=timezone.now() + dt.timedelta(minutes=10),
        end=timezone.now() + dt.timedelta(minutes=70),
    )
    PageVersion.objects.all().delete()
    url = reverse("events:list")
    assert "Frühstück der Netzwerke" in client.get(url).content.decode()

    time_machine.shift(dt.timedelta(minutes=71))

    assert "Frühstück der Netzwerke" not in Client().get(url).content.decode()


def test_page_cache_next_change_is_the_next_midnight_without_data(db, settings, time_machine):
    settings.PAGE_CACHE_MAX_SECONDS = 24 * 3600
    time_machine.move_to(dt.datetime(2027, 3, 28, 0, 30, tzinfo=dt.UTC), tick=False)  # 01:30 in Berlin

    moment = page_cache.next_time_change(timezone.now())

    assert moment == dt.datetime(2027, 3, 28, 22, 0, tzinfo=dt.UTC)  # midnight in Berlin (summer time)


def test_page_cache_counts_page_views_of_cached_pages(client, organization):
    from crosscluster.analytics.models import PageViewCount

    url = reverse("directory:organization", kwargs={"slug": organization.slug})
    browser = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"
    for _ in range(3):
        Client(HTTP_USER_AGENT=browser).get(url)

    assert PageViewCount.objects.get(object_id=organization.pk).count == 3


class BrokenCache(LocMemCache):
    """A cache server that is down."""

    def get(self, *args, **kwargs):
        raise ConnectionError("cache down")

    def set(self, *args, **kwargs):
        raise ConnectionError("cache down")


def test_page_cache_renders_when_the_cache_is_down(client, organization, settings):
    settings.CACHES = {"default": {"BACKEND": "tests.core.test_page_cache.BrokenCache"}}

    first = client.get(reverse("directory:list"))
    page_cache.store.clear_local()
    second = Client().get(reverse("directory:list"))

    assert first.status_code == second.status_code == 200
    assert organization.name in second.content.decode()


@pytest.mark.django_db(transaction=True)
def test_page_cache_follows_a_real_commit(client, organization):
    """Without a test transaction around it: the service commits, the bump runs on the commit."""
    url = reverse("directory:organization", kwargs={"slug": organization.slug})
    assert "Kunststoffnetz Saale" not in client.get(url).content.decode()
    assert Client().get(url)["ETag"] == client.get(url)["ETag"]  # served from the cache

    directory_services.update_organization(organization, actor=None, name="Kunststoffnetz Saale")

    assert "Kunststoffnetz Saale" in Client().get(url).content.decode()


def test_page_cache_bumps_on_the_domain_signal(organization, committed):
    from crosscluster.core.signals import texts_changed

    before = version()
    with committed():
        texts_changed.send(sender=Organization, ids=[organization.pk])

    assert version() != before


def test_page_cache_feed_bookkeeping_bumps_nothing(organization, committed):
    from crosscluster.events.models import FeedSubscription

    feed = FeedSubscription.objects.create(organization=organization, url="https://example.org/a.ics")
    before = version()
    with committed():
        FeedSubscription.objects.filter(pk=feed.pk).update(last_fetched_at=timezone.now())

    assert version() == before


@pytest.mark.parametrize(
    "url_name, kwargs",
    [
        ("cooperation:owner", {"token": "owner-token"}),
        ("cooperation:confirm-interest", {"token": "visitor-token"}),
        ("cooperation:decide", {"signed": "signed-link"}),
        ("cooperation:renew", {"signed": "signed-link"}),
        ("cooperation:submit", {}),
    ],
)
@pytest.mark.parametrize("language", ["de", "en"])
def test_page_cache_skips_the_token_pages_and_forms_of_the_cooperation_exchange(url_name, kwargs, language):
    from django.utils import translation

    with translation.override(language):
        path = reverse(url_name, kwargs=kwargs)

    assert not page_cache.is_cacheable_request(RequestFactory().get(path))


def test_page_cache_may_keep_the_cooperation_exchanges_public_list(db):
    assert page_cache.is_cacheable_request(RequestFactory().get(reverse("cooperation:list")))
