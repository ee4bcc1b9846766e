"""Hostile input, round two (issue 15): each test reproduces one defect of the review first."""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import pdf_pages

from leaflets.cli import cli
from leaflets.engine.build import build, check
from leaflets.workspace import open_workspace

REPO = Path(__file__).resolve().parent.parent
EN = "data/hemifacial-spasm/en.md"
META = "data/hemifacial-spasm/condition.yaml"


def demo_text(name: str) -> str:
    """Return a file of the demo workspace."""
    return (REPO / name).read_text(encoding="utf-8")


def replaced(name: str, old: str, new: str) -> dict[str, str]:
    """Return a files= mapping with *old* replaced by *new* in a demo file."""
    text = demo_text(name)
    assert old in text, old
    return {name: text.replace(old, new, 1)}


def problems_of(root: Path) -> list[str]:
    """Return check's problems as the strings a user reads."""
    return [str(problem) for problem in check(open_workspace(root))]


def run(root: Path, *args: str) -> tuple[int, str]:
    """Run the CLI in *root*; return its exit code and everything it printed."""
    result = CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)
    return result.exit_code, result.output


# Item 3: control characters in YAML gave a PyYAML traceback in every command,
# and one such file stopped every other condition's build.


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\x00", "U+0000 (NULL)"),
        ("\x07", "U+0007 (BELL)"),
        ("\x1b", "U+001B (ESCAPE)"),
        ("\uffff", "U+FFFF"),
    ],
)
def test_control_character_in_condition_yaml_is_one_line(
    make_workspace: Callable[..., Path], char: str, name: str
) -> None:
    root = make_workspace(
        files=replaced(META, "specialty: neurology", f"specialty: neuro{char}logy")
    )
    assert problems_of(root) == [
        f"{META}:3: the control character {name} at column 17 is not allowed in a data file; "
        "delete it (it prints as an empty box or as nothing)"
    ]
    for command, exit_code in (("check", 1), ("list", 0), ("review", 1)):
        code, output = run(root, command)
        assert (code, "Traceback" in output) == (exit_code, False), output
        assert f"{META}:3: the control character {name}" in output


def test_control_character_in_front_matter_names_line_and_column(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace(files=replaced(EN, "title: Hemifacial spasm", "title: Hemi\x1bfacial"))
    assert problems_of(root) == [
        f"{EN}:2: the control character U+001B (ESCAPE) at column 12 is not allowed in a data "
        "file; delete it (it prints as an empty box or as nothing)"
    ]


def test_control_character_fails_only_its_own_condition(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    other = root / "data" / "other"
    shutil.copytree(root / "data" / "hemifacial-spasm", other)
    meta = other / "condition.yaml"
    meta.write_text(meta.read_text().replace("specialty: neurology", "specialty: a\x07b"))
    report = build(open_workspace(root), languages=("en",), templates=("handout",))
    outcomes = {outcome.job.name: outcome.status for outcome in report.outcomes}
    assert outcomes == {
        "hemifacial-spasm.en.handout": "built",
        "other.en.handout": "failed",
    }


# Item 17: U+0085, U+2028 and U+001F passed check and printed as empty boxes.


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\x85", "U+0085 (NEXT LINE)"),
        ("\u2028", "U+2028 (LINE SEPARATOR)"),
        ("\x1f", "U+001F (INFORMATION SEPARATOR ONE)"),
    ],
)
def test_invisible_control_characters_in_body_text_are_refused(
    make_workspace: Callable[..., Path], char: str, name: str
) -> None:
    root = make_workspace(
        files=replaced(EN, "You cannot stop\nthem", f"You cannot{char}stop\nthem")
    )
    line = demo_text(EN)[: demo_text(EN).index("You cannot stop")].count("\n") + 1
    column = demo_text(EN).splitlines()[line - 1].index("You cannot stop") + 11
    assert problems_of(root) == [
        f"{EN}:{line}: the control character {name} at column {column} is not allowed in a "
        "data file; delete it (it prints as an empty box or as nothing)"
    ]


def test_control_character_written_as_a_yaml_escape_is_refused(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace(files=replaced(META, "owner: Demo", 'owner: "\\e[31mDemo\\N"\nx_: Demo'))
    assert problems_of(root)[0] == (
        f"{META}:8: owner: contains the control character U+001B (ESCAPE) at character 1; delete it"
    )


@pytest.mark.parametrize(
    ("title", "why"),
    [
        (
            '"Hemifacial\\u202Espasm"',
            "contains the invisible character U+202E (RIGHT-TO-LEFT OVERRIDE) at character 11; "
            "delete it (titles reach email subjects and attachment names)",
        ),
        (
            '"Hemifacial\\u200Bspasm"',
            "contains the invisible character U+200B (ZERO WIDTH SPACE) at character 11; "
            "delete it (titles reach email subjects and attachment names)",
        ),
        (
            '"Hemifacial\\r\\nspasm"',
            "contains a line break or tab (U+000D) at character 11; a title is one line",
        ),
        (
            "|\n  Hemifacial\n  spasm",
            "contains a line break or tab (U+000A) at character 11; a title is one line",
        ),
    ],
)
def test_titles_refuse_line_breaks_and_invisible_characters(
    make_workspace: Callable[..., Path], title: str, why: str
) -> None:
    root = make_workspace(files=replaced(EN, "title: Hemifacial spasm", f"title: {title}"))
    assert problems_of(root) == [f"{EN}:2: title: {why}"]


def test_zero_width_non_joiner_is_allowed_in_a_title(make_workspace: Callable[..., Path]) -> None:
    # Persian spells words with it: "می‌شود".
    root = make_workspace(files=replaced(EN, "title: Hemifacial spasm", "title: Hemi\u200cfacial"))
    assert [problem for problem in check(open_workspace(root)) if problem.is_error] == []


def limited(root: Path, *args: str, memory_mb: int = 3000, seconds: int = 120) -> tuple[int, str]:
    """Run the leaflets command in a subprocess with a memory and a time limit.

    Return its exit code and its output; the test fails if the limit is hit
    (a killed process has a negative exit code, a timeout raises).
    """

    def limit() -> None:
        size = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    result = subprocess.run(
        [sys.executable, "-m", "leaflets", "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=seconds,
        preexec_fn=limit,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


# Item 7: a long title without spaces took minutes to lay out (1,200 characters:
# 122 s; 5,000 did not finish in 300 s), ran off the page, and check was silent.


def test_a_title_over_the_limit_is_refused(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(files=replaced(EN, "title: Hemifacial spasm", f"title: {'x' * 121}"))
    assert problems_of(root) == [
        f"{EN}:2: title: is 121 characters long; a title may be at most 120 "
        "(it prints large on the cover and names the PDF and the email)"
    ]


def test_a_huge_title_fails_fast_in_check_and_build(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(files=replaced(EN, "title: Hemifacial spasm", f"title: {'x' * 5000}"))
    code, output = limited(root, "check", seconds=60)
    assert code == 1 and f"{EN}:2: title: is 5000 characters long" in output, output
    code, output = limited(root, "build", "-l", "en", seconds=60)
    assert code == 1 and "failed   hemifacial-spasm.en.leaflet: invalid data" in output, output
    assert "Traceback" not in output


def test_a_title_at_the_limit_builds_in_time_and_breaks(
    make_workspace: Callable[..., Path],
) -> None:
    title = "Hemifacialspasm" * 8  # 120 characters, no space
    root = make_workspace(files=replaced(EN, "title: Hemifacial spasm", f"title: {title}"))
    code, output = limited(root, "build", "-l", "en", "-t", "leaflet", seconds=90)
    assert code == 0, output
    first_page = pdf_pages(root / "build" / "hemifacial-spasm.en.leaflet.pdf")[0]
    # Broken across lines at the page edge, every character still there.
    assert title in first_page.replace(" ", "")


# Items 1 and 8: a catalog's header sized a list from nplurals (24 GB); a broken
# plural expression or a lone % crashed check and every language's build.

IT_PO = "locales/it/LC_MESSAGES/messages.po"
ES_PO = "locales/es/LC_MESSAGES/messages.po"


def with_catalog(lang: str, old: str, new: str) -> dict[str, str]:
    """Return a files= mapping with a workspace copy of a built-in catalog, *old* made *new*."""
    name = f"locales/{lang}/LC_MESSAGES/messages.po"
    text = demo_text(name)
    assert old in text, old
    return {name: text.replace(old, new, 1)}


def header_line(name: str) -> int:
    """Return the line of the Plural-Forms header in a built-in catalog."""
    text = demo_text(name)
    return text[: text.index("Plural-Forms:")].count("\n") + 1


def test_a_huge_nplurals_is_refused_within_a_memory_limit(
    make_workspace: Callable[..., Path],
) -> None:
    files = with_catalog("it", "nplurals=3;", "nplurals=99999999999;")
    root = make_workspace(files=files)
    code, output = limited(root, "check", memory_mb=1500, seconds=60)
    assert (code, sorted(output.splitlines())) == (
        1,
        [
            "1 error, 0 warnings",
            f"{IT_PO}:{header_line(IT_PO)}: Plural-Forms: nplurals='99999999999' must be a "
            "number from 1 to 6, as CLDR's plural rules have",
        ],
    )
    code, output = limited(root, "build", "-l", "it", memory_mb=1500, seconds=60)
    assert code == 1 and "Traceback" not in output and "nplurals='99999999999'" in output


def test_the_desk_offers_no_page_language_whose_catalog_header_is_hostile(tmp_path: Path) -> None:
    from leaflets.desk.pages import _has_catalog

    folder = tmp_path / "it"
    (folder / "LC_MESSAGES").mkdir(parents=True)
    text = demo_text(IT_PO).replace("nplurals=3;", "nplurals=99999999999;", 1)
    (folder / "LC_MESSAGES" / "messages.po").write_text(text, encoding="utf-8")
    assert _has_catalog(folder) is False
    # The same catalog with its header intact translates the desk.
    (folder / "LC_MESSAGES" / "messages.po").write_text(demo_text(IT_PO), encoding="utf-8")
    assert _has_catalog(folder) is True


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (
            "plural=(n != 1;",
            "plural='(n != 1' is not a plural expression gettext can read "
            "(unbalanced parenthesis in plural form)",
        ),
        ("plural=n;", "plural='n' gives form 3 for n=3, but nplurals=3 (forms 0 to 2)"),
    ],
)
def test_a_broken_plural_expression_is_one_line(
    make_workspace: Callable[..., Path], header: str, why: str
) -> None:
    plural = "plural=(n == 1 ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2);"
    root = make_workspace(files=with_catalog("it", plural, header))
    assert problems_of(root) == [f"{IT_PO}:{header_line(IT_PO)}: Plural-Forms: {why}"]


def es_entry(message_id: str, suffix: str) -> dict[str, str]:
    """Return files= with *suffix* added to the Spanish translation of *message_id*."""
    text = demo_text(ES_PO)
    start = text.index(f'msgid "{message_id}"')
    end = text.index('"\n', text.index('msgstr "', start) + 8)
    return {ES_PO: text[:end] + suffix + text[end:]}, text[:start].count("\n") + 1


def test_a_lone_percent_fails_only_its_language(make_workspace: Callable[..., Path]) -> None:
    files, line = es_entry("Key points", " 100%")
    root = make_workspace(files=files)
    assert problems_of(root) == [
        f"{ES_PO}:{line}: msgid 'Key points': the translation is not a valid format "
        "(incomplete format): write %% for a percent sign and %(name)s for a placeholder"
    ]
    report = build(open_workspace(root), languages=("en", "es"), templates=("handout",))
    outcomes = {outcome.job.name: outcome.status for outcome in report.outcomes}
    assert outcomes == {
        "hemifacial-spasm.en.handout": "built",
        "hemifacial-spasm.es.handout": "failed",
    }


def test_a_placeholder_the_template_does_not_give_is_refused(
    make_workspace: Callable[..., Path],
) -> None:
    files, line = es_entry("Key points", " %(secret)s")
    assert problems_of(make_workspace(files=files)) == [
        f"{ES_PO}:{line}: msgid 'Key points': the translation uses %(secret)s, which the msgid "
        "does not have (the template gives only the msgid's placeholders)"
    ]


# Item 6: HTML in a msgstr reached the PDF (<style> turned every page red, a
# javascript: link became a link), and check said nothing.


@pytest.mark.parametrize(
    ("markup", "shown"),
    [
        ("<style>body{background:red}</style>", "'<style>'"),
        ('<a href="javascript:alert(1)">Clic</a>', "'<a href=\"javascript:alert(1)\">'"),
    ],
)
def test_markup_in_a_translation_is_refused_by_check(
    make_workspace: Callable[..., Path], markup: str, shown: str
) -> None:
    files, line = es_entry("In short", markup.replace('"', '\\"'))
    assert problems_of(make_workspace(files=files)) == [
        f"{ES_PO}:{line}: msgid 'In short': the translation has markup the msgid does not "
        f"have ({shown}); translations are text, and it would print as typed"
    ]


def test_a_translation_prints_as_text_not_markup(tmp_path: Path) -> None:
    import gettext
    import io

    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    from leaflets.engine.templating import make_environment
    from leaflets.i18n import LoadedCatalog

    catalog = Catalog(locale="es")
    catalog.add("In short", "En breve<style>body{background:red}</style>")
    catalog.add("Logo of <b>%(name)s</b>", "Logo de <b>%(name)s</b> <i>")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    loaded = LoadedCatalog("es", None, gettext.GNUTranslations(buffer), ())
    env = make_environment([tmp_path], loaded)
    template = env.from_string('{{ _("In short") }}|{{ _("Logo of <b>%(name)s</b>", name="<x>") }}')
    assert template.render() == (
        "En breve&lt;style&gt;body{background:red}&lt;/style&gt;|Logo de <b>&lt;x&gt;</b> &lt;i&gt;"
    )


# Item 15: `i18n init en` wrote an empty catalog that hid the complete built-in one.


def test_i18n_init_of_a_shipped_language_starts_from_its_translations(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    code, output = run(root, "i18n", "init", "en")
    assert (code, output) == (0, "wrote    locales/en/LC_MESSAGES/messages.po\n")
    assert problems_of(root) == []
    written = (root / "locales/en/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    assert 'msgid "In short"\nmsgstr "In short"' in written


def test_i18n_init_of_a_new_language_starts_empty(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    assert run(root, "i18n", "init", "nl")[0] == 0
    written = (root / "locales/nl/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    assert 'msgid "In short"\nmsgstr ""' in written


# Item 10: a 30,000 × 30,000 PNG (a decompression bomb) passed check; build
# exited 0 without the picture.


def bomb_png(path: Path, side: int = 30_000) -> Path:
    """Write a real *side* × *side* grey PNG: a few hundred KB, side² bytes once decoded."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    compressor = zlib.compressobj(9)
    row = b"\0" * (side + 1)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
    return path


BOMB = (
    "is 30,000 × 30,000 pixels; an image may have at most 25 million pixels "
    "(like 5,000 × 5,000): scale it down"
)


def test_a_decompression_bomb_in_content_is_refused(make_workspace: Callable[..., Path]) -> None:
    files = replaced(EN, "## symptoms\n", "## symptoms\n\n![A face](bomb.png)\n")
    root = make_workspace(files=files)
    bomb_png(root / "data/hemifacial-spasm/bomb.png")
    line = demo_text(EN)[: demo_text(EN).index("## symptoms")].count("\n") + 3
    code, output = limited(root, "check", memory_mb=1500, seconds=60)
    assert code == 1, output
    assert f"{EN}:{line}: sections.symptoms: image 'bomb.png' {BOMB}" in output
    code, output = limited(root, "build", "-l", "en", memory_mb=1500, seconds=60)
    assert code == 1 and "failed   hemifacial-spasm.en.leaflet: invalid data" in output, output


def test_a_decompression_bomb_as_logo_is_refused(make_workspace: Callable[..., Path]) -> None:
    config = demo_text("leaflets.toml").replace("assets/clinic-logo.svg", "assets/bomb.png")
    root = make_workspace(config=config)
    bomb_png(root / "assets/bomb.png")
    code, output = limited(root, "check", memory_mb=1500, seconds=60)
    assert (code, output) == (
        2,
        f"Error: leaflets.toml:13: clinic.logo: file 'assets/bomb.png' {BOMB}\n",
    )
    code, output = limited(root, "build", "-l", "en", memory_mb=1500, seconds=60)
    assert code != 0 and "Traceback" not in output and BOMB in output, output


def test_a_jpeg_size_is_read_from_its_frame_header(tmp_path: Path) -> None:
    from leaflets.images import image_problem

    # SOI, an APP0 segment to skip, then a baseline frame of 6,000 × 5,000.
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    jpeg += b"\xff\xc0\x00\x11\x08" + (5000).to_bytes(2, "big") + (6000).to_bytes(2, "big")
    path = tmp_path / "big.jpg"
    path.write_bytes(jpeg + b"\x03" + b"\x00" * 9)
    assert image_problem(path, allowed=(tmp_path,)) == (
        "is 6,000 × 5,000 pixels; an image may have at most 25 million pixels "
        "(like 5,000 × 5,000): scale it down"
    )


# Item 11: a hostile SVG logo was refused by build but passed check; an embedded
# PNG, common in exported logos, was refused.

SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">\n'


@pytest.mark.parametrize(
    ("svg", "why"),
    [
        (
            SVG + '<image href="file:///etc/passwd"/></svg>',
            "line 2: refused to load 'file:///etc/passwd': the file is outside the workspace",
        ),
        (
            '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n' + SVG + "&x;</svg>",
            "line 1: a DOCTYPE or entity declaration is refused in an SVG file",
        ),
        (
            SVG + "<style>@import 'data:text/css,svg{fill:red}';</style></svg>",
            "line 2: refused to load 'data:text/css,svg{fill:red}': leaflets only "
            "uses files inside the workspace",
        ),
        (
            SVG + '<svg><image xlink:href="../../../../etc/hosts"/></svg></svg>',
            "line 2: refused to load",
        ),
        (
            SVG + '<image href="data:image/svg+xml;base64,PHN2Zy8+"/></svg>',
            "line 2: refused to load 'data:image/svg+xml;base64,PHN2Zy8+': only PNG "
            "and JPEG images may be embedded as data: addresses",
        ),
    ],
)
def test_a_hostile_svg_logo_is_refused_by_check(
    make_workspace: Callable[..., Path], svg: str, why: str
) -> None:
    root = make_workspace(files={"assets/clinic-logo.svg": svg})
    code, output = run(root, "check")
    assert code == 2 and output.startswith(
        f"Error: leaflets.toml:13: clinic.logo: file 'assets/clinic-logo.svg' {why}"
    ), output


def tiny_png(side: int = 2) -> bytes:
    """Return a real grey PNG of *side* × *side* pixels."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (side, side), 128).save(buffer, "PNG")
    return buffer.getvalue()


def test_an_svg_logo_may_embed_a_small_png(make_workspace: Callable[..., Path]) -> None:
    import base64

    encoded = base64.b64encode(tiny_png(40)).decode()
    svg = SVG.replace("<svg ", '<svg width="40" height="40" ') + (
        f'<image width="40" height="40" href="data:image/png;base64,{encoded}"/></svg>'
    )
    root = make_workspace(files={"assets/clinic-logo.svg": svg})
    assert problems_of(root) == []
    report = build(open_workspace(root), languages=("en",), templates=("handout",))
    assert [outcome.status for outcome in report.outcomes] == ["built"], report.outcomes


# Item 19, the small ones.


def test_a_condition_id_longer_than_a_file_name_allows_is_refused(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    long_id = "a" * 65
    shutil.copytree(root / "data/hemifacial-spasm", root / "data" / long_id)
    assert problems_of(root) == [
        f"data/{long_id}: folder name is 65 characters long; a condition's id may be at most "
        "64 (it is part of every output's file name)"
    ]


def test_sizes_are_shown_in_the_units_limits_are_written_in() -> None:
    from leaflets.wording import format_size

    assert [format_size(size) for size in (50_000, 999_400, 999_600, 1_250_000)] == [
        "50 KB",
        "999 KB",
        "1.0 MB",
        "1.2 MB",
    ]


def test_a_grade_shown_as_8_0_meets_the_target_of_8() -> None:
    from leaflets.content.readability import measure

    score = measure(" ".join(["water"] * 7 + ["cat"] * 4) + ".", "en")
    assert score is not None and 8.0 < score.value < 8.05
    assert (str(score), score.ok) == ("Flesch-Kincaid grade 8.0 (target: 8 or below)", True)


def test_review_due_today_says_today() -> None:
    import datetime

    from leaflets.content.model import Metadata
    from leaflets.content.review import review_problem

    day = datetime.date(2027, 11, 20)
    metadata = Metadata(
        slug="x",
        specialty="",
        icd10="",
        version="1",
        last_reviewed=datetime.date(2026, 11, 20),
        next_review=day,
        owner="",
        reviewer="",
        sources=(),
        next_review_line=7,
    )
    problem = review_problem(metadata, path="condition.yaml", today=day, warn_days=30)
    assert str(problem) == (
        "condition.yaml:7: warning: next_review: 2027-11-20 is today; review the content today"
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "next_review: 2027-11-20",
            "next_review: 9999-12-31",
            f"{META}:7: next_review: 9999-12-31 is more than 5 years after last_reviewed "
            "(2026-11-20); review content at least every 5 years (at the latest 2031-11-20)",
        ),
        (
            "last_reviewed: 2026-11-20\nnext_review: 2027-11-20",
            "last_reviewed: 2099-01-01\nnext_review: 2100-01-01",
            f"{META}:6: last_reviewed: 2099-01-01 is in the future (today is 2026-12-01): "
            "write the day the content was last reviewed",
        ),
    ],
)
def test_review_dates_that_never_come_or_have_not_come_are_refused(
    make_workspace: Callable[..., Path], old: str, new: str, expected: str
) -> None:
    import datetime

    root = make_workspace(files=replaced(META, old, new))
    found = check(open_workspace(root), today=datetime.date(2026, 12, 1))
    assert [str(problem) for problem in found if problem.is_error] == [expected]


def test_a_manifest_linked_outside_is_never_read_nor_written(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    from leaflets.engine.manifest import Manifest

    root = make_workspace()
    outside = tmp_path / "outside.json"
    outside.write_text('{"secret": 1}')
    (root / "build").mkdir()
    (root / "build/manifest.json").symlink_to(outside)
    (root / "build/.manifest.json.journal").symlink_to(tmp_path / "journal")
    manifest = Manifest.load(root / "build")
    assert manifest.entries == {}
    report = build(open_workspace(root), languages=("en",), templates=("handout",))
    assert report.ok
    assert outside.read_text() == '{"secret": 1}' and not (tmp_path / "journal").exists()
    assert not (root / "build/manifest.json").is_symlink()


def test_sigterm_during_a_build_removes_the_lock_file(make_workspace: Callable[..., Path]) -> None:
    import signal
    import time

    root = make_workspace()
    process = subprocess.Popen(
        [sys.executable, "-m", "leaflets", "-C", str(root), "build", "--jobs", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    lock = root / "build/.leaflets.lock"
    deadline = time.monotonic() + 60
    while not lock.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    assert lock.exists(), "the build never took the lock"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) != 0
    assert not lock.exists()


# Item 12: a packet of many leaflets printed "Anchor defined twice" for each
# section of each leaflet after the first.


def test_each_part_of_a_packet_has_its_own_ids(
    make_workspace: Callable[..., Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_workspace()
    for number in (2, 3):
        shutil.copytree(root / "data/hemifacial-spasm", root / f"data/hs{number}")
        meta = root / f"data/hs{number}/condition.yaml"
        meta.write_text(meta.read_text().replace("id: hemifacial-spasm", f"id: hs{number}"))
    output = tmp_path / "packet.pdf"
    code, printed = run(
        root,
        "packet",
        "-c",
        "hemifacial-spasm",
        "-c",
        "hs2",
        "-c",
        "hs3",
        "-l",
        "en",
        "-t",
        "leaflet",
        "-o",
        str(output),
    )
    assert code == 0, printed
    assert "Anchor defined twice" not in printed + caplog.text
