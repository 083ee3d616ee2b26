"""``manage.py create_api_token``: make a token for an integration and print its secret once."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api import tokens
from breachtrack.history import current_actor
from organisations.models import Organisation, Role, User


class Command(BaseCommand):
    help = "Create an API token acting as a member of one organisation; the secret is printed once."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, type=int, help="organisation id")
        parser.add_argument("--user", required=True, help="username of the member the token acts as")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", required=True, help="what uses it, e.g. 'SIEM connector'")
        parser.add_argument("--days", required=True, type=int, help="days until it expires")
        parser.add_argument("--reason", required=True, help="why it is made (kept as evidence)")

    def handle(self, *args, **options):
        try:
            organisation = Organisation.objects.get(pk=options["organisation"])
            user = User.objects.get(username=options["user"])
        except (Organisation.DoesNotExist, User.DoesNotExist) as error:
            raise CommandError(str(error)) from None
        try:
            created = tokens.create_api_token(
                organisation=organisation,
                user=user,
                role=options["role"],
                name=options["name"],
                expires_at=timezone.now() + timedelta(days=options["days"]),
                actor=current_actor(),
                reason=options["reason"],
            )
        except ValidationError as error:
            raise CommandError(
                "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
            ) from None
        self.stderr.write(f"Token {created.token.pk} for {user} in {organisation}; the secret (shown only once):")
        self.stdout.write(created.secret)
