"""Reading level: the formulas, and the warning for content that is too hard to read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from leaflets.build import check
from leaflets.conditions import SECTION_KEYS
from leaflets.readability import measure
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


def test_other_languages_are_not_measured() -> None:
    assert measure("Der Hund spielt.", "de") is None


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
