"""Throttling under parallel bursts: requests that arrive together must not all pass the check first.

Each request runs in its own thread with its own database connection and commits (`transactional_db`), as on
a server with several workers; a barrier lets them start together.
"""

import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from crosscluster.accounts import throttling
from crosscluster.core.models import OutgoingMail
from tests.conftest import PASSWORD

CLIENT_ADDRESS = "203.0.113.77"


@pytest.fixture(autouse=True)
def as_in_production(settings, transactional_db, monkeypatch):
    """Production's cache (the database) and password hasher (Argon2, about 50 ms a check), and a busy
    server: every step of the throttling may be interrupted by other requests (its clock yields)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "test_cache"}
    }
    call_command("createcachetable", verbosity=0)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]

    def busy_clock() -> float:
        time.sleep(0.01)
        return time.time()

    monkeypatch.setattr(throttling, "_now", busy_clock)


def burst(requests: list, *, timeout: float = 60) -> list:
    """Run the callables at once, each in its own thread; their results in order."""
    results: list = [None] * len(requests)
    barrier = threading.Barrier(len(requests))

    def run(index: int, request) -> None:
        try:
            barrier.wait()
            results[index] = request()
        except Exception as exc:  # reported by the assertions on the results
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item, daemon=True) for item in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results


def outcome(response) -> str:
    """By status only: the test client's `context` is not reliable with requests in parallel threads."""
    if isinstance(response, Exception):
        return f"error: {response!r}"
    return {302: "passed", 200: "refused"}.get(response.status_code, f"status {response.status_code}")


def test_throttling_lets_no_burst_of_logins_try_more_passwords_than_allowed(manager, caplog):
    """40 logins at once, one with the right password: at most LOGIN_MAX_FAILURES wrong ones are checked."""
    manager.set_password(PASSWORD)
    manager.save()

    def login(password: str):
        return lambda: Client().post(
            reverse("accounts:login"),
            {"username": manager.email, "password": password},
            REMOTE_ADDR=CLIENT_ADDRESS,
        )

    passwords = [f"wrong {number}" for number in range(39)]
    passwords.insert(20, PASSWORD)

    with caplog.at_level("WARNING", logger="crosscluster.accounts.login"):
        outcomes = [outcome(response) for response in burst([login(password) for password in passwords])]

    assert not [item for item in outcomes if item.startswith(("error", "status"))], outcomes
    wrong_checked = [record for record in caplog.records if record.getMessage().startswith("login failed")]
    assert 1 <= len(wrong_checked) <= 5, outcomes  # the default LOGIN_MAX_FAILURES
    assert outcomes.count("passed") <= 1


def test_throttling_sends_no_more_reset_mails_than_allowed_to_a_burst(manager):
    """30 reset requests for one address at once: PASSWORD_RESET_MAX_REQUESTS (3) mails, not 30."""

    def ask():
        return Client().post(
            reverse("accounts:password_reset"), {"email": manager.email}, REMOTE_ADDR=CLIENT_ADDRESS
        )

    outcomes = [outcome(response) for response in burst([ask] * 30)]

    assert outcomes.count("passed") == 3, outcomes
    assert outcomes.count("refused") == 27
    assert OutgoingMail.objects.filter(to=manager.email).count() == 3


@pytest.mark.parametrize("limit", [1, 4])
def test_throttling_admits_exactly_the_limit_of_a_burst(limit):
    results = burst([lambda: throttling.admit({"burst:key": limit}, 600) for _ in range(25)])

    assert not [item for item in results if isinstance(item, Exception)], results
    assert sum(1 for admission in results if admission.allowed) == limit
    assert all(590 <= admission.wait <= 600 for admission in results if not admission.allowed)
