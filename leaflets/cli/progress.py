"""Show a build's progress and result: a bar on a terminal, plain lines otherwise, or JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, Any

import click

from ..engine.library import BuildReport, Outcome
from ..wording import format_size, plural

#: How progress is shown: a bar (a terminal), a line per output (a log), errors only, or JSON.
MODES = ("bar", "lines", "quiet", "json")


def choose_mode(*, quiet: bool, as_json: bool, stream: IO[str] | None = None) -> str:
    """Return the mode for the options given and whether *stream* is a terminal."""
    if as_json:
        return "json"
    if quiet:
        return "quiet"
    stream = stream or sys.stdout
    return "bar" if stream.isatty() else "lines"


def summary(report: BuildReport) -> str:
    """Return the one-line summary of a build."""
    pages = sum(o.pages for o in report.outcomes if o.status in ("built", "unchanged"))
    size = sum(o.size for o in report.outcomes if o.status in ("built", "unchanged"))
    return (
        f"{report.count('built')} built, {report.count('unchanged')} unchanged, "
        f"{report.count('failed')} failed, {report.count('skipped')} skipped, "
        f"{report.count('removed')} removed, {plural(report.warnings, 'warning')}; "
        f"{plural(pages, 'page')}, {format_size(size)} in {report.elapsed:.1f} s"
    )


class Progress:
    """Print one build's progress as it goes, then its problems and summary."""

    def __init__(self, mode: str, *, root: Path) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown progress mode {mode!r}")
        self.mode = mode
        self.root = root
        self._bar: Any = None

    def start(self, total: int) -> None:
        """Start showing the rendering of *total* PDFs."""
        if self.mode == "bar" and total:
            self._bar = click.progressbar(
                length=total, label="Building", show_pos=True, show_eta=True
            )
            self._bar.__enter__()

    def outcome(self, outcome: Outcome) -> None:
        """Show one job's outcome as soon as it is known."""
        if self._bar is not None:
            # Only rendering reports after start(): built, or failed to render.
            if outcome.status in ("built", "failed"):
                self._bar.update(1)
        elif self.mode == "lines" and outcome.status == "built":
            click.echo(
                f"built    {self.shown(outcome.job.output)}  "
                f"({plural(outcome.pages, 'page')}, {format_size(outcome.size)})"
            )

    def changes(self, paths: list[Path]) -> None:
        """Show which files a watched build is reacting to."""
        if self.mode == "json":
            return
        for path in paths[:10]:
            click.echo(f"changed  {self.shown(path)}")
        if len(paths) > 10:
            click.echo(f"changed  … and {len(paths) - 10} more files")

    def finish(self, report: BuildReport) -> None:
        """Show the problems, failures and summary of a finished build."""
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
        if self.mode == "json":
            click.echo(json.dumps(as_json(report, root=self.root), ensure_ascii=False))
            return
        for problem in report.problems:
            click.echo(str(problem), err=True)
        for outcome in report.outcomes:
            if outcome.status in ("failed", "skipped"):
                click.echo(f"{outcome.status:<8} {outcome.job.name}: {outcome.reason}", err=True)
            elif outcome.status in ("removed", "obsolete") and self.mode != "quiet":
                hint = "" if outcome.status == "removed" else " (--clean removes it)"
                click.echo(
                    f"{outcome.status:<8} {self.shown(outcome.job.output)}: {outcome.reason}{hint}"
                )
        if self.mode != "quiet" or not report.ok:
            click.echo(summary(report), err=not report.ok)
        if not report.ok and report.strict and report.warnings and not report.count("failed"):
            click.echo("Error: --strict: warnings count as failures", err=True)

    def shown(self, path: Path) -> Path:
        """Return *path* relative to the workspace when it lies inside it."""
        return path.relative_to(self.root) if path.is_relative_to(self.root) else path


def as_json(report: BuildReport, *, root: Path) -> dict[str, Any]:
    """Return a build report as a JSON-ready document."""
    counts = {status: report.count(status) for status in ("built", "unchanged", "failed")}
    counts.update({status: report.count(status) for status in ("skipped", "removed", "obsolete")})
    current = [o for o in report.outcomes if o.status in ("built", "unchanged")]
    return {
        "ok": report.ok,
        "summary": {
            **counts,
            "warnings": report.warnings,
            "pages": sum(o.pages for o in current),
            "bytes": sum(o.size for o in current),
            "seconds": round(report.elapsed, 3),
            "workers": report.workers,
            "peak_worker_rss": report.peak_worker_rss,
        },
        "outputs": [
            {
                "name": outcome.job.name,
                "variant": outcome.job.variant,
                "status": outcome.status,
                "file": str(outcome.job.output),
                "pages": outcome.pages,
                "size": outcome.size,
                "reason": outcome.reason,
                "warnings": list(outcome.warnings),
            }
            for outcome in report.outcomes
        ],
        "problems": [str(problem) for problem in report.problems],
    }
