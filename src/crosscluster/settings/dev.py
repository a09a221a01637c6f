"""Development: debug on by default, everything local."""

from .base import *  # noqa: F403
from .env import env_bool, env_int

DEBUG = env_bool("DEBUG", True)

# Static files through WhiteNoise as in production, straight from the apps' static folders: it serves the
# vendored, pre-compressed KERN stylesheet (kern.min.css.gz, 36 KB instead of 340 KB) to browsers that accept
# gzip, which runserver's own static handler cannot (docs/design.md).
INSTALLED_APPS = [*INSTALLED_APPS]  # noqa: F405
INSTALLED_APPS.insert(INSTALLED_APPS.index("django.contrib.staticfiles"), "whitenoise.runserver_nostatic")
MIDDLEWARE = [*MIDDLEWARE]  # noqa: F405
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Templates edited while `make run` serves are not part of a cached page's key (the release is read when the
# process starts): with DEBUG on, every page is rendered anew unless asked otherwise.
PAGE_CACHE_ENABLED = env_bool("PAGE_CACHE_ENABLED", not DEBUG)
ANALYTICS_FLUSH_SECONDS = env_int("ANALYTICS_FLUSH_SECONDS", 0)  # the statistics show a view at once
