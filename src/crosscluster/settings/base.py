"""Settings shared by every environment; values come from environment variables.

Development defaults need nothing installed: SQLite under `var/`, mail to the console.
"""

from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_int, env_list, env_str, parse_email_url

PACKAGE_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = Path(env_str("CROSSCLUSTER_BASE_DIR", str(PACKAGE_DIR.parent.parent)))
VAR_DIR = Path(env_str("CROSSCLUSTER_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Before the admin, as its docs require: English (and German) columns for the directory's texts.
    "modeltranslation",
    "crosscluster.core",
    "crosscluster.accounts",
    "crosscluster.directory",
    "crosscluster.routing",
    "crosscluster.inquiries",
    "crosscluster.events",
    "crosscluster.news",
    "crosscluster.search",
    "crosscluster.digest",
    "crosscluster.api",
    "crosscluster.analytics",
    "crosscluster.cooperation",
    # Composes the apps above (home and topic pages, demo, import, start-up): after all of them.
    "crosscluster.portal",
    "ninja",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Last, as its docs require: removes uploaded files when their row is deleted or the file replaced.
    "django_cleanup.apps.CleanupConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Counts views of organisation, event and notice pages; no cookie, nothing about the visitor stored.
    # Outside the page cache, so that pages served from it are counted too.
    "crosscluster.analytics.counting.count_page_views",
    # Whole responses for anonymous visitors (core/page_cache.py): outside the rest, so that a cached page
    # costs none of it; what the rest adds to a response (the policy, X-Frame-Options) is stored with it.
    "crosscluster.core.page_cache.page_cache",
    # Early, so that every page (error pages too) gets the policy and its nonce.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # NUL bytes (400) and bodies over the limit (413) are refused before anything reads the request.
    "crosscluster.core.middleware.refuse_unreadable_requests",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "crosscluster.core.middleware.display_time_zone",
]

ROOT_URLCONF = "crosscluster.urls"
WSGI_APPLICATION = "crosscluster.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crosscluster.core.context_processors.site",
            ],
            # {% lang_attr obj "field" %} and {% localized obj "field" %} on every page (core/bilingual.py).
            "builtins": ["crosscluster.core.templatetags.bilingual"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'crosscluster.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server and the task worker use the file at the same time. One writer at a time: a
    # writer waits up to DATABASE_SQLITE_BUSY_MS for the lock before "database is locked"; on a busy
    # two-core machine a burst of logins (Argon2 checks) kept a lock holder off the CPU for over 5 s.
    # SQLite's own page cache belongs to one connection; memory-mapped reads serve the file from the
    # operating system's cache without a read() per page (the search over 100,000 events: docs/search.md),
    # shared by all processes, not a per-process copy.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            f"PRAGMA busy_timeout={env_int('DATABASE_SQLITE_BUSY_MS', 15000)}; "
            f"PRAGMA mmap_size={env_int('DATABASE_SQLITE_MMAP_MB', 512) * 1024 * 1024};"
        ),
    }
    # Kept open like PostgreSQL's: opening one (with the PRAGMAs above) and closing it (the last connection
    # to close checkpoints the WAL) cost about 3 ms of CPU per request, most of a page served from the page
    # cache (bench/pages.py).
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server settings per connection. PostgreSQL's JIT compiles any query its estimate calls expensive,
    # which costs 15-20 ms per request on the calendar's month page and saves nothing on queries that
    # read a few thousand rows (bench/events.py); it pays off for analytics, not for a web site.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", env_str("DATABASE_POSTGRES_OPTIONS", "-c jit=off")
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "manage:dashboard"
LOGOUT_REDIRECT_URL = "portal:home"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling: this many failures per e-mail address or client within the window lock further tries.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)
# Password-reset mails: this many requests per e-mail address and per client within the window.
PASSWORD_RESET_MAX_REQUESTS = env_int("PASSWORD_RESET_MAX_REQUESTS", 3)
PASSWORD_RESET_MAX_REQUESTS_PER_CLIENT = env_int("PASSWORD_RESET_MAX_REQUESTS_PER_CLIENT", 10)
PASSWORD_RESET_WINDOW_SECONDS = env_int("PASSWORD_RESET_WINDOW_SECONDS", 60 * 60)
# Reverse proxies in a row in front of the app servers, each appending to X-Forwarded-For
# (docs/operations.md); the throttling takes the client's address from that header only when the request
# comes from a local network.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
# Texts of organisations, offers, topics, events and notices exist in German and English (core/bilingual.py):
# German is required where a text is, English optional; a missing English text shows the German one.
MODELTRANSLATION_DEFAULT_LANGUAGE = "de"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("de",)
# Form labels and the admin: "Name (German)", "Name (English)".
MODELTRANSLATION_BUILD_LOCALIZED_VERBOSE_NAME = lambda verbose_name, lang: format_lazy(  # noqa: E731
    "{} ({})", verbose_name, dict(LANGUAGES)[lang]
)
TIME_ZONE = "Europe/Berlin"
# Pages always show times in the region's zone, whatever the server's TIME_ZONE is.
DISPLAY_TIME_ZONE = env_str("DISPLAY_TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded videos can be large; bigger uploads stream to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
MAX_VIDEO_UPLOAD_BYTES = env_int("MAX_VIDEO_UPLOAD_BYTES", 200 * 1024 * 1024)

# The database by default (nothing else to run); CACHE_URL=redis://host:6379/0 for several app servers
# under load (docs/operations.md; needs the `redis` package). The page cache keeps thousands of pages.
_cache_url = env_str("CACHE_URL", "")
CACHES: dict[str, dict[str, Any]]
if _cache_url.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "crosscluster_cache",
            "OPTIONS": {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 20_000)},
        }
    }

# Whole responses for anonymous visitors (core/page_cache.py): in this cache, invalidated by every change of
# public data and by time (a notice or event starting or ending, a new day), at the latest after
# PAGE_CACHE_MAX_SECONDS; the most used PAGE_CACHE_LOCAL_ENTRIES also in each process's memory.
PAGE_CACHE_ENABLED = env_bool("PAGE_CACHE_ENABLED", True)
# Page views are added up in each process and written at most this often (analytics/counting.py); 0: each
# view at once.
ANALYTICS_FLUSH_SECONDS = env_int("ANALYTICS_FLUSH_SECONDS", 10)
PAGE_CACHE_ALIAS = "default"
PAGE_CACHE_MAX_SECONDS = env_int("PAGE_CACHE_MAX_SECONDS", 3600)
PAGE_CACHE_LOCAL_ENTRIES = env_int("PAGE_CACHE_LOCAL_ENTRIES", 300)
# Never cached (after the language prefix): personal pages, token links, forms and the manager area.
PAGE_CACHE_EXCLUDED_PATHS = (
    "/admin/",
    "/konto/",
    "/manage/",
    "/anfrage/",
    "/digest/",
    "/i18n/",
    "/healthz",
    # The Kooperationsbörse's forms and the token pages of owners and interested visitors.
    "/kooperationen/einreichen/",
    "/kooperationen/interesse/",
    "/kooperationen/profil/",
    "/kooperationen/verlaengern/",
    "/kooperationen/kontakt/",
)
# A committed write to a table of these apps gives the public pages a new version (core/page_cache.py), but
# for these models, which no public page shows (feed bookkeeping, written at every fetch; merge decisions).
PAGE_CACHE_PUBLIC_APPS = ("directory", "events", "news", "search", "cooperation")
PAGE_CACHE_PRIVATE_MODELS = (
    "events.FeedSubscription",
    "events.DuplicateDecision",
    "cooperation.Introduction",
    "cooperation.DismissedPair",
)
# What changes public pages with time alone, besides midnight: (model, rows, fields); the first future value
# of each field is such a moment. The calendar lists an event until its end; a notice is public from
# valid_from until valid_until (news.access.public_notices, events.queries.upcoming).
PAGE_CACHE_TIME_FIELDS = [
    ("events.Event", {"listed": True}, ("start", "end")),
    ("news.Notice", {"published": True}, ("valid_from", "valid_until")),
]
# Any new value starts every page afresh (besides the code and settings a deployment changes anyway).
PAGE_CACHE_RELEASE = env_str("PAGE_CACHE_RELEASE", "")

_email = parse_email_url(env_str("EMAIL_URL", "console://"))
EMAIL_BACKEND = _email.pop("EMAIL_BACKEND")
globals().update(_email)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Crosscluster <noreply@crosscluster.example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# An attempt to send a mail of the outbox claims it for this long (core.mail): longer than the slowest SMTP
# conversation (each step waits EMAIL_TIMEOUT at most). A claim that runs out without a result means the
# sender died; the mail is then sent again, with the same Message-ID.
MAIL_CLAIM_SECONDS = env_int("MAIL_CLAIM_SECONDS", 300)
# After the server accepted a mail (recorded as sent), the worker waits this long at most for the answer to
# its goodbye (QUIT), not EMAIL_TIMEOUT: a server slow to say goodbye must not hold the worker.
MAIL_QUIT_WAIT_SECONDS = env_int("MAIL_QUIT_WAIT_SECONDS", 1)

TASKS = {"default": {"BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
# Workers (`crosscluster db_worker`, core.workers) report every TASKS_HEARTBEAT_SECONDS; one silent for
# TASKS_WORKER_LEASE_SECONDS is dead, and its running task is queued again, up to TASKS_MAX_ATTEMPTS runs in
# all (then it is marked failed). A task running longer than TASKS_STUCK_MINUTES is shown as stuck.
TASKS_HEARTBEAT_SECONDS = env_int("TASKS_HEARTBEAT_SECONDS", 10)
TASKS_WORKER_LEASE_SECONDS = env_int("TASKS_WORKER_LEASE_SECONDS", 120)
TASKS_MAX_ATTEMPTS = env_int("TASKS_MAX_ATTEMPTS", 3)
TASKS_STUCK_MINUTES = env_int("TASKS_STUCK_MINUTES", 60)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content Security Policy (django-csp; docs/operations.md). Scripts and styles from our own origin only, and
# the few inline ones (the widget's style sheet) with the nonce of the response; nothing else runs. Videos
# from elsewhere play only after the visitor's click (core/video-consent.js): YouTube's and Vimeo's players
# in a frame, media files from any HTTPS host. No page may be framed, but the widget (see below).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # data: for the icons inside KERN's stylesheet (inline SVG masks).
        "img-src": [SELF, "data:"],
        "media-src": [SELF, "https:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": ["https://www.youtube-nocookie.com", "https://player.vimeo.com"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# The Netzwerktimer widget (/veranstaltungen/widget/) is made to be framed by the members' own sites: any
# site by default, or only these origins (e.g. `https://www.polymer-netz.de,https://energie.example.org`).
WIDGET_FRAME_ANCESTORS = env_list("WIDGET_FRAME_ANCESTORS", ["*"])

# Inquiries: first response due within this many working days (weekends and the region's public holidays do
# not count); the coordination office is alerted at twice the time. Closed inquiries lose their personal data
# after the retention period.
INQUIRY_RESPONSE_WORKING_DAYS = env_int("INQUIRY_RESPONSE_WORKING_DAYS", 2)
INQUIRY_RETENTION_DAYS = env_int("INQUIRY_RETENTION_DAYS", 365)
# Bump when the privacy notice for inquiries changes; every inquiry stores the version it was consented to.
INQUIRY_CONSENT_VERSION = env_str("INQUIRY_CONSENT_VERSION", "2026-11")
# Abuse protection of the public inquiry form: inquiries per client address and per e-mail address per window.
INQUIRY_LIMIT_PER_CLIENT = env_int("INQUIRY_LIMIT_PER_CLIENT", 5)
INQUIRY_LIMIT_PER_EMAIL = env_int("INQUIRY_LIMIT_PER_EMAIL", 3)
INQUIRY_LIMIT_WINDOW_SECONDS = env_int("INQUIRY_LIMIT_WINDOW_SECONDS", 60 * 60)
# Where alerts for the coordination office go (besides its users' own addresses).
COORDINATION_EMAIL = env_str("COORDINATION_EMAIL", "")

# The public name of the installation, shown in the header and in mails.
SITE_NAME = env_str("SITE_NAME", "Crosscluster Thüringen")
# `make run` sets SITE_URL to the host and port it serves (HOST, PORT) unless SITE_URL is given.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
# The look and the legal contacts of this installation (core/identity.py, docs/design.md): another region sets
# these and runs its own look without a code change. The Impressum names the operator fields still empty.
SITE_IDENTITY = {
    # Two or three letters for the generated logo mark and favicon when no logo file is given.
    "short_name": env_str("SITE_SHORT_NAME", "CT"),
    # One line under the name in the header, e.g. the initiative's claim.
    "tagline": env_str("SITE_TAGLINE", ""),
    # A file under STATIC_ROOT/finders (e.g. "identity/logo.svg") or an absolute URL path ("/media/logo.png").
    "logo": env_str("SITE_LOGO", ""),
    "favicon": env_str("SITE_FAVICON", ""),
    # Brand colours (#rrggbb). The primary colour is used for buttons and links on white, so it needs 4.5:1.
    "color_primary": env_str("SITE_COLOR_PRIMARY", "#1a3d8f"),
    "color_accent": env_str("SITE_COLOR_ACCENT", "#f2a900"),
    "operator_name": env_str("SITE_OPERATOR_NAME", ""),
    "operator_address": env_str("SITE_OPERATOR_ADDRESS", ""),
    "operator_representative": env_str("SITE_OPERATOR_REPRESENTATIVE", ""),
    "operator_email": env_str("SITE_OPERATOR_EMAIL", ""),
    "operator_phone": env_str("SITE_OPERATOR_PHONE", ""),
    "operator_register": env_str("SITE_OPERATOR_REGISTER", ""),
    "operator_vat_id": env_str("SITE_OPERATOR_VAT_ID", ""),
    "privacy_contact": env_str("SITE_PRIVACY_CONTACT", ""),
    "privacy_email": env_str("SITE_PRIVACY_EMAIL", ""),
}
# The region that the public site shows first.
DEFAULT_REGION = env_str("DEFAULT_REGION", "thueringen")

# Page-view statistics (docs/analytics.md): daily counts older than this are deleted by run-periodic.
PAGE_VIEW_RETENTION_DAYS = env_int("PAGE_VIEW_RETENTION_DAYS", 2 * 365)

# Routing engine (see docs/routing.md). The encoder turns texts into vectors; any class with the interface of
# crosscluster.routing.encoders.Encoder will do.
ROUTING_ENCODER = env_str("ROUTING_ENCODER", "crosscluster.routing.encoders.OnnxE5Encoder")
# Where `crosscluster build-encoder` writes the encoder's ONNX build and app servers load it (e5_build.py).
ROUTING_MODEL_DIR = Path(env_str("ROUTING_MODEL_DIR", str(VAR_DIR / "models")))
# CPU threads of the encoder per process (0: the library decides, i.e. all cores).
ROUTING_ENCODER_THREADS = env_int("ROUTING_ENCODER_THREADS", 0)
# Longer inquiries are cut to this many model tokens before embedding: the need is stated early, and the
# encoder's time grows with the length (about 1.5 ms per token on one core).
ROUTING_QUERY_MAX_TOKENS = env_int("ROUTING_QUERY_MAX_TOKENS", 128)
# Inquiries handled by an organisation become evidence for it (record_evidence), which ranking then uses.
ROUTING_LEARN_FROM_HISTORY = env_bool("ROUTING_LEARN_FROM_HISTORY", True)
# At query time, up to this many missing embeddings are computed on the spot; more are left to the worker,
# and results are flagged `degraded` until it is done.
ROUTING_SYNC_EMBED_MAX = env_int("ROUTING_SYNC_EMBED_MAX", 16)
# The search embeds every query and the router every inquiry: app servers load the encoder (about a second)
# when the process starts (wsgi.py), so that no request waits for it.
ROUTING_PRELOAD_ENCODER = env_bool("ROUTING_PRELOAD_ENCODER", True)
# Routing queries (POST /api/v1/route and the inquiry form's "find who fits") per client address within the
# window; each costs about 0.1 s of CPU and anybody may ask (accounts.throttling).
ROUTING_LIMIT_PER_CLIENT = env_int("ROUTING_LIMIT_PER_CLIENT", 30)
ROUTING_LIMIT_WINDOW_SECONDS = env_int("ROUTING_LIMIT_WINDOW_SECONDS", 10 * 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Feed import of the Netzwerktimer (see docs/feeds.md): the total time of one fetch (lookup, connect, TLS,
# headers and body of every redirect), the largest body read, and whether feeds may live on private,
# loopback or link-local addresses (never in production: SSRF).
FEEDS_TIMEOUT_SECONDS = env_int("FEEDS_TIMEOUT_SECONDS", 15)
FEEDS_MAX_BYTES = env_int("FEEDS_MAX_BYTES", 10 * 1024 * 1024)
FEEDS_ALLOW_PRIVATE_ADDRESSES = env_bool("FEEDS_ALLOW_PRIVATE_ADDRESSES", False)
# Caps of one feed's import (events.feeds.limits): events in the import window, dates expanded from its
# recurring events (0: no cap), and the time to read and store it (wall clock, after the fetch; > 0).
# A feed over a cap fails with a message for its managers and keeps its events as they were.
FEEDS_MAX_EVENTS = env_int("FEEDS_MAX_EVENTS", 10_000)
FEEDS_MAX_OCCURRENCES = env_int("FEEDS_MAX_OCCURRENCES", 10_000)
FEEDS_MAX_PROCESSING_SECONDS = max(1, env_int("FEEDS_MAX_PROCESSING_SECONDS", 60))
# One run of `import-feeds` starts no further feed after this many seconds (the rest stay due for the next
# run), so a round of `run-periodic` is not held up by many slow feeds.
FEEDS_RUN_SECONDS = env_int("FEEDS_RUN_SECONDS", 120)
# `crosscluster import-feeds` fetches an active feed again once its last fetch is this many minutes old.
FEEDS_INTERVAL_MINUTES = env_int("FEEDS_INTERVAL_MINUTES", 60)
# A feed that failed waits twice as long after each failure in a row, but never longer than this (a day).
FEEDS_MAX_RETRY_MINUTES = env_int("FEEDS_MAX_RETRY_MINUTES", 24 * 60)

# Weekly digest (see docs/digest.md): sent once a week from this weekday (0 = Monday) and hour on (display
# time zone) with the new notices and the events of the next DIGEST_EVENT_DAYS days; subscriptions not
# confirmed within DIGEST_UNCONFIRMED_DAYS are deleted. Bump the consent version when its privacy notice
# changes.
DIGEST_WEEKDAY = env_int("DIGEST_WEEKDAY", 0)
DIGEST_HOUR = env_int("DIGEST_HOUR", 7)
DIGEST_EVENT_DAYS = env_int("DIGEST_EVENT_DAYS", 14)
DIGEST_UNCONFIRMED_DAYS = env_int("DIGEST_UNCONFIRMED_DAYS", 7)
DIGEST_CONSENT_VERSION = env_str("DIGEST_CONSENT_VERSION", "2026-11")
# Abuse protection of the subscribe form: requests per client address and per e-mail address per window.
DIGEST_LIMIT_PER_CLIENT = env_int("DIGEST_LIMIT_PER_CLIENT", 5)
DIGEST_LIMIT_PER_EMAIL = env_int("DIGEST_LIMIT_PER_EMAIL", 3)
DIGEST_LIMIT_WINDOW_SECONDS = env_int("DIGEST_LIMIT_WINDOW_SECONDS", 60 * 60)
