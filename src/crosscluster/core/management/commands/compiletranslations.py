"""Compile the .po catalogues to .mo with polib, so no GNU gettext is needed on the machine."""

from django.core.management.base import BaseCommand

from crosscluster.core.translations import compile_catalogues


class Command(BaseCommand):
    help = "Compile every translation catalogue (.po) of the package to .mo where it changed."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(f"compiletranslations: {compile_catalogues()} catalogue(s) compiled")
