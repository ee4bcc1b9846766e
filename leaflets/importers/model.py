"""Hold what every importer extracts from a page, before it becomes condition data."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Block:
    """One piece of an article: a heading (plain text) or a Markdown block."""

    kind: str  # "heading" or "markdown"
    text: str
    #: Heading level 1–6; 0 marks a paragraph that is only bold text, used as a heading.
    level: int = 0
    #: The heading's id, often a slug in the site's first language (``#sintomi``).
    anchor: str = ""

    @property
    def is_heading(self) -> bool:
        """Tell whether this block is a heading."""
        return self.kind == "heading"


@dataclass(frozen=True)
class Removal:
    """Something left out of the draft on purpose, shown in the report."""

    what: str
    text: str


@dataclass
class Page:
    """An article as read from one source, whatever its format."""

    title: str
    blocks: list[Block]
    #: The language as the page declares it ('en_US', 'it-IT'), and where it says so.
    language: str = ""
    language_origin: str = ""
    url: str = ""
    publisher: str = ""
    modified: datetime.date | None = None
    removed: list[Removal] = field(default_factory=list)


def snippet(text: str, limit: int = 70) -> str:
    """Return *text* on one line, cut to about *limit* characters for a report."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def parse_date(value: object) -> datetime.date | None:
    """Return the date at the start of an ISO date or date-time text, or None."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        return None
