"""On a phone, after "Passende Ansprechpartner finden" the best suggestion is on the screen, with its fit in
words and reasons in the directory's words, also without JavaScript (issue 14)."""

import pytest
from playwright.sync_api import expect

from crosscluster.routing.services import clear_index_cache

pytestmark = pytest.mark.browser

QUESTION = (
    "Wir sind ein Lohnfertiger mit 40 Leuten und überlegen, ob sich ein Roboter für die Maschinenbeladung "
    "lohnt. Kann man so etwas vorher irgendwo ausprobieren?"
)


@pytest.mark.parametrize("javascript", [True, False])
def test_phone_lands_on_the_suggestions(browser, live_server, demo_directory, request_log, axe, javascript):
    # Each run imports the demo anew into an emptied database, whose index version may equal the one this
    # process's index was built from: build it afresh.
    clear_index_cache()
    context = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        viewport={"width": 390, "height": 844},
        java_script_enabled=javascript,
    )
    context.route("**/*", request_log.handle)
    page = context.new_page()
    page.set_default_timeout(15_000)

    page.goto("/anfrage/")
    page.locator("#id_text").fill(QUESTION)
    page.locator("#id_company_name").fill("Muster Lohnfertigung GmbH")
    page.locator("#id_contact_name").fill("Erika Muster")
    page.locator("#id_email").fill("erika@muster.example.org")
    page.locator("input[name=consent]").check()
    page.get_by_role("button", name="Passende Ansprechpartner finden").click()
    page.wait_for_url("**/anfrage/#recipients")

    best = page.locator("#recipients li.choice").first
    # The browser scrolls to the fragment once the page has loaded; wait for that (up to the timeout), then
    # check that the suggestion's top is on the phone's screen.
    expect(best).to_be_in_viewport(ratio=0.2)
    box = best.bounding_box()
    assert box is not None
    assert 0 <= box["y"] < 844, box
    assert page.get_by_role("heading", name="Wer zu Ihrer Frage passt").is_visible()
    details = best.locator(".choice-details").inner_text()
    assert any(fit in details for fit in ("passt sehr gut", "passt gut", "passt vielleicht")), details
    assert "Punktzahl" not in details and "Passende Begriffe" not in details
    assert best.locator(".reasons li").count() >= 1
    if javascript:
        assert axe(page) == []
    context.close()
