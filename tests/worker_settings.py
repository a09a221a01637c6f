"""Settings for a real `crosscluster db_worker` that tests start against the test database (tests/core).

The test settings, but the database task queue and the mail server from the environment (`EMAIL_URL`), as
in production; `DATABASE_URL` names the test database.
"""

import os

from crosscluster.settings.env import parse_email_url
from crosscluster.settings.test import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
globals().update(parse_email_url(os.environ.get("EMAIL_URL", "locmem://")))
