"""Compile the .po catalogues to .mo with polib, so no GNU gettext is needed on the machine."""

from pathlib import Path

import polib
from django.core.management.base import BaseCommand

PACKAGE_DIR = Path(__file__).resolve().parents[3]


class Command(BaseCommand):
    help = "Compile every translation catalogue (.po) of the package to .mo where it changed."

    def handle(self, *args: object, **options: object) -> None:
        compiled = 0
        for po_path in sorted(PACKAGE_DIR.rglob("locale/*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            compiled += 1
        self.stdout.write(f"compiletranslations: {compiled} catalogue(s) compiled")
