"""Print the OpenAPI schema of /api/v1/; `make openapi-snapshot` stores it as tests/api/openapi.json."""

import json

from django.core.management.base import BaseCommand

from crosscluster.api.api import api


def render_schema() -> str:
    """Sorted keys and a final newline, so that the snapshot diffs only where the API changed."""
    schema = api.get_openapi_schema()
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Print the OpenAPI schema of /api/v1/ as JSON."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(render_schema(), ending="")
