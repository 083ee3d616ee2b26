"""How long a piece of free text may be: one rule for models, forms and serializers.

Every free-text field has an upper bound, so a pasted megabyte cannot reach the register (and
every page, export and history record that shows it). A bound is chosen by the *kind* of text,
not by the field, and named here once:

- ``NAME`` — a person's or organisation's name, a threat actor, who decided.
- ``LABEL`` — a short label: a title, a source, a cohort, a leak location, aliases.
- ``REFERENCE`` — a reference someone else gave us (the authority's case number, the police's).
- ``EMAIL`` — an e-mail address (RFC 5321's path limit, as Django's ``EmailField``).
- ``PHONE`` — a telephone number.
- ``ADDRESS`` — a postal address.
- ``REASON`` — why a change is made (kept as evidence with it), a revocation, a withdrawal.
- ``TEXT`` — a description, reasoning, evidence, a note, a summary: a few pages.
- ``LETTER`` — the text of a letter to the people affected (Art. 34), in one language.
- ``SYSTEM_TEXT`` — text the system writes itself (an error, a list of field names); bounded
  like ``TEXT`` so the structural test holds everywhere, and cut to it by its writer.

Model ``CharField``\\ s carry their bound as the column length. A ``TextField`` gets it through
``bounded_text``: ``max_length`` (which forms and DRF's ``ModelSerializer`` enforce) and a
``MaxLengthValidator`` (so ``full_clean``, which every action's ``save_with_history`` runs,
refuses it too). ``tests/test_text_limits.py`` walks every model, API serializer and web form
and fails on a free-text field without a bound.
"""

from __future__ import annotations

from django.core.validators import MaxLengthValidator
from django.db import models

NAME = 200
LABEL = 300
REFERENCE = 100
EMAIL = 254
PHONE = 40
ADDRESS = 1_000
REASON = 2_000
TEXT = 20_000
LETTER = 100_000
SYSTEM_TEXT = TEXT
PASSWORD = 4_096  # Django's own hashers refuse nothing; a bound keeps hashing cheap
SEARCH = 200


def bounded_text(verbose_name, max_length: int = TEXT, **kwargs) -> models.TextField:
    """A ``TextField`` that forms, serializers and ``full_clean`` all hold to ``max_length``."""
    validators = [*kwargs.pop("validators", []), MaxLengthValidator(max_length)]
    return models.TextField(verbose_name, max_length=max_length, validators=validators, **kwargs)


def cut(text: str, max_length: int = SYSTEM_TEXT) -> str:
    """System-written text (an exception's message, a remote answer) cut to its bound."""
    return text if len(text) <= max_length else text[: max_length - 1] + "…"
