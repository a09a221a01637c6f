"""Notice services: who may publish what, Markdown rendering, validation, attachments and the audit log."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from crosscluster.core.models import AuditLogEntry
from crosscluster.news.models import Notice, NoticeAttachment
from crosscluster.news.services import (
    NoticeError,
    add_attachment,
    create_notice,
    delete_attachment,
    delete_notice,
    update_notice,
)
from tests.documents import document_text
from tests.factories import NoticeAttachmentFactory, NoticeFactory

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def pdf(name="merkblatt.pdf", data=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_create_notice_by_manager_renders_logs_and_indexes(manager, organization, topic):
    notice = create_notice(
        actor=manager,
        organization=organization,
        topics=[topic],
        title="Förderaufruf Digitalisierung",
        body="# Frist\n\nAnträge bis **31. März** <script>alert(1)</script>",
    )

    notice.refresh_from_db()
    assert notice.slug == "foerderaufruf-digitalisierung"
    assert notice.region == organization.region
    assert notice.body_html == (
        "<h3>Frist</h3>\n<p>Anträge bis <strong>31. März</strong> &lt;script&gt;alert(1)&lt;/script&gt;</p>"
    )
    assert list(notice.topics.all()) == [topic]
    assert {"digitalisier", "frist", "polym"} <= set(document_text(notice).split())
    assert notice.published and not notice.pinned and notice.valid_until is None
    entry = AuditLogEntry.objects.get(action="notice.created")
    assert (entry.actor, entry.organization, entry.object_id) == (manager, organization, str(notice.pk))


def test_create_notice_numbers_a_taken_slug(manager, organization):
    first = create_notice(actor=manager, organization=organization, title="Hinweis", body="a")
    second = create_notice(actor=manager, organization=organization, title="Hinweis", body="b")

    assert (first.slug, second.slug) == ("hinweis", "hinweis-2")


@pytest.mark.parametrize("role", ["manager", "outsider"])
def test_create_notice_refuses_another_organisation(request, role, other_organization):
    with pytest.raises(PermissionDenied):
        create_notice(
            actor=request.getfixturevalue(role), organization=other_organization, title="X", body="Y"
        )

    assert not Notice.objects.exists()
    assert not AuditLogEntry.objects.exists()


def test_create_notice_in_the_offices_name_only_by_the_office(manager, coordinator, region):
    with pytest.raises(PermissionDenied):
        create_notice(actor=manager, organization=None, title="Lage", body="Text")

    notice = create_notice(actor=coordinator, organization=None, title="Lage", body="Text", pinned=True)
    assert notice.organization is None
    assert notice.region == region
    assert notice.pinned


def test_create_notice_refuses_validity_ending_before_it_starts(coordinator, organization):
    now = timezone.now()
    with pytest.raises(NoticeError):
        create_notice(
            actor=coordinator,
            organization=organization,
            title="X",
            body="Y",
            valid_from=now,
            valid_until=now - dt.timedelta(days=1),
        )
    assert not Notice.objects.exists()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("manager", True), ("coordinator", True), ("outsider", False)],
)
def test_update_and_delete_notice_by_role(request, role, allowed, organization):
    notice = NoticeFactory(organization=organization, title="Alt")
    actor = request.getfixturevalue(role)
    if not allowed:
        with pytest.raises(PermissionDenied):
            update_notice(notice, actor=actor, title="Neu")
        with pytest.raises(PermissionDenied):
            delete_notice(notice, actor=actor)
        assert Notice.objects.get().title == "Alt"
        return
    update_notice(notice, actor=actor, title="Neu", body="*kursiv*")
    notice.refresh_from_db()
    assert (notice.title, notice.body_html, notice.slug) == ("Neu", "<p><em>kursiv</em></p>", notice.slug)
    entry = AuditLogEntry.objects.get(action="notice.updated")
    assert entry.data["changes"]["title"] == ["Alt", "Neu"]
    delete_notice(notice, actor=actor)
    assert not Notice.objects.exists()
    assert AuditLogEntry.objects.filter(action="notice.deleted").count() == 1


def test_update_notice_manager_cannot_move_it_to_another_organisation(
    manager, organization, other_organization
):
    notice = NoticeFactory(organization=organization)

    with pytest.raises(PermissionDenied):
        update_notice(notice, actor=manager, organization=other_organization)
    with pytest.raises(PermissionDenied):
        update_notice(notice, actor=manager, organization=None)

    assert Notice.objects.get().organization == organization


def test_manager_cannot_edit_the_offices_notice(manager):
    notice = NoticeFactory(organization=None)

    with pytest.raises(PermissionDenied):
        update_notice(notice, actor=manager, title="Neu")


def test_add_attachment_stores_a_pdf(manager, organization):
    notice = NoticeFactory(organization=organization)

    attachment = add_attachment(notice, actor=manager, file=pdf(), title="")

    assert attachment.title == "merkblatt"
    assert attachment.file.name.endswith(".pdf")
    assert attachment.file.read().startswith(b"%PDF-")
    assert AuditLogEntry.objects.filter(action="notice.attachment_added").count() == 1


def test_attachment_paths_cannot_be_guessed_from_the_file_name(manager, organization):
    """A draft's PDF must not be found at /media/notices/<its name>.pdf by guessing."""
    notice = NoticeFactory(organization=organization, published=False)

    first = add_attachment(notice, actor=manager, file=pdf(), title="")
    second = add_attachment(notice, actor=manager, file=pdf(), title="")

    directory, _, name = first.file.name.rpartition("/")
    assert name == "merkblatt.pdf"
    assert directory.startswith("notices/") and len(directory) > len("notices/") + 16
    assert second.file.name.rpartition("/")[0] != directory


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(pdf(name="bild.png"), id="wrong-extension"),
        pytest.param(pdf(content_type="text/html"), id="wrong-content-type"),
        pytest.param(pdf(data=b"<html><script>alert(1)</script></html>"), id="not-a-pdf"),
        pytest.param(pdf(data=b""), id="empty"),
    ],
)
def test_add_attachment_refuses_what_is_not_a_pdf(manager, organization, upload):
    notice = NoticeFactory(organization=organization)

    with pytest.raises(NoticeError):
        add_attachment(notice, actor=manager, file=upload)

    assert not NoticeAttachment.objects.exists()


@override_settings(NOTICE_MAX_ATTACHMENT_BYTES=100)
def test_add_attachment_refuses_a_file_above_the_limit(manager, organization):
    notice = NoticeFactory(organization=organization)

    with pytest.raises(NoticeError, match="100"):
        add_attachment(notice, actor=manager, file=pdf(data=PDF + b"x" * 100))


def test_attachments_refused_to_another_organisations_manager(manager, other_organization):
    notice = NoticeFactory(organization=other_organization)
    attachment = NoticeAttachmentFactory(notice=notice)

    with pytest.raises(PermissionDenied):
        add_attachment(notice, actor=manager, file=pdf())
    with pytest.raises(PermissionDenied):
        delete_attachment(attachment, actor=manager)

    assert NoticeAttachment.objects.count() == 1
