"""A network manager publishes an urgent notice with a PDF; a company sees it on the home page, opens it and
its topic page. Every page passes axe-core, and no request leaves the host."""

import pytest

from crosscluster.core.models import AuditLogEntry
from crosscluster.directory.models import Organization
from crosscluster.news.models import Notice
from tests.browser.pages import log_in
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture
def energy_manager(demo_directory):
    user = UserFactory(email="leitung@energieagentur.example.org")
    organization = (
        Organization.objects.filter(topics__slug="foerderung", published=True).order_by("name").first()
    )
    MembershipFactory(user=user, organization=organization)
    return user, organization


def test_manager_publishes_an_urgent_notice_that_companies_find(
    page, energy_manager, axe, request_log, tmp_path
):
    user, organization = energy_manager
    pdf = tmp_path / "merkblatt-soforthilfe.pdf"
    pdf.write_bytes(PDF)

    log_in(page, user.email)

    # Manager area → Notices → write one, urgent, on the topic of funding.
    page.get_by_role("navigation", name="Verwaltungsbereich").get_by_role("link", name="Hinweise").click()
    page.wait_for_url("**/manage/hinweise/")
    page.get_by_role("link", name="Hinweis schreiben").click()
    assert axe(page) == []
    page.get_by_label("Titel (Deutsch)").fill("Soforthilfe nach dem Hochwasser")
    page.get_by_label("Text (Deutsch)").fill("Betriebe erhalten **Zuschüsse**.\n\n- Antrag bis Freitag")
    page.get_by_role("checkbox", name="Förderung und Finanzierung").check()
    page.get_by_role("checkbox", name="angeheftet / dringend").check()
    page.get_by_role("button", name="Speichern").click()

    # Straight on to the attachments: a PDF.
    page.wait_for_url("**/manage/hinweise/*/anhaenge/")
    assert axe(page) == []
    page.get_by_label("PDF-Datei").set_input_files(str(pdf))
    page.get_by_role("button", name="Anhängen").click()
    page.wait_for_url("**/manage/hinweise/*/anhaenge/")
    assert page.get_by_role("link", name="merkblatt-soforthilfe").count() == 1
    notice = Notice.objects.get()
    assert (notice.organization, notice.pinned, notice.attachments.count()) == (organization, True, 1)
    assert AuditLogEntry.objects.filter(action__startswith="notice.").count() == 2

    # A company: the home page shows the urgent notice; it leads to the notice and on to its topic page.
    page.get_by_role("button", name="Abmelden").click()
    page.goto("/")
    banner = page.get_by_role("region", name="Dringende Hinweise")
    assert axe(page) == []
    banner.get_by_role("link", name="Soforthilfe nach dem Hochwasser").click()
    page.wait_for_url(f"**{notice.get_absolute_url()}")
    assert page.locator(".notice-body strong").inner_text() == "Zuschüsse"
    assert page.get_by_role("link", name="merkblatt-soforthilfe").count() == 1
    assert axe(page) == []
    page.get_by_role("link", name="Förderung und Finanzierung", exact=True).click()
    page.wait_for_url("**/themen/foerderung/")
    assert page.get_by_role("link", name="Soforthilfe nach dem Hochwasser").count() == 1
    assert page.get_by_role("link", name="Eine Frage zu „Förderung und Finanzierung“ stellen").count() == 1
    assert axe(page) == []
    assert request_log.external == []
