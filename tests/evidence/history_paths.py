"""Tools for the history-path tests: catch the history records a block of code writes, check them.

``tests/evidence/test_history_paths.py`` uses these for every path that writes history; the API's
(``tests/api/test_history_paths.py``) use the same two: wrap a real API write in ``recording_history()`` and pass what it
caught to ``unattributed()``.
"""

from __future__ import annotations

import contextlib
from html.parser import HTMLParser

from django.db.models import Max

from evidence.append_only import history_models


def describe(record) -> str:
    return f"{record._meta.label}#{record.pk} ({record.history_type} of id {record.id})"


def unattributed(records) -> list[str]:
    """The records among ``records`` that lack an actor or a reason, described; [] when all have both.

    An actor is a stored user: a person, or a named system actor (``system:...``); never empty.
    """
    found = []
    for record in records:
        user = record.history_user
        if user is None or user.pk is None:
            found.append(f"{describe(record)}: no actor")
        elif user.is_system_actor != user.username.startswith("system:"):
            found.append(f"{describe(record)}: actor {user.username!r} is neither a person nor a named system actor")
        if not (record.history_change_reason or "").strip():
            found.append(f"{describe(record)}: no reason")
    return found


class Recorded(list):
    """The history records written inside ``recording_history()``, filled in when the block ends."""

    def excluding_system_actors(self) -> list:
        """Without the creation records of system actors made on first use (``system:...``)."""
        return [
            r
            for r in self
            if not (r.instance_type._meta.label == "organisations.User" and r.username.startswith("system:"))
        ]

    def by_model(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for record in self:
            counts[record.instance_type._meta.label] = counts.get(record.instance_type._meta.label, 0) + 1
        return counts


@contextlib.contextmanager
def recording_history():
    """Collect every history record of every historied model written in the block (ids grow)."""
    last = {model: model._default_manager.aggregate(last=Max("pk"))["last"] or 0 for model in history_models()}
    recorded = Recorded()
    yield recorded
    for model, before in last.items():
        recorded += model._default_manager.filter(pk__gt=before).select_related("history_user").order_by("pk")


def all_history_records():
    """Every record of every history table in the project, as found by the evidence app."""
    for model in history_models():
        yield from model._default_manager.select_related("history_user").order_by("pk").iterator(chunk_size=2000)


class FormValues(HTMLParser):
    """The values a browser would submit for one ``<form>`` of a page (by its id)."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or attrs.get("disabled") is not None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.values.setdefault(name, []).append(attrs.get("value") or "on")
            elif kind not in {"submit", "button", "reset", "file", "image"}:
                self.values.setdefault(name, []).append(attrs.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select].append(attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self.inside = False

    def handle_data(self, data):
        if self._textarea is not None:
            value = self.values[self._textarea][0] + data
            # A browser drops the one newline that follows <textarea>.
            self.values[self._textarea] = [
                value[1:] if value.startswith("\n") and not self.values[self._textarea][0] else value
            ]


def form_values(html: str, form_id: str) -> dict[str, list[str]]:
    parser = FormValues(form_id)
    parser.feed(html)
    return parser.values
