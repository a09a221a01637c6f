import io
import re

import pytest
from django.core.management import CommandError, call_command

from crosscluster.accounts.models import Membership, User
from crosscluster.core.models import AuditLogEntry
from tests.factories import UserFactory

NEW_PASSWORD = "Thüringer Klöße mit Rotkohl 2025"


def run(*args, stdin=""):
    out = io.StringIO()
    call_command("create-manager", *args, stdout=out, stdin=io.StringIO(stdin))
    return out.getvalue()


def test_create_manager_creates_user_membership_and_prints_a_password_link(client, organization, monkeypatch):
    output = run("Neu@Example.org", "--organization", "polymer-netz")

    user = User.objects.get()
    assert user.email == "neu@example.org"
    assert not user.has_usable_password()
    assert not user.is_coordinator
    assert Membership.objects.filter(user=user, organization=organization).exists()
    assert sorted(AuditLogEntry.objects.values_list("action", flat=True)) == [
        "accounts.membership.created",
        "accounts.user.created",
    ]
    link = re.search(r"http://127\.0\.0\.1:8000(/konto/passwort/neu/\S+/)", output).group(1)
    set_password_url = client.get(link)["Location"]
    response = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_create_manager_reads_the_password_from_stdin(organization):
    output = run(
        "neu@example.org",
        "--organization",
        "polymer-netz",
        "--password-from-stdin",
        stdin=NEW_PASSWORD + "\n",
    )

    assert User.objects.get().check_password(NEW_PASSWORD)
    assert "http" not in output
    assert AuditLogEntry.objects.filter(action="accounts.password.set").exists()


def test_create_manager_refuses_a_weak_password_and_creates_nothing(organization):
    with pytest.raises(CommandError, match="password"):
        run("neu@example.org", "--organization", "polymer-netz", "--password-from-stdin", stdin="123\n")

    assert not User.objects.exists()
    assert not AuditLogEntry.objects.exists()


def test_create_manager_updates_an_existing_user(manager, organization, other_organization):
    run(
        "manager@example.org",
        "--organization",
        "polymer-netz",
        "--organization",
        "andere-org",
        "--coordinator",
    )

    manager.refresh_from_db()
    assert manager.is_coordinator
    assert manager.check_password("correct horse battery staple")  # untouched
    assert set(manager.organizations.values_list("slug", flat=True)) == {"polymer-netz", "andere-org"}
    assert sorted(AuditLogEntry.objects.values_list("action", flat=True)) == [
        "accounts.membership.created",
        "accounts.user.updated",
    ]


def test_create_manager_makes_a_coordinator_without_organisations(db):
    run("koordination@example.org", "--coordinator")

    assert User.objects.get().is_coordinator


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["neu@example.org"], "--organization"),
        (["neu@example.org", "--organization", "gibt-es-nicht"], "gibt-es-nicht"),
    ],
)
def test_create_manager_refuses_missing_or_unknown_organisations(db, args, message):
    UserFactory(email="someone@example.org")

    with pytest.raises(CommandError, match=message):
        run(*args)

    assert not User.objects.filter(email="neu@example.org").exists()
