"""No wrong door, end to end: a company asks, picks a suggestion, the first organisation forwards with a note,
the second resolves, and the company's status page shows it; every step's mail is in the outbox."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from crosscluster.core.models import OutgoingMail
from crosscluster.directory.models import Organization
from crosscluster.inquiries.models import Inquiry
from tests.browser.pages import log_in
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser

QUESTION = (
    "Wir fertigen Spritzgussteile aus Polypropylen und wollen künftig Rezyklat einsetzen. "
    "Wer kann uns bei der Materialauswahl und der Prüfung der Bauteile helfen?"
)


@pytest.fixture
def managers(demo_directory):
    """One manager per organisation, so every organisation's mail has a recipient."""
    users = {}
    for organization in Organization.objects.all():
        user = UserFactory(email=f"leitung@{organization.slug}.example.org")
        MembershipFactory(user=user, organization=organization)
        users[organization.slug] = user
    return users


def step(page, title: str):
    return page.locator("section.step", has=page.get_by_role("heading", name=title, exact=True))


def test_inquiry_is_forwarded_resolved_and_visible_to_the_company(
    browser, live_server, managers, request_log
):
    company = browser.new_context(base_url=live_server.url, locale="de-DE")
    company.route("**/*", request_log.handle)
    page = company.new_page()
    page.set_default_timeout(15_000)

    # The company asks in its own words and sees suggestions with reasons.
    page.goto("/")
    page.get_by_role("link", name="Anfrage stellen").first.click()
    page.locator("#id_text").fill(QUESTION)
    page.locator("#id_company_name").fill("Muster Kunststofftechnik GmbH")
    page.locator("#id_contact_name").fill("Erika Muster")
    page.locator("#id_email").fill("erika@muster-kunststoff.example.org")
    page.locator("input[name=consent]").check()
    page.get_by_role("button", name="Passende Ansprechpartner finden").click()

    choices = page.locator("#recipients input[type=radio]")
    expect(choices.nth(1)).to_be_attached()  # waits for the answer page: counting at once raced the click
    assert choices.count() >= 2
    first_choice = page.locator("#recipients li.choice").first
    assert first_choice.locator(".reasons li").count() >= 1
    first_name = first_choice.locator("label").inner_text().strip()
    first = Organization.objects.get(name=first_name)
    first_choice.locator("input[type=radio]").check()
    page.get_by_role("button", name="Anfrage absenden").click()
    page.wait_for_url("**/anfrage/danke/")
    assert first.name in page.locator("main").inner_text()

    inquiry = Inquiry.objects.get()
    assert (inquiry.state, inquiry.organization) == (Inquiry.State.ASSIGNED, first)
    status_path = re.search(r"/anfrage/status/[^/\s]+/", mail.outbox[0].body).group(0)

    # The first organisation's manager forwards it with a note.
    second = (
        Organization.objects.filter(published=True, region=first.region)
        .exclude(pk=first.pk)
        .exclude(kind=Organization.Kind.COORDINATION)
        .order_by("name")
        .first()
    )
    staff = browser.new_context(base_url=live_server.url, locale="de-DE")
    staff.route("**/*", request_log.handle)
    manager_page = staff.new_page()
    manager_page.set_default_timeout(15_000)
    log_in(manager_page, managers[first.slug].email)
    manager_page.goto("/manage/anfragen/")
    manager_page.get_by_role("link", name=inquiry.reference).click()
    forward = step(manager_page, "An eine andere Organisation weiterleiten")
    forward.get_by_label("Weiterleiten an").select_option(label=second.name)
    forward.get_by_label("Notiz").fill("Bei euch passt das besser: Rezyklat-Prüfung im Labor.")
    forward.get_by_role("button", name="Weiterleiten").click()
    manager_page.wait_for_url("**/manage/anfragen/")
    staff.clear_cookies()

    # The second organisation sees the whole history, including the note, and resolves it.
    log_in(manager_page, managers[second.slug].email)
    manager_page.goto(f"/manage/anfragen/{inquiry.pk}/")
    history = manager_page.get_by_role("region", name="Verlauf")
    assert "Rezyklat-Prüfung im Labor" in history.inner_text()
    assert first.name in history.inner_text()
    step(manager_page, "Als erledigt markieren").get_by_role("button", name="Als erledigt markieren").click()
    manager_page.wait_for_url(f"**/manage/anfragen/{inquiry.pk}/")
    inquiry.refresh_from_db()
    assert (inquiry.state, inquiry.resolved_by) == (Inquiry.State.RESOLVED, second)

    # The company's private status page shows "resolved" and the way it went, without staff notes.
    page.goto(status_path)
    status_text = page.locator("main").inner_text()
    assert "Erledigt" in status_text
    assert first.name in status_text and second.name in status_text
    assert "Rezyklat-Prüfung im Labor" not in status_text

    # Every step left its mail, and each was delivered once.
    templates_by_recipient = sorted((m.to, m.subject) for m in OutgoingMail.objects.all())
    recipients = [to for to, _subject in templates_by_recipient]
    assert recipients.count("erika@muster-kunststoff.example.org") >= 3  # confirmation, forwarded, resolved
    assert managers[first.slug].email in recipients
    assert managers[second.slug].email in recipients
    assert not OutgoingMail.objects.filter(sent_at__isnull=True).exists()
    assert len(mail.outbox) == OutgoingMail.objects.count()

    # The company erases its data from its status page (a real browser's POST must pass the CSRF check).
    page.goto(status_path)
    page.get_by_role("button", name="Meine Daten löschen").click()
    page.get_by_role("button", name="Ja, meine Daten löschen").click()
    page.wait_for_url("**/anfrage/zurueckgezogen/")
    inquiry.refresh_from_db()
    assert inquiry.erased_at is not None and inquiry.email == ""

    assert request_log.external == []
    company.close()
    staff.close()
