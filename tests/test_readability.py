"""Reading level: the formulas, and the warning for content that is too hard to read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from leaflets.content.model import SECTION_KEYS
from leaflets.content.readability import measure
from leaflets.engine.build import check
from leaflets.workspace import open_workspace

HARD_EN = (
    "Hemifacial spasm constitutes a neuromuscular disorder characterised by involuntary, "
    "intermittent, unilateral contractions of musculature innervated by the ipsilateral "
    "facial nerve, predominantly attributable to neurovascular compression at the root "
    "exit zone."
)


def test_flesch_kincaid_grade() -> None:
    easy = measure("The cat sat on the mat. It was happy.", "en")
    assert easy is not None and easy.ok and easy.value < 1
    hard = measure(HARD_EN, "en")
    assert hard is not None and not hard.ok
    assert hard.value == pytest.approx(29.5, abs=0.1)


def test_gulpease_index() -> None:
    # 2 sentences, 8 words, 31 letters: 89 + (300 * 2 - 10 * 31) / 8 = 125.25
    score = measure("Il gatto dorme. Il cane gioca sul prato.", "it")
    assert score is not None
    assert score.value == pytest.approx(125.25)
    assert str(score) == "Gulpease index 125.2 (target: 60 or above)"


def test_fernandez_huerta_reading_ease() -> None:
    # 9 words, 2 sentences, 14 syllables (el, ga-to, duer-me, el, pe-rro, jue-ga,
    # en, el, par-que): 206.84 - 0.60 * 14 * 100 / 9 - 1.02 * 2 * 100 / 9 = 90.84
    score = measure("El gato duerme. El perro juega en el parque.", "es")
    assert score is not None and score.ok
    assert score.value == pytest.approx(90.84, abs=0.01)
    assert str(score) == "Fernández Huerta reading ease 90.8 (target: 60 or above)"


@pytest.mark.parametrize(
    ("word", "syllables"),
    [("día", 2), ("leer", 2), ("cuidado", 3), ("hoy", 1), ("buey", 1), ("neurólogo", 4)],
)
def test_spanish_syllables_tell_diphthongs_from_hiatus(word: str, syllables: int) -> None:
    # One word, one sentence: 206.84 - 0.60 * 100 * syllables - 1.02 * 100.
    score = measure(word, "es")
    assert score is not None
    assert score.value == pytest.approx(206.84 - 60 * syllables - 102)


def test_kandel_moles_reading_ease() -> None:
    # 9 words in 2 sentences, one syllable each: 207 - 1.015 * 4.5 - 73.6 * 1 = 128.83
    score = measure("Le chat dort. Le chien joue dans le parc.", "fr")
    assert score is not None
    assert score.value == pytest.approx(128.83, abs=0.01)
    assert str(score) == "Kandel-Moles reading ease 128.8 (target: 60 or above)"
    # The final e of "maladie" and "école" is silent: ma-la-die, é-cole.
    two = measure("Une maladie rare. Une école.", "fr")
    assert two is not None
    assert two.value == pytest.approx(207 - 1.015 * 2.5 - 73.6 * 8 / 5, abs=0.01)


def test_amstad_reading_ease() -> None:
    # 8 words, 2 sentences, 9 syllables (Kat-ze): 180 - 4 - 58.5 * 9 / 8 = 110.19
    score = measure("Die Katze schläft. Der Hund spielt im Park.", "de")
    assert score is not None
    assert score.value == pytest.approx(110.19, abs=0.01)
    assert str(score) == "Amstad reading ease 110.2 (target: 60 or above)"
    # Diphthongs count once, vowels in hiatus twice: Beur-tei-lung, Si-tu-a-ti-on.
    long_words = measure("Beurteilung. Situation.", "de")
    assert long_words is not None
    assert long_words.value == pytest.approx(180 - 1 - 58.5 * 8 / 2)


HARD_DE = (
    "Der hemifaziale Spasmus ist eine neuromuskuläre Erkrankung, die durch unwillkürliche, "
    "intermittierende, einseitige Kontraktionen der vom gleichseitigen Gesichtsnerv "
    "innervierten Muskulatur gekennzeichnet ist."
)


def test_hard_german_is_too_hard() -> None:
    score = measure(HARD_DE, "de")
    assert score is not None and not score.ok and score.value < 0


@pytest.mark.parametrize("lang", ["ar", "pl", "uk", "pt", "ro"])
def test_other_languages_are_not_measured(lang: str) -> None:
    assert measure("Der Hund spielt.", lang) is None


def test_hard_content_is_a_warning(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    en = root / "data/hemifacial-spasm/en.md"
    text = en.read_text("utf-8")
    hard_sections = "".join(f"## {key}\n\n{HARD_EN}\n\n" for key in SECTION_KEYS)
    en.write_text(text[: text.index("## what_it_is")] + hard_sections, "utf-8")
    # it.md goes stale too (en.md changed): look at en.md's problems only.
    problems = [
        str(problem) for problem in check(open_workspace(root)) if problem.path.endswith("en.md")
    ]
    assert len(problems) == 1
    assert problems[0].startswith(
        "data/hemifacial-spasm/en.md: warning: readability: Flesch-Kincaid grade "
    )
    assert problems[0].endswith(
        " (target: 8 or below): too hard for a reading age of about 11-13; use shorter "
        "sentences and everyday words"
    )
