"""The production settings: HTTPS only with HSTS, a strict Content Security Policy, a clean deploy check.

Issue 12, point 10: SECURE_HSTS_SECONDS defaulted to 0 although docs/operations.md said HSTS was on, no
page sent a Content-Security-Policy, and `check --deploy` warned W004 and W008. The header tests run with
the values that `crosscluster.settings.production` really computes (read by running the module, with a
clean environment), applied to the test settings.
"""

import os
import re
import runpy
import secrets
import subprocess
import sys

import pytest
from django.urls import reverse

from tests.factories import EventFactory

# The environment variables the production settings read for these values.
SECURITY_VARIABLES = (
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "WIDGET_FRAME_ANCESTORS",
)
# The settings taken over from production for the header tests (not the database, storages, middleware).
SECURITY_SETTINGS = (
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "X_FRAME_OPTIONS",
    "CONTENT_SECURITY_POLICY",
)
YEAR = 365 * 24 * 60 * 60


def _production_environment(tmp_path, **extra: str) -> dict[str, str]:
    """The test run's environment without what would change the answer: the security variables, and
    Django's own (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE, which the deploy check refuses)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in SECURITY_VARIABLES and not name.startswith("DJANGO_")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="crosscluster.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="crosscluster.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CROSSCLUSTER_VAR_DIR=str(tmp_path),
        **extra,
    )
    return env


def _run_production_settings(monkeypatch, environment: dict[str, str]) -> dict:
    """The production settings module's values, computed afresh (its base module too) in `environment`."""
    for name in SECURITY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, "crosscluster.settings.base")  # restored after the test
    return runpy.run_module("crosscluster.settings.production")


@pytest.fixture
def production(tmp_path, monkeypatch):
    """The values of the production settings module with a clean environment."""
    return _run_production_settings(monkeypatch, _production_environment(tmp_path))


@pytest.fixture
def production_like(production, settings):
    """The test settings with production's security settings."""
    for name in SECURITY_SETTINGS:
        setattr(settings, name, production[name])
    return production


def test_production_turns_on_hsts_and_https_redirects_by_default(production):
    assert production["SECURE_HSTS_SECONDS"] == YEAR
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production["SECURE_HSTS_PRELOAD"] is False
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert production["SESSION_COOKIE_SECURE"] is production["CSRF_COOKIE_SECURE"] is True


def test_production_lets_a_tls_proxy_take_over_hsts_and_redirects(tmp_path, monkeypatch):
    environment = _production_environment(tmp_path, SECURE_HSTS_SECONDS="0", SECURE_SSL_REDIRECT="false")

    values = _run_production_settings(monkeypatch, environment)

    assert (values["SECURE_HSTS_SECONDS"], values["SECURE_SSL_REDIRECT"]) == (0, False)


@pytest.mark.parametrize("extra", [{}, {"SECURE_HSTS_PRELOAD": "true"}], ids=["default", "preload"])
def test_check_deploy_with_production_settings_prints_no_warning(tmp_path, extra):
    result = subprocess.run(
        [sys.executable, "-m", "crosscluster", "check", "--deploy", "--fail-level", "WARNING"],
        env=_production_environment(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


@pytest.fixture
def event(organization):
    return EventFactory(organizers=[organization])


def _pages(event) -> list[str]:
    return [
        reverse("portal:home"),
        reverse("events:list"),
        reverse("events:detail", kwargs={"pk": event.pk}),  # with its JSON-LD
        reverse("accounts:login"),
        "/api/v1/regions",
        "/seite-gibt-es-nicht/",
    ]


def test_pages_send_hsts_and_a_strict_policy(client, production_like, event):
    for path in _pages(event):
        response = client.get(path, headers={"X-Forwarded-Proto": "https"})

        assert response.status_code in (200, 404), path
        assert response["Strict-Transport-Security"] == f"max-age={YEAR}; includeSubDomains", path
        assert response["X-Frame-Options"] == "DENY", path
        assert response["X-Content-Type-Options"] == "nosniff", path
        directives = policy(response)
        assert directives["default-src"] == ["'self'"], path
        assert directives["script-src"] == ["'self'"], path  # no inline script on these pages
        assert directives["style-src"] == ["'self'"], path
        assert directives["object-src"] == directives["base-uri"] == ["'none'"], path
        assert directives["frame-ancestors"] == ["'none'"], path
        assert directives["form-action"] == ["'self'"], path
        assert "'unsafe-inline'" not in response["Content-Security-Policy"], path
        assert "'unsafe-eval'" not in response["Content-Security-Policy"], path


def test_plain_http_is_redirected_but_the_health_check(client, production_like, db):
    response = client.get(reverse("events:list"))

    assert response.status_code == 301
    assert response["Location"] == "https://testserver" + reverse("events:list")
    assert client.get("/healthz").status_code == 200


def test_the_widget_may_be_framed_and_styles_itself_with_the_nonce(client, production_like, event):
    response = client.get(reverse("events:widget"), headers={"X-Forwarded-Proto": "https"})

    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    directives = policy(response)
    assert directives["frame-ancestors"] == ["*"]
    (nonce,) = [source for source in directives["style-src"] if source.startswith("'nonce-")]
    html = response.content.decode()
    assert f'<style nonce="{nonce[7:-1]}">' in html
    assert " style=" not in html  # style attributes would need 'unsafe-inline'
    assert "<script" not in html


def test_the_widget_frame_ancestors_can_be_restricted(client, production_like, settings, event):
    settings.WIDGET_FRAME_ANCESTORS = ["https://www.polymer-netz.de", "https://energie.example.org"]

    response = client.get(reverse("events:widget"), headers={"X-Forwarded-Proto": "https"})

    assert policy(response)["frame-ancestors"] == [
        "https://www.polymer-netz.de",
        "https://energie.example.org",
    ]


def test_every_template_keeps_to_the_policy():
    """No inline script or style without the nonce, no style attribute, no event handler attribute in any
    template a browser renders (the mails' templates are not pages)."""
    from pathlib import Path

    import crosscluster

    offenders = []
    for path in Path(crosscluster.__file__).parent.rglob("templates/**/*.html"):
        if "/mail/" in str(path) or "/email/" in str(path):
            continue
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<(script|style)\b([^>]*)>", text):
            attributes = match.group(2)
            executable = match.group(1) == "style" or "src=" not in attributes
            data_block = 'type="application/ld+json"' in attributes or 'type="application/json"' in attributes
            if executable and not data_block and "nonce=" not in attributes:
                offenders.append(f"{path.name}: {match.group(0)}")
        for match in re.finditer(r"<[a-z][^>]*\s(style|on[a-z]+)=\"", text):
            offenders.append(f"{path.name}: {match.group(0)}")

    assert offenders == []
