"""Fixtures for every test: people in each role and a small directory they work on."""

import datetime as dt
import os
import zoneinfo

import pytest
import time_machine
from django.utils import translation

from crosscluster.core.translations import compile_catalogues
from tests import clock
from tests.factories import (
    MembershipFactory,
    OfferFactory,
    OrganizationFactory,
    RegionFactory,
    TopicFactory,
    UserFactory,
)

PASSWORD = "correct horse battery staple"


def pytest_configure(config):
    """With CROSSCLUSTER_TEST_NOW, the whole run happens at that moment, its clock ticking on (tests.clock).

    Then compile the German catalogues before anything loads them: tests render German even without `make`;
    and build the routing encoder's artefact if `make` has not (`build-encoder`; a no-op when it matches).
    """
    text = os.environ.get(clock.ENV, "").strip()
    if text:
        start = clock.moment(text)
        config._crosscluster_travel = time_machine.travel(start, tick=True)
        config._crosscluster_travel.start()
        config._crosscluster_now = clock.as_text(start)
    if compile_catalogues():
        # Catalogues loaded while Django started (before the .mo files existed) are cached empty: reload.
        from django.utils.translation import trans_real

        trans_real._translations = {}
        trans_real._default = None
    from django.conf import settings

    from crosscluster.routing.e5_build import build_artefact

    build_artefact(settings.ROUTING_MODEL_DIR)


def pytest_report_header(config):
    now = getattr(config, "_crosscluster_now", None)
    return [f"clock moved to {now} (replay: make test-dates DAYS={now})"] if now else []


def pytest_unconfigure(config):
    travel = getattr(config, "_crosscluster_travel", None)
    if travel is not None:
        travel.stop()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite the test database is a file, as in `make run`, not Django's shared in-memory database.

    Then the test database behaves like the real one (WAL, `busy_timeout`, one writer at a time: a test can
    show that a slow mail server no longer locks out web requests), and other processes can open it: a test
    runs a real `db_worker` against it and kills it. On PostgreSQL nothing changes.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("database") / "test.sqlite3")


def _uses_database(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    return "db" in names or "transactional_db" in names or item.get_closest_marker("django_db") is not None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """After every test that used the database: each event's stored `listed` flag is what its definition
    says, by the check of `crosscluster check-derived` (events.listing.check_listed). So every test of every
    write path also checks that the signals kept the flag current."""
    result = yield
    if _uses_database(item):
        from crosscluster.events.listing import check_listed

        drift = check_listed(repair=False)
        assert not drift.found, f"Event.listed out of date after the test: {drift.examples}"
    return result


@pytest.fixture(autouse=True)
def _german_by_default():
    """A request to /en/ activates English for the thread; start every test in the default language."""
    with translation.override("de"):
        yield


@pytest.fixture
def before_2030(time_machine):
    """The clock on 1 January 2030, ticking: tests whose fixed dates in 2030 must lie ahead say so with
    this, and keep passing once that year has come."""
    time_machine.move_to(dt.datetime(2030, 1, 1, 10, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")))


@pytest.fixture
def region(db):
    return RegionFactory()


@pytest.fixture
def topic(db):
    return TopicFactory(slug="kunststoffe", name="Kunststoffe und Polymere")


@pytest.fixture
def organization(region, topic):
    """The organisation that `manager` manages."""
    org = OrganizationFactory(
        region=region, slug="polymer-netz", name="PolymerNetz Thüringen", topics=[topic]
    )
    OfferFactory(organization=org, title="Kunststoffberatung", topics=[topic])
    return org


@pytest.fixture
def other_organization(region):
    """An organisation `manager` must not touch."""
    org = OrganizationFactory(region=region, slug="andere-org", name="Anderes Netzwerk")
    OfferFactory(organization=org, title="Fremdes Angebot")
    return org


@pytest.fixture
def manager(organization):
    user = UserFactory(email="manager@example.org")
    MembershipFactory(user=user, organization=organization)
    return user


@pytest.fixture
def coordinator(db):
    return UserFactory(email="koordination@example.org", is_coordinator=True)


@pytest.fixture
def admin_user(db):
    return UserFactory(email="admin@example.org", is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(db):
    """Logged in, but manages nothing."""
    return UserFactory(email="outsider@example.org")
