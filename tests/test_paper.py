"""Every shipped condition, in every shipped language, fits its paper: A4 and US Letter."""

from __future__ import annotations

import re

import pytest
from conftest import copy_demo
from pypdf import PdfReader

from leaflets.content.model import SECTION_KEYS
from leaflets.engine.build import build, load_project
from leaflets.workspace import open_workspace

PAPERS = ("A4", "Letter")


@pytest.fixture(scope="module", params=PAPERS)
def built_on_paper(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Build the shipped workspace on one paper size; return (workspace, output folder)."""
    root = copy_demo(tmp_path_factory.mktemp(f"paper-{request.param}"))
    workspace = open_workspace(root, paper=request.param)
    report = build(workspace)
    assert report.ok, [str(outcome) for outcome in report.outcomes]
    return workspace, root / "build"


def _letters(text: str) -> str:
    """Keep only letters and digits, so line breaks and hyphenation do not matter."""
    return re.sub(r"[\W_]+", "", text).casefold()


def _last_words(html: str, count: int = 4) -> str:
    words = re.sub(r"<[^>]+>", " ", html).split()
    return _letters(" ".join(words[-count:]))


def test_every_condition_and_language_fits_its_paper(built_on_paper) -> None:
    workspace, output = built_on_paper
    project = load_project(workspace)
    checked = 0
    for condition in project.conditions:
        for lang, content in condition.contents.items():
            stem = f"{condition.slug}.{lang}"
            handout = PdfReader(output / f"{stem}.handout.pdf")
            assert len(handout.pages) == 1, f"{stem} handout on {workspace.config.paper}"

            # The closing matter (contacts, review dates, sources) never stands
            # alone on the last page: the end of the last section is there too.
            leaflet = PdfReader(output / f"{stem}.leaflet.pdf")
            last_page = _letters(leaflet.pages[-1].extract_text())
            last_key = [key for key in SECTION_KEYS if key in content.sections][-1]
            ending = _last_words(content.sections[last_key].html)
            assert ending in last_page, f"{stem} leaflet on {workspace.config.paper}"
            checked += 1
    assert checked >= 2
