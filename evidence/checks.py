"""System checks of the evidence app: a configured TSA certificate file must be usable.

Checked at start-up (and by ``check --deploy``), so a bad file is found the day it is deployed,
not by the first nightly anchor. Anchoring off (no BREACHTRACK_TSA_URL) is a valid state and no
issue.
"""

from django.conf import settings
from django.core.checks import Error, register

from evidence.anchor import load_trusted_file
from evidence.tsp import TimestampError


@register("evidence")
def tsa_certificate_file(app_configs, **kwargs):
    path = settings.BREACHTRACK_TSA_CA_FILE
    if not path:
        return []

    try:
        load_trusted_file(path)
    except (TimestampError, OSError) as error:
        return [Error(f"BREACHTRACK_TSA_CA_FILE={path!r}: {error}", id="evidence.E001")]
    return []
