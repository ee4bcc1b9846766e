"""Every shipped language prints: characters in the bundled fonts, labels never overprinted."""

from __future__ import annotations

import datetime
import itertools
import shutil
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from babel.messages.pofile import read_po
from conftest import REPO

from leaflets.content.typography import bind_single_letters
from leaflets.engine.build import build
from leaflets.engine.glyphs import coverage
from leaflets.i18n import language_name, long_date
from leaflets.workspace import Workspace, open_workspace

SHIPPED = sorted(path.name for path in (REPO / "locales").iterdir() if path.is_dir())
FONTS = sorted((REPO / "styles" / "fonts").glob("*.ttf"))
SLUG = "hemifacial-spasm"
#: Languages whose "About this leaflet" labels wrap; the demo has no content
#: in them, so the test copies en.md: the labels come from the catalog.
WRAPPING = ("pl", "de", "ro")


def _missing(text: str) -> list[str]:
    covered = coverage(FONTS)
    return sorted(
        {f"U+{ord(char):04X}" for char in text if not char.isspace() or char == "\u202f"}
        - {f"U+{point:04X}" for point in covered}
    )


@pytest.mark.parametrize("lang", SHIPPED)
def test_what_babel_and_the_catalog_print_is_in_the_bundled_fonts(lang: str) -> None:
    # Every long date of a year (each month name), the language's own name, and
    # every translation of its catalog.
    dates = [long_date(datetime.date(2026, month, 28), lang) for month in range(1, 13)]
    with (REPO / "locales" / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    strings = [
        piece
        for message in catalog
        if message.id
        for piece in (message.string if isinstance(message.string, tuple) else (message.string,))
    ]
    assert _missing("".join([*dates, language_name(lang), *strings])) == []
    # No space of a kind the fonts lack, and no plain space inside a number group either.
    assert all(char not in date for date in dates for char in "\u202f\u2007")


def test_the_ukrainian_date_keeps_a_no_break_space() -> None:
    assert long_date(datetime.date(2026, 11, 20), "uk") == "20 листопада 2026\u00a0р."


@pytest.fixture(scope="module")
def wrapping_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Build the leaflet in pl, de, ro and uk (en.md copied) on A4 and Letter; return the PDFs."""
    root = tmp_path_factory.mktemp("languages")
    shutil.copy2(REPO / "leaflets.toml", root / "leaflets.toml")
    shutil.copytree(REPO / "data", root / "data")
    shutil.copytree(REPO / "assets", root / "assets")
    for lang in (*WRAPPING, "uk"):
        shutil.copy2(root / "data" / SLUG / "en.md", root / "data" / SLUG / f"{lang}.md")
    toml = (root / "leaflets.toml").read_text(encoding="utf-8")
    (root / "leaflets.toml").write_text(
        toml.replace(
            'languages = ["en", "it", "es", "ar"]', 'languages = ["pl", "de", "ro", "uk"]'
        ),
        encoding="utf-8",
    )
    built = {}
    for paper in ("A4", "Letter"):
        output = root / f"build-{paper}"
        workspace = open_workspace(root, paper=paper, output_dir=f"build-{paper}")
        report = build(workspace, templates=["leaflet"])
        assert report.ok, [str(outcome) for outcome in report.outcomes]
        for lang in (*WRAPPING, "uk"):
            built[f"{lang}-{paper}"] = output / f"{SLUG}.{lang}.leaflet.pdf"
    return built


def _words(page: pdfium.PdfPage) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Return each word printed on *page* with its box (left, bottom, right, top), in points.

    Words, not lines: two lines printed over each other share a baseline, so
    the reader would take them for one line.
    """
    text = page.get_textpage()
    words: list[tuple[str, list[tuple[float, float, float, float]]]] = [("", [])]
    for index in range(text.count_chars()):
        char = text.get_text_range(index, 1)
        box = text.get_charbox(index)
        previous = words[-1][1][-1] if words[-1][1] else None
        # A space, a line break, or a jump back to the left starts a new word.
        if not char.strip() or box[2] <= box[0] or (previous and box[0] < previous[0] - 1):
            if words[-1][1]:
                words.append(("", []))
            if not char.strip() or box[2] <= box[0]:
                continue
        content, boxes = words[-1]
        words[-1] = (content + char, [*boxes, box])
    return [
        (
            content,
            (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            ),
        )
        for content, boxes in words
        if boxes
    ]


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    # Glyph boxes of one line touch the next line's by a hair at most.
    return min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5


@pytest.mark.parametrize("paper", ["A4", "Letter"])
@pytest.mark.parametrize("lang", WRAPPING)
def test_about_this_leaflet_labels_are_never_overprinted(
    wrapping_builds: dict[str, Path], lang: str, paper: str
) -> None:
    pdf = pdfium.PdfDocument(wrapping_builds[f"{lang}-{paper}"])
    page = pdf[len(pdf) - 1]
    words = _words(page)
    label = {"pl": "Następne", "de": "Nächste", "ro": "Următoarea"}[lang]
    assert label in [content for content, _ in words]
    clashes = [
        (first, second)
        for (first, box_a), (second, box_b) in itertools.combinations(words, 2)
        if _overlaps(box_a, box_b)
    ]
    assert clashes == []


def test_a_ukrainian_leaflet_builds(wrapping_builds: dict[str, Path]) -> None:
    pdf = pdfium.PdfDocument(wrapping_builds["uk-A4"])
    text = pdf[len(pdf) - 1].get_textpage().get_text_range()
    assert "20 листопада 2026" in text


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "pl",
            "Ból i drżenie w oku, a potem z boku.",
            "Ból i\u00a0drżenie w\u00a0oku, a\u00a0potem z\u00a0boku.",
        ),
        ("pl", "W domu", "W\u00a0domu"),
        ("cs", "Jdi k lékaři s dokumenty.", "Jdi k\u00a0lékaři s\u00a0dokumenty."),
        ("sk", "v nemocnici", "v\u00a0nemocnici"),
        # Not a word of its own: an initial, a hyphenated or elided word, a digit.
        ("pl", "dr A. Nowak, e-w sprawie, 3 z 5", "dr A. Nowak, e-w sprawie, 3 z\u00a05"),
        ("en", "a word i o u", "a word i o u"),
        ("it", "e a casa", "e a casa"),
    ],
)
def test_single_letter_words_are_bound_to_the_next(lang: str, text: str, expected: str) -> None:
    assert bind_single_letters(text, lang) == expected


def test_only_text_between_tags_is_bound() -> None:
    from markupsafe import Markup

    html = Markup('<p>Idź w <a href="https://example.org/a w">lewo</a> i z <em>prawej</em></p>')
    assert bind_single_letters(html, "pl") == Markup(
        '<p>Idź w\u00a0<a href="https://example.org/a w">lewo</a> i\u00a0z\u00a0<em>prawej</em></p>'
    )


def test_polish_leaflet_never_ends_a_line_on_a_single_letter_word(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    polish = (
        (root / "data" / SLUG / "en.md")
        .read_text(encoding="utf-8")
        .replace(
            "You may notice:", "Objawy pojawiają się w oku i w policzku, a potem z boku twarzy " * 6
        )
    )
    (root / "data" / SLUG / "pl.md").write_text(polish, encoding="utf-8")
    toml = (root / "leaflets.toml").read_text(encoding="utf-8")
    (root / "leaflets.toml").write_text(
        toml.replace('languages = ["en", "it", "es", "ar"]', 'languages = ["pl"]'), encoding="utf-8"
    )
    report = build(open_workspace(root), templates=["leaflet"])
    assert report.ok, [str(outcome) for outcome in report.outcomes]
    pdf = pdfium.PdfDocument(root / "build" / f"{SLUG}.pl.leaflet.pdf")
    # A printed line ends where the next word jumps back to the left.
    endings = [
        word
        for page in pdf
        for (word, box), (_, after) in itertools.pairwise(_words(page))
        if after[0] < box[0]
    ]
    assert len(endings) > 50
    assert [word for word in endings if word.lower() in {"a", "i", "o", "u", "w", "z"}] == []


@pytest.mark.parametrize("pages", [1, 2, 3])
def test_an_arabic_email_isolates_numbers_and_addresses(
    demo_workspace: Workspace, pages: int
) -> None:
    from leaflets.delivery.mail import Attachment, EmailContext
    from leaflets.engine.build import load_project
    from leaflets.engine.templating import compile_template, render

    project = load_project(demo_workspace)
    env = project.environments["ar"]
    root = demo_workspace.config.root
    attachment = Attachment("التشنج النصفي الوجهي.pdf", "التشنج النصفي الوجهي", pages, 1, "", b"")
    context = EmailContext(
        lang="ar",
        text_dir="rtl",
        clinic=demo_workspace.config.clinic,
        titles="التشنج النصفي الوجهي",
        subject="",
        packet=False,
        attachments=(attachment,),
    )
    text = render(compile_template(env, "email/message.txt", root=root), context, root=root)
    html = render(compile_template(env, "email/message.html", root=root), context, root=root)
    assert "\u2066+39 02 0000 0000\u2069" in text
    assert "\u20681 Example Street, Milan\u2069" in text
    assert "\u2066التشنج النصفي الوجهي.pdf\u2069" in text
    assert '<bdi dir="ltr">+39 02 0000 0000</bdi>' in html
    assert '<bdi dir="ltr">1 Example Street, Milan</bdi>' in html
    # The dual for two pages, "one page" for one, the number otherwise.
    expected = {1: "صفحة واحدة", 2: "صفحتان", 3: "3 صفحات"}[pages]
    assert f", {expected})" in text
