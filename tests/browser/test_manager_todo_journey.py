"""The manager's home is a to-do list: after the coordination office assigns an inquiry to their
organisation, a manager logs in and sees it first, with its deadline and a count on the navigation, on a
desktop and on a phone (issue 14)."""

import zoneinfo

import pytest

from crosscluster.directory.models import Organization
from crosscluster.inquiries import services
from tests.browser.pages import log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
QUESTION = (
    "Wir überlegen, einen Roboter für die Maschinenbeladung unserer Fräsmaschinen anzuschaffen. "
    "Kann man so etwas vorher irgendwo ausprobieren?"
)


@pytest.fixture
def assigned_inquiry(mbz_manager):
    mbz = Organization.objects.get(slug="mbz")
    office = UserFactory(email="koordination@example.org", is_coordinator=True)
    inquiry, _token = services.create_inquiry(
        region=mbz.region,
        text=QUESTION,
        company_name="Lohnfertigung Muster GmbH",
        contact_name="Erika Muster",
        email="erika@lohnfertigung.example.org",
        consent=True,
    )
    return services.assign_inquiry(inquiry, mbz, actor=office)


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_manager_sees_the_assigned_inquiry_first_on_the_to_do_list(
    page, mbz_manager, assigned_inquiry, axe, width, height
):
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, mbz_manager.email)

    main = page.locator("main")
    assert page.get_by_role("heading", level=1).inner_text() == "Zu erledigen"
    section = page.get_by_role("region", name="1 Anfrage wartet auf Sie")
    due = assigned_inquiry.due_at.astimezone(BERLIN).strftime("%d.%m.")
    assert "Lohnfertigung Muster GmbH" in section.inner_text()
    assert f"fällig am {due}" in section.inner_text()
    # Counts on the navigation, with words for screen readers.
    nav = page.get_by_role("navigation", name="Verwaltungsbereich")
    link = nav.get_by_role("link", name="Anfragen")
    assert " ".join(link.text_content().split()) == "Anfragen (1 zu erledigen)"
    # The to-do comes before the organisations table and the tools, and nothing overflows on a phone.
    headings = [text.strip() for text in main.locator("h2").all_inner_texts()]
    assert headings[0].startswith("1 Anfrage wartet auf Sie")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert axe(page) == []

    section.get_by_role("link", name="Lohnfertigung Muster GmbH").click()
    page.wait_for_url(f"**/manage/anfragen/{assigned_inquiry.pk}/")
    assert QUESTION[:40] in main.inner_text()
