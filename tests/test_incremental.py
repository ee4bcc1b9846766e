"""Incremental builds: what each edit rebuilds, the manifest, --clean, and interrupted builds."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, copy_demo, pdf_pages, run_cli
from pypdf import PdfReader

from leaflets.engine import fingerprint
from leaflets.engine.build import BuildReport, build
from leaflets.engine.manifest import JOURNAL_NAME, MANIFEST_NAME
from leaflets.workspace import open_workspace

ALL = {
    "hemifacial-spasm.en.leaflet",
    "hemifacial-spasm.en.handout",
    "hemifacial-spasm.it.leaflet",
    "hemifacial-spasm.it.handout",
}
DIAGRAM = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
    '<rect width="40" height="20" fill="{color}"/></svg>'
)


def statuses(report: BuildReport, status: str) -> set[str]:
    """Return the names of the jobs that ended with *status*."""
    return {outcome.job.name for outcome in report.outcomes if outcome.status == status}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build, once, a demo workspace holding its own theme and an image in Italian only."""
    root = copy_demo(tmp_path_factory.mktemp("incremental") / "ws")
    # What an edit rebuilds does not depend on the language: two of the demo's
    # languages are enough, and render in half the time.
    config = root / "leaflets.toml"
    text = config.read_text("utf-8")
    config.write_text(re.sub(r"(?m)^languages = .*$", 'languages = ["en", "it"]', text), "utf-8")
    for kind in ("templates", "styles", "locales"):
        shutil.copytree(REPO / kind, root / kind)
    (root / "data/hemifacial-spasm/diagram.svg").write_text(DIAGRAM.format(color="red"))
    italian = root / "data/hemifacial-spasm/it.md"
    text = italian.read_text("utf-8")
    italian.write_text(
        text.replace("\n## symptoms\n", "\n## symptoms\n\n![Un disegno](diagram.svg)\n", 1),
        "utf-8",
    )
    report = build(open_workspace(root), jobs=1)
    assert statuses(report, "built") == ALL, report.outcomes
    return root


@pytest.fixture
def workspace(built: Path, tmp_path: Path) -> Path:
    """Return a fresh copy of the built workspace, outputs and manifest included."""
    return Path(shutil.copytree(built, tmp_path / "ws"))


def replace_in(path: Path, old: str, new: str) -> None:
    """Replace the first *old* in the file at *path* with *new*."""
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), "utf-8")


EDITS: dict[str, tuple[Callable[[Path], None], set[str]]] = {
    "nothing": (lambda root: None, set()),
    "touch without change": (
        lambda root: os.utime(root / "data/hemifacial-spasm/it.md", (1, 1)),
        set(),
    ),
    "Italian content": (
        lambda root: replace_in(root / "data/hemifacial-spasm/it.md", "Emispasmo", "Spasmo"),
        {"hemifacial-spasm.it.leaflet", "hemifacial-spasm.it.handout"},
    ),
    "condition metadata": (
        lambda root: replace_in(
            root / "data/hemifacial-spasm/condition.yaml", 'version: "1.0"', 'version: "1.1"'
        ),
        ALL,
    ),
    "an image of the Italian content": (
        lambda root: (root / "data/hemifacial-spasm/diagram.svg").write_text(
            DIAGRAM.format(color="blue")
        ),
        {"hemifacial-spasm.it.leaflet"},  # The handout has no symptoms section.
    ),
    "handout template": (
        lambda root: replace_in(root / "templates/_handout.html", "<main>", "<main> "),
        {"hemifacial-spasm.en.handout", "hemifacial-spasm.it.handout"},
    ),
    "template every template extends": (
        lambda root: replace_in(root / "templates/base.html", "<body", '<body data-x="1"'),
        ALL,
    ),
    "template macros the handout and leaflet import": (
        lambda root: replace_in(
            root / "templates/_clinic.html", "masthead-text", "masthead-text x"
        ),
        ALL,
    ),
    "template only the leaflet imports": (
        # A comment: a new message would be untranslated, which is an error.
        lambda root: replace_in(
            root / "templates/_headings.html", "The printed heading", "The heading printed"
        ),
        {"hemifacial-spasm.en.leaflet", "hemifacial-spasm.it.leaflet"},
    ),
    "leaflet stylesheet": (
        lambda root: replace_in(
            root / "styles/leaflet.css", ".title-block {", ".title-block { color: black;"
        ),
        {"hemifacial-spasm.en.leaflet", "hemifacial-spasm.it.leaflet"},
    ),
    "a font": (
        lambda root: (root / "styles/fonts/OpenSans-Bold.ttf").write_bytes(
            (REPO / "styles/fonts/OpenSans-BoldItalic.ttf").read_bytes()
        ),
        ALL,
    ),
    "Italian catalog": (
        lambda root: replace_in(
            root / "locales/it/LC_MESSAGES/messages.po", 'msgstr "Sintomi"', 'msgstr "Segni"'
        ),
        {"hemifacial-spasm.it.leaflet", "hemifacial-spasm.it.handout"},
    ),
    "clinic phone number": (
        lambda root: replace_in(root / "leaflets.toml", "+39 02 0000 0000", "+39 02 1111 1111"),
        ALL,
    ),
    "a comment in leaflets.toml": (
        lambda root: replace_in(root / "leaflets.toml", "# The workspace", "# This workspace"),
        set(),
    ),
    "the logo": (
        lambda root: replace_in(root / "assets/clinic-logo.svg", "<svg", '<svg data-x="1"'),
        ALL,
    ),
    "a new stylesheet that shadows nothing": (
        lambda root: (root / "styles/extra.css").write_text("p { color: black; }"),
        ALL,  # Templates see every stylesheet by name, so all may use it.
    ),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edit_rebuilds_exactly_what_it_affects(workspace: Path, edit: str) -> None:
    change, expected = EDITS[edit]
    change(workspace)
    report = build(open_workspace(workspace), jobs=1)
    assert report.ok, report.outcomes
    assert statuses(report, "built") == expected
    assert statuses(report, "unchanged") == ALL - expected


def test_rebuilt_outputs_change_and_the_others_keep_their_bytes(workspace: Path) -> None:
    before = {path.name: path.read_bytes() for path in (workspace / "build").glob("*.pdf")}
    replace_in(
        workspace / "locales/it/LC_MESSAGES/messages.po", 'msgstr "Sintomi"', 'msgstr "Segni"'
    )
    build(open_workspace(workspace), jobs=1)
    after = {path.name: path.read_bytes() for path in (workspace / "build").glob("*.pdf")}
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"hemifacial-spasm.it.leaflet.pdf"}  # The handout has no symptoms.
    # os.replace() gave the rebuilt handout a new file even with the same bytes.
    assert before["hemifacial-spasm.it.handout.pdf"] == after["hemifacial-spasm.it.handout.pdf"]


def test_force_rebuilds_everything_selected(workspace: Path) -> None:
    report = build(open_workspace(workspace), jobs=1, force=True, languages=["en"])
    assert statuses(report, "built") == {
        "hemifacial-spasm.en.leaflet",
        "hemifacial-spasm.en.handout",
    }
    assert [o.status for o in report.outcomes] == ["built", "built"]


def test_a_deleted_or_altered_output_is_rebuilt(workspace: Path) -> None:
    (workspace / "build/hemifacial-spasm.en.leaflet.pdf").unlink()
    with (workspace / "build/hemifacial-spasm.it.handout.pdf").open("ab") as stream:
        stream.write(b"%% appended by hand\n")
    report = build(open_workspace(workspace), jobs=1)
    assert statuses(report, "built") == {
        "hemifacial-spasm.en.leaflet",
        "hemifacial-spasm.it.handout",
    }


def test_manifest_lists_every_output(workspace: Path) -> None:
    manifest = json.loads((workspace / "build" / MANIFEST_NAME).read_text("utf-8"))
    assert manifest["format"] == 1
    assert manifest["generator"].startswith("leaflets ")
    outputs = manifest["outputs"]
    assert sorted(outputs) == sorted(f"{name}.pdf" for name in ALL)
    for file, entry in outputs.items():
        pdf = workspace / "build" / file
        assert entry["size"] == pdf.stat().st_size
        assert entry["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
        assert entry["pages"] == len(PdfReader(pdf).pages)
        assert entry["version"] == "1.0"
        assert f"{entry['condition']}.{entry['lang']}.{entry['template']}.pdf" == file
        assert len(entry["fingerprint"]) == 64
        assert entry["inputs"][:3] == [
            "data/hemifacial-spasm/condition.yaml",
            f"data/hemifacial-spasm/{entry['lang']}.md",
            f"locales/{entry['lang']}/LC_MESSAGES/messages.po",
        ]
        assert f"templates/{entry['template']}.html" in entry["inputs"]
        assert "templates/base.html" in entry["inputs"]
        assert {
            "assets/clinic-logo.svg",
            "styles/base.css",
            f"styles/{entry['template']}.css",
            "styles/fonts/OpenSans-Regular.ttf",
            "styles/fonts/OpenSans-Bold.ttf",
        } <= set(entry["resources"])
        image = "data/hemifacial-spasm/diagram.svg"
        assert (image in entry["resources"]) == (file == "hemifacial-spasm.it.leaflet.pdf")
    assert not (workspace / "build" / JOURNAL_NAME).exists()


def test_a_damaged_manifest_is_ignored_and_everything_rebuilt(
    workspace: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (workspace / "build" / MANIFEST_NAME).write_text('{"format": 1, "outputs": [', "utf-8")
    report = build(open_workspace(workspace), jobs=1)
    assert statuses(report, "built") == ALL
    assert "manifest.json: ignored, not JSON" in caplog.text
    assert json.loads((workspace / "build" / MANIFEST_NAME).read_text("utf-8"))["outputs"]


def test_an_edit_during_phase_one_is_redone_next_time(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inputs are hashed before they are parsed: an edit in between is never lost."""
    import leaflets.engine.build

    load_project = leaflets.engine.build.load_project
    italian = workspace / "data/hemifacial-spasm/it.md"

    def load_then_edit(*args: object, **kwargs: object) -> object:
        project = load_project(*args, **kwargs)  # type: ignore[arg-type]
        replace_in(italian, "Spasmo", "Spasmo!")  # After parsing, before recording.
        return project

    replace_in(italian, "Emispasmo", "Spasmo")
    monkeypatch.setattr(leaflets.engine.build, "load_project", load_then_edit)
    first = build(open_workspace(workspace), jobs=1)
    assert statuses(first, "built") == {
        "hemifacial-spasm.it.leaflet",
        "hemifacial-spasm.it.handout",
    }
    monkeypatch.setattr(leaflets.engine.build, "load_project", load_project)
    second = build(open_workspace(workspace), jobs=1)
    assert statuses(second, "built") == {
        "hemifacial-spasm.it.leaflet",
        "hemifacial-spasm.it.handout",
    }


def test_an_interrupted_write_leaves_no_partial_file(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C in the middle of writing a PDF: the old file stays whole, the next build resumes."""
    replace_in(
        workspace / "data/hemifacial-spasm/condition.yaml",
        "reviewer: Movement Disorders Service",
        "reviewer: Dr X",
    )
    before = {path.name: path.read_bytes() for path in (workspace / "build").glob("*.pdf")}
    real_fsync = os.fsync
    calls = []

    def interrupted_fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:  # The second PDF: its bytes are written, not yet in place.
            raise KeyboardInterrupt
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", interrupted_fsync)
    with pytest.raises(KeyboardInterrupt):
        build(open_workspace(workspace), jobs=1)
    monkeypatch.setattr(os, "fsync", real_fsync)

    output = workspace / "build"
    # No temporary file left (.cache holds the parsed inputs of the first build).
    assert [path.name for path in output.iterdir() if path.name.startswith(".")] == [".cache"]
    after = {path.name: path.read_bytes() for path in output.glob("*.pdf")}
    changed = {name for name in before if after[name] != before[name]}
    assert changed == {"hemifacial-spasm.en.leaflet.pdf"}  # Only the first was replaced.
    for data in after.values():
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    report = build(open_workspace(workspace), jobs=1)
    assert statuses(report, "unchanged") == {"hemifacial-spasm.en.leaflet"}
    assert statuses(report, "built") == ALL - {"hemifacial-spasm.en.leaflet"}


def test_a_killed_build_is_resumed_from_its_journal(workspace: Path) -> None:
    """kill -9 leaves the journal: the outputs it lists are not redone."""
    replace_in(workspace / "leaflets.toml", "+39 02 0000 0000", "+39 02 1111 1111")
    manifest = workspace / "build" / MANIFEST_NAME
    entries = json.loads(manifest.read_text("utf-8"))["outputs"]
    # What a killed build leaves: the old manifest, a journal of what it
    # finished, a damaged last line, and a temporary file it was writing.
    done = "hemifacial-spasm.it.handout.pdf"
    report = build(open_workspace(workspace), jobs=1, languages=["it"], templates=["handout"])
    assert statuses(report, "built") == {"hemifacial-spasm.it.handout"}
    finished = json.loads(manifest.read_text("utf-8"))["outputs"][done]
    manifest.write_text(
        json.dumps({"format": 1, "generator": "leaflets", "outputs": entries}), "utf-8"
    )
    journal = workspace / "build" / JOURNAL_NAME
    journal.write_text(
        json.dumps({"set": done, "entry": finished}) + "\n" + '{"set": "hemifacial-sp', "utf-8"
    )
    leftover = workspace / "build" / ".hemifacial-spasm.en.leaflet.pdf.abc123.tmp"
    leftover.write_bytes(b"%PDF-1.7 truncated")

    report = build(open_workspace(workspace), jobs=1)
    assert statuses(report, "unchanged") == {"hemifacial-spasm.it.handout"}
    assert statuses(report, "built") == ALL - {"hemifacial-spasm.it.handout"}
    assert not journal.exists() and not leftover.exists()


def test_removed_condition_language_and_template_are_reported_then_cleaned(
    workspace: Path,
) -> None:
    shutil.copytree(workspace / "data/hemifacial-spasm", workspace / "data/spasm-copy")
    replace_in(
        workspace / "data/spasm-copy/condition.yaml", "id: hemifacial-spasm", "id: spasm-copy"
    )
    assert statuses(build(open_workspace(workspace), jobs=1, templates=["handout"]), "built") == {
        "spasm-copy.en.handout",
        "spasm-copy.it.handout",
    }
    shutil.rmtree(workspace / "data/spasm-copy")
    replace_in(workspace / "leaflets.toml", 'languages = ["en", "it"]', 'languages = ["it"]')
    replace_in(
        workspace / "leaflets.toml", 'templates = ["leaflet", "handout"]', 'templates = ["leaflet"]'
    )

    report = build(open_workspace(workspace), jobs=1)
    assert report.ok
    obsolete = {o.job.output.name: o.reason for o in report.outcomes if o.status == "obsolete"}
    assert obsolete == {
        "hemifacial-spasm.en.handout.pdf": "the language 'en' is no longer built",
        "hemifacial-spasm.en.leaflet.pdf": "the language 'en' is no longer built",
        "hemifacial-spasm.it.handout.pdf": "the template 'handout' is no longer built",
        "spasm-copy.en.handout.pdf": "the condition 'spasm-copy' was removed",
        "spasm-copy.it.handout.pdf": "the condition 'spasm-copy' was removed",
    }
    assert all((workspace / "build" / name).exists() for name in obsolete)

    result = run_cli("build", "-C", workspace, "--clean")
    assert result.exit_code == 0, result.output
    assert "removed  build/spasm-copy.it.handout.pdf: the condition 'spasm-copy' was removed" in (
        result.stdout
    )
    assert result.stdout.splitlines()[-1].startswith(
        "0 built, 1 unchanged, 0 failed, 0 skipped, 5 removed, 0 warnings; "
    )
    assert sorted(path.name for path in (workspace / "build").iterdir()) == [
        ".cache",
        "hemifacial-spasm.it.leaflet.pdf",
        MANIFEST_NAME,
    ]
    manifest = json.loads((workspace / "build" / MANIFEST_NAME).read_text("utf-8"))
    assert list(manifest["outputs"]) == ["hemifacial-spasm.it.leaflet.pdf"]


def test_a_new_version_in_the_file_name_replaces_the_old_file(workspace: Path) -> None:
    replace_in(
        workspace / "leaflets.toml",
        'filename = "{condition}.{lang}.{template}.pdf"',
        'filename = "{condition}-{version}.{lang}.{template}.pdf"',
    )
    config = {"languages": ["it"], "templates": ["handout"], "jobs": 1}
    build(open_workspace(workspace), **config)  # type: ignore[arg-type]
    replace_in(
        workspace / "data/hemifacial-spasm/condition.yaml", 'version: "1.0"', 'version: "2.0"'
    )
    report = build(open_workspace(workspace), clean=True, **config)  # type: ignore[arg-type]
    replaced = "replaced by hemifacial-spasm-2.0.it.handout.pdf"
    assert [(o.job.output.name, o.status, o.reason) for o in report.outcomes] == [
        ("hemifacial-spasm-2.0.it.handout.pdf", "built", ""),
        ("hemifacial-spasm-1.0.it.handout.pdf", "removed", replaced),
        ("hemifacial-spasm.it.handout.pdf", "removed", replaced),
    ]
    assert not (workspace / "build/hemifacial-spasm-1.0.it.handout.pdf").exists()


def test_a_broken_language_file_stops_only_that_language(workspace: Path) -> None:
    replace_in(workspace / "data/hemifacial-spasm/it.md", "## causes", "## cause")
    (workspace / "build/hemifacial-spasm.en.handout.pdf").unlink()
    report = build(open_workspace(workspace), jobs=1)
    assert not report.ok
    assert statuses(report, "failed") == {
        "hemifacial-spasm.it.leaflet",
        "hemifacial-spasm.it.handout",
    }
    assert statuses(report, "built") == {"hemifacial-spasm.en.handout"}
    # A full build agrees: an Italian error does not stop the English outputs.
    forced = build(open_workspace(workspace), jobs=1, force=True)
    assert statuses(forced, "built") == {
        "hemifacial-spasm.en.leaflet",
        "hemifacial-spasm.en.handout",
    }


def test_failures_are_redone_and_reported_every_time(workspace: Path) -> None:
    replace_in(workspace / "data/hemifacial-spasm/condition.yaml", 'version: "1.0"', "version: 1.0")
    for _ in range(2):
        report = build(open_workspace(workspace), jobs=1)
        assert statuses(report, "failed") == ALL
        assert not report.ok


def test_missing_content_is_skipped_and_the_other_languages_stop_naming_it(
    workspace: Path,
) -> None:
    (workspace / "data/hemifacial-spasm/it.md").unlink()
    report = build(open_workspace(workspace), jobs=1)
    missing = "no content in 'it' (data/hemifacial-spasm/it.md)"
    gone = "hemifacial-spasm has no content in 'it' any more"
    assert [(o.job.name, o.status, o.reason) for o in report.outcomes] == [
        # "Also available in: Italiano" is gone from the English outputs.
        ("hemifacial-spasm.en.leaflet", "built", ""),
        ("hemifacial-spasm.en.handout", "built", ""),
        ("hemifacial-spasm.it.leaflet", "skipped", missing),
        ("hemifacial-spasm.it.leaflet", "obsolete", gone),
        ("hemifacial-spasm.it.handout", "skipped", missing),
        ("hemifacial-spasm.it.handout", "obsolete", gone),
    ]
    assert [str(problem) for problem in report.problems] == [
        "data/hemifacial-spasm/it.md: warning: is missing: hemifacial-spasm has no content in 'it'"
    ]
    handout = pdf_pages(workspace / "build/hemifacial-spasm.en.handout.pdf")
    assert "Italiano" not in " ".join(handout)
    # Nothing else changed: the next build has nothing to do and parses nothing.
    again = build(open_workspace(workspace), jobs=1)
    assert statuses(again, "built") == set()
    assert statuses(again, "unchanged") == {
        "hemifacial-spasm.en.leaflet",
        "hemifacial-spasm.en.handout",
    }


def test_strict_validates_up_to_date_outputs_too(workspace: Path) -> None:
    replace_in(workspace / "locales/it/LC_MESSAGES/messages.po", 'msgstr "Sintomi"', 'msgstr ""')
    allow = {"jobs": 1, "allow_untranslated": True}
    # The catalog's new warning is found by any build that rebuilds Italian...
    assert build(open_workspace(workspace), **allow).warnings == 1
    # ...and by every --strict build, even with nothing to rebuild.
    report = build(open_workspace(workspace), strict=True, **allow)
    assert statuses(report, "built") == set()
    assert report.warnings == 1 and not report.ok
    assert build(open_workspace(workspace), **allow).warnings == 0


def test_a_no_op_build_imports_no_renderer_nor_parser(workspace: Path) -> None:
    script = (
        "import sys\n"
        "from leaflets.cli import cli\n"
        f"try:\n    cli(['build', '-C', {str(workspace)!r}])\n"
        "except SystemExit as exit:\n    assert exit.code in (0, None), exit.code\n"
        "heavy = sorted(m for m in ('weasyprint', 'jinja2', 'yaml', 'markdown_it',"
        " 'babel.messages') if m in sys.modules)\n"
        "print('loaded:', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    summary, loaded = result.stdout.splitlines()
    assert summary.startswith("0 built, 4 unchanged, 0 failed, 0 skipped, 0 removed, 0 warnings; ")
    assert loaded == "loaded: []"


def test_json_report(workspace: Path) -> None:
    replace_in(workspace / "data/hemifacial-spasm/it.md", "Emispasmo", "Spasmo")
    result = run_cli("build", "-C", workspace, "--json", "--jobs", "1")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert {key: report["summary"][key] for key in ("built", "unchanged", "failed")} == {
        "built": 2,
        "unchanged": 2,
        "failed": 0,
    }
    assert report["summary"]["workers"] == 1
    assert [(o["name"], o["status"]) for o in report["outputs"]] == [
        ("hemifacial-spasm.en.leaflet", "unchanged"),
        ("hemifacial-spasm.en.handout", "unchanged"),
        ("hemifacial-spasm.it.leaflet", "built"),
        ("hemifacial-spasm.it.handout", "built"),
    ]


def test_quiet_prints_nothing_on_success(workspace: Path) -> None:
    result = run_cli("build", "-C", workspace, "--quiet")
    assert (result.exit_code, result.output) == (0, "")


def test_fingerprint_names_stay_in_step_with_the_loaders() -> None:
    from leaflets.content.model import METADATA_NAME
    from leaflets.i18n import catalog_path

    assert fingerprint.METADATA_NAME == METADATA_NAME
    assert catalog_path(Path("x"), "it") == Path("x") / fingerprint.CATALOG_PATH.format(lang="it")


def test_installed_versions_reads_the_installed_distributions() -> None:
    import weasyprint

    versions = fingerprint.installed_versions(["weasyprint", "markdown-it-py", "no-such-thing"])
    assert versions["weasyprint"] == weasyprint.__version__
    assert versions["markdown-it-py"]
    assert versions["no-such-thing"] == ""


@pytest.mark.parametrize(
    ("source", "names", "dynamic"),
    [
        ('{% extends "base.html" %}', ["base.html"], False),
        ("{%- include 'a.html' ignore missing with context -%}", ["a.html"], False),
        ('{% from "_clinic.html" import masthead, contacts %}', ["_clinic.html"], False),
        ('{% import "m.html" as m %}', ["m.html"], False),
        ('{% include ["a.html", "b.html"] %}', ["a.html", "b.html"], False),
        ("{% extends layout %}", [], True),
        ('{% include "a" ~ name %}', [], True),
        ("{{ include }} {% if x %}{% endif %}", [], False),
    ],
)
def test_referenced_templates(source: str, names: list[str], dynamic: bool) -> None:
    assert fingerprint.referenced_templates(source) == (names, dynamic)


def test_a_dynamic_template_name_makes_every_template_an_input(
    make_workspace: Callable[..., Path],
) -> None:
    text = (REPO / "templates/handout.html").read_text("utf-8")
    root = make_workspace(
        files={
            "templates/handout.html": text.replace('"base.html"', "layout", 1),
            "templates/unrelated.html": "<p></p>",
        }
    )
    workspace = open_workspace(root)
    from leaflets.engine.build import stylesheets

    found = fingerprint.Fingerprinter(workspace, stylesheets=stylesheets(workspace))
    paths = found.inputs(str(root / "data/hemifacial-spasm"), "en", "handout").paths
    assert str(root / "templates/unrelated.html") in paths
    assert str(REPO / "templates/leaflet.html") in paths


def test_a_full_disk_fails_the_outputs_it_stops_and_keeps_the_manifest(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC after two PDFs: one line per failed file, the summary, exit 1, nothing half-done."""
    replace_in(workspace / "leaflets.toml", "+39 02 0000 0000", "+39 02 1111 1111")
    output = workspace / "build"
    manifest = output / MANIFEST_NAME
    before = {path.name: path.read_bytes() for path in output.iterdir() if path.is_file()}
    real_fsync = os.fsync
    calls = []

    def full_disk(fd: int) -> None:
        calls.append(fd)
        if len(calls) > 2:  # Two PDFs fit; the other two and the manifest do not.
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_disk)
    started = time.perf_counter()
    result = run_cli("build", "-C", workspace, "--jobs", "1")
    assert time.perf_counter() - started < 60
    monkeypatch.setattr(os, "fsync", real_fsync)

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert lines[:3] == [
        "build/manifest.json: cannot be written (No space left on device); it is left as it was",
        f"failed   hemifacial-spasm.it.leaflet: cannot write {output}/"
        "hemifacial-spasm.it.leaflet.pdf: No space left on device",
        f"failed   hemifacial-spasm.it.handout: cannot write {output}/"
        "hemifacial-spasm.it.handout.pdf: No space left on device",
    ]
    assert lines[3].startswith("2 built, 0 unchanged, 2 failed, 0 skipped, 0 removed, 0 warnings")
    assert len(lines) == 4
    after = {path.name: path.read_bytes() for path in output.iterdir() if path.is_file()}
    assert after[MANIFEST_NAME] == before[MANIFEST_NAME]  # Unchanged, not half-written.
    assert {name for name in after if after[name] != before.get(name)} == {
        "hemifacial-spasm.en.leaflet.pdf",
        "hemifacial-spasm.en.handout.pdf",
        JOURNAL_NAME,  # What was built, for the next build.
    }
    assert not [name for name in after if name.endswith(".tmp")]
    for name in ("it.leaflet", "it.handout"):  # The old files, whole.
        assert after[f"hemifacial-spasm.{name}.pdf"] == before[f"hemifacial-spasm.{name}.pdf"]

    # Space again: the two PDFs written are not redone.
    report = build(open_workspace(workspace), jobs=1)
    assert report.ok
    assert statuses(report, "unchanged") == {
        "hemifacial-spasm.en.leaflet",
        "hemifacial-spasm.en.handout",
    }
    assert statuses(report, "built") == {
        "hemifacial-spasm.it.leaflet",
        "hemifacial-spasm.it.handout",
    }
    assert len(json.loads(manifest.read_text("utf-8"))["outputs"]) == 4


def test_an_unwritable_manifest_is_one_error_and_the_pdfs_are_kept(workspace: Path) -> None:
    """Tests run as root, whom chmod does not stop: a folder stands in the manifest's place."""
    replace_in(workspace / "leaflets.toml", "+39 02 0000 0000", "+39 02 1111 1111")
    manifest = workspace / "build" / MANIFEST_NAME
    manifest.unlink()
    manifest.mkdir()
    (manifest / "keep").write_text("a folder in the way", "utf-8")
    result = run_cli("build", "-C", workspace, "--jobs", "1")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        f"WARNING: {manifest}: cannot be read ([Errno 21] Is a directory: '{manifest}'); "
        "rebuilding its outputs",
        "build/manifest.json: cannot be written (Is a directory); it is left as it was",
        result.stderr.splitlines()[-1],
    ]
    assert result.stderr.splitlines()[-1].startswith(
        "4 built, 0 unchanged, 0 failed, 0 skipped, 0 removed, 0 warnings"
    )
    assert (manifest / "keep").read_text("utf-8") == "a folder in the way"
    assert not list((workspace / "build").glob(".*.tmp"))
    for pdf in (workspace / "build").glob("*.pdf"):
        assert len(PdfReader(pdf).pages) >= 1


def test_a_journal_that_cannot_be_written_loses_nothing(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The journal only insures against kills: a full disk there still records every output."""
    replace_in(workspace / "leaflets.toml", "+39 02 0000 0000", "+39 02 1111 1111")
    real_open = Path.open

    def full_disk(self: Path, *args: object, **kwargs: object) -> object:
        if self.name == JOURNAL_NAME and args[:1] == ("a",):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", full_disk)
    report = build(open_workspace(workspace), jobs=1)
    monkeypatch.setattr(Path, "open", real_open)
    assert report.ok
    assert statuses(report, "built") == ALL
    recorded = json.loads((workspace / "build" / MANIFEST_NAME).read_text("utf-8"))["outputs"]
    assert len(recorded) == 4
    assert statuses(build(open_workspace(workspace), jobs=1), "unchanged") == ALL


def test_an_output_folder_that_is_a_file_is_one_clear_error(workspace: Path) -> None:
    (workspace / "out").write_text("not a folder", "utf-8")
    config = workspace / "leaflets.toml"
    for folder, reason in (("out", "it is a file"), ("out/pdf", "Not a directory")):
        config.write_text(
            re.sub(r'output_dir = ".*"', f'output_dir = "{folder}"', config.read_text("utf-8")),
            "utf-8",
        )
        result = run_cli("build", "-C", workspace, "--jobs", "1")
        assert result.exit_code == 1
        assert "Traceback" not in result.output
        assert result.stderr == f"Error: {folder}: cannot be used as the output folder ({reason})\n"
    assert (workspace / "out").read_text("utf-8") == "not a folder"
