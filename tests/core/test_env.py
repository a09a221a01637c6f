import pytest
from django.core.exceptions import ImproperlyConfigured

from crosscluster.settings.env import env_bool, env_list, parse_email_url


def test_parse_email_url_smtp_with_tls_and_credentials():
    config = parse_email_url("smtp+tls://user%40x:p%3Ass@mail.example.org:587?timeout=7")
    assert config == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.org",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "user@x",
        "EMAIL_HOST_PASSWORD": "p:ss",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 7,
    }


def test_parse_email_url_console_and_file():
    assert parse_email_url("console://") == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"
    }
    assert parse_email_url("file:///tmp/mails")["EMAIL_FILE_PATH"] == "/tmp/mails"


def test_parse_email_url_unknown_scheme_is_refused():
    with pytest.raises(ImproperlyConfigured, match="unknown scheme"):
        parse_email_url("pigeon://roof")


def test_env_bool_rejects_garbage(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env_bool("SOME_FLAG", False)
    monkeypatch.setenv("SOME_FLAG", "On")
    assert env_bool("SOME_FLAG", False) is True


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example.org, b.example.org ,,")
    assert env_list("HOSTS", []) == ["a.example.org", "b.example.org"]
