"""Create or update a manager from the command line, for operators and browser tests."""

import getpass
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from crosscluster.accounts import services
from crosscluster.accounts.models import User
from crosscluster.directory.models import Organization


class Command(BaseCommand):
    help = (
        "Create a user (or update an existing one) who manages the given organisations. Prints a link to set "
        "the password, or reads the password from standard input with --password-from-stdin."
    )
    # Tests pass their own standard input, like Django's createsuperuser.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("email", help="The e-mail address the person logs in with.")
        parser.add_argument(
            "--organization",
            action="append",
            default=[],
            metavar="SLUG",
            help="Slug of an organisation the person manages; repeat for several.",
        )
        parser.add_argument(
            "--coordinator",
            action="store_true",
            help="Make the person part of the coordination office, who edits every organisation.",
        )
        parser.add_argument(
            "--password-from-stdin",
            action="store_true",
            help="Read the password from the first line of standard input instead of printing a link.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slugs: list[str] = options["organization"]
        if not slugs and not options["coordinator"]:
            raise CommandError("Give at least one --organization SLUG (or --coordinator).")
        organizations = list(Organization.objects.filter(slug__in=slugs))
        missing = sorted(set(slugs) - {organization.slug for organization in organizations})
        if missing:
            raise CommandError(f"No organisation with the slug: {', '.join(missing)}")
        password = (
            self._read_password(options.get("stdin") or sys.stdin) if options["password_from_stdin"] else None
        )

        with transaction.atomic():
            user, created = services.create_manager(
                options["email"], organizations=organizations, coordinator=options["coordinator"], actor=None
            )
            if password is not None:
                try:
                    password_validation.validate_password(password, user)
                except ValidationError as exc:
                    raise CommandError("The password is not accepted: " + " ".join(exc.messages)) from exc
                services.set_password(user, password, actor=None, action="accounts.password.set")

        managed = ", ".join(organization.slug for organization in organizations) or "-"
        role = " (coordination office)" if user.is_coordinator else ""
        self.stdout.write(f"{'Created' if created else 'Updated'} {user.email}{role}; manages: {managed}")
        if password is None:
            self.stdout.write(
                f"Password link (valid once, for {self._valid_days()} days): {self._password_link(user)}"
            )

    @staticmethod
    def _read_password(stdin: Any) -> str:
        # At a terminal the password is not echoed; from a pipe it is the first line.
        if stdin.isatty():
            return getpass.getpass("Password: ")
        return stdin.readline().rstrip("\r\n")

    @staticmethod
    def _valid_days() -> int:
        return settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60)

    @staticmethod
    def _password_link(user: User) -> str:
        with translation.override(settings.LANGUAGE_CODE):
            path = reverse(
                "accounts:password_reset_confirm",
                kwargs={
                    "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                    "token": default_token_generator.make_token(user),
                },
            )
        return settings.SITE_URL.rstrip("/") + path
