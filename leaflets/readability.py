"""Estimate how easy a content file is to read, against the reading age leaflets aim at.

Patient leaflets aim at a reading age of about 11-13. Two long-established
formulas are used, each for the language it was made for: the Flesch-Kincaid
grade level for English (grade 8 or below; a US grade is roughly the reading age
minus 5) and the Gulpease index for Italian (60 or more: easy for readers who
finished middle school). Other languages are not measured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup

from .conditions import Content

_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# List items and headings end a sentence even without a full stop.
_BLOCK_END_RE = re.compile(r"</(li|p|h\d)>")
_SENTENCE_END_RE = re.compile(r"[.!?;:]+(?=\s|$)")


@dataclass(frozen=True)
class Score:
    """One readability measure of one text."""

    formula: str
    value: float
    target: str
    ok: bool

    def __str__(self) -> str:
        return f"{self.formula} {self.value:.1f} (target: {self.target})"


def plain_text(content: Content) -> str:
    """Return the summary and every section of *content* as plain sentences."""
    parts = [content.summary, *(section.html for section in content.sections.values())]
    return "\n".join(Markup(_BLOCK_END_RE.sub(".\n", str(part))).striptags() for part in parts)


def _counts(text: str) -> tuple[int, list[str]]:
    sentences = [s for s in _SENTENCE_END_RE.split(text) if _WORD_RE.search(s)]
    return max(1, len(sentences)), _WORD_RE.findall(text)


def _english_syllables(word: str) -> int:
    """Count vowel groups, less a silent final e: the usual approximation."""
    word = word.lower()
    count = len(re.findall(r"[aeiouy]+", word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(1, count)


def measure(text: str, lang: str) -> Score | None:
    """Return the readability of *text* in *lang*, or None for an unmeasured language."""
    sentences, words = _counts(text)
    if not words:
        return None
    base = lang.split("_")[0]
    if base == "en":
        syllables = sum(_english_syllables(word) for word in words)
        grade = 0.39 * len(words) / sentences + 11.8 * syllables / len(words) - 15.59
        return Score("Flesch-Kincaid grade", grade, "8 or below", grade <= 8)
    if base == "it":
        letters = sum(len(word) for word in words)
        index = 89 + (300 * sentences - 10 * letters) / len(words)
        return Score("Gulpease index", index, "60 or above", index >= 60)
    return None
