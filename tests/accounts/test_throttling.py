import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from crosscluster.accounts import throttling
from crosscluster.core.models import ThrottleSlot
from tests.conftest import PASSWORD

LOGIN_URL = reverse("accounts:login")


@pytest.fixture
def clock(monkeypatch):
    """A frozen clock for the throttling module; `clock.now += 60` moves it."""

    class Clock:
        now = 1_800_000_000.0

    monkeypatch.setattr(throttling, "_now", lambda: Clock.now)
    return Clock


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 600


def login(client, email, password, address="203.0.113.5"):
    return client.post(LOGIN_URL, {"username": email, "password": password}, REMOTE_ADDR=address)


def error_codes(response):
    return [error.code for error in response.context["form"].non_field_errors().as_data()]


def test_throttling_locks_an_address_even_for_the_right_password(client, manager, clock):
    for _ in range(3):
        assert error_codes(login(client, manager.email, "wrong")) == ["invalid_login"]

    response = login(client, manager.email, PASSWORD)

    assert error_codes(response) == ["throttled"]
    assert "_auth_user_id" not in client.session
    assert "10 Minuten" in str(response.context["form"].non_field_errors())  # the whole window is left


def test_throttling_rounds_the_wait_up_to_whole_minutes(client, manager, clock):
    for _ in range(3):
        login(client, manager.email, "wrong")
    clock.now += 600 - 61

    response = login(client, manager.email, PASSWORD)

    assert "2 Minuten" in str(response.context["form"].non_field_errors())


def test_throttling_says_the_same_for_an_unknown_address(client, manager, clock):
    for email in (manager.email, "nobody@example.org"):
        for number in range(3):
            login(client, email, "wrong", address=f"198.51.100.{10 + number}")
    known = login(client, manager.email, "wrong", address="198.51.100.2")
    unknown = login(client, "nobody@example.org", "wrong", address="198.51.100.3")

    assert error_codes(known) == error_codes(unknown) == ["throttled"]
    assert known.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()


def test_throttling_locks_a_client_that_tries_many_addresses(client, manager, clock):
    for number in range(3):
        login(client, f"guess{number}@example.org", "wrong", address="192.0.2.7")

    from_that_client = login(client, manager.email, PASSWORD, address="192.0.2.7")
    from_elsewhere = login(client, manager.email, PASSWORD, address="192.0.2.8")

    assert error_codes(from_that_client) == ["throttled"]
    assert from_elsewhere.status_code == 302


def test_throttling_lock_ends_when_the_window_has_passed(client, manager, clock):
    for _ in range(3):
        login(client, manager.email, "wrong")
    clock.now += 599
    assert error_codes(login(client, manager.email, PASSWORD)) == ["throttled"]

    clock.now += 1
    response = login(client, manager.email, PASSWORD)

    assert response.status_code == 302


def test_throttling_refused_tries_do_not_extend_the_lock(client, manager, clock):
    for _ in range(3):
        login(client, manager.email, "wrong")
    for _ in range(5):
        clock.now += 100
        assert error_codes(login(client, manager.email, "wrong")) == ["throttled"]

    clock.now += 100  # 600 s after the first failure

    assert login(client, manager.email, PASSWORD).status_code == 302


def test_throttling_window_slides_over_old_failures(client, manager, clock):
    login(client, manager.email, "wrong")
    clock.now += 500
    login(client, manager.email, "wrong")
    clock.now += 200  # the first failure has left the window
    login(client, manager.email, "wrong")

    assert error_codes(login(client, manager.email, "wrong")) == ["invalid_login"]
    assert error_codes(login(client, manager.email, PASSWORD)) == ["throttled"]


def test_throttling_success_forgets_the_failures_of_the_address(client, manager, clock):
    for _ in range(2):
        login(client, manager.email, "wrong", address="192.0.2.1")
    assert login(client, manager.email, PASSWORD, address="192.0.2.2").status_code == 302
    client.logout()

    login(client, manager.email, "wrong", address="192.0.2.3")

    assert login(client, manager.email, PASSWORD, address="192.0.2.4").status_code == 302


def test_throttling_keeps_no_readable_address_in_the_database(manager, clock):
    assert throttling.admit_login(manager.email, "192.0.2.1").allowed

    stored = set(ThrottleSlot.objects.values_list("key", flat=True))
    assert stored == set(throttling.keys(manager.email, "192.0.2.1"))
    assert not [key for key in stored if "manager" in key or "example" in key]
    assert throttling.seconds_locked(manager.email, "192.0.2.1") == 0


def test_throttling_places_are_deleted_once_free_again(manager, clock):
    login(Client(), manager.email, "wrong")
    assert ThrottleSlot.objects.filter(busy_until__gt=0).count() == 2

    clock.now += 599
    assert throttling.delete_expired() == 3 * 2 - 2  # the free places of both keys
    clock.now += 1
    assert throttling.delete_expired() == 2
    assert not ThrottleSlot.objects.exists()
    assert login(Client(), manager.email, PASSWORD).status_code == 302  # a key without rows starts afresh


def test_throttling_refused_request_counts_for_no_key(clock, db):
    """Full for one key: the place already taken of the other key is given back."""
    limits = {"a": 1, "b": 1}
    assert throttling.admit({"b": 1}, 600).allowed
    refused = throttling.admit(limits, 600)

    assert not refused.allowed and refused.wait == 600
    assert throttling.admit({"a": 1}, 600).allowed  # "a" was not kept busy by the refused request


def test_throttling_a_raised_limit_adds_places(clock, db, settings):
    for _ in range(3):
        login(Client(), "x@example.org", "wrong", address="192.0.2.60")
    assert error_codes(login(Client(), "x@example.org", "wrong", address="192.0.2.61")) == ["throttled"]

    settings.LOGIN_MAX_FAILURES = 4

    assert error_codes(login(Client(), "x@example.org", "wrong", address="192.0.2.62")) == ["invalid_login"]
    assert error_codes(login(Client(), "x@example.org", "wrong", address="192.0.2.63")) == ["throttled"]


def test_throttling_applies_to_the_admin_login(client, admin_user, clock):
    url = reverse("admin:login")
    for _ in range(3):
        client.post(url, {"username": admin_user.email, "password": "wrong"}, REMOTE_ADDR="192.0.2.9")

    response = client.post(url, {"username": admin_user.email, "password": PASSWORD}, REMOTE_ADDR="192.0.2.9")

    assert response.status_code == 200
    assert error_codes(response) == ["throttled"]


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("203.0.113.5", "", "203.0.113.5"),
        # A client on the internet cannot choose its address by sending the header itself.
        ("203.0.113.5", "192.0.2.1", "203.0.113.5"),
        # Behind the local proxy the right-most entry is the client; entries left of it are the client's own.
        ("127.0.0.1", "10.9.9.9, 198.51.100.4", "198.51.100.4"),
        ("10.0.0.2", "198.51.100.4", "198.51.100.4"),
        ("127.0.0.1", "not-an-address", "127.0.0.1"),
        ("2001:db8:1:2:3:4:5:6", "", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.5", "", "203.0.113.5"),
    ],
)
def test_client_address_trusts_forwarded_for_only_from_a_local_proxy(remote, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert throttling.client_address(request) == expected


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        # Two proxies (e.g. a load balancer, then nginx): the second entry from the right is the client.
        (2, "127.0.0.1", "192.0.2.1, 198.51.100.4, 10.0.0.7", "198.51.100.4"),
        (2, "127.0.0.1", "198.51.100.4, 10.0.0.7", "198.51.100.4"),
        # Fewer entries than proxies: the request skipped the outer proxy; the left-most entry is the client.
        (2, "127.0.0.1", "198.51.100.4", "198.51.100.4"),
        (3, "10.0.0.2", "192.0.2.1, 198.51.100.4, 10.0.0.8, 10.0.0.7", "198.51.100.4"),
        # Still only from a local proxy.
        (2, "203.0.113.5", "192.0.2.1, 198.51.100.4", "203.0.113.5"),
        # No proxy: the header is ignored.
        (0, "127.0.0.1", "198.51.100.4", "127.0.0.1"),
        # Empty entries do not count as hops.
        (1, "127.0.0.1", "198.51.100.4, ", "198.51.100.4"),
    ],
)
def test_client_address_skips_the_configured_number_of_proxies(
    settings, proxies, remote, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert throttling.client_address(request) == expected


# The password-reset form ----------------------------------------------------------------------------------

RESET_URL = reverse("accounts:password_reset")


@pytest.fixture
def reset_limits(settings):
    settings.PASSWORD_RESET_MAX_REQUESTS = 2
    settings.PASSWORD_RESET_MAX_REQUESTS_PER_CLIENT = 4
    settings.PASSWORD_RESET_WINDOW_SECONDS = 3600


def reset(client, email, address="203.0.113.5"):
    return client.post(RESET_URL, {"email": email}, REMOTE_ADDR=address)


def queued_resets() -> int:
    from crosscluster.core.models import OutgoingMail

    return OutgoingMail.objects.count()


def test_reset_throttling_limits_mails_to_one_address(client, manager, clock, reset_limits):
    assert reset(client, manager.email).status_code == 302
    assert reset(client, manager.email.upper(), address="198.51.100.9").status_code == 302

    refused = reset(client, manager.email, address="192.0.2.44")

    assert refused.status_code == 200
    assert error_codes(refused) == ["throttled"]
    assert "60 Minuten" in refused.content.decode()
    assert queued_resets() == 2


def test_reset_throttling_says_the_same_for_an_unknown_address(client, manager, clock, reset_limits):
    for email in (manager.email, "niemand@example.org"):
        reset(client, email)
        reset(client, email)

    known, unknown = reset(client, manager.email), reset(client, "niemand@example.org")

    assert error_codes(known) == error_codes(unknown) == ["throttled"]
    assert known.content.decode().count("Zu viele Anfragen") == unknown.content.decode().count(
        "Zu viele Anfragen"
    )


def test_reset_throttling_limits_a_client_asking_for_many_addresses(client, manager, clock, reset_limits):
    for number in range(4):
        assert reset(client, f"person{number}@example.org").status_code == 302

    assert error_codes(reset(client, manager.email)) == ["throttled"]
    assert reset(client, manager.email, address="198.51.100.9").status_code == 302


def test_reset_throttling_ends_with_the_window(client, manager, clock, reset_limits):
    reset(client, manager.email)
    clock.now += 1800
    reset(client, manager.email)
    assert error_codes(reset(client, manager.email)) == ["throttled"]

    clock.now += 1801  # the first request has left the window; refused ones were not counted

    assert reset(client, manager.email).status_code == 302
    assert error_codes(reset(client, manager.email)) == ["throttled"]


def test_reset_throttling_is_separate_from_the_login(client, manager, clock, reset_limits):
    for _ in range(3):
        login(client, manager.email, "wrong")
    assert error_codes(login(client, manager.email, PASSWORD)) == ["throttled"]

    assert reset(client, manager.email).status_code == 302


def test_delete_expired_throttle_slots_command(client, manager, clock):
    import io

    from django.core.management import call_command

    login(client, manager.email, "wrong")
    clock.now += 600
    out = io.StringIO()

    call_command("delete-expired-throttle-slots", "--dry-run", stdout=out)
    call_command("delete-expired-throttle-slots", stdout=out)

    assert out.getvalue().splitlines() == [
        "delete-expired-throttle-slots: 6 free place(s) to delete",
        "delete-expired-throttle-slots: 6 free place(s) deleted",
    ]
    assert not ThrottleSlot.objects.exists()
