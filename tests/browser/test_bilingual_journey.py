"""An English-speaking visitor reads an organisation of the demo directory in English: English texts where the
organisation gave them, the German ones marked lang="de" where not; the page passes axe-core."""

import pytest

pytestmark = pytest.mark.browser


def test_english_organisation_page_shows_english_texts_and_marked_german_ones(
    page, demo_directory, axe, request_log
):
    page.goto("/en/organisationen/mbz/")

    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Maschinenbau-Zentrum Thüringen (MBZ)"
    assert heading.get_attribute("lang") == "de"  # no English name: the German one, marked
    lead = page.locator(".lead")
    assert lead.inner_text().startswith("Competence centre for Thuringia's machine and plant builders")
    assert lead.get_attribute("lang") is None
    assert page.locator(".prose").get_attribute("lang") == "de"  # the description exists in German only
    assert page.get_by_role("heading", name="Technology advice on manufacturing").is_visible()
    assert page.get_by_role("link", name="Mechanical and plant engineering").is_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    assert axe(page) == []
    assert request_log.external == []
