"""The online address as a QR code that scans, and the feedback line, on leaflets and handouts."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import copy_demo, pdf_pages
from pypdf import PdfReader

from leaflets.config import load_config
from leaflets.engine.build import build
from leaflets.exceptions import ConfigError
from leaflets.workspace import open_workspace

# Not the demo's pattern: a query string checks that "&" survives HTML and the QR code.
PATTERN = "https://leaflets.example.net/view?c={condition}&l={lang}"
FEEDBACK = "https://survey.example.net/leaflets"


def with_clinic_keys(root: Path, text: str) -> None:
    """Replace the demo's online_url and feedback lines of [clinic] with *text*."""
    path = root / "leaflets.toml"
    lines = [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if not line.startswith(("online_url", "feedback"))
    ]
    index = lines.index("[clinic]") + 1
    path.write_text("\n".join([*lines[:index], *text.splitlines(), *lines[index:]]) + "\n", "utf-8")


@pytest.fixture(scope="module", params=["A4", "Letter"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the demo with PATTERN and FEEDBACK on one paper size; return the output folder."""
    root = copy_demo(tmp_path_factory.mktemp(f"qr-{request.param}"))
    with_clinic_keys(root, f'online_url = "{PATTERN}"\nfeedback = "{FEEDBACK}"')
    report = build(open_workspace(root, paper=request.param), jobs=2)
    assert report.ok, [str(outcome) for outcome in report.outcomes]
    return root / "build"


def decode_qr(pdf: Path, page: int, tmp_path: Path) -> list[str]:
    """Render one page (1-based) at 150 dpi with pdftoppm and decode its QR codes with zbarimg."""
    tools = [shutil.which(name) for name in ("pdftoppm", "zbarimg")]
    if not all(tools):
        message = "pdftoppm (poppler-utils) and zbarimg (zbar-tools) are needed"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; ./dev.sh setup installs them")
        pytest.skip(message)
    prefix = tmp_path / pdf.stem
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-f",
            str(page),
            "-l",
            str(page),
            "-png",
            "-singlefile",
            pdf,
            prefix,
        ],
        check=True,
    )
    result = subprocess.run(
        ["zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", f"{prefix}.png"],
        capture_output=True,
        text=True,
    )
    return result.stdout.splitlines()


@pytest.mark.parametrize("lang", ["en", "it"])
def test_qr_code_on_the_last_page_decodes_to_the_url(
    built: Path, lang: str, tmp_path: Path
) -> None:
    url = PATTERN.format(condition="hemifacial-spasm", lang=lang)
    leaflet = built / f"hemifacial-spasm.{lang}.leaflet.pdf"
    pages = pdf_pages(leaflet)
    assert decode_qr(leaflet, len(pages), tmp_path) == [url]
    assert url in pages[-1]
    assert all(url not in page for page in pages[:-1])
    handout = built / f"hemifacial-spasm.{lang}.handout.pdf"
    assert len(PdfReader(handout).pages) == 1
    assert decode_qr(handout, 1, tmp_path) == [url]
    assert url in pdf_pages(handout)[0]


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("en", f"Tell us what you think of this leaflet: {FEEDBACK}"),
        ("it", f"Dicci che cosa pensi di questo opuscolo: {FEEDBACK}"),
    ],
)
def test_feedback_line_is_translated_and_linked(built: Path, lang: str, line: str) -> None:
    for template in ("leaflet", "handout"):
        pdf = built / f"hemifacial-spasm.{lang}.{template}.pdf"
        assert line in pdf_pages(pdf)[-1]
        links = [
            annotation.get_object()["/A"]["/URI"]
            for annotation in PdfReader(pdf).pages[-1].get("/Annots", [])
            if "/A" in annotation.get_object()
        ]
        assert FEEDBACK in links
        assert PATTERN.format(condition="hemifacial-spasm", lang=lang) in links


def test_qr_code_is_vector(built: Path) -> None:
    """The QR code is drawn with paths: no page of any PDF holds a bitmap image."""
    for pdf in built.glob("*.pdf"):
        for page in PdfReader(pdf).pages:
            xobjects = page["/Resources"].get("/XObject", {})
            subtypes = {xobject.get_object().get("/Subtype") for xobject in xobjects.values()}
            assert "/Image" not in subtypes, pdf.name


def test_without_the_keys_nothing_is_printed(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    with_clinic_keys(root, "")
    report = build(open_workspace(root), jobs=1, languages=["en"])
    assert report.ok
    for template in ("leaflet", "handout"):
        text = " ".join(pdf_pages(root / "build" / f"hemifacial-spasm.en.{template}.pdf"))
        assert "Read this leaflet online" not in text
        assert "Tell us what you think" not in text


def test_feedback_email_is_a_mailto_link(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    with_clinic_keys(root, 'feedback = "comments@clinic.example"')
    report = build(open_workspace(root), jobs=1, languages=["it"], templates=["handout"])
    assert report.ok
    pdf = root / "build" / "hemifacial-spasm.it.handout.pdf"
    text = pdf_pages(pdf)[0]
    assert "Dicci che cosa pensi di questo opuscolo: comments@clinic.example" in text
    assert "Leggi questo opuscolo online" not in text
    links = [
        annotation.get_object()["/A"]["/URI"] for annotation in PdfReader(pdf).pages[0]["/Annots"]
    ]
    assert "mailto:comments@clinic.example" in links


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            'online_url = "ftp://example.org/{condition}"',
            "clinic.online_url: 'ftp://example.org/{condition}' must be a web address "
            "starting with https:// or http://",
        ),
        (
            'online_url = "https://example.org/{slug}/{lang}"',
            "clinic.online_url: unknown placeholder {slug} in 'https://example.org/{slug}/{lang}' "
            "(expected: {condition}, {lang})",
        ),
        (
            'online_url = "https://example.org/{condition"',
            "clinic.online_url: 'https://example.org/{condition' is not a valid pattern "
            "(expected '}' before end of string)",
        ),
        (
            'feedback = "http://example.org/form"',
            "clinic.feedback: 'http://example.org/form' is neither an email address "
            "nor an https:// URL",
        ),
        (
            'feedback = "' + "x" * 100 + '"',
            f"clinic.feedback: '{'x' * 77}...' is neither an email address nor an https:// URL",
        ),
    ],
)
def test_invalid_keys(make_workspace: Callable[..., Path], line: str, message: str) -> None:
    root = make_workspace()
    with_clinic_keys(root, line)
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    # The key is written on the line after [clinic].
    number = (root / "leaflets.toml").read_text("utf-8").splitlines().index("[clinic]") + 2
    assert [str(problem) for problem in caught.value.problems] == [
        f"leaflets.toml:{number}: {message}"
    ]


def _figure_alt_texts(pdf: Path) -> list[str]:
    """Return the alternative text of every Figure in the PDF's structure tree."""
    found: list[str] = []

    def walk(node: object) -> None:
        node = getattr(node, "get_object", lambda: node)()
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            if node.get("/S") == "/Figure":
                found.append(str(node.get("/Alt")))
            if "/K" in node:
                walk(node["/K"])

    walk(PdfReader(pdf).trailer["/Root"]["/StructTreeRoot"])
    return found


def test_qr_code_is_a_tagged_figure_with_alt_text(built: Path) -> None:
    alt = _figure_alt_texts(built / "hemifacial-spasm.it.leaflet.pdf")
    assert "Codice QR dell’indirizzo web di questo opuscolo" in alt
