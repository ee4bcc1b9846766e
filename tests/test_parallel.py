"""Rendering in worker processes: same bytes, stable order, crashes and kills isolated."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_cli
from pypdf import PdfReader

from leaflets import workers
from leaflets.build import Outcome, build, load_project, plan, render_html
from leaflets.manifest import JOURNAL_NAME, MANIFEST_NAME
from leaflets.workspace import open_workspace

CRASHING = "hemifacial-spasm.it.handout"


def crash_on_italian_handout(task: workers.Task) -> workers.Result:
    """Render *task*, except that the Italian handout kills its worker process."""
    if task.name == CRASHING:
        os.kill(os.getpid(), signal.SIGKILL)
    return workers.render_task(task)


def add_conditions(root: Path, count: int) -> list[str]:
    """Add *count* copies of the demo condition; return their slugs."""
    slugs = []
    for number in range(count):
        slug = f"copy-{number}"
        shutil.copytree(root / "data/hemifacial-spasm", root / "data" / slug)
        meta = root / "data" / slug / "condition.yaml"
        meta.write_text(
            meta.read_text("utf-8").replace("id: hemifacial-spasm", f"id: {slug}"), "utf-8"
        )
        slugs.append(slug)
    return slugs


def tasks_for(root: Path, output: Path) -> list[workers.Task]:
    """Return a render task for every output of the workspace at *root*."""
    workspace = open_workspace(root)
    project = load_project(workspace)
    jobs, _ = plan(project)
    base_url = workspace.root.as_uri() + "/"
    return [
        workers.Task(job.name, render_html(project, job), base_url, output / job.output.name)
        for job in jobs
    ]


def settings_for(root: Path) -> workers.Settings:
    """Return the renderer settings of the workspace at *root*."""
    workspace = open_workspace(root)
    return workers.Settings(
        allowed_roots=tuple(workspace.allowed_roots()), pdf_variant=workspace.config.pdf_variant
    )


def test_workers_write_the_same_bytes_as_one_process(make_workspace: Callable[..., Path]) -> None:
    serial, parallel = make_workspace(), make_workspace()
    one = build(open_workspace(serial), jobs=1)
    two = build(open_workspace(parallel), jobs=2)
    assert (one.workers, two.workers) == (1, 2)
    assert two.peak_worker_rss > 20 * 2**20
    for path in (serial / "build").glob("*.pdf"):
        assert path.read_bytes() == (parallel / "build" / path.name).read_bytes(), path.name
    fingerprints = [
        {
            name: entry["fingerprint"]
            for name, entry in json.loads(manifest.read_text())["outputs"].items()
        }
        for manifest in (serial / "build" / MANIFEST_NAME, parallel / "build" / MANIFEST_NAME)
    ]
    assert fingerprints[0] == fingerprints[1]


def test_results_come_back_in_planned_order(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    add_conditions(root, 2)
    seen: list[Outcome] = []
    # Two of the demo's languages: enough to see the order, half the rendering.
    report = build(open_workspace(root), jobs=2, languages=["en", "it"], on_outcome=seen.append)
    planned = [
        f"{slug}.{lang}.{template}"
        for slug in ("copy-0", "copy-1", "hemifacial-spasm")
        for lang in ("en", "it")
        for template in ("leaflet", "handout")
    ]
    # Leaflets take longer than handouts, yet each arrives in its turn.
    assert [outcome.job.name for outcome in seen] == planned
    assert [outcome.job.name for outcome in report.outcomes] == planned


def test_a_crashing_worker_fails_only_its_leaflet(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_workspace()
    tasks = tasks_for(root, tmp_path / "out")
    results = list(
        workers.render_all(
            tasks, settings=settings_for(root), jobs=2, render=crash_on_italian_handout
        )
    )
    assert [result.name for result in results] == [task.name for task in tasks]
    errors = {result.name: result.error for result in results if not result.ok}
    assert errors == {CRASHING: "the worker process rendering it died (killed by signal SIGKILL)"}
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == sorted(
        task.output.name for task in tasks if task.name != CRASHING
    )


def test_a_crashing_worker_is_reported_by_the_command_line(
    make_workspace: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_workspace()
    monkeypatch.setattr(workers, "render_task", crash_on_italian_handout)
    result = run_cli("build", "-C", root, "--jobs", "2", "--lang", "en", "--lang", "it")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"failed   {CRASHING}: the worker process rendering it died (killed by signal SIGKILL)",
        "3 built, 0 unchanged, 1 failed, 0 skipped, 0 removed, 0 warnings; "
        + result.stderr.split("warnings; ")[1].splitlines()[0],
    ]
    assert sorted(path.name for path in (root / "build").glob("*.pdf")) == [
        "hemifacial-spasm.en.handout.pdf",
        "hemifacial-spasm.en.leaflet.pdf",
        "hemifacial-spasm.it.leaflet.pdf",
    ]


def test_worker_warnings_are_logged_by_the_main_process(
    make_workspace: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    root = make_workspace(files={"styles/handout.css": "p { colour: red; }\n"})
    report = build(open_workspace(root), jobs=2, templates=["handout"])
    assert report.ok and report.workers == 2
    messages = [
        record.getMessage() for record in caplog.records if record.name.startswith("leaflets")
    ]
    for lang in ("en", "it"):
        assert any(
            message.startswith(f"hemifacial-spasm.{lang}.handout: Ignored `colour: red`")
            for message in messages
        ), messages
    assert all(len(outcome.warnings) == 1 for outcome in report.outcomes)


def test_a_killed_build_leaves_whole_files_and_resumes(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_workspace()
    slugs = ["hemifacial-spasm", *add_conditions(root, 7)]
    output = root / "build"
    command = [
        str(Path(sys.executable).parent / "leaflets"),
        "build",
        "-C",
        str(root),
        "--jobs",
        "2",
        "--lang",
        "en",
        "--template",
        "leaflet",
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        # What the killed workers leave in their temporary folder stays here.
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    try:
        deadline = time.monotonic() + 60
        journal = output / JOURNAL_NAME
        while process.poll() is None and time.monotonic() < deadline:
            if journal.exists() and journal.read_text("utf-8").count("\n") >= 2:
                break
            time.sleep(0.005)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # The build, its fork server and its workers.
        process.wait()

    recorded = set()
    if (output / MANIFEST_NAME).exists():
        recorded |= set(json.loads((output / MANIFEST_NAME).read_text("utf-8"))["outputs"])
    if (output / JOURNAL_NAME).exists():
        for line in (output / JOURNAL_NAME).read_text("utf-8").splitlines():
            with contextlib.suppress(ValueError):  # The line being written when killed.
                recorded.add(json.loads(line)["set"])
    for path in output.glob("*.pdf"):
        assert len(PdfReader(path).pages) >= 1, path  # Whole, never truncated.
    assert {path.name for path in output.glob("*.pdf")} >= recorded

    report = build(open_workspace(root), jobs=2, languages=["en"], templates=["leaflet"])
    assert report.ok
    names = {f"{slug}.en.leaflet" for slug in slugs}
    unchanged = {o.job.name for o in report.outcomes if o.status == "unchanged"}
    built = {o.job.name for o in report.outcomes if o.status == "built"}
    assert unchanged == {name.removesuffix(".pdf") for name in recorded}
    assert built == names - unchanged
    assert not [path.name for path in output.iterdir() if path.name.startswith(".")]


def test_jobs_must_be_positive(make_workspace: Callable[..., Path]) -> None:
    result = run_cli("build", "-C", make_workspace(), "--jobs", "0")
    assert result.exit_code == 2
    assert "Invalid value for '-j' / '--jobs': 0 is not in the range x>=1." in result.stderr
