"""Rendering: the resource policy inside SVG images, and deterministic fonts on either subsetter."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import run_cli
from pypdf import PdfReader

from leaflets.engine import build as build_module
from leaflets.engine import workers
from leaflets.engine.build import build, load_project, plan, render_html
from leaflets.engine.rendering import Renderer
from leaflets.exceptions import RenderError
from leaflets.workspace import open_workspace

HANDOUT = "hemifacial-spasm.en.handout"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
OUTSIDE = "the file is outside the workspace"
REMOTE = "leaflets only uses files inside the workspace"


def _build_handout(root: Path) -> tuple[str, str]:
    report = build(open_workspace(root), languages=["en"], templates=["handout"])
    (outcome,) = report.outcomes
    return outcome.status, outcome.reason


@pytest.fixture
def unchecked_images(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let images past `check`, which refuses these SVG files first (test_hardening.py).

    What is tested here is the renderer's own defence, for a file changed
    after it was checked.
    """
    monkeypatch.setattr("leaflets.images.image_problem", lambda path, allowed: None)


@pytest.mark.parametrize(
    ("logo", "message"),
    [
        (
            f'{SVG} width="64" height="64">\n'
            '  <image xlink:href="file:///etc/passwd" width="8" height="8"/>\n</svg>',
            f"assets/clinic-logo.svg:2: refused to load 'file:///etc/passwd': {OUTSIDE}",
        ),
        (
            f'{SVG}>\n<image href="http://127.0.0.1:9/pixel.png" width="8" height="8"/></svg>',
            f"assets/clinic-logo.svg:2: refused to load 'http://127.0.0.1:9/pixel.png': {REMOTE}",
        ),
        (
            f"{SVG}>\n<style>\n@import url('https://127.0.0.1:9/x.css');\n</style>\n"
            '<rect width="8" height="8"/></svg>',
            # expat reports the line where <style> ends.
            f"assets/clinic-logo.svg:4: refused to load 'https://127.0.0.1:9/x.css': {REMOTE}",
        ),
        (
            f'{SVG}>\n<rect width="8" height="8" style="fill: url(file:///etc/passwd)"/></svg>',
            f"assets/clinic-logo.svg:2: refused to load 'file:///etc/passwd': {OUTSIDE}",
        ),
        (
            f'{SVG}><g xml:base="file:///etc/">\n<image href="passwd" width="8" height="8"/>'
            "</g></svg>",
            f"assets/clinic-logo.svg:1: refused to load 'file:///etc/': {OUTSIDE}",
        ),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
            f"{SVG}><text>&x;</text></svg>",
            "assets/clinic-logo.svg:2: a DOCTYPE or entity declaration is refused in an SVG file",
        ),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE svg [\n <!ENTITY a "ha">\n'
            + "".join(
                f' <!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">\n' for n in range(9)
            )
            + f"]>\n{SVG}><text>&j;</text></svg>",
            "assets/clinic-logo.svg:2: a DOCTYPE or entity declaration is refused in an SVG file",
        ),
        (
            f'{SVG}>\n<rect width="8" height="8"></svg>',
            "assets/clinic-logo.svg:2: not a well-formed SVG file: mismatched tag",
        ),
    ],
    ids=[
        "xlink-file",
        "href-http",
        "style-import",
        "style-attr",
        "xml-base",
        "xxe",
        "laughs",
        "bad",
    ],
)
def test_a_logo_loading_anything_outside_fails_its_outputs(
    make_workspace: Callable[..., Path], logo: str, message: str, unchecked_images: None
) -> None:
    root = make_workspace(files={"assets/clinic-logo.svg": logo})
    status, reason = _build_handout(root)
    assert (status, reason) == ("failed", f"{HANDOUT}: {message}")
    assert not (root / "build" / f"{HANDOUT}.pdf").exists()


def test_an_svg_inside_an_svg_is_checked_too(make_workspace: Callable[..., Path]) -> None:
    # The outer logo is fine; WeasyPrint loads the inner one while drawing,
    # where it swallows every error: the refusal must still fail the output.
    root = make_workspace(
        files={
            "assets/clinic-logo.svg": f'{SVG}><image href="inner.svg" width="8" height="8"/></svg>',
            "assets/inner.svg": f'{SVG}>\n\n<image href="file:///etc/hostname"/></svg>',
        }
    )
    status, reason = _build_handout(root)
    assert status == "failed"
    assert reason == (
        f"{HANDOUT}: assets/inner.svg:3: refused to load 'file:///etc/hostname': {OUTSIDE}"
    )


def test_an_svg_saved_under_another_name_is_checked(
    make_workspace: Callable[..., Path], unchecked_images: None
) -> None:
    # WeasyPrint reads as SVG any image that Pillow cannot, whatever its name.
    root = make_workspace(
        files={
            "assets/logo.png": f'{SVG}>\n<image href="file:///etc/passwd"/></svg>',
            "leaflets.toml": (Path(__file__).parent.parent / "leaflets.toml")
            .read_text("utf-8")
            .replace("assets/clinic-logo.svg", "assets/logo.png"),
        }
    )
    status, reason = _build_handout(root)
    assert (status, reason) == (
        "failed",
        f"{HANDOUT}: assets/logo.png:2: refused to load 'file:///etc/passwd': {OUTSIDE}",
    )


def test_an_svg_with_local_references_is_drawn(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(
        files={
            "assets/clinic-logo.svg": (
                f'{SVG} width="64" height="64">\n'
                '<defs><linearGradient id="g"><stop offset="0" stop-color="#123"/>'
                "</linearGradient></defs>\n<style>rect { fill: url(#g) }</style>\n"
                '<rect width="64" height="64"/><image href="dot.svg" width="8" height="8"/>'
                '<a xlink:href="https://example.org/"><circle r="2"/></a></svg>'
            ),
            "assets/dot.svg": f'{SVG} width="8" height="8"><circle r="4" cx="4" cy="4"/></svg>',
        }
    )
    report = build(open_workspace(root), languages=["en"], templates=["handout"])
    (outcome,) = report.outcomes
    assert (outcome.status, outcome.warnings) == ("built", ())
    manifest = (root / "build" / "manifest.json").read_text("utf-8")
    assert '"assets/dot.svg"' in manifest  # The inner image counts in the fingerprint.


def test_an_inline_svg_in_a_template_is_refused(tmp_path: Path) -> None:
    renderer = Renderer(allowed_roots=[tmp_path], pdf_variant="pdf/ua-1")
    html = (
        '<html lang="en"><title>x</title><body><svg xmlns="http://www.w3.org/2000/svg">'
        '<image href="file:///etc/passwd" width="5" height="5"/></svg></body></html>'
    )
    with pytest.raises(RenderError) as caught:
        renderer.render(html, base_url=tmp_path.as_uri() + "/", name="doc")
    assert str(caught.value) == f"doc: refused to load 'file:///etc/passwd': {OUTSIDE}"


def test_the_shipped_logo_is_drawn(built_demo: Path) -> None:
    reader = PdfReader(built_demo / "hemifacial-spasm.en.handout.pdf")
    assert "/XObject" in reader.pages[0]["/Resources"]


# The demo condition's last_reviewed date, 2026-11-20, at midnight UTC.
REVIEWED = 1795132800
#: The Mac epoch (1904) fontTools counts the head table's dates from.
MAC_EPOCH = -2082844800


def font_dates(pdf: Path) -> set[int]:
    """Return the 'modified' date of the head table of every font embedded in *pdf*."""
    from io import BytesIO

    from fontTools.ttLib import TTFont

    dates = set()
    for page in PdfReader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            data = descriptor.get_object()["/FontFile2"].get_object().get_data()
            dates.add(TTFont(BytesIO(data))["head"].modified + MAC_EPOCH)
    return dates


def use_fonttools(task: workers.Task) -> workers.Result:
    """Render *task* as on a machine without HarfBuzz-Subset (runs in a worker)."""
    import weasyprint.pdf.fonts

    weasyprint.pdf.fonts.harfbuzz_subset = None
    return workers.render_task(task)


def test_fonttools_fallback_is_deterministic_and_said_once(
    make_workspace: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import fontTools.misc.timeTools
    import weasyprint.pdf.fonts

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    root = make_workspace()
    digests = []
    for now in (1_000_000_000.0, 1_500_000_000.0):  # Two builds at different clock times.
        monkeypatch.setattr(
            fontTools.misc.timeTools, "time", SimpleNamespace(time=lambda now=now: now)
        )
        caplog.clear()
        report = build(open_workspace(root), languages=["en"], force=True, jobs=1)
        assert report.ok and report.count("built") == 2
        assert [r.getMessage() for r in caplog.records if r.name.startswith("leaflets")] == [
            build_module.FONT_FALLBACK_WARNING
            % "the HarfBuzz-Subset library (libharfbuzz-subset) is not installed"
        ]
        assert all(outcome.warnings == () for outcome in report.outcomes)
        pdf = root / "build" / f"{HANDOUT}.pdf"
        assert font_dates(pdf) == {REVIEWED}
        digests.append(hashlib.sha256(pdf.read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    assert "SOURCE_DATE_EPOCH" not in os.environ


def test_fonttools_fallback_in_worker_processes_is_deterministic(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_workspace()
    workspace = open_workspace(root)
    project = load_project(workspace, languages=["en"])
    jobs, _ = plan(project)
    settings = workers.Settings(
        allowed_roots=tuple(workspace.allowed_roots()), pdf_variant="pdf/ua-1"
    )
    runs = []
    for run in range(2):
        if run:
            time.sleep(1.5)  # fontTools dates are in seconds.
        tasks = [
            workers.Task(
                job.name,
                render_html(project, job),
                root.as_uri() + "/",
                tmp_path / f"run{run}" / job.output.name,
                REVIEWED,
            )
            for job in jobs
        ]
        results = list(workers.render_all(tasks, settings=settings, jobs=2, render=use_fonttools))
        assert [result.error for result in results] == ["", ""]
        assert {result.font_fallback for result in results} == {
            "the HarfBuzz-Subset library (libharfbuzz-subset) is not installed"
        }
        assert {date for task in tasks for date in font_dates(task.output)} == {REVIEWED}
        runs.append(sorted(result.sha256 for result in results))
    assert runs[0] == runs[1]


def test_harfbuzz_builds_are_identical_and_say_nothing(
    make_workspace: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    from leaflets.engine.rendering import harfbuzz_subset_problem

    if harfbuzz_subset_problem():
        if os.environ.get("CI") == "true":
            pytest.fail(f"HarfBuzz-Subset is required in CI: {harfbuzz_subset_problem()}")
        pytest.skip(harfbuzz_subset_problem())
    root = make_workspace()
    digests = []
    for run in range(2):
        if run:
            time.sleep(1.1)
        report = build(open_workspace(root), languages=["en"], templates=["handout"], force=True)
        assert report.ok
        digests.append(hashlib.sha256((root / "build" / f"{HANDOUT}.pdf").read_bytes()).digest())
    assert digests[0] == digests[1]
    assert not [
        r for r in caplog.records if "fontTools" in r.getMessage()
    ]  # Not even WeasyPrint's.


def test_build_says_the_fonttools_fallback_once(
    make_workspace: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import weasyprint.pdf.fonts

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    result = run_cli("build", "-C", make_workspace(), "-j", "1", "-l", "en", "-l", "it")
    assert result.exit_code == 0, result.output
    warning = "WARNING: " + build_module.FONT_FALLBACK_WARNING % (
        "the HarfBuzz-Subset library (libharfbuzz-subset) is not installed"
    )
    assert [line for line in result.output.splitlines() if "fontTools" in line] == [warning]
    assert "4 built" in result.output


def test_a_stylesheet_linked_to_outside_is_refused(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    outside = tmp_path / "outside.css"
    outside.write_text("body { color: red }", "utf-8")
    root = make_workspace()
    (root / "styles").mkdir()
    (root / "styles" / "handout.css").symlink_to(outside)
    status, reason = _build_handout(root)
    url = (root / "styles" / "handout.css").as_uri()
    if len(url) > 80:  # Long addresses are cut in the middle.
        url = url[:26] + "…" + url[-53:]
    assert (status, reason) == ("failed", f"{HANDOUT}: refused to load {url!r}: {OUTSIDE}")


def test_a_theme_folder_linked_to_outside_gives_no_access(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "handout.css").write_text("body { color: red }", "utf-8")
    root = make_workspace()
    (root / "styles").symlink_to(elsewhere, target_is_directory=True)
    status, reason = _build_handout(root)
    url = (elsewhere / "handout.css").resolve().as_uri()
    if len(url) > 80:
        url = url[:26] + "…" + url[-53:]
    assert (status, reason) == ("failed", f"{HANDOUT}: refused to load {url!r}: {OUTSIDE}")
