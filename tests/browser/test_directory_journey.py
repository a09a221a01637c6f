"""A company browses the directory, filters by topic and opens an organisation; pages pass axe-core."""

import pytest

from crosscluster.directory.models import Organization, Topic

pytestmark = pytest.mark.browser


def test_directory_journey_browse_filter_by_topic_open_organization(page, demo_directory, request_log):
    topic = Topic.objects.get(slug="kunststoffe")
    expected = set(Organization.objects.filter(topics=topic, published=True).values_list("name", flat=True))
    assert expected, "the demo directory has organisations for this topic"

    page.goto("/")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Verzeichnis").click()
    page.wait_for_url("**/verzeichnis/")
    all_count = page.locator(".result-list > li").count()

    page.select_option("#id_topic", "kunststoffe")
    page.get_by_role("button", name="Ergebnisse anzeigen").click()
    page.wait_for_url("**/verzeichnis/?*topic=kunststoffe*")
    shown = set(page.locator(".result-list .card-title a").all_inner_texts())
    assert shown == expected
    assert len(shown) < all_count

    first = sorted(expected)[0]
    page.get_by_role("link", name=first, exact=True).click()
    page.wait_for_url("**/organisationen/*/")
    assert page.get_by_role("heading", level=1).inner_text() == first
    assert page.get_by_role("heading", name="Angebote").is_visible()
    assert request_log.external == []


@pytest.mark.parametrize("language", ["de", "en"])
def test_main_pages_have_no_serious_accessibility_violations(page, demo_directory, axe, language):
    prefix = "" if language == "de" else "/en"
    organization = Organization.objects.filter(videos__isnull=False).first()
    topic = Topic.objects.filter(organizations__isnull=False).first()
    for path in ["/", "/verzeichnis/", f"/organisationen/{organization.slug}/", f"/themen/{topic.slug}/"]:
        page.goto(prefix + path)
        assert page.locator("html").get_attribute("lang") == language
        assert axe(page) == [], f"axe-core violations on {prefix + path}"


def test_external_video_contacts_nobody_before_consent(page, demo_directory, request_log):
    organization = Organization.objects.filter(videos__url__startswith="https://video.example.org").first()
    video = organization.videos.first()

    page.goto(f"/organisationen/{organization.slug}/")
    page.wait_for_load_state("networkidle")
    assert request_log.external == [], "no request may leave 127.0.0.1 before consent"
    assert page.locator("video").count() == 0

    button = page.locator(f"#video-{video.pk}").get_by_role("button", name="Video laden")
    assert video.title in button.inner_text()
    button.focus()
    page.keyboard.press("Enter")
    page.locator("video").first.wait_for()
    page.wait_for_timeout(300)
    assert any(url.startswith(video.url) for url in request_log.external), request_log.external
