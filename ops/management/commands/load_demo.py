"""Load the demo register (ops.demo): two tenants, their users, the 2025 laboratory case and a live incident."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ops.demo import describe_users, load_demo


def read_password(path: Path) -> str:
    """The password from a file, surrounding whitespace stripped; never from the command line,
    where it would end up in shell history and process lists."""
    try:
        password = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise CommandError(f"Password file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"Cannot read password file {path}: {error}") from None
    if not password:
        raise CommandError(f"Password file {path} is empty: put the demo users' password in it.")
    return password


class Command(BaseCommand):
    help = (
        "Load the demo register modelled on the 2025 Dutch laboratory case, with a live incident whose "
        "clock runs from the moment of loading. Running it again sets the demo users' password from the "
        "file and re-places the live incident relative to the new moment; nothing is duplicated."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password-file", type=Path, help="File holding the password for every demo user.")
        parser.add_argument(
            "--describe",
            action="store_true",
            help="Only print the demo logins, one a line, and what each is for (scripts/run shows them).",
        )

    def handle(self, *args, password_file: Path | None, describe: bool, **options):
        if describe:
            for line in describe_users():
                self.stdout.write(line)
            return
        if password_file is None:
            raise CommandError("Give --password-file (the demo users' password), or --describe.")
        password = read_password(password_file)
        try:
            result = load_demo(password)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        if result.created:
            self.stdout.write(self.style.SUCCESS("Demo created."))
        else:
            self.stdout.write(
                "The demo already exists: the demo users' password was reset and the live incident "
                "placed relative to now."
            )
        self.stdout.write(f"Organisations: {', '.join(result.organisations)}")
        self.stdout.write(f"Users (password from {password_file}): {', '.join(result.usernames)}")
        for incident in result.incidents:
            self.stdout.write(f"Incident: {incident}")
