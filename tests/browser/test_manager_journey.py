"""A network manager logs in, edits an offer of their organisation, and is refused on another's page."""

import pytest

from crosscluster.core.models import AuditLogEntry
from crosscluster.directory.models import Offer
from tests.browser.pages import log_in

pytestmark = pytest.mark.browser


def test_manager_edits_an_offer_of_their_organization(page, mbz_manager, axe):
    offer = Offer.objects.filter(organization__slug="mbz").order_by("position").first()
    log_in(page, mbz_manager.email)

    page.get_by_role("link", name="Maschinenbau-Zentrum Thüringen (MBZ)").first.click()
    page.get_by_role("navigation", name="Organisation").get_by_role("link", name="Angebote").click()
    page.get_by_role("link", name=f"Bearbeiten {offer.title}").click()
    page.get_by_label("Titel (Deutsch)").fill("Technologieberatung Fertigung und Automatisierung")
    page.get_by_role("button", name="Speichern").click()

    page.wait_for_url("**/manage/organisationen/mbz/angebote/")
    assert page.get_by_role("status").inner_text().strip() != ""
    assert axe(page) == []
    offer.refresh_from_db()
    assert offer.title == "Technologieberatung Fertigung und Automatisierung"
    entry = AuditLogEntry.objects.get(action="directory.offer.updated", object_id=str(offer.pk))
    assert entry.actor == mbz_manager

    page.goto("/organisationen/mbz/")
    assert page.get_by_role("heading", name="Technologieberatung Fertigung und Automatisierung").is_visible()


def test_manager_is_refused_on_another_organizations_edit_page(page, mbz_manager):
    other = Offer.objects.exclude(organization__slug="mbz").first()
    log_in(page, mbz_manager.email)

    for path in [
        f"/manage/organisationen/{other.organization.slug}/profil/",
        f"/manage/organisationen/{other.organization.slug}/angebote/{other.pk}/",
    ]:
        response = page.goto(path)
        assert response.status == 403, path
        assert page.get_by_role("heading", level=1).inner_text() == "Zugriff verweigert"

    other_title = other.title
    other.refresh_from_db()
    assert other.title == other_title
