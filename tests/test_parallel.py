"""Rendering in worker processes: same bytes, stable order, crashes and kills isolated."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_cli
from pypdf import PdfReader

from leaflets.engine import workers
from leaflets.engine.build import Outcome, build, load_project, plan, render_html
from leaflets.engine.manifest import JOURNAL_NAME, MANIFEST_NAME
from leaflets.output import locked_folder
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
    report = build(open_workspace(root), jobs=2, templates=["handout"], languages=["en", "it"])
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
    leftovers = [path.name for path in output.iterdir() if path.name.startswith(".")]
    assert leftovers == [".cache"]  # No temporary file: only the cache of parsed inputs.


def test_jobs_must_be_positive(make_workspace: Callable[..., Path]) -> None:
    result = run_cli("build", "-C", make_workspace(), "--jobs", "0")
    assert result.exit_code == 2
    assert "Invalid value for '-j' / '--jobs': 0 is not in the range x>=1." in result.stderr


def test_concurrent_builds_of_one_folder_wait_for_each_other_and_merge(
    make_workspace: Callable[..., Path],
) -> None:
    """Two builds started together each record their outputs: the manifest lists all four."""
    root = make_workspace()
    output = root / "build"
    output.mkdir()
    leaflets = str(Path(sys.executable).parent / "leaflets")
    # Hold the folder's lock while both start, so that both find it taken.
    with locked_folder(output, on_wait=lambda: None):
        processes = [
            subprocess.Popen(
                [leaflets, "build", "-C", str(root), "--force", "--jobs", "1", "--lang", lang],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for lang in ("en", "it")
        ]
        # Each says so once it finds the lock taken (a build that did not
        # wait would finish, and its stderr end, without saying it).
        waiting = "WARNING: waiting for another build of build/ to finish…\n"
        for process in processes:
            assert process.stderr is not None
            assert process.stderr.readline() == waiting
    results = [process.communicate(timeout=120) for process in processes]
    for process, (stdout, stderr) in zip(processes, results, strict=True):
        assert process.returncode == 0, stderr
        assert waiting not in stderr  # Said once only.
        assert "2 built, 0 unchanged, 0 failed" in stdout
    recorded = json.loads((output / MANIFEST_NAME).read_text("utf-8"))["outputs"]
    assert sorted(recorded) == [
        f"hemifacial-spasm.{lang}.{template}.pdf"
        for lang in ("en", "it")
        for template in ("handout", "leaflet")
    ]
    assert sorted(path.name for path in output.iterdir()) == [
        ".cache",
        *sorted(recorded),
        MANIFEST_NAME,
    ]


def session_processes(session: int) -> dict[int, str]:
    """Return the live processes (not zombies) of *session*, with their command lines."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue  # Gone meanwhile.
        # The command name in parentheses may hold spaces: fields follow the last ')'.
        fields = stat.rsplit(")", 1)[1].split()
        state, session_id = fields[0], int(fields[3])
        if session_id == session and state != "Z":
            found[int(entry)] = command.replace(b"\0", b" ").decode(errors="replace")[:100]
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_build_killed_mid_render_leaves_no_process_and_its_folder_goes_next_time(
    make_workspace: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_workspace()
    add_conditions(root, 7)
    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir()
    command = [str(Path(sys.executable).parent / "leaflets"), "build", "-C", str(root), "-j", "2"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # Its session holds it and every process it starts.
        env={**os.environ, "TMPDIR": str(scratch_root)},
    )
    try:
        deadline = time.monotonic() + 60
        journal = root / "build" / JOURNAL_NAME
        # Mid-render: a leaflet is done, the others are being rendered.
        while not (journal.exists() and journal.read_text("utf-8").count("\n") >= 1):
            assert process.poll() is None and time.monotonic() < deadline, "no leaflet was built"
            time.sleep(0.01)
        helpers = set(session_processes(process.pid)) - {process.pid}
        assert len(helpers) >= 3  # The fork server, the resource tracker, the workers.
        process.kill()  # kill -9 of the build alone: its helpers are left to themselves.
        process.wait()
        deadline = time.monotonic() + 10
        while session_processes(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert session_processes(process.pid) == {}
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    stale = list(scratch_root.glob(f"{workers.SCRATCH_PREFIX}*"))
    assert len(stale) == 1

    monkeypatch.setattr(tempfile, "tempdir", str(scratch_root))
    report = build(open_workspace(root), jobs=2)
    assert report.ok
    assert report.count("built") >= 1
    assert not list(scratch_root.glob(f"{workers.SCRATCH_PREFIX}*"))


def test_a_long_tmpdir_does_not_stop_a_parallel_build(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    # The fork server's socket lives under TMPDIR and a UNIX socket path may be
    # at most 107 bytes: such a TMPDIR once ended the build in a traceback.
    root = make_workspace()
    scratch = tmp_path / ("t" * max(1, 100 - len(str(tmp_path))))
    scratch.mkdir()
    assert len(str(scratch)) >= 100
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "leaflets"),
            "build",
            "-C",
            str(root),
            "-j",
            "2",
            "-l",
            "en",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    assert (result.returncode, "Traceback" in result.stderr) == (0, False), result.stderr
    assert len(list((root / "build").glob("*.pdf"))) == 2
