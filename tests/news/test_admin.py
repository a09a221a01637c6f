"""Notices and topics in the admin: pages render, changes go through the audited services."""

from django.urls import reverse

from crosscluster.core.models import AuditLogEntry
from crosscluster.directory.models import Topic
from crosscluster.news.models import Notice
from tests.documents import document_text
from tests.factories import NoticeAttachmentFactory, NoticeFactory


def test_admin_notice_pages_render(client, admin_user, organization, topic):
    notice = NoticeFactory(organization=organization, topics=[topic])
    NoticeAttachmentFactory(notice=notice)
    client.force_login(admin_user)

    assert client.get(reverse("admin:news_notice_changelist"), {"o": "1"}).status_code == 200
    response = client.get(reverse("admin:news_notice_change", args=[notice.pk]))
    assert response.status_code == 200
    assert {"title", "body", "topics", "pinned"} <= set(response.context["adminform"].form.fields)
    assert client.get(reverse("admin:news_notice_add")).status_code == 403


def test_admin_notice_change_renders_the_body_and_is_audited(client, admin_user, organization, topic):
    notice = NoticeFactory(organization=organization, title="Alt")
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:news_notice_change", args=[notice.pk]),
        {
            "title": "Neu",
            "body": "**wichtig**",
            "topics": [topic.pk],
            "valid_from_0": "2026-01-05",
            "valid_from_1": "08:00:00",
            "valid_until_0": "",
            "valid_until_1": "",
            "published": "on",
            "attachments-TOTAL_FORMS": "0",
            "attachments-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    notice.refresh_from_db()
    assert (notice.title, notice.body_html) == ("Neu", "<p><strong>wichtig</strong></p>")
    assert list(notice.topics.all()) == [topic]
    entry = AuditLogEntry.objects.get(action="notice.updated")
    assert entry.actor == admin_user
    assert set(entry.data["changes"]) >= {"title", "body", "topics"}


def test_admin_unpin_action_is_audited(client, admin_user, organization):
    notice = NoticeFactory(organization=organization, pinned=True)
    client.force_login(admin_user)

    client.post(reverse("admin:news_notice_changelist"), {"action": "unpin", "_selected_action": [notice.pk]})

    assert Notice.objects.get().pinned is False
    entry = AuditLogEntry.objects.get(action="notice.updated")
    assert entry.data["changes"] == {"pinned": ["True", "False"]}


def test_admin_topic_edits_synonyms_and_introduction(client, admin_user, topic):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:directory_topic_change", args=[topic.pk]),
        {
            "name": topic.name,
            "slug": topic.slug,
            "position": 0,
            "synonyms": "Plastik\r\nPolymer",
            "introduction": "Einführung",
        },
    )

    assert response.status_code == 302
    topic = Topic.objects.get(pk=topic.pk)
    assert (topic.synonym_list(), topic.introduction) == (["Plastik", "Polymer"], "Einführung")


def test_admin_topic_rename_refreshes_the_search_text_of_its_notices(client, admin_user, organization, topic):
    notice = NoticeFactory(organization=organization, topics=[topic])
    assert "wasserstoff" not in document_text(notice)
    client.force_login(admin_user)

    client.post(
        reverse("admin:directory_topic_change", args=[topic.pk]),
        {"name": "Wasserstoff", "slug": topic.slug, "position": 0, "synonyms": "", "introduction": ""},
    )

    notice.refresh_from_db()
    assert "wasserstoff" in document_text(notice).split()
