"""Watching: a real file change triggers a rebuild of what it affects; errors do not stop it."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from leaflets.engine.build import BuildReport, build
from leaflets.engine.watch import watch
from leaflets.workspace import Workspace, open_workspace

TIMEOUT = 30


class Watcher:
    """Run watch() in a thread; hand each build report and error to the test, in turn."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.events: queue.Queue[tuple[str, object]] = queue.Queue()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        def build_once(workspace: Workspace) -> BuildReport:
            report = build(workspace, languages=["it"], templates=["handout"], jobs=1)
            self.events.put(("report", report))
            return report

        watch(
            lambda: open_workspace(self.root),
            build_once,
            root=self.root,
            on_changes=lambda paths: self.events.put(("changes", paths)),
            on_error=lambda error: self.events.put(("error", error)),
            stop=self.stop,
            debounce=50,
        )

    def next(self, kind: str) -> object:
        """Return the next event, which must be of *kind*."""
        got, value = self.events.get(timeout=TIMEOUT)
        assert got == kind, (got, value)
        return value

    def report(self) -> BuildReport:
        """Wait for the changes that start a build, then for its report."""
        self.next("changes")
        report = self.next("report")
        assert isinstance(report, BuildReport)
        return report


@pytest.fixture
def watcher(make_workspace: Callable[..., Path]) -> Iterator[Watcher]:
    """Start watching a demo workspace; stop when the test ends."""
    running = Watcher(make_workspace())
    running.thread.start()
    yield running
    running.stop.set()
    running.thread.join(TIMEOUT)
    assert not running.thread.is_alive()


def edit(path: Path, old: str, new: str) -> None:
    """Replace *old* by *new* in the file at *path*."""
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def statuses(report: BuildReport) -> list[tuple[str, str]]:
    """Return each outcome's job name and status."""
    return [(outcome.job.name, outcome.status) for outcome in report.outcomes]


def test_edits_are_rebuilt_and_errors_survived(watcher: Watcher) -> None:
    first = watcher.next("report")
    assert isinstance(first, BuildReport)
    assert statuses(first) == [("hemifacial-spasm.it.handout", "built")]

    content = watcher.root / "data/hemifacial-spasm/it.md"
    edit(content, "title: Emispasmo facciale", "title: Spasmo facciale")
    assert content in watcher.next("changes")  # type: ignore[operator]
    report = watcher.next("report")
    assert isinstance(report, BuildReport)
    assert statuses(report) == [("hemifacial-spasm.it.handout", "built")]

    # A broken content file fails its output, and watching goes on.
    edit(content, "title: Spasmo facciale", "title: [Spasmo")
    report = watcher.report()
    assert statuses(report) == [("hemifacial-spasm.it.handout", "failed")]
    assert report.outcomes[0].reason.startswith("invalid data: data/hemifacial-spasm/it.md:3: ")
    edit(content, "title: [Spasmo", "title: Spasmo")
    assert statuses(watcher.report()) == [("hemifacial-spasm.it.handout", "built")]

    # So does a configuration that cannot even be read.
    config = watcher.root / "leaflets.toml"
    good = config.read_text("utf-8")
    config.write_text(good.replace("[clinic]", "[clinic", 1), "utf-8")
    watcher.next("changes")
    error = watcher.next("error")
    assert str(error).startswith("leaflets.toml:4: invalid TOML")
    config.write_text(good.replace("+39 02 0000 0000", "+39 02 1234 5678"), "utf-8")
    assert statuses(watcher.report()) == [("hemifacial-spasm.it.handout", "built")]


def test_writing_outputs_does_not_trigger_a_rebuild(watcher: Watcher) -> None:
    watcher.next("report")
    with pytest.raises(queue.Empty):
        watcher.events.get(timeout=1)
    (watcher.root / "data/hemifacial-spasm/notes.txt").write_text("not an input", "utf-8")
    assert statuses(watcher.report()) == [("hemifacial-spasm.it.handout", "unchanged")]
