"""What a condition is once loaded: its metadata, its content per language, its problems."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from ..exceptions import Problem

METADATA_NAME = "condition.yaml"

#: Section keys shared by every language, in the order a leaflet prints them.
SECTION_KEYS = (
    "what_it_is",
    "symptoms",
    "causes",
    "diagnosis",
    "treatment",
    "living_with",
    "get_help",
    "specialist",
)


@dataclass(frozen=True)
class TranslatedFrom:
    """What a content file says it was translated from."""

    lang: str
    version: str
    sha256: str
    #: The hash of each part of the source when the file was marked.
    sections: dict[str, str]
    line: int


@dataclass(frozen=True)
class Source:
    """A published page the content was written from."""

    title: str
    url: str = ""
    publisher: str = ""
    language: str = ""
    #: When the publisher last changed the page, and when it was imported from it.
    modified: datetime.date | None = None
    imported: datetime.date | None = None


@dataclass(frozen=True)
class Metadata:
    """What a condition has once, whatever the language."""

    slug: str
    specialty: str
    icd10: str
    version: str
    #: None while the date is still a TODO placeholder (a draft built with
    #: --allow-drafts prints a visible placeholder there, never a made-up date).
    last_reviewed: datetime.date | None
    next_review: datetime.date | None
    owner: str
    reviewer: str
    sources: tuple[Source, ...]
    #: The lines of next_review and last_reviewed in condition.yaml, for review messages.
    next_review_line: int | None = None
    last_reviewed_line: int | None = None


@dataclass(frozen=True)
class Section:
    """One section of content, rendered to HTML."""

    key: str
    html: Markup
    line: int


@dataclass(frozen=True)
class Content:
    """A condition's content in one language."""

    lang: str
    path: Path
    title: str
    summary: Markup
    key_points: tuple[Markup, ...]
    next_steps: tuple[Markup, ...]
    sections: dict[str, Section]
    #: The SHA-256 of each part of the source text (see translations.py).
    hashes: dict[str, str] = field(default_factory=dict)
    #: What this file records it was translated from, if anything.
    translated_from: TranslatedFrom | None = None


@dataclass
class Condition:
    """A condition folder: its metadata, its languages, and what is wrong with it."""

    slug: str
    folder: Path
    metadata: Metadata | None = None
    contents: dict[str, Content] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: The problem saying the condition is overdue for review, if it is (see review.py).
    overdue: Problem | None = None

    @property
    def errors(self) -> list[Problem]:
        """Return the problems that stop this condition from building."""
        return [problem for problem in self.problems if problem.is_error]

    @property
    def placeholders(self) -> list[Problem]:
        """Return the TODO placeholders that make this condition a draft."""
        return [problem for problem in self.problems if problem.draft]

    def files(self) -> list[Path]:
        """Return every data file this condition is made of."""
        return sorted(path for path in self.folder.iterdir() if path.is_file())
