"""The Dutch AP's notification questionnaire, answered from the register (docs/domain.md#ap-form).

The AP takes notifications only through its online form. This module turns what
the register already holds into the answers to that form's ten chapters, so an officer can fill
it in within minutes, and shows plainly which questions the register cannot answer yet.

Why it looks the way it does:

* **Pure.** It reads a :class:`readers.register.RegisterView` (loaded in a fixed number of
  queries) and ``now``; it never queries or reads the clock, so the view's query count stays
  bounded and tests can use exact expectations.
* **Both languages at once.** The sheet mirrors a Dutch form and is used side by side with an
  English reading, whatever language the interface is in. Question texts and fixed answer phrases
  are therefore kept here as Dutch/English pairs (:class:`Text`): the Dutch wording follows the AP
  form's, which is the form's text, not a translation of ours. Labels of register choices (cause,
  data categories, …) come from the translation catalogue, rendered once per language.
* **One controller's filing.** Each controller has its own clock and files its own notification
  (docs/domain.md#awareness). The sheet is built for one party: its awareness, its 72 hours (with the
  Reg. 1182/71 outer bound beside them, ``rules.clocks.outer_bound_at``), its estimates where it has
  its own, and the other parties as "other organisations involved". Without a party chosen it is
  the controller being filed for (:func:`default_controller`), never a processor's own clock.
* **People's words for where an answer comes from.** Each question names the register fields it
  is answered from as labels in both languages (:data:`SOURCE_LABELS`); the field paths stay in
  the JSON's ``sources`` for machines, beside ``source_labels``.
* **Local times, as the form asks them.** Every instant is given in Europe/Amsterdam wall-clock
  time with its UTC offset, and in UTC beside it.
* **Filings are not read here.** Whether this is a follow-up, and why the notification comes after
  72 hours, are facts of a filing (another app). They come in as keyword arguments; without them
  those questions are marked unanswered, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from zoneinfo import ZoneInfo

from django.utils import translation

from incidents.choices import SPECIAL_CATEGORIES, Cause, DataCategory, DataSubjectCategory, EstimateMeasure, RiskLevel
from rules import clocks
from rules.awareness import earliest_awareness

# 2: "outer_bound_at" (Reg. 1182/71) after "due_at"; "source_labels" beside each question's
# "sources"; the default party is the controller being filed for.
SCHEMA = "breachtrack.ap-answer-sheet/2"
AP_ZONE = ZoneInfo("Europe/Amsterdam")  # the AP's form asks for Dutch local times
LANGUAGES = ("nl", "en")
_WEEKDAYS = {"nl": ("ma", "di", "wo", "do", "vr", "za", "zo"), "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


class State(str, Enum):
    ANSWERED = "answered"
    UNANSWERED = "unanswered"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class Text:
    """One text in both languages of the sheet."""

    nl: str
    en: str

    def get(self, language: str) -> str:
        return getattr(self, language)

    def as_dict(self) -> dict[str, str]:
        return {"nl": self.nl, "en": self.en}


@dataclass(frozen=True)
class Question:
    key: str
    text: Text
    sources: tuple[str, ...]  # the register fields the answer comes from


@dataclass(frozen=True)
class Answer:
    question: Question
    state: State
    answer: Text | None = None  # what to paste into the form
    detail: Text | None = None  # provenance or what is missing; not for pasting
    value: object = None  # a machine-readable value (numbers, instants) for the JSON
    answered_from: tuple[str, ...] | None = None  # where this answer came from, if not the question's

    @property
    def key(self) -> str:
        return self.question.key

    @property
    def sources(self) -> tuple[str, ...]:
        return self.answered_from if self.answered_from is not None else self.question.sources

    @property
    def source_labels(self) -> list[Text]:
        return [source_label(source) for source in self.sources]

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "question": self.question.text.as_dict(),
            "state": self.state.value,
            "answer": self.answer.as_dict() if self.answer else None,
            "detail": self.detail.as_dict() if self.detail else None,
            "value": self.value,
            "sources": list(self.sources),
            "source_labels": [label.as_dict() for label in self.source_labels],
        }


@dataclass(frozen=True)
class Chapter:
    number: int
    title: Text
    answers: tuple[Answer, ...]


@dataclass(frozen=True)
class AnswerSheet:
    incident: object
    party: object  # the IncidentParty whose filing this is, or None
    generated_at: datetime
    due_at: datetime | None  # the party's 72 hours (Art. 33(1)), if it is aware
    outer_bound_at: datetime | None  # their Reg. 1182/71 outer bound (information only)
    chapters: tuple[Chapter, ...]

    @property
    def answers(self) -> list[Answer]:
        return [answer for chapter in self.chapters for answer in chapter.answers]

    @property
    def unanswered(self) -> list[Answer]:
        return [answer for answer in self.answers if answer.state is State.UNANSWERED]

    @property
    def unanswered_count(self) -> int:
        return len(self.unanswered)

    def as_json(self) -> dict:
        """The sheet as JSON-ready data; keys and their order are the schema ``SCHEMA``."""
        party = self.party
        return {
            "schema": SCHEMA,
            "generated_at": _utc_iso(self.generated_at),
            "incident": {"id": self.incident.pk, "reference": self.incident.reference, "title": self.incident.title},
            "organisation": self.incident.organisation.name,
            "party": None if party is None else {"id": party.pk, "name": party.party.name, "role": party.role},
            "due_at": _utc_iso(self.due_at) if self.due_at else None,
            "outer_bound_at": _utc_iso(self.outer_bound_at) if self.outer_bound_at else None,
            "unanswered_count": self.unanswered_count,
            "chapters": [
                {"number": c.number, "title": c.title.as_dict(), "questions": [a.as_dict() for a in c.answers]}
                for c in self.chapters
            ],
        }


# --- The questionnaire: chapters and questions (AP form of August 2022, docs/domain.md#ap-form) --

CHAPTERS = {
    1: Text("Verzamelmelding en wetgeving", "Bulk notification and legal regime"),
    2: Text("Algemeen", "General"),
    3: Text("Organisatie", "Organisation"),
    4: Text("Het datalek in de tijd", "The breach in time"),
    5: Text("Wat is er gebeurd", "What happened"),
    6: Text("De persoonsgegevens", "The personal data"),
    7: Text("De betrokkenen", "The data subjects"),
    8: Text("Onbegrijpelijk of versleuteld", "Unintelligible or encrypted"),
    9: Text("Gevolgen", "Consequences"),
    10: Text(
        "Betrokkenen informeren, maatregelen en grensoverschrijdende aspecten",
        "Informing data subjects, measures and cross-border aspects",
    ),
}


def _q(key: str, nl: str, en: str, *sources: str) -> Question:
    return Question(key, Text(nl, en), sources)


QUESTIONS = {
    q.key: q
    for q in (
        _q("1.1", "Gaat het om een verzamelmelding?", "Is this a bulk notification?", "incident"),
        _q(
            "1.2",
            "Onder welke wet valt de melding (AVG, Wpg of Telecommunicatiewet)?",
            "Which law does the notification fall under (GDPR, Wpg or Telecommunications Act)?",
            "incident",
        ),
        _q(
            "2.1",
            "Is dit een nieuwe melding of een aanvulling op een eerdere melding?",
            "Is this a new notification or a follow-up to an earlier one?",
            "filing.is_follow_up",
            "filing.previous_reference",
        ),
        _q("3.1", "Naam van de organisatie", "Name of the organisation", "organisation.name"),
        _q("3.2", "Adres van de organisatie", "Address of the organisation", "organisation.address"),
        _q("3.3", "KvK-nummer", "Chamber of Commerce (KvK) number", "organisation.registration_number"),
        _q("3.4", "Sector of branche", "Sector", "organisation.sector"),
        _q(
            "3.5",
            "Functionaris gegevensbescherming (FG) of ander contactpunt: naam en contactgegevens",
            "Data protection officer or other contact point: name and contact details",
            "organisation.dpo_name",
            "organisation.dpo_email",
            "organisation.dpo_phone",
        ),
        _q(
            "3.6",
            "Gegevens van de melder: naam, functie, telefoonnummer en e-mailadres",
            "The person filing: name, role, phone number and e-mail address",
            "filing.filer",
        ),
        _q(
            "3.7",
            "Zijn er andere organisaties betrokken bij het datalek (bijvoorbeeld verwerkers of "
            "gezamenlijk verwerkingsverantwoordelijken)?",
            "Are other organisations involved in the breach (e.g. processors or joint controllers)?",
            "incident.parties",
        ),
        _q("4.1", "Wanneer is het datalek begonnen?", "When did the breach start?", "incident.occurred_from_at"),
        _q(
            "4.2",
            "Wanneer is het datalek geëindigd, of duurt het nog voort?",
            "When did the breach end, or is it still ongoing?",
            "incident.occurred_until_at",
            "incident.is_ongoing",
        ),
        _q("4.3", "Wanneer is het datalek ontdekt?", "When was the breach discovered?", "incident.detected_at"),
        _q(
            "4.4",
            "Hoe is het datalek ontdekt?",
            "How was the breach discovered?",
            "incident.discovery_method",
            "incident.discovery_detail",
        ),
        _q(
            "4.5",
            "Wanneer heeft uw organisatie kennisgenomen van het datalek?",
            "When did your organisation become aware of the breach?",
            "awareness_records.aware_at",
        ),
        _q(
            "4.6",
            "Wat is de reden dat u het datalek later dan 72 uur na kennisname meldt?",
            "What is the reason for notifying the breach more than 72 hours after becoming aware?",
            "filing.delay_reasons",
        ),
        _q(
            "5.1",
            "Wat voor soort datalek is het (vertrouwelijkheid, integriteit, beschikbaarheid)?",
            "What kind of breach is it (confidentiality, integrity, availability)?",
            "incident.is_confidentiality_breach",
            "incident.is_integrity_breach",
            "incident.is_availability_breach",
        ),
        _q(
            "5.2",
            "Wat is er gebeurd? (past geen keuze: anders, namelijk …)",
            "What happened? (if no option fits: other, namely …)",
            "incident.cause",
            "incident.cause_detail",
        ),
        _q("5.3", "Geef een samenvatting van het datalek", "Summary of the breach", "incident.description"),
        _q("5.4", "Bijlagen (optioneel)", "Attachments (optional)"),
        _q(
            "6.1",
            "Om welke soorten persoonsgegevens gaat het?",
            "Which kinds of personal data are involved?",
            "incident.data_categories",
        ),
        _q(
            "6.2",
            "Gaat het (ook) om het burgerservicenummer (BSN)?",
            "Does it involve the citizen service number (BSN)?",
            "incident.data_categories",
        ),
        _q(
            "6.3",
            "Gaat het om bijzondere persoonsgegevens (bijvoorbeeld gezondheid)? Zo ja, welke?",
            "Does it involve special categories of data (e.g. health)? If so, which?",
            "incident.data_categories",
        ),
        _q(
            "6.4",
            "Gaat het om strafrechtelijke persoonsgegevens?",
            "Does it involve criminal-offence data?",
            "incident.data_categories",
        ),
        _q(
            "6.5",
            "Om hoeveel persoonsgegevens (records) gaat het bij benadering?",
            "Approximately how many personal-data records are involved?",
            "estimates[records]",
        ),
        _q(
            "7.1",
            "Om welke groepen betrokkenen gaat het?",
            "Which groups of data subjects are involved?",
            "incident.data_subject_categories",
        ),
        _q(
            "7.2",
            "Om hoeveel personen gaat het bij benadering (minimum en maximum)?",
            "Approximately how many people are involved (minimum and maximum)?",
            "estimates[data_subjects]",
        ),
        _q(
            "8.1",
            "Waren de persoonsgegevens onbegrijpelijk of ontoegankelijk voor onbevoegden, "
            "bijvoorbeeld door versleuteling?",
            "Were the personal data unintelligible or inaccessible to unauthorised persons, e.g. encrypted?",
            "incident.is_data_encrypted",
            "incident.is_key_compromised",
        ),
        _q(
            "9.1",
            "Wat zijn de mogelijke gevolgen voor de betrokkenen?",
            "What are the likely consequences for the data subjects?",
            "incident.likely_consequences",
        ),
        _q(
            "9.2",
            "Hoe ernstig zijn de gevolgen (1 laag, 2 gemiddeld, 3 hoog, 4 zeer hoog)?",
            "How severe are the consequences (1 low, 2 medium, 3 high, 4 very high)?",
            "incident.severity",
        ),
        _q(
            "9.3",
            "Hoe schat u het risico voor de betrokkenen in, en waarom?",
            "How do you assess the risk to the data subjects, and why?",
            "incident.risk_level",
            "incident.risk_reasoning",
        ),
        _q(
            "10.1",
            "Heeft u de betrokkenen geïnformeerd, of gaat u dat doen?",
            "Have you informed the data subjects, or will you?",
            "incident.risk_level",
        ),
        _q(
            "10.2",
            "Hoe informeert u de betrokkenen (kanaal), of waarom niet (of met een openbare mededeling)?",
            "How do you inform the data subjects (channel), or why not (or by a public communication)?",
            "incident.risk_level",
            "incident.risk_reasoning",
            "art34_communications",
        ),
        _q(
            "10.3",
            "Welke maatregelen heeft u genomen om het datalek te beëindigen en de gevolgen te beperken?",
            "Which measures have you taken to end the breach and limit its consequences?",
            "incident.measures_containment",
            "incident.measures_mitigation",
        ),
        _q(
            "10.4",
            "Welke maatregelen gaat u nog nemen om herhaling te voorkomen?",
            "Which measures will you take to prevent it from happening again?",
            "incident.measures_planned",
        ),
        _q(
            "10.5",
            "Welke beveiligingsmaatregelen waren vóór het datalek getroffen?",
            "Which security measures were in place before the breach?",
            "incident.measures_before",
        ),
        _q(
            "10.6",
            "Gaat het om betrokkenen in andere landen van de EU of EER? Zo ja, welke?",
            "Are data subjects in other EU or EEA countries involved? If so, which?",
            "incident.data_subject_countries",
        ),
        _q(
            "10.7",
            "Heeft u het datalek ook gemeld bij een toezichthouder in een ander land?",
            "Has the breach also been notified to a supervisory authority in another country?",
            "incident.authorities",
        ),
    )
}


# What each source names, in people's words (docs/domain.md#ap-form): the State column shows
# these, never a field path.
SOURCE_LABELS: dict[str, Text] = {
    "incident": Text("Het incident", "The incident"),
    "filing.is_follow_up": Text("Vervolgmelding", "Follow-up filing"),
    "filing.previous_reference": Text(
        "Meldnummer van de AP bij de eerdere melding", "AP report number of the earlier filing"
    ),
    "filing.filer": Text("Wie de melding doet", "Who files"),
    "filing.delay_reasons": Text(
        "Redenen voor de vertraging (bij de melding)", "Reasons for the delay (with the filing)"
    ),
    "organisation.name": Text("Naam van de organisatie", "Name of the organisation"),
    "organisation.address": Text("Adres van de organisatie", "Address of the organisation"),
    "organisation.registration_number": Text(
        "KvK-nummer van de organisatie", "Organisation's Chamber of Commerce number"
    ),
    "organisation.sector": Text("Sector van de organisatie", "Organisation's sector"),
    "organisation.dpo_name": Text("Naam van de functionaris gegevensbescherming", "Data protection officer's name"),
    "organisation.dpo_email": Text(
        "E-mailadres van de functionaris gegevensbescherming", "Data protection officer's e-mail"
    ),
    "organisation.dpo_phone": Text(
        "Telefoon van de functionaris gegevensbescherming", "Data protection officer's phone"
    ),
    "party": Text("Partijenlijst", "Directory of parties"),
    "party.name": Text(
        "Naam van de verwerkingsverantwoordelijke (partijenlijst)", "Controller's name (directory of parties)"
    ),
    "party.registration_number": Text(
        "Registratienummer (partijenlijst)", "Registration number (directory of parties)"
    ),
    "party.contact_name": Text("Contactpersoon (partijenlijst)", "Contact person (directory of parties)"),
    "party.contact_email": Text(
        "E-mailadres van het contact (partijenlijst)", "Contact's e-mail (directory of parties)"
    ),
    "party.contact_phone": Text("Telefoon van het contact (partijenlijst)", "Contact's phone (directory of parties)"),
    "incident.parties": Text("Betrokken partijen", "Parties involved"),
    "incident.occurred_from_at": Text("Begin van het datalek", "Breach started"),
    "incident.occurred_until_at": Text("Einde van het datalek", "Breach ended"),
    "incident.is_ongoing": Text("Duurt nog voort", "Still ongoing"),
    "incident.detected_at": Text("Ontdekt", "Detected"),
    "incident.discovery_method": Text("Hoe het is ontdekt", "How it was discovered"),
    "incident.discovery_detail": Text("Ontdekking, toelichting", "Discovery, details"),
    "awareness_records.aware_at": Text("Kennisname van de partij", "The party's awareness"),
    "incident.is_confidentiality_breach": Text("Inbreuk op de vertrouwelijkheid", "Confidentiality breach"),
    "incident.is_integrity_breach": Text("Inbreuk op de integriteit", "Integrity breach"),
    "incident.is_availability_breach": Text("Inbreuk op de beschikbaarheid", "Availability breach"),
    "incident.cause": Text("Oorzaak", "Cause"),
    "incident.cause_detail": Text("Oorzaak, toelichting", "Cause, details"),
    "incident.description": Text("Wat er is gebeurd", "What happened"),
    "incident.data_categories": Text("Soorten persoonsgegevens", "Categories of personal data"),
    "incident.data_subject_categories": Text("Groepen betrokkenen", "Categories of data subjects"),
    "estimates[records]": Text("Schattingen: aantal records", "Estimates: number of records"),
    "estimates[data_subjects]": Text("Schattingen: aantal betrokkenen", "Estimates: number of data subjects"),
    "incident.is_data_encrypted": Text("Gegevens versleuteld", "Data encrypted"),
    "incident.is_key_compromised": Text("Sleutel gecompromitteerd", "Key compromised"),
    "incident.likely_consequences": Text("Waarschijnlijke gevolgen", "Likely consequences"),
    "incident.severity": Text("Ernst (schaal van de AP)", "Severity (AP scale)"),
    "incident.risk_level": Text("Risiconiveau", "Risk level"),
    "incident.risk_reasoning": Text("Motivering van het risico", "Reasoning for the risk level"),
    "art34_communications": Text(
        "Berichten aan betrokkenen (art. 34 AVG)", "Communications to data subjects (Art. 34)"
    ),
    "incident.measures_containment": Text("Maatregelen: inperking", "Measures: containment"),
    "incident.measures_mitigation": Text("Maatregelen: beperking van de gevolgen", "Measures: mitigation"),
    "incident.measures_planned": Text("Geplande maatregelen", "Planned measures"),
    "incident.measures_before": Text("Maatregelen vóór het datalek", "Measures in place before"),
    "incident.data_subject_countries": Text("Landen van de betrokkenen", "Countries of the data subjects"),
    "incident.authorities": Text("Toezichthouders", "Supervisory authorities"),
}


def source_label(source: str) -> Text:
    """A source in people's words; a source without a label is a bug the tests catch, not a path shown."""
    return SOURCE_LABELS[source]


# --- Building -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What every chapter reads: the register, the filing party and the filing's own facts."""

    register: object
    party: object
    awareness: object
    due_at: datetime | None
    outer_bound_at: datetime | None
    now: datetime
    delay_reasons: str
    is_follow_up: bool | None
    previous_reference: str

    @property
    def incident(self):
        return self.register.incident


def build_answer_sheet(
    register,
    *,
    now: datetime,
    party=None,
    delay_reasons: str | None = None,
    is_follow_up: bool | None = None,
    previous_reference: str = "",
) -> AnswerSheet:
    """The AP questionnaire answered for ``party``'s filing, as known at ``now``.

    Steps:
      1. pick the filing party: ``party`` (an ``IncidentParty`` of this incident), else the
         controller being filed for (:func:`default_controller`), else none;
      2. find its clock: its earliest awareness not withdrawn, ``aware_at + 72h`` and the
         Reg. 1182/71 outer bound (``rules.clocks.outer_bound_at``);
      3. answer each chapter from the register; estimates count only if known at ``now``.

    ``delay_reasons`` (the reasons for notifying after 72 hours, Art. 33(1)), ``is_follow_up`` and
    ``previous_reference`` (the AP's report number of the notification this one supplements) are
    facts of the filing, supplied by whoever builds the filing; left out, they stay unanswered.
    """
    earliest = earliest_awareness(register.awareness)
    party = party if party is not None else default_controller(register.parties, earliest)
    awareness = earliest.get(party.pk) if party is not None else None
    due_at = clocks.authority_due_at(awareness.aware_at) if awareness else None
    bound = clocks.outer_bound_at("authority_notification", awareness.aware_at) if awareness else None
    context = _Context(
        register,
        party,
        awareness,
        due_at,
        bound,
        now,
        (delay_reasons or "").strip(),
        is_follow_up,
        previous_reference.strip(),
    )
    chapters = tuple(
        Chapter(number, CHAPTERS[number], tuple(builder(context)))
        for number, builder in enumerate(_CHAPTER_BUILDERS, start=1)
    )
    return AnswerSheet(register.incident, party, now, due_at, bound, chapters)


def controllers_of(parties) -> list:
    """The parties the incident notifies the authority for: its controllers (Art. 33(1)), one sheet each."""
    return [party for party in parties if party.is_controller]


def default_controller(parties, earliest: dict):
    """The controller a sheet is for when none is chosen: the one being filed for.

    The organisation itself when it is one of the incident's controllers; otherwise the
    controller whose 72 hours started first (``earliest``: party id → its awareness); otherwise
    the first controller recorded. A processor's own clock is never the default: a processor
    does not notify the authority (Art. 33(2)). None when the incident has no controller yet.
    """
    controllers = controllers_of(parties)
    own = next((p for p in controllers if p.party.is_self), None)
    if own is not None:
        return own
    aware = [p for p in controllers if p.pk in earliest]
    if aware:
        return min(aware, key=lambda p: (earliest[p.pk].aware_at, p.pk))
    return controllers[0] if controllers else None


def answered(key: str, answer: Text, *, detail: Text | None = None, value=None, sources=None) -> Answer:
    return Answer(QUESTIONS[key], State.ANSWERED, answer, detail, value, sources)


def unanswered(key: str, detail: Text | None = None, *, sources=None) -> Answer:
    return Answer(QUESTIONS[key], State.UNANSWERED, None, detail, answered_from=sources)


def not_applicable(key: str, detail: Text) -> Answer:
    return Answer(QUESTIONS[key], State.NOT_APPLICABLE, None, detail)


def _text_or_unanswered(key: str, value: str, sources=None) -> Answer:
    value = (value or "").strip()
    return answered(key, Text(value, value), sources=sources) if value else unanswered(key, sources=sources)


# --- Rendering helpers ----------------------------------------------------------------------


def in_both(render) -> Text:
    """Call ``render()`` once with each language active (for catalogue labels)."""
    rendered = {}
    for language in LANGUAGES:
        with translation.override(language):
            rendered[language] = str(render())
    return Text(**rendered)


def label(choice) -> Text:
    return in_both(lambda: choice.label)


def join(texts, separator: str = "; ") -> Text:
    texts = list(texts)
    return Text(separator.join(t.nl for t in texts), separator.join(t.en for t in texts))


def _utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local_time(value: datetime) -> Text:
    """``wo 06-08-2025 15:00 +02:00 (UTC 06-08-2025 13:00)``: Dutch local time, offset, UTC."""
    local = value.astimezone(AP_ZONE)
    utc = value.astimezone(UTC)
    offset = local.strftime("%z")
    body = f"{local:%d-%m-%Y %H:%M} {offset[:3]}:{offset[3:]} (UTC {utc:%d-%m-%Y %H:%M})"
    return Text(f"{_WEEKDAYS['nl'][local.weekday()]} {body}", f"{_WEEKDAYS['en'][local.weekday()]} {body}")


def instant_value(value: datetime) -> dict:
    return {"local": value.astimezone(AP_ZONE).isoformat(), "utc": _utc_iso(value)}


def number(value: int) -> Text:
    english = f"{value:,}"
    return Text(english.replace(",", "."), english)


def count(estimate) -> Text:
    """An estimate as the form wants it: the approximation in words, then minimum and maximum."""
    low = number(estimate.low)
    if estimate.is_at_least:
        words = Text(f"ten minste {low.nl}", f"at least {low.en}")
        high = Text("onbekend", "unknown")
    elif estimate.high is not None and estimate.high != estimate.low:
        top = number(estimate.high)
        words = Text(f"{low.nl} tot {top.nl}", f"{low.en} to {top.en}")
        high = Text(str(estimate.high), str(estimate.high))
    else:
        words = Text(f"ongeveer {low.nl}", f"about {low.en}") if estimate.is_approximate else low
        high = Text(str(estimate.low), str(estimate.low))
    return Text(
        f"{words.nl} (minimum {estimate.low}, maximum {high.nl})",
        f"{words.en} (minimum {estimate.low}, maximum {high.en})",
    )


# --- Chapters 1-3: regime, general, organisation ----------------------------------------------


def chapter_1(c: _Context):
    yield answered(
        "1.1", Text("Nee", "No"), detail=Text("Eén melding voor één datalek.", "One notification for one breach.")
    )
    yield answered("1.2", Text("AVG", "GDPR (AVG)"))


def chapter_2(c: _Context):
    if c.is_follow_up is None:
        yield unanswered(
            "2.1", Text("Volgt uit de melding zelf (meldingen).", "Comes from the filing itself (filings).")
        )
    elif c.is_follow_up:
        ref = c.previous_reference or "?"
        yield answered("2.1", Text(f"Aanvulling op melding {ref}", f"Follow-up to notification {ref}"), value=ref)
    else:
        yield answered("2.1", Text("Nieuwe melding", "New notification"))


def chapter_3(c: _Context):
    organisation = c.incident.organisation
    directory = c.party.party if c.party is not None else None
    if directory is not None and not directory.is_self:
        yield from _other_controller_organisation(directory)
    else:
        yield _text_or_unanswered("3.1", organisation.name)
        yield _text_or_unanswered("3.2", organisation.address)
        yield _text_or_unanswered("3.3", organisation.registration_number)
        yield _text_or_unanswered("3.4", organisation.sector)
        yield _contact("3.5", organisation.dpo_name, organisation.dpo_email, organisation.dpo_phone)
    yield unanswered(
        "3.6", Text("Niet in het register: vult de melder zelf in.", "Not kept in the register: the filer fills it in.")
    )
    yield _other_organisations(c)


def _other_controller_organisation(directory):
    """A sheet prepared for a controller in our directory (e.g. a processor helping it file)."""
    not_kept = Text("Niet in de partijenlijst.", "Not in the directory of parties.")
    yield _text_or_unanswered("3.1", directory.name, ("party.name",))
    yield unanswered("3.2", not_kept, sources=("party",))
    yield _text_or_unanswered("3.3", directory.registration_number, ("party.registration_number",))
    yield unanswered("3.4", not_kept, sources=("party",))
    yield _contact(
        "3.5",
        directory.contact_name,
        directory.contact_email,
        directory.contact_phone,
        sources=("party.contact_name", "party.contact_email", "party.contact_phone"),
    )


def _contact(key: str, name: str, email: str, phone: str, sources=None) -> Answer:
    parts = [part for part in (name, email, phone) if part]
    if not parts:
        return unanswered(key, sources=sources)
    missing = [
        what
        for what, part in (
            (Text("naam", "name"), name),
            (Text("e-mail", "e-mail"), email),
            (Text("telefoon", "phone"), phone),
        )
        if not part
    ]
    detail = None
    if missing:
        listed = join(missing, ", ")
        detail = Text(f"Ontbreekt: {listed.nl}", f"Missing: {listed.en}")
    text = ", ".join(parts)
    return answered(key, Text(text, text), detail=detail, sources=sources)


def _other_organisations(c: _Context) -> Answer:
    others = [p for p in c.register.parties if c.party is None or p.pk != c.party.pk]
    if not c.register.parties:
        return unanswered("3.7", Text("Nog geen partijen vastgelegd.", "No parties recorded yet."))
    if not others:
        return answered("3.7", Text("Nee", "No"))
    return answered("3.7", join(_describe_party(p) for p in others), value=[p.party.name for p in others])


def _describe_party(incident_party) -> Text:
    role = in_both(incident_party.get_role_display)
    number = incident_party.party.registration_number
    suffix = f", KvK {number}" if number else ""
    name = incident_party.party.name
    return Text(f"{name} ({role.nl}{suffix})", f"{name} ({role.en}{suffix})")


# --- Chapter 4: the breach in time ------------------------------------------------------------


def chapter_4(c: _Context):
    incident = c.incident
    yield _instant_answer("4.1", incident.occurred_from_at)
    if incident.is_ongoing:
        yield answered("4.2", Text("Het datalek duurt nog voort", "The breach is still ongoing"), value="ongoing")
    else:
        yield _instant_answer("4.2", incident.occurred_until_at)
    yield _instant_answer("4.3", incident.detected_at)
    yield _discovery(incident)
    yield _awareness(c)
    yield _delay(c)


def _instant_answer(key: str, value: datetime | None, detail: Text | None = None) -> Answer:
    if value is None:
        return unanswered(key)
    return answered(key, local_time(value), detail=detail, value=instant_value(value))


def _discovery(incident) -> Answer:
    if not incident.discovery_method:
        return unanswered("4.4")
    method = in_both(incident.get_discovery_method_display)
    detail = incident.discovery_detail.strip()
    if detail:
        method = Text(f"{method.nl}: {detail}", f"{method.en}: {detail}")
    return answered("4.4", method)


def _awareness(c: _Context) -> Answer:
    if c.party is None:
        return unanswered("4.5", Text("Geen eigen partij op dit incident.", "Our own party is not on this incident."))
    if c.awareness is None:
        return unanswered("4.5", Text("Geen kennisname vastgelegd.", "No awareness recorded."))
    source = in_both(c.awareness.get_source_display)
    lines = [Text(f"Bron: {source.nl}", f"Source: {source.en}")]
    lines += [
        _processor_chain(row) for row in c.register.processor_lags if row.relationship.controller_id == c.party.pk
    ]
    lines.append(Text(f"72 uur eindigen: {local_time(c.due_at).nl}", f"72 hours end: {local_time(c.due_at).en}"))
    if c.outer_bound_at is not None:
        bound = local_time(c.outer_bound_at)
        lines.append(
            Text(
                f"Uiterste grens (Verordening 1182/71, ter informatie): {bound.nl}",
                f"Outer bound (Reg. 1182/71, information): {bound.en}",
            )
        )
    if c.party.is_processor:  # the AP still asks; the law's 72 hours bind the controllers
        lines.append(
            Text(
                "Als verwerker informeert u de verwerkingsverantwoordelijken (art. 33 lid 2 AVG)",
                "As a processor you inform the controllers (Art. 33(2) GDPR)",
            )
        )
    return _instant_answer("4.5", c.awareness.aware_at, detail=join(lines, ". "))


def _processor_chain(row) -> Text:
    """How late the processor told this controller (Art. 33(2)): the AP will ask."""
    processor = row.relationship.processor.party.name
    if row.processor_aware_at is None or row.informed_at is None:
        return Text(f"Verwerker {processor}", f"Processor {processor}")
    days = (row.informed_at - row.processor_aware_at).days
    aware, informed = local_time(row.processor_aware_at), local_time(row.informed_at)
    return Text(
        f"Verwerker {processor} wist het op {aware.nl} en informeerde ons op {informed.nl} ({days} dagen later)",
        f"Processor {processor} knew on {aware.en} and informed us on {informed.en} ({days} days later)",
    )


def _delay(c: _Context) -> Answer:
    """Art. 33(1): a notification after 72 hours must give the reasons for the delay."""
    if c.due_at is None:
        return unanswered(
            "4.6", Text("Zonder kennisname is de termijn onbekend.", "Without awareness the deadline is unknown.")
        )
    due = local_time(c.due_at)
    if c.now <= c.due_at:
        return not_applicable("4.6", Text(f"Binnen 72 uur (tot {due.nl}).", f"Within 72 hours (until {due.en})."))
    late = Text(f"72 uur eindigden {due.nl}.", f"72 hours ended {due.en}.")
    if not c.delay_reasons:
        return unanswered("4.6", late)
    return answered("4.6", Text(c.delay_reasons, c.delay_reasons), detail=late)


# --- Chapter 5: what happened ---------------------------------------------------------------

_NATURE = (
    (
        "is_confidentiality_breach",
        Text("vertrouwelijkheid (gegevens ingezien of gekopieerd)", "confidentiality (data seen or copied)"),
    ),
    ("is_integrity_breach", Text("integriteit (gegevens gewijzigd)", "integrity (data altered)")),
    (
        "is_availability_breach",
        Text("beschikbaarheid (gegevens verloren of ontoegankelijk)", "availability (data lost or inaccessible)"),
    ),
)


def chapter_5(c: _Context):
    incident = c.incident
    natures = [text for field, text in _NATURE if getattr(incident, field)]
    yield answered("5.1", join(natures, ", ")) if natures else unanswered("5.1")
    yield _cause(incident)
    yield _text_or_unanswered("5.3", incident.description)
    yield not_applicable(
        "5.4",
        Text(
            "Het register bewaart geen bijlagen; voeg ze zo nodig in het formulier toe.",
            "The register keeps no attachments; add any in the form itself.",
        ),
    )


def _cause(incident) -> Answer:
    if not incident.cause:
        return unanswered("5.2")
    detail = incident.cause_detail.strip()
    if incident.cause == Cause.OTHER:
        if not detail:
            return unanswered(
                "5.2",
                Text("'Anders, namelijk': de toelichting ontbreekt.", "'Other, namely': the details are missing."),
            )
        return answered("5.2", Text(f"Anders, namelijk: {detail}", f"Other, namely: {detail}"))
    cause = in_both(incident.get_cause_display)
    return answered("5.2", Text(f"{cause.nl}. {detail}".strip(), f"{cause.en}. {detail}".strip()) if detail else cause)


# --- Chapters 6 and 7: the data and the people ----------------------------------------------


def chapter_6(c: _Context):
    categories = list(c.incident.data_categories or [])
    if not categories:
        yield from (unanswered(key) for key in ("6.1", "6.2", "6.3", "6.4"))
    else:
        ordered = [choice for choice in DataCategory if choice.value in categories]  # the form's order, not a-z
        yield answered("6.1", join((label(choice) for choice in ordered), ", "), value=[c.value for c in ordered])
        yield _yes_no("6.2", DataCategory.NATIONAL_ID in categories)
        special = [choice for choice in ordered if choice in SPECIAL_CATEGORIES]
        yield _yes_no("6.3", bool(special), which=[label(s) for s in special])
        yield _yes_no("6.4", DataCategory.CRIMINAL in categories)
    yield _estimate_answer("6.5", c, EstimateMeasure.RECORDS)


def chapter_7(c: _Context):
    groups = list(c.incident.data_subject_categories or [])
    if groups:
        ordered = [choice for choice in DataSubjectCategory if choice.value in groups]
        yield answered("7.1", join((label(choice) for choice in ordered), ", "), value=[c.value for c in ordered])
    else:
        yield unanswered("7.1")
    yield _estimate_answer("7.2", c, EstimateMeasure.DATA_SUBJECTS)


def _yes_no(key: str, yes: bool, which=()) -> Answer:
    if not yes:
        return answered(key, Text("Nee", "No"), value=False)
    if which:
        listed = join(which, ", ")
        return answered(key, Text(f"Ja: {listed.nl}", f"Yes: {listed.en}"), value=True)
    return answered(key, Text("Ja", "Yes"), value=True)


def current_estimate(register, party, measure: str, now: datetime):
    """The latest estimate known at ``now``: the party's own if it has one, else the incident's."""
    known = [e for e in register.estimates.get(measure, []) if e.known_at <= now]
    own = [e for e in known if party is not None and e.party_id == party.pk]
    whole = [e for e in known if e.party_id is None]
    rows = own or whole
    return max(rows, key=lambda e: (e.known_at, e.pk)) if rows else None


def _estimate_answer(key: str, c: _Context, measure: str) -> Answer:
    estimate = current_estimate(c.register, c.party, measure, c.now)
    if estimate is None:
        return unanswered(key, Text("Geen schatting bekend.", "No estimate known."))
    known = local_time(estimate.known_at)
    detail = Text(
        f"Bekend sinds {known.nl}; bron: {estimate.source}", f"Known since {known.en}; source: {estimate.source}"
    )
    value = {
        "low": estimate.low,
        "high": estimate.high,
        "is_approximate": estimate.is_approximate,
        "is_at_least": estimate.is_at_least,
        "known_at": _utc_iso(estimate.known_at),
    }
    return answered(key, count(estimate), detail=detail, value=value)


# --- Chapters 8 and 9: encryption and consequences -------------------------------------------


def chapter_8(c: _Context):
    encrypted, key_lost = c.incident.is_data_encrypted, c.incident.is_key_compromised
    if encrypted is None:
        yield unanswered("8.1")
    elif not encrypted:
        yield answered("8.1", Text("Nee", "No"), value=False)
    elif key_lost:
        yield answered(
            "8.1",
            Text("Nee: versleuteld, maar de sleutel is gecompromitteerd", "No: encrypted, but the key was compromised"),
            value=False,
        )
    elif key_lost is None:
        yield answered(
            "8.1",
            Text(
                "Versleuteld; of de sleutel veilig is, is nog onbekend",
                "Encrypted; whether the key is safe is not known yet",
            ),
            value=None,
        )
    else:
        yield answered(
            "8.1",
            Text("Ja: versleuteld, de sleutel is niet gecompromitteerd", "Yes: encrypted, the key was not compromised"),
            value=True,
        )


def chapter_9(c: _Context):
    incident = c.incident
    yield _text_or_unanswered("9.1", incident.likely_consequences)
    if incident.severity:
        yield answered("9.2", in_both(incident.get_severity_display), value=incident.severity)
    else:
        yield unanswered("9.2")
    if incident.risk_level:
        level = in_both(incident.get_risk_level_display)
        reasoning = incident.risk_reasoning.strip()
        text = Text(f"{level.nl}. {reasoning}", f"{level.en}. {reasoning}") if reasoning else level
        yield answered("9.3", text, value=incident.risk_level)
    else:
        yield unanswered("9.3")


# --- Chapter 10: data subjects, measures, cross-border ---------------------------------------


def chapter_10(c: _Context):
    incident = c.incident
    yield from _informing(incident)
    measures = [
        (Text("Inperking", "Containment"), incident.measures_containment),
        (Text("Beperking van de gevolgen", "Mitigation"), incident.measures_mitigation),
    ]
    taken = [
        Text(f"{head.nl}: {body.strip()}", f"{head.en}: {body.strip()}") for head, body in measures if body.strip()
    ]
    yield answered("10.3", join(taken, "\n")) if taken else unanswered("10.3")
    yield _text_or_unanswered("10.4", incident.measures_planned)
    yield _text_or_unanswered("10.5", incident.measures_before)
    yield _countries(incident)
    yield _other_authorities(c.register.authorities)


def _informing(incident):
    """Art. 34(1): data subjects are told when the risk is high."""
    if not incident.risk_level:
        yield unanswered("10.1", Text("Het risico is nog niet ingeschat.", "The risk has not been assessed yet."))
        yield unanswered("10.2")
    elif incident.risk_level == RiskLevel.HIGH:
        yield answered(
            "10.1", Text("Ja: hoog risico (art. 34 lid 1 AVG)", "Yes: high risk (Art. 34(1) GDPR)"), value=True
        )
        yield unanswered(
            "10.2",
            Text(
                "Het register legt de berichten aan betrokkenen (kanaal, golven) nog niet vast.",
                "The register does not hold the communications to data subjects (channel, waves) yet.",
            ),
        )
    else:
        yield answered("10.1", Text("Nee", "No"), value=False)
        reasoning = incident.risk_reasoning.strip()
        if reasoning:
            yield answered(
                "10.2",
                Text(
                    f"Niet nodig: geen hoog risico (art. 34 lid 1 AVG). {reasoning}",
                    f"Not required: no high risk (Art. 34(1) GDPR). {reasoning}",
                ),
            )
        else:
            yield unanswered(
                "10.2", Text("De motivering van het risico ontbreekt.", "The reasoning for the risk level is missing.")
            )


def _countries(incident) -> Answer:
    countries = list(incident.data_subject_countries or [])
    if not countries:
        return unanswered("10.6")
    codes = [country.code for country in countries]
    names = in_both(lambda: ", ".join(str(country.name) for country in countries))
    if codes == ["NL"]:
        return answered("10.6", Text("Nee: alleen Nederland", "No: the Netherlands only"), value=codes)
    return answered("10.6", Text(f"Ja: {names.nl}", f"Yes: {names.en}"), value=codes)


def _other_authorities(authorities) -> Answer:
    if not authorities:
        return unanswered("10.7", Text("Nog geen toezichthouders vastgelegd.", "No authorities recorded yet."))
    abroad = [a for a in authorities if a.authority.country.code != "NL"]
    if not abroad:
        return answered("10.7", Text("Nee", "No"), value=[])
    names = ", ".join(a.authority.name for a in abroad)
    return answered("10.7", Text(f"Ja: {names}", f"Yes: {names}"), value=[a.authority.code for a in abroad])


_CHAPTER_BUILDERS = (
    chapter_1,
    chapter_2,
    chapter_3,
    chapter_4,
    chapter_5,
    chapter_6,
    chapter_7,
    chapter_8,
    chapter_9,
    chapter_10,
)


# --- The sheet of one filing party, as the pages and the API serve it -------------------------


class UnknownFiling(LookupError):
    """The filing named is not one of the party's (or of the incident's)."""


def filing_answers(register, party, *, filing_pk: str | int | None) -> dict:
    """What the filings say for questions 2.1 (follow-up, and of which report) and 4.6 (why late).

    With ``filing_pk``: the sheet as it stood for that filing, judged at its submission (also
    ``now``); without: ``party``'s next filing (a follow-up once one was filed). Raises
    ``UnknownFiling`` for a filing of another party or incident.
    """
    if filing_pk:
        filing = next((f for f in register.filings if str(f.pk) == str(filing_pk)), None)
        if filing is None or (party is not None and filing.controller_id != party.pk):
            raise UnknownFiling(filing_pk)
        earlier = [
            f
            for f in register.filings
            if f.controller_id == filing.controller_id and f.submitted_at < filing.submitted_at
        ]
        return {
            "now": filing.submitted_at,
            "delay_reasons": filing.delay_reasons or _initial_delay_reasons(earlier),
            "is_follow_up": filing.filing_type != "initial",
            "previous_reference": next((f.authority_reference for f in reversed(earlier) if f.authority_reference), ""),
        }
    own = _sheet_party_filings(register, party)
    if not own:
        return {"is_follow_up": False}
    return {
        "delay_reasons": _initial_delay_reasons(own),
        "is_follow_up": True,
        "previous_reference": next((f.authority_reference for f in reversed(own) if f.authority_reference), ""),
    }


def sheet_for(register, party, *, filing_pk: str | int | None, now: datetime) -> AnswerSheet:
    """The sheet for ``party`` (None: the organisation's own party), for its next filing or the
    one named (``filing_answers``)."""
    answers = filing_answers(register, party, filing_pk=filing_pk)
    return build_answer_sheet(register, now=answers.pop("now", now), party=party, **answers)


def _sheet_party_filings(register, party) -> list:
    if party is None:
        party = next((p for p in register.parties if p.party.is_self), None)
    return [f for f in register.filings if party is not None and f.controller_id == party.pk]


def _initial_delay_reasons(filings) -> str | None:
    """The reasons for lateness given with the initial filing: a follow-up form repeats them."""
    return next((f.delay_reasons for f in filings if f.filing_type == "initial" and f.delay_reasons), None)
