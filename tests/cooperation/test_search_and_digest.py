"""Public cooperation profiles are found by the site search (and its API) and appear in the weekly digest of
their topics ("new cooperation offers in your topics"); hidden ones never do, nor does the owner."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from crosscluster.cooperation import services
from crosscluster.cooperation.models import CooperationProfile
from crosscluster.digest import services as digest_services
from crosscluster.digest.content import DigestMaterial
from crosscluster.digest.models import DigestIssue
from crosscluster.search import services as search
from crosscluster.search.documents import index_cooperation_profiles, rebuild
from crosscluster.search.models import Document
from tests.cooperation.conftest import PROFILE_VALUES
from tests.digest.conftest import SubscriberFactory
from tests.factories import CooperationProfileFactory, TopicFactory


@pytest.fixture
def published(topic, network, reviewer):
    profile, _token = services.submit_profile(
        topics=[topic],
        consent=True,
        **(
            PROFILE_VALUES
            | {"title": "Gesucht: Recycling für Mischkunststoffe", "company_name": "Geheimfirma"}
        ),
    )
    services.confirm_profile(profile)
    services.approve_profile(profile, actor=reviewer)
    return profile


def cooperation_group(result):
    return next(group for group in result.groups if group.kind == "cooperation")


def test_submitting_writes_the_search_document_in_the_same_transaction(db, topic):
    profile, _token = services.submit_profile(topics=[topic], consent=True, **PROFILE_VALUES)
    document = Document.objects.get(kind="cooperation", object_id=profile.pk)
    assert document.title  # the title's terms
    assert "geheim" not in document.body


def test_search_finds_a_published_profile(published):
    group = cooperation_group(search.search("Mischkunststoffe"))
    assert group.count == 1
    assert group.items == [published]
    assert group.label == "Kooperationsprofile"


def test_search_does_not_find_unpublished_or_withdrawn_profiles(db, topic, published):
    hidden, _token = services.submit_profile(
        topics=[topic], consent=True, **(PROFILE_VALUES | {"title": "Mischkunststoffe unbestätigt"})
    )
    assert cooperation_group(search.search("Mischkunststoffe")).items == [published]
    services.withdraw_profile(published)
    assert cooperation_group(search.search("Mischkunststoffe")).count == 0
    assert hidden.pk not in [item.pk for item in cooperation_group(search.search("unbestätigt")).items]


def test_search_page_and_api_show_profiles(client, published):
    body = client.get(reverse("search:results"), {"q": "Mischkunststoffe"}).content.decode()
    assert published.get_absolute_url() in body
    assert "Geheimfirma" not in body
    data = client.get("/api/v1/search", {"q": "Mischkunststoffe", "kind": "cooperation"}).json()
    assert data["groups"][0]["items"][0]["url"].endswith(published.get_absolute_url())


def test_rebuild_writes_documents_of_profiles_and_prunes_gone_ones(db):
    profile = CooperationProfileFactory(title="Wasserstoff Konsortium")
    assert rebuild()["cooperation"] == 1
    assert Document.objects.filter(kind="cooperation", object_id=profile.pk).exists()
    profile.delete()
    rebuild()
    assert not Document.objects.filter(kind="cooperation").exists()
    assert index_cooperation_profiles([]) == 0


def test_digest_material_lists_new_public_profiles_of_the_topics(db, topic):
    now = timezone.now()
    other = TopicFactory(slug="optik", name="Optik")
    new = CooperationProfileFactory(title="Neu", topics=[topic], published_at=now - dt.timedelta(days=2))
    CooperationProfileFactory(title="Alt", topics=[topic], published_at=now - dt.timedelta(days=30))
    CooperationProfileFactory(title="Anderes Thema", topics=[other], published_at=now - dt.timedelta(days=1))
    CooperationProfileFactory(
        title="Ungeprüft", topics=[topic], published_at=now, state=CooperationProfile.State.SUBMITTED
    )

    material = DigestMaterial(since=now - dt.timedelta(days=7), until=now)

    items = material.for_topics([topic.pk])
    assert items.cooperation == [new]
    assert bool(items)


def test_digest_mail_contains_new_cooperation_offers(db, topic):
    subscriber = SubscriberFactory(topics=[topic])
    now = timezone.now()
    profile = CooperationProfileFactory(title="Spritzguss-Sensorik gesucht", topics=[topic], published_at=now)
    material = DigestMaterial(since=now - dt.timedelta(days=7), until=now + dt.timedelta(seconds=1))
    issue = DigestIssue.objects.create(week=now.date(), since=now - dt.timedelta(days=7), until=now)
    mail = digest_services.render_digest(subscriber, material.for_topics([topic.pk]), issue)
    for body in (mail.body_text, mail.body_html):
        assert "Neue Kooperationsangebote in Ihren Themen" in body
        assert "Spritzguss-Sensorik gesucht" in body
        assert profile.get_absolute_url() in body
        assert profile.email not in body
