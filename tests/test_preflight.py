"""The preflight: each PDF read back and checked as a print shop and a proofreader would."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
from click.testing import CliRunner
from conftest import REPO

from leaflets.cli import cli
from leaflets.engine.build import build
from leaflets.engine.fitting import fitting_steps
from leaflets.engine.preflight import Rules, font_families, preflight
from leaflets.engine.rendering import Renderer
from leaflets.workspace import open_workspace

SLUG = "hemifacial-spasm"
FAMILIES = font_families([REPO / "styles" / "base.css"])


def _render(body: str, *, pdf_variant: str = "pdf/ua-1") -> tuple[bytes, Renderer, object]:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>'
        '<link rel="stylesheet" href="styles/base.css"></head>'
        f"<body>{body}</body></html>"
    )
    renderer = Renderer(allowed_roots=[REPO], pdf_variant=pdf_variant)
    rendered = renderer.render(html, base_url=REPO.as_uri() + "/", name="t")
    return rendered.pdf, renderer, rendered.areas


def _findings(body: str, **rules: object) -> list[str]:
    pdf, _, areas = _render(body)
    return [str(f) for f in preflight(pdf, rules=Rules(FAMILIES, **rules), areas=areas)]  # type: ignore[arg-type]


def test_the_bundled_families_are_the_stylesheets_font_faces() -> None:
    assert FAMILIES == ("Open Sans", "Leaflets Noto Sans Arabic")


def test_a_clean_page_has_no_findings() -> None:
    assert _findings("<h1>Title</h1><p>Some text that reads well.</p>") == []


def test_a_label_printed_over_the_next_is_found() -> None:
    # The defect of "About this leaflet": a wrapped label overprinted by the next row.
    body = (
        '<div style="position: relative; height: 20mm">'
        '<p style="position: absolute; top: 0">Następne sprawdzenie</p>'
        '<p style="position: absolute; top: 0.5mm; left: 3mm">Sprawdzone przez</p></div>'
    )
    assert _findings(body) == [
        "page 1: text printed over other text: 'Sprawdzone przez' "
        "('Następne sprawdzenie' at 18 mm from the left, 21 mm from the top)"
    ]


def test_an_email_address_hyphenated_at_a_line_end_is_found() -> None:
    body = '<p style="width: 30mm">Write to ophthal\u00admology@stexample.nhs.uk today</p>'
    assert _findings(body) == [
        "page 1: an email address broken at a hyphen ('ophthal-' / 'mology@stexample.nhs.uk')"
    ]


def test_text_in_a_font_of_the_machine_is_found() -> None:
    findings = _findings('<p style="font-family: DejaVu Sans">Logo text</p>')
    assert findings == [
        "page 1: text in the font 'DejaVu Sans', which is not a bundled font (Open Sans, "
        "Leaflets Noto Sans Arabic): text in an SVG image must use a bundled font or be "
        "converted to paths"
    ]


def test_large_print_text_below_its_minimum_is_found() -> None:
    findings = _findings('<p style="font-size: 16pt">Big</p><p>small</p>', min_size=16.0)
    assert findings == [
        "page 1: text at 12.0 pt, smaller than large print's 16 pt "
        "('small' at 18 mm from the left, 32 mm from the top)"
    ]


def test_text_past_the_right_margin_is_found() -> None:
    findings = _findings('<p style="margin-left: 165mm; white-space: nowrap">wider</p>')
    assert findings == [
        "page 1: text runs 2.0 mm past the right side of the content area "
        "('wider' at 183 mm from the left, 21 mm from the top)"
    ]
    findings = _findings('<p style="white-space: nowrap">' + "overflowing " * 20 + "</p>")
    assert findings == [
        "page 1: text cut at the edge of the sheet "
        "('overflowing overflowing overflowing ove…' at 18 mm from the left, 21 mm from the top)"
    ]


def test_an_untagged_pdf_is_found() -> None:
    pdf, _, areas = _render("<p>Text</p>", pdf_variant="pdf/a-2u")
    findings = preflight(pdf, rules=Rules(FAMILIES), areas=areas)  # type: ignore[arg-type]
    assert [str(finding) for finding in findings] == [
        "the PDF is not tagged (no structure for screen readers)"
    ]


def test_a_page_left_short_by_a_forced_break_is_found() -> None:
    body = "<p>One short paragraph.</p><p style='break-before: page'>The next one.</p>"
    findings = _findings(body)
    assert findings == [
        "page 1: page only 2% full, though the 8 mm that open page 2 would fit in the 251 mm left"
    ]


def test_fitting_steps_stop_at_the_floor() -> None:
    standard = fitting_steps("standard", 16)
    assert standard[-1].endswith("html { font-size: 11pt !important; }")
    assert len(standard) == 3 + 2  # Three spacing steps, then 11.5 and 11 pt.
    large = fitting_steps("large-print", 18)
    assert large[-1].endswith("html { font-size: 16pt !important; }")
    assert len(fitting_steps("large-print", 16)) == 3  # Never below 16 pt: spacing only.


def test_the_large_print_handout_fits_both_sides_of_its_sheet(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    for paper in ("A4", "Letter"):
        workspace = open_workspace(root, paper=paper, output_dir=f"build-{paper}")
        report = build(workspace, templates=["handout"], variants=["large-print"], languages=["en"])
        assert report.ok, [str(outcome) for outcome in report.outcomes]
        pdf = pdfium.PdfDocument(root / f"build-{paper}" / f"{SLUG}.en.handout.large-print.pdf")
        assert len(pdf) == 2
        # The key points box is not split: all of it is on the first page.
        first = pdf[0].get_textpage().get_text_range()
        assert "Medicines, injections and an operation can all help." in first


def test_a_handout_too_long_for_its_sheet_fails_naming_what_to_shorten(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    english = (root / "data" / SLUG / "en.md").read_text(encoding="utf-8")
    longer = english.replace(
        "  - Medicines, injections and an operation can all help.\n",
        "  - Medicines, injections and an operation can all help.\n"
        + "  - Another point that a patient should know about their condition.\n" * 12,
    )
    (root / "data" / SLUG / "en.md").write_text(longer, encoding="utf-8")
    report = build(open_workspace(root), templates=["handout"], languages=["en"])
    [outcome] = report.outcomes
    assert outcome.status == "failed"
    assert re.fullmatch(
        r"build/hemifacial-spasm\.en\.handout\.pdf: page 2: 2 pages, more than the 1 a clinic "
        r"handout may take even at its tightest spacing and smallest size; about \d+ mm is "
        r"over: shorten the key points or the next steps",
        outcome.reason,
    )
    assert not (root / "build" / f"{SLUG}.en.handout.pdf").exists()


def test_check_render_reports_the_preflight_and_writes_no_build_folder(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    english = (root / "data" / SLUG / "en.md").read_text(encoding="utf-8")
    (root / "data" / SLUG / "en.md").write_text(
        english.replace(
            "  - You and your doctor will choose the treatment that suits you best.\n",
            "  - You and your doctor will choose the treatment that suits you best.\n"
            + "  - One more step before the treatment starts, explained in detail.\n" * 12,
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli, ["check", "--render", "-C", str(root), "-l", "en", "-t", "handout"]
    )
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if "warning" not in line]
    assert errors[0].startswith(
        "build/hemifacial-spasm.en.handout.pdf: page 2: 2 pages, more than the 1 a clinic handout"
    )
    assert result.output.splitlines()[-1].startswith("1 error, ")
    assert not (root / "build").exists()


def test_the_demo_passes_the_preflight_in_every_variant_and_paper(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    for paper in ("A4", "Letter"):
        workspace = open_workspace(root, paper=paper, output_dir=f"build-{paper}")
        report = build(workspace, variants=["standard", "large-print"], jobs=2)
        assert report.ok, [
            str(outcome) for outcome in report.outcomes if outcome.status == "failed"
        ]
        assert sum(outcome.status == "built" for outcome in report.outcomes) == 16


def test_a_web_address_broken_after_its_own_hyphen_is_not_a_finding() -> None:
    body = '<p style="width: 40mm">See www.stexample.nhs.uk/ophthal-mology-clinic today</p>'
    pdf, _, areas = _render(body)
    html = "www.stexample.nhs.uk/ophthal-mology-clinic"
    rules = Rules(FAMILIES)
    assert preflight(pdf, rules=rules, areas=areas, source=html) == []  # type: ignore[arg-type]
