"""Load the shipped demo directory, demo events and demo notices, but only into an empty database."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import timezone

from crosscluster.directory.demo import tag_demo_offers
from crosscluster.directory.importing import import_directory
from crosscluster.directory.models import Organization
from crosscluster.events.demo import create_demo_events
from crosscluster.events.times import local
from crosscluster.news.demo import create_demo_notices
from crosscluster.routing.services import ensure_embeddings

DEMO_FILE = Path(__file__).resolve().parents[3] / "directory" / "demo" / "thueringen.json"


class Command(BaseCommand):
    help = (
        "Import the shipped demo directory (Thüringen) and enter demo events when the database has no "
        "organisations yet."
    )

    def handle(self, *args: object, **options: object) -> None:
        if Organization.objects.exists():
            self.stdout.write("load-demo: the directory is not empty; nothing loaded")
            return
        data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
        report = import_directory(data, actor=None)
        self.stdout.write(f"load-demo: {report.summary()}")
        tagged = tag_demo_offers()
        self.stdout.write(f"load-demo: {tagged} offers given topics")
        notices = create_demo_notices(timezone.now())
        self.stdout.write(f"load-demo: {notices} demo notices entered, one of them urgent")
        created = create_demo_events(local(timezone.now()).date())
        self.stdout.write(f"load-demo: {created} demo events entered, dated from today")
        computed = ensure_embeddings()
        self.stdout.write(f"load-demo: {computed} routing embeddings computed")
