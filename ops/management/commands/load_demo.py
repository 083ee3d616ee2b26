"""Load the demo register (ops.demo): two tenants, their users and the 2025 laboratory case."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ops.demo import load_demo


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
        "Load the demo register modelled on the 2025 Dutch laboratory case. Running it again "
        "creates nothing new but sets the demo users' password from the file."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password-file", required=True, type=Path, help="File holding the password for every demo user."
        )

    def handle(self, *args, password_file: Path, **options):
        password = read_password(password_file)
        try:
            result = load_demo(password)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        if result.created:
            self.stdout.write(self.style.SUCCESS("Demo created."))
        else:
            self.stdout.write("The demo already exists: nothing created; the demo users' password was reset.")
        self.stdout.write(f"Organisations: {', '.join(result.organisations)}")
        self.stdout.write(f"Users (password from {password_file}): {', '.join(result.usernames)}")
        for incident in result.incidents:
            self.stdout.write(f"Incident: {incident}")
