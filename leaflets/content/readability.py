"""Estimate how easy a content file is to read, against the reading age leaflets aim at.

Patient leaflets aim at a reading age of about 11-13. Long-established
formulas are used, each for the language it was made for:

- English: the Flesch-Kincaid grade level (Kincaid et al., 1975), 8 or below
  (a US grade is roughly the reading age minus 5).
- Italian: the Gulpease index (Lucisano and Piemontese, 1988), 60 or above
  (easy for readers who finished middle school).
- Spanish: Fernández Huerta's reading ease (1959), 206.84 - 0.60 P - 1.02 F
  with P syllables and F sentences per 100 words, as published.
- French: Kandel and Moles' reading ease (1958), 207 - 1.015 ASL - 73.6 ASW.
- German: Amstad's reading ease (1978), 180 - ASL - 58.5 ASW.

(ASL: words per sentence; ASW: syllables per word.) The last three adapt
Flesch's Reading Ease to their language and keep its scale, on which 60-70 is
"standard" text for grades 7-9 and 70-80 "fairly easy" for grade 7 (Fernández
Huerta's own table: 60-70 for grades 7-8); the target is therefore 60 or
above, as with the grade-8 limit in English. Syllables are counted per
language from its vowel groups (diphthongs and hiatus in Spanish, a silent
final e in French, German diphthongs). Other languages are not measured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from markupsafe import Markup

from .model import Content

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
        # ok compares the value rounded as shown: "8.0 (target: 8 or below)" is never too hard.
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


_SPANISH_VOWELS = re.compile(r"[aeiouáéíóúüy]+")
#: Vowels that make a syllable of their own next to another: a, e, o, and an
#: accented i or u (día, baúl). The others (i, u, ü, y) form diphthongs.
_SPANISH_STRONG = set("aeoáéíóú")


def _spanish_syllables(word: str) -> int:
    """Count vowel groups, plus one for each hiatus between two strong vowels."""
    word = word.lower()
    if word.endswith("y") and len(word) > 1:
        word = word[:-1] + "i"  # hoy, muy: a vowel; elsewhere y is a consonant.
    count = 0
    for group in _SPANISH_VOWELS.findall(word.replace("y", "-") if len(word) > 1 else word):
        count += 1 + sum(1 for a, b in pairwise(group) if {a, b} <= _SPANISH_STRONG)
    return max(1, count)


_FRENCH_VOWELS = re.compile(r"[aeiouyàâäéèêëîïôöùûüÿœæ]+")


def _french_syllables(word: str) -> int:
    """Count vowel groups, less a silent final e or es after a consonant."""
    word = word.lower().replace("’", "'").split("'")[-1]  # l'homme: count "homme".
    count = len(_FRENCH_VOWELS.findall(word))
    if count > 1 and re.search(r"[^aeiouyàâäéèêëîïôöùûüÿœæ]es?$", word):
        count -= 1
    return max(1, count)


_GERMAN_VOWELS = re.compile(r"[aeiouyäöü]+")
#: Pairs of vowels that make one syllable; other pairs are two (Situ-a-ti-on).
_GERMAN_PAIRS = ("ai", "au", "äu", "ei", "eu", "ie", "aa", "ee", "oo", "ay", "ey")


def _german_syllables(word: str) -> int:
    """Count vowels, taking diphthongs and doubled vowels as one."""
    count = 0
    for group in _GERMAN_VOWELS.findall(word.lower()):
        index = 0
        while index < len(group):
            index += 2 if group[index : index + 2] in _GERMAN_PAIRS else 1
            count += 1
    return max(1, count)


def _reading_ease(formula: str, value: float) -> Score:
    """Return a Flesch-scale reading ease score against the target of 60 or above."""
    return Score(formula, value, "60 or above", round(value, 1) >= 60)


def measure(text: str, lang: str) -> Score | None:
    """Return the readability of *text* in *lang*, or None for an unmeasured language."""
    sentences, words = _counts(text)
    if not words:
        return None
    base = lang.split("_")[0]
    if base == "en":
        syllables = sum(_english_syllables(word) for word in words)
        grade = 0.39 * len(words) / sentences + 11.8 * syllables / len(words) - 15.59
        return Score("Flesch-Kincaid grade", grade, "8 or below", round(grade, 1) <= 8)
    if base == "it":
        letters = sum(len(word) for word in words)
        index = 89 + (300 * sentences - 10 * letters) / len(words)
        return Score("Gulpease index", index, "60 or above", round(index, 1) >= 60)
    per_sentence = len(words) / sentences
    if base == "es":
        per_100 = 100 / len(words)
        syllables = sum(_spanish_syllables(word) for word in words)
        ease = 206.84 - 0.60 * syllables * per_100 - 1.02 * sentences * per_100
        return _reading_ease("Fernández Huerta reading ease", ease)
    if base == "fr":
        per_word = sum(_french_syllables(word) for word in words) / len(words)
        return _reading_ease(
            "Kandel-Moles reading ease", 207 - 1.015 * per_sentence - 73.6 * per_word
        )
    if base == "de":
        per_word = sum(_german_syllables(word) for word in words) / len(words)
        return _reading_ease("Amstad reading ease", 180 - per_sentence - 58.5 * per_word)
    return None
