"""One way in to an open workspace: what exists, what is out of date and why, current PDFs.

The command line, the desk, ``leaflets email`` and ``leaflets packet`` all go
through a :class:`Library` and nothing else of the engine. It is also the one
place that takes the build lock: a build runs under it (build.py holds the
output folder's lock for the build's length), while handing back a PDF the
manifest says is current takes no lock at all, so it never waits behind
another build.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import STANDARD, Config
from ..exceptions import LeafletsError, Problem, display_path
from ..workspace import Workspace, open_workspace
from . import build as builder
from .build import BuildReport, Job, Outcome, Project, Status
from .loading import open_cache
from .manifest import Entry, Manifest, job_name
from .planning import condition_folders

if TYPE_CHECKING:
    from .rendering import Rendered
    from .templating import Context

__all__ = [
    "BuildReport",
    "Entry",
    "Job",
    "Library",
    "Outcome",
    "Project",
    "Status",
    "as_library",
    "job_name",
]


@dataclass(frozen=True)
class CurrentPdf:
    """A PDF the manifest records as current, with what it recorded about it."""

    path: Path
    entry: Entry


class Library:
    """An open workspace: its configuration, loaded once, and the outputs built from it.

    A Library serves several threads at once (the desk's requests): reading
    takes no lock; builds run one at a time, in this process through a
    thread lock and across processes through the output folder's lock.
    """

    def __init__(self, workspace: Workspace, overrides: Mapping[str, object] | None = None) -> None:
        self.workspace = workspace
        #: The configuration overrides it was opened with (--paper, --output ...).
        self._overrides = dict(overrides or {})
        self._build_lock = threading.Lock()

    @classmethod
    def open(cls, root: Path | None = None, **overrides: object) -> Library:
        """Open the workspace at *root* (or the one around the current folder)."""
        return cls(open_workspace(root, **overrides), overrides)

    @property
    def config(self) -> Config:
        """Return the workspace's configuration."""
        return self.workspace.config

    @property
    def root(self) -> Path:
        """Return the workspace folder."""
        return self.workspace.root

    # -- what exists --------------------------------------------------------

    def conditions(self) -> list[str]:
        """Return the ids of the workspace's conditions (its data folders), sorted."""
        return sorted(condition_folders(self.config.data_dir))

    def status(
        self,
        *,
        conditions: Iterable[str] | None = None,
        languages: Iterable[str] | None = None,
        templates: Iterable[str] | None = None,
        variants: Iterable[str] | None = None,
        today: datetime.date | None = None,
    ) -> list[Status]:
        """Tell which selected outputs are current and why the others are not; take no lock."""
        return builder.statuses(
            self.workspace,
            conditions=conditions,
            languages=languages,
            templates=templates,
            variants=variants,
            today=today,
        )

    def recorded(self) -> dict[str, Entry]:
        """Return the manifest's entries by file name, as the last build left them."""
        return dict(Manifest.load(self.config.output_dir).entries)

    # -- current PDFs -------------------------------------------------------

    def build(self, **options: Any) -> BuildReport:
        """Build what is out of date under the lock; take build.build()'s keyword options."""
        # Called through the module, so that tests can watch every build start.
        with self._build_lock:
            return builder.build(self.workspace, **options)

    def refresh(
        self,
        *,
        conditions: Iterable[str],
        languages: Iterable[str],
        templates: Iterable[str],
        variants: Iterable[str],
        jobs: int | None = None,
    ) -> BuildReport:
        """Make the selected outputs current; report each as a build would.

        When the manifest already says every one is current, the report is
        made from it without the lock; otherwise they are built under it.
        """
        conditions, languages = tuple(conditions), tuple(languages)
        templates, variants = tuple(templates), tuple(variants)
        found = self.status(
            conditions=conditions, languages=languages, templates=templates, variants=variants
        )
        if found and all(status.current for status in found):
            return BuildReport(outcomes=[_unchanged(status) for status in found], problems=[])
        return self.build(
            conditions=conditions,
            languages=languages,
            templates=templates,
            variants=variants,
            jobs=jobs,
        )

    def current_pdf(
        self, condition: str, lang: str, template: str, variant: str = STANDARD
    ) -> Path:
        """Return the path of a current PDF, building just it first when it is out of date.

        Raise LeafletsError, with the build's reason, when it cannot be made.
        """
        report = self.refresh(
            conditions=[condition],
            languages=[lang],
            templates=[template],
            variants=[variant],
            jobs=1,
        )
        wanted = (condition, lang, template, variant)
        for outcome in report.outcomes:
            job = outcome.job
            if (job.condition, job.lang, job.template, job.variant) != wanted:
                continue
            if outcome.status in ("built", "unchanged"):
                output = job.output.resolve()
                if not output.is_relative_to(self.config.output_dir) or not output.is_file():
                    break
                return output
            raise LeafletsError(f"{job.name}: {outcome.reason or outcome.status}")
        name = job_name(condition, lang, template, variant)
        raise LeafletsError(f"{name}: the build did not produce it")

    def check(self, **options: Any) -> list[Problem]:
        """Validate data, templates and catalogs without rendering; take build.check()'s options."""
        return builder.check(self.workspace, **options)

    def check_render(self, **options: Any) -> list[Problem]:
        """Check, then build the selection into a temporary folder and preflight every PDF.

        Takes build.check()'s options. Nothing is written to the output
        folder: the PDFs go to a temporary folder, deleted afterwards, and a
        preflight finding names the file as the build would write it.
        """
        import tempfile

        problems = self.check(**options)
        with tempfile.TemporaryDirectory(prefix="leaflets-check-") as scratch:
            workspace = open_workspace(self.root, **{**self._overrides, "output_dir": scratch})
            report = builder.build(workspace, force=True, **options)
            shown = display_path(self.config.output_dir, self.root)
            for outcome in report.outcomes:
                if outcome.status != "failed":
                    continue
                for line in outcome.reason.splitlines():
                    line = line.replace(scratch, shown, 1)
                    path, _, message = line.partition(": ")
                    if not message:
                        path, message = outcome.job.name, line
                    problem = Problem(path, None, None, message)
                    if problem not in problems:
                        problems.append(problem)
        return problems

    def watch(
        self,
        build_once: Callable[[Library], object],
        *,
        on_changes: Callable[[list[Path]], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """Build now and after every change to the workspace, until Ctrl-C.

        The workspace is opened afresh (with the same overrides) before each
        build, so that an edit to leaflets.toml counts.
        """
        from .watch import watch

        watch(
            lambda: open_workspace(self.root, **self._overrides),
            lambda workspace: build_once(Library(workspace, self._overrides)),
            root=self.root,
            on_changes=on_changes,
            on_error=on_error,
        )

    # -- content and documents, for packets and emails ------------------------

    def load(
        self,
        *,
        conditions: Iterable[str] | None = None,
        languages: Iterable[str] | None = None,
        templates: Iterable[str] | None = None,
        variants: Iterable[str] | None = None,
    ) -> Project:
        """Load and validate what the selection needs (build.load_project)."""
        return builder.load_project(
            self.workspace,
            conditions=conditions,
            languages=languages,
            templates=templates,
            variants=variants,
            cache=open_cache(self.workspace),
        )

    def plan(self, project: Project) -> tuple[list[Job], list[Outcome]]:
        """Return the jobs *project* can build, and those it cannot with the reason."""
        return builder.plan(project)

    def stylesheets(self) -> dict[str, Path]:
        """Return the stylesheets templates link to by name, the workspace's first."""
        return builder.stylesheets(self.workspace)

    def fill(self, project: Project, lang: str, template: str, context: Context) -> str:
        """Fill the theme's *template* (say ``email/subject.txt``) in *lang* with *context*."""
        from .templating import compile_template, render

        root = self.root
        return render(
            compile_template(project.environments[lang], template, root=root), context, root=root
        )

    def render_pdf(self, html: str, *, name: str) -> Rendered:
        """Render one HTML document of the theme to PDF, loading only the workspace's files."""
        from .rendering import Renderer

        renderer = Renderer(
            allowed_roots=self.workspace.allowed_roots(), pdf_variant=self.config.pdf_variant
        )
        return renderer.render(html, base_url=self.root.as_uri() + "/", name=name)

    def read_recorded(self, entries: Mapping[str, Entry], file: str) -> tuple[Entry | None, bytes]:
        """Return the entry of output *file* and its bytes (b"" when it cannot be read)."""
        entry = entries.get(file)
        try:
            data = (self.config.output_dir / file).read_bytes() if entry is not None else b""
        except OSError:
            data = b""
        return entry, data


def _unchanged(status: Status) -> Outcome:
    """Return the outcome a build reports for an output that is current."""
    assert status.entry is not None
    entry = status.entry
    return Outcome(
        status.job, "unchanged", pages=entry.pages, size=entry.size, warnings=entry.warnings
    )


def as_library(where: Library | Workspace) -> Library:
    """Return *where* as a Library: the public functions that took a Workspace still do."""
    return where if isinstance(where, Library) else Library(where)
