"""The coordination office's preview of the next digest: what each topic's subscribers would receive."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation

from crosscluster.directory.access import is_coordinator
from crosscluster.directory.models import Topic
from crosscluster.events.times import display_zone

from . import services
from .content import DigestMaterial
from .models import DigestIssue, Subscriber


def _require_coordinator(request: HttpRequest) -> None:
    if not is_coordinator(request.user):
        raise PermissionDenied


def _window(now):
    """The window of the issue that the next run sends: this week's if begun and open, else the next one."""
    issue = DigestIssue.objects.filter(week=services.week_of(now)).first()
    if issue is not None and issue.completed_at is None:
        return issue, issue.since, issue.until
    since, until = services.next_window(now)
    if issue is not None:  # this week's is done: the next one starts where it ended
        since = issue.until
    return issue, since, until


@login_required
def preview(request: HttpRequest) -> HttpResponse:
    _require_coordinator(request)
    now = timezone.now()
    issue, since, until = _window(now)
    material = DigestMaterial(since=since, until=until, now=now)
    topics = Topic.objects.annotate(
        subscriber_count=Count("digest_subscribers", filter=Q(digest_subscribers__confirmed_at__isnull=False))
    ).order_by("position", "name")
    context = {
        "issue": issue,
        "last_issue": DigestIssue.objects.filter(completed_at__isnull=False).first(),
        "since": since,
        "until": until,
        "events_from": material.events_from,
        "events_to": material.events_to,
        "sections": material.by_topic(topics),
        "confirmed_count": Subscriber.objects.filter(confirmed_at__isnull=False).count(),
        "unconfirmed_count": Subscriber.objects.filter(confirmed_at__isnull=True).count(),
        "weekday": settings.DIGEST_WEEKDAY,
        "hour": settings.DIGEST_HOUR,
    }
    return render(request, "digest/manage/preview.html", context)


@login_required
def preview_mail(request: HttpRequest) -> HttpResponse:
    """The mail a subscriber of one topic would get, as HTML or (`?format=text`) plain text."""
    _require_coordinator(request)
    topic = Topic.objects.filter(slug=request.GET.get("topic", "")).first()
    if topic is None:
        raise Http404
    language = request.GET.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    now = timezone.now()
    issue, since, until = _window(now)
    items = DigestMaterial(since=since, until=until, now=now).for_topics([topic.pk])
    as_text = request.GET.get("format") == "text"
    context = {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "base_url": settings.SITE_URL.rstrip("/"),
        "items": items,
        "issue": issue,
        "topics": [topic.name],
        "manage_url": "#",
        "unsubscribe_url": "#",
        "preview": True,
    }
    with translation.override(language), timezone.override(display_zone()):
        suffix = "txt" if as_text else "html"
        body = render_to_string(f"digest/mail/digest_body.{suffix}", context)
    response = HttpResponse(body, content_type="text/plain; charset=utf-8" if as_text else None)
    # The mail's HTML on our own origin: no scripts, nothing loaded, no forms.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return response
