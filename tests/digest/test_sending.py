"""The weekly run: content per topic and language, headers, skipping, the schedule, and never twice."""

import datetime as dt
import io
import itertools
import zoneinfo
from collections import Counter

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crosscluster.core.models import OutgoingMail
from crosscluster.digest import services
from crosscluster.digest.content import excerpt
from crosscluster.digest.models import Delivery, DigestIssue, Subscriber
from crosscluster.events.models import Event
from tests.digest.conftest import SubscriberFactory
from tests.factories import EventFactory, NoticeFactory

pytestmark = pytest.mark.django_db


def digests() -> list[OutgoingMail]:
    return list(OutgoingMail.objects.filter(subject__contains="Wochenüberblick vom").order_by("pk"))


def send(**kwargs) -> services.SendResult:
    return services.send_digest(force=True, **kwargs)


def test_each_subscriber_gets_the_notices_and_events_of_their_topics(content, digitalisation, energy):
    anna = SubscriberFactory(email="anna@firma.example", topics=[digitalisation])
    both = SubscriberFactory(email="beide@firma.example", topics=[digitalisation, energy])

    result = send()

    assert (result.status, result.sent, result.skipped, result.failed) == ("sent", 2, 0, 0)
    by_address = {message.to: message for message in digests()}
    assert set(by_address) == {anna.email, both.email}
    for text in (by_address[anna.email].body_text, by_address[anna.email].body_html):
        assert "Förderprogramm Digitalbonus geöffnet" in text
        assert "Workshop KI im Mittelstand" in text
        assert "Energiepreisbremse" not in text
        assert "Energieeffizienz-Sprechtag" not in text
    for title in ("Förderprogramm", "Workshop KI", "Energiepreisbremse", "Energieeffizienz-Sprechtag"):
        assert title in by_address[both.email].body_text
    notice = content["digital_notice"]
    assert f"http://127.0.0.1:8000/hinweise/{notice.slug}/" in by_address[anna.email].body_text
    assert f"/veranstaltungen/{content['digital_event'].pk}/" in by_address[anna.email].body_html


def test_digest_mail_has_one_click_unsubscribe_headers_and_links(content, digitalisation):
    anna = SubscriberFactory(topics=[digitalisation])

    send()

    message = digests()[0]
    unsubscribe_url = f"http://127.0.0.1:8000/digest/unsubscribe/{anna.token}/"
    assert message.headers == {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    for body in (message.body_text, message.body_html):
        assert unsubscribe_url in body
        assert f"http://127.0.0.1:8000/digest/manage/{anna.token}/" in body


def test_delivered_digest_carries_the_headers_and_both_parts(
    content, digitalisation, django_capture_on_commit_callbacks
):
    SubscriberFactory(topics=[digitalisation])

    with django_capture_on_commit_callbacks(execute=True):
        send()

    [sent] = mail.outbox
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert sent.extra_headers["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/digest/unsubscribe/")
    assert "Workshop KI im Mittelstand" in sent.body
    assert sent.alternatives[0].mimetype == "text/html"


@pytest.fixture
def season(request, time_machine):
    """The clock stopped on a Monday morning of the season `request.param` names, before any content."""
    today = {"winter": dt.date(2026, 11, 30), "summer": dt.date(2027, 6, 7)}[request.param]
    time_machine.move_to(dt.datetime.combine(today, dt.time(8), tzinfo=dt.UTC), tick=False)
    return today


@pytest.mark.parametrize(
    ("season", "berlin_time"), [("winter", "10:30"), ("summer", "11:30")], indirect=["season"]
)
def test_digest_is_written_in_the_subscribers_language_with_berlin_times(
    season, content, digitalisation, berlin_time
):
    # 09:30 UTC in three days, in Berlin's time (the tests run in Pacific/Auckland, far from either).
    start = dt.datetime.combine(season + dt.timedelta(days=3), dt.time(9, 30), tzinfo=dt.UTC)
    Event.objects.filter(pk=content["digital_event"].pk).update(
        start=start, end=start + dt.timedelta(hours=1)
    )
    SubscriberFactory(email="en@firma.example", language="en", topics=[digitalisation])
    SubscriberFactory(email="de@firma.example", language="de", topics=[digitalisation])

    send()

    english = OutgoingMail.objects.get(to="en@firma.example")
    german = OutgoingMail.objects.get(to="de@firma.example")
    assert "the weekly digest of" in english.subject
    assert "New notices" in english.body_text and "Coming events" in english.body_text
    assert "/en/digest/unsubscribe/" in english.body_text
    assert "/en/hinweise/" in english.body_text
    assert "Neue Hinweise" in german.body_text and "Kommende Veranstaltungen" in german.body_text
    assert berlin_time in german.body_text and berlin_time in german.body_html
    assert "09:30" not in german.body_text


def test_old_unpublished_far_and_other_topics_stay_out(network, digitalisation, energy):
    now = timezone.now()
    NoticeFactory(
        organization=network,
        title="Alter Hinweis",
        topics=[digitalisation],
        valid_from=now - dt.timedelta(days=9),
    )
    NoticeFactory(organization=network, title="Entwurf", topics=[digitalisation], published=False)
    NoticeFactory(organization=network, title="Ohne Thema")
    EventFactory(
        organizers=[network], title="Zu weit weg", topics=[digitalisation], start=now + dt.timedelta(days=20)
    )
    EventFactory(
        organizers=[network], title="Schon vorbei", topics=[digitalisation], start=now - dt.timedelta(days=2)
    )
    EventFactory(organizers=[network], title="Unveröffentlicht", topics=[digitalisation], published=False)
    EventFactory(organizers=[network], title="Energie-Termin", topics=[energy])
    SubscriberFactory(topics=[digitalisation])

    result = send()

    assert (result.sent, result.skipped) == (0, 1)
    assert digests() == []
    delivery = Delivery.objects.get()
    assert (delivery.skipped, delivery.mail, delivery.notice_count, delivery.event_count) == (
        True,
        None,
        0,
        0,
    )


def test_unconfirmed_subscribers_get_no_digest(content, digitalisation):
    SubscriberFactory(topics=[digitalisation], confirmed_at=None)

    result = send()

    assert (result.sent, result.skipped) == (0, 0)
    assert digests() == []
    assert result.issue.completed_at is not None


def test_a_second_run_in_the_same_week_sends_nothing(content, digitalisation):
    SubscriberFactory(topics=[digitalisation])
    send()

    again = send()

    assert again.status == "complete"
    assert len(digests()) == 1


def test_next_week_brings_only_what_is_new_since_the_last_digest(network, content, digitalisation):
    SubscriberFactory(topics=[digitalisation])
    now = timezone.now()
    send(now=now)
    NoticeFactory(
        organization=network,
        title="Neu in Woche zwei",
        topics=[digitalisation],
        valid_from=now + dt.timedelta(days=1),
    )

    second = send(now=now + dt.timedelta(days=7))

    assert second.sent == 1
    assert second.issue.since == DigestIssue.objects.order_by("week").first().until
    text = digests()[-1].body_text
    assert "Neu in Woche zwei" in text
    assert "Förderprogramm Digitalbonus" not in text


def test_digest_is_due_from_the_configured_weekday_and_hour_in_berlin(settings, content, digitalisation):
    settings.DIGEST_WEEKDAY, settings.DIGEST_HOUR = 0, 7
    SubscriberFactory(topics=[digitalisation])
    # Monday 2026-11-30, 06:30 in Berlin is 05:30 UTC: not yet; 07:00 Berlin is 06:00 UTC.
    before = dt.datetime(2026, 11, 30, 5, 30, tzinfo=dt.UTC)
    at = dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)
    # 00:30 on Monday in Berlin is still Sunday in UTC: the new week, but not yet its hour.
    monday_night = dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC)

    assert services.is_due(before) is False
    assert services.is_due(at) is True
    assert services.is_due(monday_night) is False
    assert services.send_digest(now=before).status == "not_due"
    assert not DigestIssue.objects.exists()
    assert services.week_of(at) == dt.date(2026, 11, 30)
    assert services.week_of(monday_night) == dt.date(2026, 11, 30)
    assert services.week_of(monday_night - dt.timedelta(hours=1)) == dt.date(2026, 11, 23)


def test_delivery_is_unique_per_issue_and_subscriber(digitalisation):
    subscriber = SubscriberFactory(topics=[digitalisation])
    issue = DigestIssue.objects.create(week=dt.date(2026, 11, 23), since=timezone.now(), until=timezone.now())
    Delivery.objects.create(issue=issue, subscriber=subscriber)

    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(issue=issue, subscriber=subscriber)


def test_interrupted_run_resumes_and_sends_every_subscriber_exactly_one_mail(
    content, digitalisation, monkeypatch
):
    subscribers = [SubscriberFactory(topics=[digitalisation]) for _ in range(5)]
    render = services.render_digest
    calls = []

    def crash_on_the_third(subscriber, items, issue):
        calls.append(subscriber.pk)
        if len(calls) == 3:
            raise KeyboardInterrupt("the worker is stopped half-way")
        return render(subscriber, items, issue)

    monkeypatch.setattr(services, "render_digest", crash_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        send()
    # Two mails went into the outbox, each with its delivery record; the third rolled back with its record.
    assert len(digests()) == 2
    assert Delivery.objects.count() == 2
    assert DigestIssue.objects.get().completed_at is None

    monkeypatch.setattr(services, "render_digest", render)
    result = send()

    assert (result.status, result.sent) == ("sent", 3)
    assert Counter(message.to for message in digests()) == {subscriber.email: 1 for subscriber in subscribers}
    assert Delivery.objects.count() == 5
    assert send().status == "complete"
    assert len(digests()) == 5


def test_a_failing_subscriber_does_not_stop_the_others_and_is_retried(content, digitalisation, monkeypatch):
    subscribers = [SubscriberFactory(topics=[digitalisation]) for _ in range(3)]
    broken = subscribers[1]
    render = services.render_digest

    def fail_for_one(subscriber, items, issue):
        if subscriber.pk == broken.pk:
            raise RuntimeError("template error")
        return render(subscriber, items, issue)

    monkeypatch.setattr(services, "render_digest", fail_for_one)
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 subscriber"):
        call_command("send-digest", "--force", stdout=out)
    assert "2 sent, 0 with nothing new, 1 failed" in out.getvalue()
    assert sorted(m.to for m in digests()) == sorted(s.email for s in subscribers if s != broken)

    monkeypatch.setattr(services, "render_digest", render)
    call_command("send-digest", stdout=out)  # due or not: the begun issue is resumed

    assert Counter(message.to for message in digests()) == {subscriber.email: 1 for subscriber in subscribers}
    assert DigestIssue.objects.get().completed_at is not None


def test_subscriber_who_leaves_loses_their_queued_digest(content, digitalisation):
    subscriber = SubscriberFactory(topics=[digitalisation])
    send()

    services.unsubscribe(subscriber)

    assert digests() == []
    assert not Delivery.objects.exists()


def test_dry_run_reports_and_writes_nothing(content, digitalisation, energy):
    SubscriberFactory(topics=[digitalisation])
    SubscriberFactory(topics=[], confirmed_at=timezone.now())
    out = io.StringIO()

    call_command("send-digest", "--dry-run", "--force", stdout=out)

    assert "1 mail(s) to send, 1 subscriber(s) with nothing new" in out.getvalue()
    assert not DigestIssue.objects.exists()
    assert not OutgoingMail.objects.exists()


def test_unconfirmed_subscriptions_are_deleted_after_the_deadline(settings, digitalisation):
    old = timezone.now() - dt.timedelta(days=settings.DIGEST_UNCONFIRMED_DAYS, hours=1)
    expired = SubscriberFactory(topics=[digitalisation], confirmed_at=None, requested_at=old)
    recent = SubscriberFactory(topics=[digitalisation], confirmed_at=None)
    confirmed = SubscriberFactory(topics=[digitalisation], requested_at=old)
    OutgoingMail.objects.create(
        to=expired.email, subject="s", body_text="b", topic=f"digest.subscriber:{expired.pk}"
    )
    out = io.StringIO()

    call_command("erase-unconfirmed-subscriptions", "--dry-run", stdout=out)
    assert Subscriber.objects.count() == 3
    call_command("erase-unconfirmed-subscriptions", stdout=out)

    assert "dry run: 1 to delete" in out.getvalue()
    assert "1 deleted" in out.getvalue()
    assert set(Subscriber.objects.all()) == {recent, confirmed}
    assert not OutgoingMail.objects.exists()


def test_run_costs_a_fixed_number_of_queries_per_subscriber(
    content, digitalisation, energy, django_assert_num_queries
):
    """Content is loaded once per run; each further subscriber costs 7 queries: the lock with topics, the
    check, the outbox row and the delivery record, inside a savepoint. (Caches start cold in both runs.)"""
    SubscriberFactory(topics=[digitalisation])
    cache.clear()
    with CaptureQueriesContext(connection) as one:
        send()

    DigestIssue.objects.all().delete()
    for _ in range(4):
        SubscriberFactory(topics=[digitalisation, energy])
    cache.clear()
    with django_assert_num_queries(len(one) + 4 * 7):
        result = send()
    assert result.sent == 5


def test_notice_excerpt_is_plain_text_in_both_parts(network, digitalisation):
    NoticeFactory(
        organization=network,
        title="Zuschüsse & Kredite",
        body="Förderung für **Forschung & Entwicklung** <script>alert(1)</script>",
        topics=[digitalisation],
    )
    SubscriberFactory(topics=[digitalisation])

    send()

    [message] = digests()
    assert "Förderung für Forschung & Entwicklung" in message.body_text
    assert "Förderung für Forschung &amp; Entwicklung" in message.body_html
    assert "&amp;amp;" not in message.body_html
    assert "Zuschüsse &amp; Kredite" in message.body_html
    assert "<script>" not in message.body_html


@pytest.mark.parametrize(
    "first_monday",
    [
        dt.date(2026, 12, 21),  # over Christmas into week 53 and the new year
        dt.date(2027, 3, 22),  # over the night the clocks go forward
        dt.date(2027, 10, 25),  # the Monday after the clocks went back
    ],
)
def test_weekly_issues_follow_each_other_across_the_year_end_and_clock_changes(
    settings, time_machine, network, digitalisation, first_monday
):
    settings.DIGEST_WEEKDAY, settings.DIGEST_HOUR = 0, 7
    SubscriberFactory(topics=[digitalisation])
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    mondays = [first_monday + dt.timedelta(weeks=n) for n in range(3)]
    for number, monday in enumerate(mondays):
        due = dt.datetime.combine(monday, dt.time(7), tzinfo=berlin)
        time_machine.move_to(due - dt.timedelta(minutes=1), tick=False)
        NoticeFactory(
            organization=network,
            title=f"Hinweis der Woche {number}",
            topics=[digitalisation],
            valid_from=due - dt.timedelta(days=2),
        )
        assert services.send_digest().status == "not_due"
        time_machine.move_to(due, tick=False)

        assert services.send_digest().sent == 1

    issues = list(DigestIssue.objects.order_by("week"))
    assert [issue.week for issue in issues] == mondays
    assert [issue.until.astimezone(berlin).time() for issue in issues] == [dt.time(7)] * 3
    assert all(later.since == earlier.until for earlier, later in itertools.pairwise(issues))
    texts = [mail.body_text for mail in digests()]
    assert [[f"Hinweis der Woche {n}" in text for n in range(3)] for text in texts] == [
        [n == week for n in range(3)] for week in range(3)
    ]


def test_notice_excerpt_does_not_glue_paragraphs(network, digitalisation):
    notice = NoticeFactory(
        organization=network, body="Frist endet.\n\nAnträge stellen", topics=[digitalisation]
    )
    SubscriberFactory(topics=[digitalisation])

    send()

    assert excerpt(notice.body_html) == "Frist endet. Anträge stellen"
    assert "Frist endet. Anträge stellen" in digests()[0].body_text
