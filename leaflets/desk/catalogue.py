"""Know the workspace's conditions; find them by title, text, ICD-10 code or id, in any language."""

from __future__ import annotations

import datetime
import html
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..engine.library import Library

#: A review due within this many days is shown as "due soon".
DUE_SOON_DAYS = 30


#: Typographic apostrophes match the one on the keyboard ("cos’è" is found by "cos'e").
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'"})


def fold(text: str) -> str:
    """Return *text* lower-cased, without accents, with plain apostrophes, for matching."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(APOSTROPHES))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@dataclass(frozen=True)
class Entry:
    """One condition as the desk shows it."""

    slug: str
    icd10: str
    #: The title in each language the condition has content in.
    titles: dict[str, str]
    #: The configured languages it has content in, in the configured order.
    languages: tuple[str, ...]
    version: str
    last_reviewed: datetime.date | None
    next_review: datetime.date | None
    #: The first error that stops it from building, if any.
    error: str
    #: Whoever looks after its content (condition.yaml's owner), "" when unknown.
    owner: str
    #: Its titles, code and id, folded for matching.
    haystack: str
    #: The words of its text in every language, folded for matching.
    text: str = ""

    def title(self, *preferred: str | None) -> str:
        """Return the title in the first of *preferred* it has, else in its first language."""
        for lang in preferred:
            if lang and lang in self.titles:
                return self.titles[lang]
        for lang in self.languages:
            return self.titles[lang]
        return next(iter(self.titles.values()), self.slug)

    def review_status(self, today: datetime.date) -> str:
        """Return 'overdue', 'due-soon' or 'current' for the next review date."""
        if self.next_review is None:
            return "current"
        if self.next_review < today:
            return "overdue"
        if self.next_review <= today + datetime.timedelta(days=DUE_SOON_DAYS):
            return "due-soon"
        return "current"


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Return what tells whether a condition folder changed: its files' names, sizes, times."""
    found = []
    for path in sorted(folder.iterdir()):
        try:
            stat = path.stat()
        except OSError:
            continue
        found.append((path.name, stat.st_size, stat.st_mtime_ns))
    return tuple(found)


class Catalogue:
    """The conditions of a workspace, reloaded folder by folder when their files change."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[tuple[object, ...], Entry]] = {}
        self._lock = threading.Lock()

    def entries(self, library: Library) -> list[Entry]:
        """Return every condition of *library*, sorted by id, reloading what changed."""
        config = library.config
        folders = [config.data_dir / slug for slug in library.conditions()]
        with self._lock:
            entries = []
            for folder in folders:
                key = (config.languages, _signature(folder))
                cached = self._cache.get(folder)
                if cached is None or cached[0] != key:
                    cached = (key, _load(folder, config))
                    self._cache[folder] = cached
                entries.append(cached[1])
            for gone in set(self._cache) - set(folders):
                del self._cache[gone]
        return entries

    def get(self, library: Library, slug: str) -> Entry | None:
        """Return the condition called *slug*, or None: ids are looked up, never made paths."""
        for entry in self.entries(library):
            if entry.slug == slug:
                return entry
        return None

    def search(self, library: Library, query: str, *, lang: str = "") -> list[Entry]:
        """Return the conditions matching every word of *query*, best first.

        Words match titles in every language, the ICD-10 code (with or
        without its dot), the id and the leaflets' text, ignoring case and
        accents; a match in the title or code ranks before one in the text
        alone. With *lang*, only conditions written in that language are listed.
        """
        entries = [entry for entry in self.entries(library) if not lang or lang in entry.languages]
        words = fold(query).split()
        if not words:
            return entries
        found = [
            entry
            for entry in entries
            if all(word in entry.haystack or word in entry.text for word in words)
        ]
        folded = fold(query).strip()

        def rank(entry: Entry) -> tuple[int, str]:
            exact = folded in (entry.slug, fold(entry.icd10), fold(entry.icd10).replace(".", ""))
            starts = any(fold(title).startswith(folded) for title in entry.titles.values())
            named = all(word in entry.haystack for word in words)
            return (0 if exact else 1 if starts else 2 if named else 3, entry.slug)

        return sorted(found, key=rank)


def _load(folder: Path, config: Config) -> Entry:
    from ..content.conditions import load_condition

    condition = load_condition(folder, root=config.root, languages=config.languages)
    metadata = condition.metadata
    titles = {lang: content.title for lang, content in condition.contents.items()}
    icd10 = metadata.icd10 if metadata else ""
    words = [condition.slug, condition.slug.replace("-", " "), icd10, icd10.replace(".", "")]
    words += titles.values()
    errors = condition.errors
    text = [
        piece
        for content in condition.contents.values()
        for piece in (
            content.summary,
            *content.key_points,
            *content.next_steps,
            *(section.html for section in content.sections.values()),
        )
    ]
    return Entry(
        slug=condition.slug,
        icd10=icd10,
        titles=titles,
        languages=tuple(lang for lang in config.languages if lang in titles),
        version=metadata.version if metadata else "",
        last_reviewed=metadata.last_reviewed if metadata else None,
        next_review=metadata.next_review if metadata else None,
        error=str(errors[0]) if errors else "",
        owner=metadata.owner if metadata else "",
        haystack=fold(" | ".join(words)),
        text=fold(" | ".join(_plain(piece) for piece in text)),
    )


_TAG = re.compile(r"<[^>]*>")


def _plain(markup: str) -> str:
    """Return the text of a piece of the content's (sanitised) HTML."""
    return " ".join(html.unescape(_TAG.sub(" ", markup)).split())
