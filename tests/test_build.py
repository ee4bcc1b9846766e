"""Building real PDFs: pages, language, metadata, tags, fonts, determinism and isolation."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, pdf_pages
from pypdf import PdfReader

from leaflets.engine.build import build
from leaflets.workspace import open_workspace

EN_LEAFLET = "hemifacial-spasm.en.leaflet.pdf"
IT_LEAFLET = "hemifacial-spasm.it.leaflet.pdf"
EN_HANDOUT = "hemifacial-spasm.en.handout.pdf"
IT_HANDOUT = "hemifacial-spasm.it.handout.pdf"
ES_LEAFLET = "hemifacial-spasm.es.leaflet.pdf"
ES_HANDOUT = "hemifacial-spasm.es.handout.pdf"
AR_LEAFLET = "hemifacial-spasm.ar.leaflet.pdf"
AR_HANDOUT = "hemifacial-spasm.ar.handout.pdf"
ALL = sorted(
    [EN_HANDOUT, EN_LEAFLET, IT_HANDOUT, IT_LEAFLET, ES_HANDOUT, ES_LEAFLET, AR_HANDOUT, AR_LEAFLET]
)


def test_every_shipped_leaflet_is_built(built_demo: Path) -> None:
    # Beside the PDFs and their manifest, the cache of parsed inputs (see engine/cache.py).
    assert sorted(path.name for path in built_demo.iterdir()) == [".cache", *ALL, "manifest.json"]


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        *((name, 1, 4) for name in (EN_LEAFLET, IT_LEAFLET, ES_LEAFLET, AR_LEAFLET)),
        *((name, 1, 1) for name in (EN_HANDOUT, IT_HANDOUT, ES_HANDOUT, AR_HANDOUT)),
    ],
)
def test_page_counts(built_demo: Path, name: str, low: int, high: int) -> None:
    assert low <= len(PdfReader(built_demo / name).pages) <= high


def test_italian_leaflet_is_in_italian(built_demo: Path) -> None:
    pages = pdf_pages(built_demo / IT_LEAFLET)
    text = " ".join(pages)
    assert pages[0].startswith(
        "Demo Neurology Clinic Movement Disorders Service "
        "INFORMAZIONI PER I PAZIENTI Emispasmo facciale In breve"
    )
    for heading in (
        "Che cos’è?",
        "Sintomi",
        "Cause",
        "Come si fa la diagnosi",
        "Le cure possibili",
        "Vivere con questo disturbo",
        "Quando chiedere aiuto",
        "A quale specialista rivolgersi",
        "Contatti",
        "Fonti",
    ):
        assert heading in text
    assert "Prossima revisione 20 novembre 2027" in text
    assert "Ultima revisione 20 novembre 2026" in text
    for english in ("Symptoms", "Treatment options", "Next review", "Page 1"):
        assert english not in text
    for number, page in enumerate(pages, start=1):
        assert f"Pagina {number} di {len(pages)}" in page
        assert "Versione 1.0 · revisionato il 20 novembre 2026" in page


def test_english_leaflet_sections_come_in_order(built_demo: Path) -> None:
    text = " ".join(pdf_pages(built_demo / EN_LEAFLET))
    headings = [
        "In short",
        "What is it?",
        "Symptoms",
        "Causes",
        "How it is diagnosed",
        "Treatment options",
        "Living with it",
        "When to get help",
        "Which specialist to see",
        "Contact us",
        "About this leaflet",
        "Sources",
    ]
    positions = [text.index(heading) for heading in headings]
    assert positions == sorted(positions)
    # The demo clinic is in Milan: its English leaflets carry British dates.
    assert "Next review 20 November 2027" in text
    assert "Top Doctors (La redazione di Top Doctors): Emispasmo facciale" in text
    assert (
        "https://www.benech-neurochirurgia.it/en/areas-of-expertise/facial-nerve-hemispasm/"
        in text.replace(" ", "")
    )


def test_running_header_on_later_pages_only(built_demo: Path) -> None:
    pages = pdf_pages(built_demo / EN_LEAFLET)
    assert len(pages) >= 2
    assert pages[1].startswith("Demo Neurology Clinic Hemifacial spasm")
    assert not pages[0].startswith("Demo Neurology Clinic Hemifacial spasm")


def test_handout_has_the_clinic_and_room_for_notes(built_demo: Path) -> None:
    (page,) = pdf_pages(built_demo / IT_HANDOUT)
    for text in (
        "Demo Neurology Clinic",
        "Telefono +39 02 0000 0000",
        "neurology@example.org",
        "SCHEDA DELL’AMBULATORIO",
        "Punti chiave",
        "Che cosa succede ora",
        "Note del medico",
        "Pagina 1 di 1",
    ):
        assert text in page


@pytest.mark.parametrize(
    ("name", "lang", "title"),
    [
        (EN_LEAFLET, "en", "Hemifacial spasm – Information for patients"),
        (IT_LEAFLET, "it", "Emispasmo facciale – Informazioni per i pazienti"),
        (IT_HANDOUT, "it", "Emispasmo facciale – Scheda dell’ambulatorio"),
    ],
)
def test_metadata(built_demo: Path, name: str, lang: str, title: str) -> None:
    reader = PdfReader(built_demo / name)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == lang
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    info = reader.metadata
    assert info is not None
    assert info["/Title"] == title
    assert info["/Author"] == "Demo Neurology Clinic"
    assert info["/Keywords"].endswith("neurology, ICD-10 G51.3")
    assert info["/Subject"].startswith(("Hemifacial spasm makes", "L’emispasmo facciale fa"))
    assert info["/CreationDate"] == info["/ModDate"] == "D:20261120"
    assert info["/Creator"].startswith("leaflets ")


def _structure_tags(reader: PdfReader) -> set[str]:
    tags: set[str] = set()
    stack = [reader.trailer["/Root"]["/StructTreeRoot"].get_object()]
    while stack:
        node = stack.pop()
        if "/S" in node:
            tags.add(str(node["/S"]))
        kids = node.get("/K")
        kids = kids if isinstance(kids, list) else [kids]
        stack.extend(
            kid.get_object()
            for kid in kids
            if kid is not None and hasattr(kid, "get_object") and isinstance(kid.get_object(), dict)
        )
    return tags


def test_pdf_is_tagged_for_accessibility(built_demo: Path) -> None:
    reader = PdfReader(built_demo / EN_LEAFLET)
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert {
        "/Document",
        "/H1",
        "/H2",
        "/H3",
        "/P",
        "/L",
        "/LI",
        "/Figure",
        "/Link",
    } <= _structure_tags(reader)
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()


def test_fonts_are_embedded(built_demo: Path) -> None:
    for name in ALL:
        fonts = {}
        for page in PdfReader(built_demo / name).pages:
            for font in page["/Resources"]["/Font"].values():
                font = font.get_object()
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                fonts[str(font["/BaseFont"]).split("+")[1]] = "/FontFile2" in descriptor
        assert fonts and all(fonts.values()), fonts
        assert set(fonts) <= {
            "Open-Sans",
            "Open-Sans-Bold",
            "Open-Sans-Italic",
            "Open-Sans-BoldItalic",
            "Leaflets-Noto-Sans-Arabic",
            "Leaflets-Noto-Sans-Arabic-Bold",
        }, fonts


def test_builds_are_byte_identical(make_workspace: Callable[..., Path], built_demo: Path) -> None:
    workspace = open_workspace(make_workspace())
    assert build(workspace).ok
    for name in ALL:
        assert (workspace.config.output_dir / name).read_bytes() == (built_demo / name).read_bytes()


def test_date_locale_per_language(make_workspace: Callable[..., Path]) -> None:
    text = (REPO / "leaflets.toml").read_text("utf-8")
    american = make_workspace(config=text.replace('locales = { en = "en_GB" }', ""))
    build(open_workspace(american), languages=["en"], templates=["leaflet"])
    pages = pdf_pages(american / "build" / EN_LEAFLET)
    assert "Next review November 20, 2027" in " ".join(pages)
    assert "Version 1.0 · reviewed November 20, 2026" in pages[0]

    british = make_workspace()
    build(open_workspace(british), languages=["en", "it"], templates=["leaflet"])
    pages = pdf_pages(british / "build" / EN_LEAFLET)
    assert "Version 1.0 · reviewed 20 November 2026" in pages[0]
    # The mapping changes only the language it names.
    assert "revisionato il 20 novembre 2026" in pdf_pages(british / "build" / IT_LEAFLET)[0]


def test_letter_paper_and_pdf_a(make_workspace: Callable[..., Path]) -> None:
    workspace = open_workspace(make_workspace(), paper="Letter", pdf_variant="pdf/a-3a")
    report = build(workspace, languages=["it"], templates=["leaflet"])
    assert report.ok
    reader = PdfReader(workspace.config.output_dir / IT_LEAFLET)
    assert [round(float(v)) for v in reader.pages[0].mediabox] == [0, 0, 612, 792]
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"pdfaid:part" in xmp and b'pdfaid:conformance="A"' in xmp


def test_selection(make_workspace: Callable[..., Path]) -> None:
    workspace = open_workspace(make_workspace())
    report = build(workspace, languages=["it"], templates=["handout"])
    assert [outcome.job.name for outcome in report.outcomes] == ["hemifacial-spasm.it.handout"]
    assert sorted(p.name for p in workspace.config.output_dir.iterdir()) == [
        ".cache",
        IT_HANDOUT,
        "manifest.json",
    ]


def second_condition(root: Path) -> None:
    """Add a copy of the demo condition under another slug."""
    target = root / "data" / "spasm-copy"
    target.mkdir()
    for name in ("en.md", "it.md"):
        (target / name).write_text(
            (REPO / "data/hemifacial-spasm" / name).read_text("utf-8"), "utf-8"
        )
    meta = (REPO / "data/hemifacial-spasm/condition.yaml").read_text("utf-8")
    (target / "condition.yaml").write_text(
        meta.replace("id: hemifacial-spasm", "id: spasm-copy"), "utf-8"
    )


def test_a_broken_condition_does_not_stop_the_others(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    second_condition(root)
    workspace = open_workspace(root)
    languages = ["en", "it"]  # What the copy has; two languages keep the test short.
    assert build(workspace, languages=languages).ok
    kept = (root / "build" / "spasm-copy.en.leaflet.pdf").read_bytes()
    meta = root / "data/spasm-copy/condition.yaml"
    meta.write_text(meta.read_text("utf-8").replace("2026-11-20", "someday", 1), "utf-8")
    (root / "build" / EN_LEAFLET).unlink()

    report = build(workspace, languages=languages)
    assert not report.ok
    statuses = {outcome.job.name: outcome.status for outcome in report.outcomes}
    assert statuses == {
        "hemifacial-spasm.en.handout": "unchanged",
        "hemifacial-spasm.en.leaflet": "built",
        "hemifacial-spasm.it.handout": "unchanged",
        "hemifacial-spasm.it.leaflet": "unchanged",
        "spasm-copy.en.handout": "failed",
        "spasm-copy.en.leaflet": "failed",
        "spasm-copy.it.handout": "failed",
        "spasm-copy.it.leaflet": "failed",
    }
    failed = next(o for o in report.outcomes if o.job.name == "spasm-copy.en.leaflet")
    assert failed.reason == (
        "invalid data: data/spasm-copy/condition.yaml:6: last_reviewed: someday is not a date "
        "in YYYY-MM-DD format (like 2026-11-22)"
    )
    # The good PDF built before the data broke is still there, untouched.
    assert (root / "build" / "spasm-copy.en.leaflet.pdf").read_bytes() == kept
    assert (root / "build" / EN_LEAFLET).exists()
    # No temporary file left; the cache of parsed inputs is all that starts with a dot.
    assert [path.name for path in (root / "build").glob(".*")] == [".cache"]


def test_a_broken_template_stops_only_its_outputs(make_workspace: Callable[..., Path]) -> None:
    text = (REPO / "templates/handout.html").read_text("utf-8")
    root = make_workspace(files={"templates/handout.html": text.replace("{% endblock %}", "", 1)})
    report = build(open_workspace(root))
    statuses = {outcome.job.name: outcome.status for outcome in report.outcomes}
    assert statuses["hemifacial-spasm.en.leaflet"] == "built"
    assert statuses["hemifacial-spasm.en.handout"] == "failed"
    assert [str(p) for p in report.problems] == [
        "templates/handout.html:8: template syntax error: Unexpected end of template. "
        "Jinja was looking for the following tags: 'endblock'. The innermost block that "
        "needs to be closed is 'block'.",
    ]


def test_resources_outside_the_workspace_are_refused(make_workspace: Callable[..., Path]) -> None:
    text = (REPO / "templates/_leaflet.html").read_text("utf-8")
    for url in ("http://example.org/tracker.png", "file:///etc/passwd"):
        root = make_workspace(
            files={
                "templates/_leaflet.html": text.replace(
                    "<main>", f'<main><img src="{url}" alt="x">', 1
                )
            }
        )
        report = build(open_workspace(root), languages=["en"], templates=["leaflet"])
        (outcome,) = report.outcomes
        assert outcome.status == "failed"
        reason = (
            "the file is outside the workspace"
            if url.startswith("file")
            else "leaflets only uses files inside the workspace"
        )
        assert outcome.reason == f"hemifacial-spasm.en.leaflet: refused to load {url!r}: {reason}"
        assert not (root / "build" / EN_LEAFLET).exists()


def test_an_overlong_handout_is_an_error_saying_how_much_is_over(
    make_workspace: Callable[..., Path],
) -> None:
    text = (REPO / "data/hemifacial-spasm/en.md").read_text("utf-8")
    many = "".join(f"  - Point number {n} of a very long list of key points.\n" for n in range(30))
    root = make_workspace(
        files={
            "data/hemifacial-spasm/en.md": text.replace("key_points:\n", "key_points:\n" + many, 1)
        }
    )
    previous = root / "build" / "hemifacial-spasm.en.handout.pdf"
    report = build(open_workspace(root), languages=["en"], templates=["handout"])
    (outcome,) = report.outcomes
    assert outcome.status == "failed" and not report.ok
    (reason,) = outcome.reason.splitlines()  # the budget alone, not page fill besides
    assert re.fullmatch(
        r"build/hemifacial-spasm\.en\.handout\.pdf: page \d: \d pages, more than the 1 a clinic "
        r"handout may take even at its tightest spacing and smallest size; about \d+ mm is over: "
        r"shorten the key points or the next steps",
        reason,
    ), reason
    assert not previous.exists()


def make_draft(root: Path, slug: str = "hemifacial-spasm") -> None:
    """Turn a condition into an imported draft: owner and next review left as TODO."""
    meta = root / "data" / slug / "condition.yaml"
    text = meta.read_text("utf-8")
    text = text.replace(
        "owner: Demo Neurology Clinic, patient information team",
        'owner: "TODO: who owns this content"',
    ).replace("next_review: 2027-11-20", "next_review: TODO")
    meta.write_text(text, "utf-8")


def test_a_draft_is_skipped_and_the_others_built(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    second_condition(root)
    make_draft(root, "spasm-copy")
    report = build(open_workspace(root), languages=["en", "it"], templates=["handout"], jobs=1)
    assert report.ok  # A skipped draft is not a failure when the rest was built.
    statuses = {outcome.job.name: outcome.status for outcome in report.outcomes}
    assert statuses == {
        "hemifacial-spasm.en.handout": "built",
        "hemifacial-spasm.it.handout": "built",
        "spasm-copy.en.handout": "skipped",
        "spasm-copy.it.handout": "skipped",
    }
    skipped = next(o for o in report.outcomes if o.job.name == "spasm-copy.en.handout")
    assert skipped.reason == (
        "draft: 2 TODO placeholders to replace (first: data/spasm-copy/condition.yaml:7: "
        "next_review); `build --allow-drafts` prints it marked as a draft"
    )
    assert not list((root / "build").glob("spasm-copy.*"))
    # Nothing else to build: then skipping the draft fails the build, as does --strict.
    assert not build(open_workspace(root), conditions=["spasm-copy"]).ok
    assert not build(
        open_workspace(root), languages=["en", "it"], templates=["handout"], strict=True
    ).ok


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_allow_drafts_marks_every_page(make_workspace: Callable[..., Path], paper: str) -> None:
    root = make_workspace()
    make_draft(root)
    workspace = open_workspace(root, paper=paper)
    report = build(workspace, languages=["en", "it"], allow_drafts=True, jobs=1)
    assert report.ok
    assert {outcome.status for outcome in report.outcomes} == {"built"}
    assert report.outcomes[0].warnings == (
        "a draft with 2 TODO placeholders, marked as such on every page",
    )
    for lang, mark, placeholder in [
        ("en", "DRAFT — not reviewed", "Next review [date to be set]"),
        ("it", "BOZZA — non revisionata", "Prossima revisione [data da stabilire]"),
    ]:
        for template in ("leaflet", "handout"):
            pages = pdf_pages(root / "build" / f"hemifacial-spasm.{lang}.{template}.pdf")
            assert all(page.startswith(mark) for page in pages), (lang, template)
        leaflet = " ".join(pdf_pages(root / "build" / f"hemifacial-spasm.{lang}.leaflet.pdf"))
        assert placeholder in leaflet
        assert "TODO: who owns this content" in leaflet
        assert "2027" not in leaflet  # No review date is made up.


def test_reviewed_leaflets_have_no_mark(built_demo: Path) -> None:
    for name in ALL:
        assert not any("DRAFT" in page or "BOZZA" in page for page in pdf_pages(built_demo / name))


def test_draft_with_placeholder_dates_has_no_pdf_dates(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    meta = root / "data/hemifacial-spasm/condition.yaml"
    meta.write_text(
        meta.read_text("utf-8").replace("last_reviewed: 2026-11-20", "last_reviewed: TODO"),
        "utf-8",
    )
    report = build(open_workspace(root), languages=["en"], templates=["handout"], allow_drafts=True)
    assert report.ok
    pdf = root / "build" / EN_HANDOUT
    assert "/CreationDate" not in PdfReader(pdf).metadata
    assert "Version 1.0 · reviewed [date to be set]" in pdf_pages(pdf)[0]


def test_impossible_date_fails_without_traceback(make_workspace: Callable[..., Path]) -> None:
    from conftest import run_cli

    root = make_workspace()
    meta = root / "data/hemifacial-spasm/condition.yaml"
    meta.write_text(meta.read_text("utf-8").replace("2027-11-20", "2027-02-30"), "utf-8")
    result = run_cli("build", "-C", root)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "data/hemifacial-spasm/condition.yaml:7: next_review: '2027-02-30' is not a real date "
        "(day is out of range for month)"
    )


def test_clean_never_deletes_outside_the_output_folder(
    make_workspace: Callable[..., Path],
) -> None:
    import json

    root = make_workspace()
    workspace = open_workspace(root)
    assert build(workspace, languages=["en"], templates=["handout"]).ok
    manifest = root / "build" / "manifest.json"
    data = json.loads(manifest.read_text("utf-8"))
    entry = dict(data["outputs"][EN_HANDOUT], condition="gone")
    data["outputs"]["../victim.pdf"] = entry
    manifest.write_text(json.dumps(data), "utf-8")
    victim = root / "victim.pdf"
    victim.write_bytes(b"%PDF- not ours")
    report = build(workspace, languages=["en"], templates=["handout"], clean=True)
    assert [outcome.job.name for outcome in report.outcomes] == ["hemifacial-spasm.en.handout"]
    assert victim.read_bytes() == b"%PDF- not ours"
    assert "../victim.pdf" not in json.loads(manifest.read_text("utf-8"))["outputs"]


def test_a_very_long_word_is_broken_not_cut_off(make_workspace: Callable[..., Path]) -> None:
    # Long enough to need many lines, short enough for the handout's one sheet.
    word = "Lo" + "x" * 600 + "ng"
    text = (REPO / "data/hemifacial-spasm/en.md").read_text("utf-8")
    old = "  - Medicines, injections and an operation can all help."
    root = make_workspace(files={"data/hemifacial-spasm/en.md": text.replace(old, f"  - {word}")})
    report = build(open_workspace(root), languages=["en"], templates=["handout"], jobs=1)
    assert report.ok
    # (it.md is now reported as a stale translation of en.md, too.)
    assert (
        f"data/hemifacial-spasm/en.md:{text[: text.index(old)].count(chr(10)) + 1}: warning: "
        f"key_points[3]: the word 'Lo{'x' * 28}'… is 604 characters long; it will be broken "
        "at the page edge (a missing space?)" in [str(p) for p in report.problems]
    )
    printed = " ".join(pdf_pages(root / "build" / EN_HANDOUT))
    # Every letter is printed, none beyond the page edge; the word may run on
    # to the next page, past its running header (which has no "x").
    start, end = printed.index("Loxxx"), printed.index("xxxng")
    assert printed[start:end].count("x") + 3 == 600
    lines = [
        line
        for page in PdfReader(root / "build" / EN_HANDOUT).pages
        for line in page.extract_text(extraction_mode="layout").splitlines()
    ]
    assert max(line.count("x") for line in lines) < 120  # Broken into lines across the page.


def text_runs(path: Path, page: int) -> list[tuple[str, float]]:
    """Return each text run of a page with the x (in points) where it starts."""
    found: list[tuple[str, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip():
            found.append((text.strip(), cm[0] * tm[4] + cm[2] * tm[5] + cm[4]))

    PdfReader(path).pages[page].extract_text(visitor_text=visit)
    return found


def start_of(path: Path, page: int, text: str) -> float:
    """Return where the first text run that begins with *text* starts on a page."""
    return next(x for run, x in text_runs(path, page) if run.startswith(text))


def test_arabic_leaflet_has_lang_ar_and_arabic_text_on_the_right_pages(built_demo: Path) -> None:
    reader = PdfReader(built_demo / AR_LEAFLET)
    assert reader.trailer["/Root"]["/Lang"] == "ar"
    assert reader.metadata is not None
    assert reader.metadata.title == "التشنج النصفي الوجهي – معلومات للمرضى"
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) == 3
    for word in ("معلومات للمرضى", "التشنج النصفي الوجهي", "باختصار", "ما هذه الحالة؟"):
        assert word in pages[0]
    assert "الأعراض" in pages[0] and "MRI" in pages[1]
    for word in ("متى تطلب المساعدة", "الطبيب المختص المناسب", "اتصل بنا", "المصادر"):
        assert word in pages[2]
    for number, page in enumerate(pages, start=1):
        # The footer in Arabic; numbers stay in digits that read left to right.
        assert "الصفحة" in page and f"{number} " in page and "الإصدار" in page
    for english in ("Symptoms", "Sources", "Page 1", "Contact us"):
        assert english not in " ".join(pages)


def test_arabic_handout_prints_its_arabic_text(built_demo: Path) -> None:
    (page,) = [page.extract_text() for page in PdfReader(built_demo / AR_HANDOUT).pages]
    for word in ("نشرة العيادة", "أهم النقاط", "الخطوات التالية", "ملاحظات طبيبك", "EMG"):
        assert word in page
    # Latin text and numbers inside the Arabic page keep their order.
    for latin in ("1 Example Street, Milan", "+39 02 0000 0000", "neurology@example.org"):
        assert latin in page


def test_arabic_pages_embed_the_bundled_arabic_font_and_no_other(built_demo: Path) -> None:
    for name in (AR_LEAFLET, AR_HANDOUT):
        fonts = set()
        for page in PdfReader(built_demo / name).pages:
            for font in page["/Resources"]["/Font"].values():
                base = str(font.get_object()["/BaseFont"]).split("+")[1]
                fonts.add(base)
        assert {"Leaflets-Noto-Sans-Arabic", "Leaflets-Noto-Sans-Arabic-Bold"} <= fonts
        assert fonts <= {
            "Open-Sans",
            "Open-Sans-Bold",
            "Open-Sans-Italic",
            "Leaflets-Noto-Sans-Arabic",
            "Leaflets-Noto-Sans-Arabic-Bold",
        }, fonts


def test_arabic_layout_is_mirrored(built_demo: Path) -> None:
    arabic, english = built_demo / AR_LEAFLET, built_demo / EN_LEAFLET
    middle = float(PdfReader(arabic).pages[0].mediabox.width) / 2
    # The clinic's name beside the logo, the kicker and the headings start at
    # the right in Arabic, at the left in English.
    for arabic_text, english_text in [
        ("Demo Neurology Clinic", "Demo Neurology Clinic"),
        ("معلومات للمرضى", "INFORMATION FOR PATIENTS"),
        ("ما هذه الحالة؟", "What is it?"),
    ]:
        assert start_of(arabic, 0, arabic_text) > middle > start_of(english, 0, english_text)
    # The list bullets hang at the right margin.
    bullets = [x for run, x in text_runs(arabic, 0) if run == "•"]
    assert bullets and all(x > middle * 1.7 for x in bullets)
    # The running header: the clinic at the right, the title at the left.
    assert start_of(arabic, 1, "Demo Neurology Clinic") > middle
    assert start_of(arabic, 1, "التشنج النصفي الوجهي") < middle / 2


def test_spanish_leaflet_is_in_spanish(built_demo: Path) -> None:
    pages = pdf_pages(built_demo / ES_LEAFLET)
    text = " ".join(pages)
    assert pages[0].startswith(
        "Demo Neurology Clinic Movement Disorders Service "
        "INFORMACIÓN PARA PACIENTES Espasmo hemifacial En resumen"
    )
    for heading in ("¿Qué es?", "Síntomas", "Causas", "Cómo se diagnostica", "Fuentes"):
        assert heading in text
    assert "Próxima revisión 20 de noviembre de 2027" in text
    for number, page in enumerate(pages, start=1):
        assert f"Página {number} de {len(pages)}" in page


@pytest.mark.parametrize(
    ("name", "label", "notice"),
    [
        (EN_LEAFLET, "Also available in", "Also available in: Italiano · Español · العربية"),
        (EN_HANDOUT, "Also available in", "Also available in: Italiano · Español · العربية"),
        (IT_LEAFLET, "Disponibile anche in", "Disponibile anche in: English · Español · العربية"),
        (IT_HANDOUT, "Disponibile anche in", "Disponibile anche in: English · Español · العربية"),
        (
            ES_HANDOUT,
            "También disponible en",
            "También disponible en: English · Italiano · العربية",
        ),
        # Right to left: the label, then the names (pypdf puts the colon first).
        (AR_LEAFLET, "متوفرة أيضًا", ":متوفرة أيضًا English · Italiano · Español"),
        (AR_HANDOUT, "متوفرة أيضًا", ":متوفرة أيضًا English · Italiano · Español"),
    ],
)
def test_each_output_names_the_other_languages(
    built_demo: Path, name: str, label: str, notice: str
) -> None:
    # Plain extraction: the layout mode reverses the Arabic letters of "العربية".
    pages = [page.extract_text() for page in PdfReader(built_demo / name).pages]
    text = " ".join(pages)
    assert notice in text
    # Only other languages, and no variant that is not configured.
    assert text.count(label) == 1
    assert not re.search(r"large print|caratteri grandi|letra grande|الخط الكبير", text)
    assert notice in pages[-1]


def test_allow_drafts_marks_every_large_print_page(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    make_draft(root)
    report = build(
        open_workspace(root),
        languages=["en"],
        templates=["handout"],
        variants=["large-print"],
        allow_drafts=True,
        jobs=1,
    )
    assert report.ok
    (outcome,) = report.outcomes
    pages = pdf_pages(outcome.job.output)
    assert len(pages) > 1
    assert all(page.startswith("DRAFT — not reviewed") for page in pages)
