"""Product text in the two languages the product speaks, and numbers in each one's style."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    """One sentence or title in English and Dutch."""

    en: str
    nl: str

    def get(self, language: str | None) -> str:
        """The text for ``language`` ("nl", "nl-nl", "en", ...); English for anything else."""
        if language and language.lower().startswith("nl"):
            return self.nl
        return self.en


def count(value: int) -> Text:
    """A count with thousands separators: 940,000 in English, 940.000 in Dutch."""
    english = f"{value:,}"
    return Text(english, english.replace(",", "."))
