"""The manager area for notices: every role against every view, the form, attachments and errors."""

import zoneinfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from crosscluster.core.models import AuditLogEntry
from crosscluster.news.models import Notice, NoticeAttachment
from tests.factories import NoticeAttachmentFactory, NoticeFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
ROLES = ["anonymous", "outsider", "other_manager", "manager", "coordinator", "admin_user"]
ALLOWED = {"manager", "coordinator", "admin_user"}
PDF = b"%PDF-1.7\n%%EOF\n"


def notice_data(organization, **overrides):
    return {
        "title_de": "Neuer Hinweis",
        "publisher": str(organization.pk),
        "body_de": "Text mit **Hervorhebung**",
        "valid_from": "2026-01-05T08:00",
        "valid_until": "",
        "published": "on",
        **overrides,
    }


# (URL name, needs the notice id, HTTP method, sends POST data)
VIEWS = [
    ("notices", False, "get", False),
    ("notice-create", False, "get", False),
    ("notice-create", False, "post", True),
    ("notice-edit", True, "get", False),
    ("notice-edit", True, "post", True),
    ("notice-delete", True, "get", False),
    ("notice-delete", True, "post", False),
    ("notice-attachments", True, "get", False),
    ("notice-attachments", True, "post", True),
]


@pytest.fixture
def notice(organization):
    return NoticeFactory(organization=organization, title="Bestehender Hinweis")


def state():
    return (
        list(Notice.objects.order_by("pk").values()),
        list(NoticeAttachment.objects.order_by("pk").values("pk", "title")),
        AuditLogEntry.objects.count(),
    )


def view_id(view):
    name, _needs_notice, method, _data = view
    return f"{method.upper()} {name}"


def payload(name, organization):
    if name == "notice-attachments":
        return {
            "title": "Merkblatt",
            "file": SimpleUploadedFile("m.pdf", PDF, content_type="application/pdf"),
        }
    return notice_data(organization)


@pytest.mark.parametrize("view", VIEWS, ids=view_id)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_for_notices(client, request, organization, notice, other_manager, role, view):
    name, needs_notice, method, sends_data = view
    url = reverse(f"manage:{name}", kwargs={"pk": notice.pk} if needs_notice else {})
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    before = state()

    response = getattr(client, method)(url, payload(name, organization) if sends_data else {})

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
        assert state() == before
    elif name == "notices" or (name == "notice-create" and role == "other_manager" and method == "get"):
        assert response.status_code == 200
        assert state() == before
    elif role not in ALLOWED and not (name == "notice-create" and role == "other_manager"):
        assert response.status_code == 403
        assert state() == before
    elif role == "other_manager":  # POST notice-create for A: A is not among B's choices
        assert response.status_code == 200
        assert "publisher" in response.context["form"].errors
        assert state() == before
    elif method == "get":
        assert response.status_code == 200
        assert state() == before
    else:
        assert response.status_code == 302, response.context["form"].errors
        assert state() != before
        entry = AuditLogEntry.objects.latest("id")
        assert entry.actor == request.getfixturevalue(role)
        assert entry.organization == organization


def test_manage_notice_list_shows_only_own_notices(client, manager, organization, other_organization):
    NoticeFactory(organization=organization, title="Eigener Hinweis")
    NoticeFactory(organization=other_organization, title="Fremder Hinweis")
    NoticeFactory(organization=None, title="Hinweis der Geschäftsstelle")
    client.force_login(manager)

    html = client.get(reverse("manage:notices")).content.decode()

    assert "Eigener Hinweis" in html
    assert "Fremder Hinweis" not in html
    assert "Hinweis der Geschäftsstelle" not in html


def test_manage_notice_list_query_count_is_fixed(
    client, coordinator, organization, django_assert_num_queries
):
    client.force_login(coordinator)
    for _ in range(3):
        NoticeAttachmentFactory(notice=NoticeFactory(organization=organization))
    # session, user, count, page, attachments, the navigation's counts (accounts.todo.nav_counts)
    with django_assert_num_queries(6):
        client.get(reverse("manage:notices"))
    for _ in range(5):
        NoticeAttachmentFactory(notice=NoticeFactory(organization=None))
    with django_assert_num_queries(6):
        client.get(reverse("manage:notices"))


def test_manage_notice_create_reads_times_as_berlin_time_and_renders(client, manager, organization, topic):
    client.force_login(manager)

    response = client.post(
        reverse("manage:notice-create"),
        notice_data(organization, topics=[topic.pk], valid_until="2026-02-01T18:00", pinned="on"),
    )

    notice = Notice.objects.get()
    assert response["Location"] == reverse("manage:notice-attachments", kwargs={"pk": notice.pk})
    assert notice.valid_from.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M") == "2026-01-05 08:00"
    assert notice.valid_until.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M") == "2026-02-01 18:00"
    assert notice.body_html == "<p>Text mit <strong>Hervorhebung</strong></p>"
    assert (notice.organization, notice.pinned, list(notice.topics.all())) == (organization, True, [topic])


def test_manage_notice_the_office_publishes_in_its_own_name(client, coordinator, manager, organization):
    client.force_login(coordinator)
    client.post(reverse("manage:notice-create"), notice_data(organization, publisher="office"))
    assert Notice.objects.get().organization is None

    client.force_login(manager)
    response = client.get(reverse("manage:notice-create"))
    assert "office" not in [value for value, _label in response.context["form"].fields["publisher"].choices]


def test_manage_notice_create_shows_errors_in_a_summary(client, manager, organization):
    client.force_login(manager)

    response = client.post(
        reverse("manage:notice-create"),
        notice_data(organization, title_de="", valid_until="2026-01-01T08:00"),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="message message-error error-summary" role="alert"' in html
    assert "title_de" in response.context["form"].errors
    assert not Notice.objects.exists()


def test_manage_notice_validity_error_from_the_service_is_shown(client, manager, organization):
    client.force_login(manager)

    response = client.post(
        reverse("manage:notice-create"), notice_data(organization, valid_until="2026-01-01T08:00")
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Notice.objects.exists()


def test_manage_notice_form_labels_every_field(client, manager):
    client.force_login(manager)

    response = client.get(reverse("manage:notice-create"))

    html = response.content.decode()
    for field in response.context["form"]:
        if field.use_fieldset:
            assert "<legend>" + str(field.label) in html
        else:
            assert f'<label for="{field.id_for_label}"' in html


def test_manage_attachment_refuses_a_file_that_is_not_a_pdf(client, manager, notice):
    client.force_login(manager)
    fake = SimpleUploadedFile("rechnung.pdf", b"MZ\x90\x00 executable", content_type="application/pdf")

    response = client.post(reverse("manage:notice-attachments", kwargs={"pk": notice.pk}), {"file": fake})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not NoticeAttachment.objects.exists()


@pytest.mark.parametrize(("role", "status"), [("manager", 302), ("other_manager", 403), ("coordinator", 302)])
def test_manage_attachment_delete_by_role(client, request, notice, other_manager, role, status):
    attachment = NoticeAttachmentFactory(notice=notice)
    client.force_login(request.getfixturevalue(role))
    url = reverse("manage:notice-attachment-delete", kwargs={"pk": notice.pk, "attachment_pk": attachment.pk})

    assert client.get(url).status_code in (403, 405)
    response = client.post(url)

    assert response.status_code == status
    assert NoticeAttachment.objects.exists() is (status != 302)


def test_manage_unknown_notice_is_404(client, manager):
    client.force_login(manager)

    assert client.get(reverse("manage:notice-edit", kwargs={"pk": 999999})).status_code == 404


def test_manager_nav_links_to_notices(client, manager):
    client.force_login(manager)

    assert f'href="{reverse("manage:notices")}"' in client.get(reverse("manage:dashboard")).content.decode()


def test_manage_notice_without_validity_start_is_valid_from_now(client, manager, organization):
    client.force_login(manager)
    before = timezone.now()

    client.post(reverse("manage:notice-create"), notice_data(organization, valid_from=""))

    assert before <= Notice.objects.get().valid_from <= timezone.now()


def test_manager_dashboard_links_to_notices_for_those_who_publish(client, manager, outsider):
    link = f'<a href="{reverse("manage:notices")}">Hinweise: aktuelle Informationen'

    client.force_login(manager)
    assert link in client.get(reverse("manage:dashboard")).content.decode()
    client.force_login(outsider)
    assert link not in client.get(reverse("manage:dashboard")).content.decode()
