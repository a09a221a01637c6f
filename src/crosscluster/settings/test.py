"""Tests: fast hashing, mail in memory, tasks run immediately, a time zone far from Berlin.

The process time zone is set far from Europe/Berlin so that hidden assumptions about local time fail.
"""

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tests change data inside a transaction that never commits, so no version is bumped: the page cache is
# switched on only by its own tests (tests/core/test_page_cache*.py).
PAGE_CACHE_ENABLED = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
SECRET_KEY = "test-only-key"
TIME_ZONE = "Pacific/Auckland"
ANALYTICS_FLUSH_SECONDS = 0  # each view written at once: the tests read the counts right after
