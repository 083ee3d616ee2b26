"""Is a filing's content complete against Art. 33(3)(a)-(d)? Pure: reads a content dict only.

Each missing item names the letter of Art. 33(3) it belongs to and the register
field that would fill it, so a refusal can point a person at the right place.
An incomplete initial filing is allowed only as a phased one (Art. 33(4)).

The contact point (b) is the one of the controller the filing is for
(``readers.filing_content.contact_point``): when the content says it came from the
controller's entry in the directory (``contact.source == "controller"``), a missing contact
names that controller and the field ``controller.party.contact_email``; otherwise the
organisation's own DPO, ``organisation.dpo_email``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

CONTROLLER_CONTACT_FIELD = "controller.party.contact_email"


@dataclass(frozen=True)
class MissingItem:
    code: str
    letter: str  # "a", "b", "c" or "d" of Art. 33(3)
    label: object  # lazy translated text citing the letter
    field: str  # the register field (on the incident unless prefixed) that fills it


def _has(value: object) -> bool:
    return value not in (None, "", [], {})


# (code, letter, label, register field, test on the content)
CHECKS = (
    (
        "nature_type",
        "a",
        _("(a) Nature: was confidentiality, integrity or availability breached?"),
        "is_confidentiality_breach",
        lambda c: _has(c.get("nature.breach_types")),
    ),
    (
        "nature_description",
        "a",
        _("(a) Nature of the breach: what happened"),
        "description",
        lambda c: _has(c.get("nature.description")),
    ),
    (
        "data_categories",
        "a",
        _("(a) Categories of personal data concerned"),
        "data_categories",
        lambda c: _has(c.get("nature.data_categories")),
    ),
    (
        "data_subject_categories",
        "a",
        _("(a) Categories of data subjects concerned"),
        "data_subject_categories",
        lambda c: _has(c.get("nature.data_subject_categories")),
    ),
    (
        "data_subjects_number",
        "a",
        _("(a) Approximate number of data subjects concerned"),
        "estimates",
        lambda c: _has(c.get("numbers.data_subjects")),
    ),
    (
        "records_number",
        "a",
        _("(a) Approximate number of personal-data records concerned"),
        "estimates",
        lambda c: _has(c.get("numbers.records")),
    ),
    (
        "contact_point",
        "b",
        _("(b) Name and contact details of the DPO or other contact point"),
        "organisation.dpo_email",
        lambda c: _has(c.get("contact.name")) and (_has(c.get("contact.email")) or _has(c.get("contact.phone"))),
    ),
    (
        "likely_consequences",
        "c",
        _("(c) Likely consequences of the breach"),
        "likely_consequences",
        lambda c: _has(c.get("consequences.likely")),
    ),
    (
        "measures",
        "d",
        _("(d) Measures taken or proposed, including mitigation"),
        "measures_containment",
        lambda c: any(_has(c.get(k)) for k in ("measures.containment", "measures.mitigation", "measures.planned")),
    ),
)


def _controller_contact(content: dict) -> MissingItem:
    name = content.get("controller.name") or "?"
    label = format_lazy(
        _(
            "(b) Name and contact details of the contact point of the controller {controller}: record its "
            "contact person and e-mail or phone in the directory of parties"
        ),
        controller=name,
    )
    return MissingItem("contact_point", "b", label, CONTROLLER_CONTACT_FIELD)


def missing_items(content: dict) -> list[MissingItem]:
    """What ``content`` lacks of Art. 33(3)(a)-(d), in the order of the article."""
    missing = []
    for code, letter, label, field, test in CHECKS:
        if test(content):
            continue
        if code == "contact_point" and content.get("contact.source") == "controller":
            missing.append(_controller_contact(content))
        else:
            missing.append(MissingItem(code, letter, label, field))
    return missing


def is_complete(content: dict) -> bool:
    return not missing_items(content)
