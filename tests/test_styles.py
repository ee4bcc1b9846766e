"""Print rules of the stylesheets, checked on the rendered demo PDFs."""

from __future__ import annotations

import re
from pathlib import Path

from pypdf import PdfReader


def _layout_text(path: Path) -> str:
    return "\n".join(page.extract_text(extraction_mode="layout") for page in PdfReader(path).pages)


def test_hyphenation_keeps_four_letters_each_side(built_demo: Path) -> None:
    """styles/base.css limits hyphenation: no 'an-che' or 'faccia-le' for weak readers."""
    for pdf in built_demo.glob("*.pdf"):
        # A URL's own hyphens ("areas-of-expertise") are not hyphenation.
        breaks = re.findall(r"(?<![-/])\b(\w+)-\n\s*(\w+)", _layout_text(pdf))
        short = [(a, b) for a, b in breaks if len(a) < 4 or len(b) < 4]
        assert short == [], pdf.name


def _body_font_sizes(path: Path) -> dict[float, int]:
    """Count characters per font size (in points) over the whole document."""
    sizes: dict[float, int] = {}

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        scale = (tm[0] ** 2 + tm[1] ** 2) ** 0.5 * (cm[0] ** 2 + cm[1] ** 2) ** 0.5
        points = round(size * scale, 1)
        sizes[points] = sizes.get(points, 0) + len(text.strip())

    for page in PdfReader(path).pages:
        page.extract_text(visitor_text=visit)
    return sizes


def test_body_text_is_at_least_12_points(built_demo: Path) -> None:
    sizes = _body_font_sizes(built_demo / "hemifacial-spasm.en.leaflet.pdf")
    most_used = max(sizes, key=lambda size: sizes[size])
    assert most_used >= 12
