"""Every character must be in a bundled font: a missing glyph is an error, never a fallback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from conftest import REPO, run_cli

from leaflets.engine.build import build, check
from leaflets.engine.glyphs import coverage, font_files, missing_characters, printed_text
from leaflets.workspace import open_workspace

ES = "data/hemifacial-spasm/es.md"
MALAYALAM_A = "\u0d05"
MISSING = (
    f"character U+0D05 '{MALAYALAM_A}' (MALAYALAM LETTER A) is in none of the bundled fonts; "
    "remove it, or add a font that has it to styles/fonts/ with an @font-face rule"
)


def bundled_coverage() -> frozenset[int]:
    """Return the code points of the fonts the built-in stylesheets declare."""
    return coverage(font_files(sorted((REPO / "styles").glob("*.css"))))


def with_character(root: Path, name: str, old: str, new: str) -> int:
    """Replace *old* by *new* in the file *name*; return the line *new* is on."""
    path = root / name
    text = path.read_text("utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    path.write_text(text, "utf-8")
    return text[: text.index(new)].count("\n") + 1


def test_the_bundled_fonts_are_open_sans_and_noto_sans_arabic() -> None:
    assert [path.name for path in font_files([REPO / "styles/base.css"])] == [
        "OpenSans-Regular.ttf",
        "OpenSans-Italic.ttf",
        "OpenSans-Bold.ttf",
        "OpenSans-BoldItalic.ttf",
        "NotoSansArabic-Regular.ttf",
        "NotoSansArabic-Bold.ttf",
    ]
    assert all(
        path.parent == REPO / "styles/fonts" for path in font_files([REPO / "styles/base.css"])
    )


@pytest.mark.parametrize(
    ("script", "sample"),
    [
        ("Latin", "Ärztin, Façade, Łódź, Ștefan, țară, São, Ñandú, œuvre"),
        ("Greek", "Ελληνικά"),
        ("Cyrillic", "Українська, Русский, Ґ ґ Є є Ї ї"),
        ("Arabic", "العربية، التشنج النصفي الوجهي؟ ١٢٣"),
    ],
)
def test_every_shipped_script_is_covered(script: str, sample: str) -> None:
    assert missing_characters(sample, bundled_coverage()) == []


@pytest.mark.parametrize("lang", ["en", "it", "es", "fr", "de", "pt", "pl", "ro", "uk", "ar"])
def test_every_shipped_catalog_prints_with_the_bundled_fonts(lang: str) -> None:
    with (REPO / "locales" / lang / "LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    text = "".join(str(message.string) for message in catalog if message.id)
    assert missing_characters(text, bundled_coverage()) == []


def test_invisible_characters_need_no_glyph() -> None:
    # Bidi isolates and marks, a soft hyphen, a zero-width joiner, a newline.
    assert missing_characters("a\u2068b\u2069\u200f\u00ad\u200d\n", frozenset({97, 98})) == []


def test_printed_text_is_the_body_and_the_page_margin_strings() -> None:
    html = (
        '<html><head><title>T\u0d05</title><meta name="description" content="\u0d06">'
        '<style>@page { @top-right { content: "Zeit \\2013  x"; } }</style></head>'
        '<body><p alt="\u0d07">Body</p></body></html>'
    )
    assert printed_text(html) == "Zeit \u2013 xBody"


def test_a_missing_glyph_in_content_is_a_check_error(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    line = with_character(root, ES, "Puede notar:", f"Puede notar {MALAYALAM_A}:")
    problems = [str(problem) for problem in check(open_workspace(root))]
    assert problems == [f"{ES}:{line}: {MISSING}"]


def test_a_missing_glyph_fails_only_its_outputs(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    line = with_character(root, ES, "Puede notar:", f"Puede notar {MALAYALAM_A}:")
    report = build(open_workspace(root), languages=["es", "it"])
    statuses = {outcome.job.name: (outcome.status, outcome.reason) for outcome in report.outcomes}
    assert statuses == {
        "hemifacial-spasm.it.leaflet": ("built", ""),
        "hemifacial-spasm.it.handout": ("built", ""),
        # The handout shows the summary and key points only: it prints.
        "hemifacial-spasm.es.handout": ("built", ""),
        "hemifacial-spasm.es.leaflet": ("failed", f"{ES}:{line}: {MISSING}"),
    }
    assert not (root / "build/hemifacial-spasm.es.leaflet.pdf").exists()


def test_the_command_line_names_the_character_and_the_file(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    line = with_character(root, "leaflets.toml", "Demo Neurology Clinic", f"Demo {MALAYALAM_A}")
    result = run_cli("build", "-C", root, "--lang", "en", "--template", "handout")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[0] == (
        f"failed   hemifacial-spasm.en.handout: leaflets.toml:{line}: {MISSING}"
    )
    checked = run_cli("check", "-C", root, "--lang", "en")
    assert checked.exit_code == 1
    assert checked.stderr == f"leaflets.toml:{line}: {MISSING}\n"


def test_fonts_outside_the_workspace_are_never_read(tmp_path: Path) -> None:
    font = (REPO / "styles/fonts/OpenSans-Regular.ttf").read_bytes()
    (tmp_path / "elsewhere.ttf").write_bytes(font)
    styles = tmp_path / "ws/styles"
    (styles / "fonts").mkdir(parents=True)
    (styles / "fonts/own.ttf").write_bytes(font)
    css = styles / "extra.css"
    css.write_text(
        '@font-face { font-family: "A"; src: url(fonts/own.ttf); }\n'
        '@font-face { font-family: "B"; src: url("../../elsewhere.ttf"); }\n'
        '@font-face { font-family: "C"; src: url(file:///etc/passwd); }\n',
        "utf-8",
    )
    trusted = ((tmp_path / "ws").resolve(),)
    assert font_files([css], trusted=trusted) == [(styles / "fonts/own.ttf").resolve()]
