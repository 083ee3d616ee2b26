"""Seed the supervisory authorities most incidents need.

Reference data, not tenant data. Written through the historical model so the
seed itself has a history row, attributed to the named system actor
``system:migration`` (never an unknown actor).
"""

from django.db import migrations
from django.utils import timezone

AUTHORITIES = [
    ("nl-ap", "Autoriteit Persoonsgegevens", "NL", "https://www.autoriteitpersoonsgegevens.nl/"),
    ("be-gba", "Gegevensbeschermingsautoriteit / Autorité de protection des données", "BE", ""),
    ("de-bfdi", "Der Bundesbeauftragte für den Datenschutz und die Informationsfreiheit", "DE", ""),
    ("fr-cnil", "Commission nationale de l'informatique et des libertés", "FR", ""),
    ("ie-dpc", "Data Protection Commission", "IE", ""),
    ("lu-cnpd", "Commission nationale pour la protection des données", "LU", ""),
    ("gb-ico", "Information Commissioner's Office", "GB", ""),
]


def seed(apps, schema_editor):
    User = apps.get_model("organisations", "User")
    Authority = apps.get_model("organisations", "Authority")
    HistoricalAuthority = apps.get_model("organisations", "HistoricalAuthority")
    actor, created = User.objects.get_or_create(
        username="system:migration", defaults={"is_active": False, "is_system_actor": True, "password": "!"}
    )
    for code, name, country, url in AUTHORITIES:
        authority, made = Authority.objects.get_or_create(
            code=code, defaults={"name": name, "country": country, "notification_url": url}
        )
        if made:
            HistoricalAuthority.objects.create(
                id=authority.id, code=code, name=name, country=country, notification_url=url,
                history_date=timezone.now(), history_type="+", history_user=actor,
                history_change_reason="seeded reference data (migration 0002)",
            )


class Migration(migrations.Migration):
    dependencies = [("organisations", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
