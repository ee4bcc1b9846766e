"""`leaflets packet`: one tagged PDF with a cover, its contents' page numbers and bookmarks."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import pdf_pages, run_cli
from pypdf import PdfReader
from test_build import _structure_tags

from leaflets.delivery.packet import PacketPart, build_packet
from leaflets.engine.build import build
from leaflets.exceptions import LeafletsError
from leaflets.workspace import open_workspace


def outline(reader: PdfReader) -> list[Any]:
    """Return the bookmarks as (title, page) pairs, children in a list after their parent."""

    def walk(items: list[Any]) -> list[Any]:
        result: list[Any] = []
        for item in items:
            if isinstance(item, list):
                result.append(walk(item))
            else:
                result.append((item.title, reader.get_destination_page_number(item) + 1))
        return result

    return walk(reader.outline)


def test_an_italian_packet(make_workspace: Callable[..., Path], built_demo: Path) -> None:
    root = make_workspace()
    output = root.parent / "packet.pdf"
    result = build_packet(
        open_workspace(root),
        conditions=["hemifacial-spasm"],
        lang="it",
        templates=["leaflet", "handout"],
        output=output,
    )
    leaflet_pages = len(PdfReader(built_demo / "hemifacial-spasm.it.leaflet.pdf").pages)
    handout_pages = len(PdfReader(built_demo / "hemifacial-spasm.it.handout.pdf").pages)
    # A cover page, then the leaflets as long as they are on their own.
    assert result.pages == 1 + leaflet_pages + handout_pages
    assert result.parts == (
        PacketPart(
            "hemifacial-spasm",
            "leaflet",
            "Emispasmo facciale",
            "Informazioni per i pazienti",
            "1.0",
            first_page=2,
            pages=leaflet_pages,
        ),
        PacketPart(
            "hemifacial-spasm",
            "handout",
            "Emispasmo facciale",
            "Scheda dell’ambulatorio",
            "1.0",
            first_page=2 + leaflet_pages,
            pages=handout_pages,
        ),
    )

    reader = PdfReader(output)
    assert len(reader.pages) == result.pages
    pages = pdf_pages(output)
    cover = pages[0]
    assert "Informazioni per te" in cover
    assert "Che cosa contiene" in cover
    # The table of contents, with the page numbers the layout gave each leaflet.
    assert re.search(r"Emispasmo facciale – Informazioni per i pazienti \.{10,} 2 ", cover)
    assert re.search(
        rf"Emispasmo facciale – Scheda dell’ambulatorio \.{{10,}} {2 + leaflet_pages} ", cover
    )
    assert "Contatti" in cover
    for part in result.parts:
        assert f"Pagina {part.first_page} di {result.pages}" in pages[part.first_page - 1]
    assert "Che cos’è?" in pages[1]
    assert "Punti chiave" in pages[1 + leaflet_pages]
    # The running header names the leaflet on its later pages.
    assert pages[2].startswith("Demo Neurology Clinic Emispasmo facciale")

    bookmarks = outline(reader)
    assert bookmarks[0] == ("Emispasmo facciale – Informazioni per i pazienti", 2)
    assert ("Che cos’è?", 2) in bookmarks[1]
    assert ("Quando chiedere aiuto", 4) in bookmarks[1]
    assert bookmarks[2] == ("Emispasmo facciale – Scheda dell’ambulatorio", 5)
    assert [title for title, _ in bookmarks[3]] == [
        "Punti chiave",
        "Che cosa succede ora",
        "Note del medico",
    ]
    assert len(bookmarks) == 4

    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == "it"
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert b"pdfuaid" in catalog["/Metadata"].get_object().get_data()
    assert {"/H1", "/H2", "/L", "/LI", "/Link", "/Figure"} <= _structure_tags(reader)
    info = reader.metadata
    assert info is not None
    assert info["/Title"] == "Informazioni per te – Demo Neurology Clinic"
    assert info["/CreationDate"] == "D:20261120"


def test_a_packet_is_byte_identical_on_rebuild(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    first, second = root.parent / "one.pdf", root.parent / "two.pdf"
    for output in (first, second):
        result = run_cli("packet", "-C", root, "-c", "hemifacial-spasm", "-l", "en", "-o", output)
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    assert result.stdout.splitlines() == [
        "page   2  Hemifacial spasm – Information for patients",
        f"wrote    {second}  (4 pages, {second.stat().st_size / 1000:.0f} KB)",
    ]
    assert not (root / "build").exists()  # A packet is rendered on its own.


def test_a_letter_packet(make_workspace: Callable[..., Path]) -> None:
    demo = (Path(__file__).resolve().parent.parent / "leaflets.toml").read_text("utf-8")
    root = make_workspace(config=demo.replace('paper = "A4"', 'paper = "Letter"'))
    output = root.parent / "letter.pdf"
    result = build_packet(
        open_workspace(root),
        conditions=["hemifacial-spasm"],
        lang="en",
        templates=["handout", "leaflet"],
        output=output,
    )
    # Each leaflet takes as many pages as it does on its own on Letter paper.
    report = build(open_workspace(root), languages=["en"], jobs=1)
    on_its_own = {o.job.template: o.pages for o in report.outcomes if o.status == "built"}
    handout = on_its_own["handout"]
    assert [(part.template, part.first_page, part.pages) for part in result.parts] == [
        ("handout", 2, handout),
        ("leaflet", 2 + handout, on_its_own["leaflet"]),
    ]
    reader = PdfReader(output)
    assert {tuple(round(v) for v in page.mediabox) for page in reader.pages} == {(0, 0, 612, 792)}
    assert reader.trailer["/Root"]["/Lang"] == "en"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-c", "nothing-here", "-l", "it"],
            "Error: data/nothing-here: no such condition",
        ),
        (
            ["-c", "hemifacial-spasm", "-l", "fr"],
            "Error: unknown language 'fr' (expected one of: en, it, es, ar)",
        ),
    ],
)
def test_packet_errors(make_workspace: Callable[..., Path], args: list[str], message: str) -> None:
    root = make_workspace()
    output = root.parent / "bad.pdf"
    result = run_cli("packet", "-C", root, *args, "-o", output)
    assert result.exit_code == 1
    assert result.stderr == message + "\n"
    assert not output.exists()


def test_a_packet_of_a_condition_without_that_language(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    (root / "data/hemifacial-spasm/it.md").unlink()
    with pytest.raises(LeafletsError) as caught:
        build_packet(
            open_workspace(root),
            conditions=["hemifacial-spasm"],
            lang="it",
            output=root.parent / "x.pdf",
        )
    assert str(caught.value) == (
        "hemifacial-spasm.it.leaflet: no content in 'it' (data/hemifacial-spasm/it.md)"
    )


def test_a_large_print_packet(make_workspace: Callable[..., Path]) -> None:
    from test_large_print import body_size, text_runs

    root = make_workspace()
    output = root.parent / "large.pdf"
    result = run_cli(
        "packet", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "-t", "leaflet",
        "-t", "handout", "--variant", "large-print", "-o", output,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    runs = text_runs(output)
    assert body_size(runs) >= 16
    # Nothing smaller, on the cover or in the leaflets: running header and footer included.
    assert min(run.size for run in runs) >= 16, [r for r in runs if r.size < 16][:3]
    reader = PdfReader(output)
    assert reader.trailer["/Root"]["/Lang"] == "it"
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    assert reader.metadata is not None
    assert reader.metadata.title == (
        "Informazioni per te – Demo Neurology Clinic (caratteri grandi)"
    )
