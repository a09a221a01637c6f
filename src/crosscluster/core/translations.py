"""Compiling the .po catalogues with polib, so no GNU gettext is needed on the machine."""

from pathlib import Path

import polib

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def compile_catalogues(package_dir: Path = PACKAGE_DIR) -> int:
    """Compile every catalogue whose .mo is missing or older than its .po; returns how many."""
    compiled = 0
    for po_path in sorted(package_dir.rglob("locale/*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        compiled += 1
    return compiled
