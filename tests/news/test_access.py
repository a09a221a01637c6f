"""The choke points: what the public sees and who may edit which notice."""

import datetime as dt

import pytest
from django.utils import timezone

from crosscluster.news.access import can_edit_notice, notices_editable_by, pinned_notices, public_notices
from tests.factories import NoticeFactory, OrganizationFactory


def test_public_notices_only_published_current_and_of_published_organisations(organization):
    now = timezone.now()
    visible = NoticeFactory(organization=organization, valid_until=now + dt.timedelta(days=1))
    office = NoticeFactory(organization=None)
    NoticeFactory(organization=organization, published=False)
    NoticeFactory(organization=organization, valid_from=now + dt.timedelta(hours=1))  # not yet
    NoticeFactory(
        organization=organization,
        valid_from=now - dt.timedelta(days=2),
        valid_until=now - dt.timedelta(seconds=1),
    )  # expired
    NoticeFactory(organization=OrganizationFactory(published=False))

    assert set(public_notices()) == {visible, office}


def test_public_notices_at_a_given_time(organization):
    now = timezone.now()
    notice = NoticeFactory(organization=organization, valid_until=now + dt.timedelta(days=1))

    assert list(public_notices(now + dt.timedelta(days=2))) == []
    assert list(public_notices(now)) == [notice]


def test_pinned_notices_until_they_expire(organization):
    now = timezone.now()
    pinned = NoticeFactory(organization=organization, pinned=True, valid_until=now + dt.timedelta(hours=2))
    NoticeFactory(organization=organization)

    assert list(pinned_notices()) == [pinned]
    assert list(pinned_notices(now + dt.timedelta(hours=3))) == []


@pytest.mark.parametrize(
    ("role", "own", "other", "office"),
    [
        ("anonymous", False, False, False),
        ("outsider", False, False, False),
        ("manager", True, False, False),
        ("coordinator", True, True, True),
        ("admin_user", True, True, True),
    ],
)
def test_notices_editable_by_role(request, role, own, other, office, organization, other_organization):
    from django.contrib.auth.models import AnonymousUser

    user = AnonymousUser() if role == "anonymous" else request.getfixturevalue(role)
    notices = {
        "own": NoticeFactory(organization=organization),
        "other": NoticeFactory(organization=other_organization),
        "office": NoticeFactory(organization=None),
    }

    editable = set(notices_editable_by(user))
    expected = {key for key, allowed in (("own", own), ("other", other), ("office", office)) if allowed}
    assert editable == {notices[key] for key in expected}
    assert can_edit_notice(user, notices["own"]) is own
