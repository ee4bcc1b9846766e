"""Plan a build: the jobs it may run, which are up to date, which are blocked, and why.

A job is one output (a condition, in a language, through a template, in a
print variant). The survey sorts the selected jobs by their fingerprints
alone (see fingerprint.py), before anything is parsed; plan() decides, once
phase one has loaded what the out-of-date jobs need, which of them can run.
"""

from __future__ import annotations

import datetime
import itertools
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import STANDARD, TEMPLATES
from ..exceptions import LeafletsError, Problem, display_path
from ..workspace import Workspace
from .fingerprint import MISSING, Fingerprinter, JobInputs
from .manifest import Entry, Manifest, job_name

if TYPE_CHECKING:
    from ..content.model import Condition
    from .loading import Project

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One output to build: a condition, in a language, through a template, in a print variant."""

    condition: str
    lang: str
    template: str
    output: Path
    variant: str = STANDARD

    @property
    def name(self) -> str:
        """Return a short label such as ``hemifacial-spasm.it.leaflet`` (+ ``.large-print``)."""
        return job_name(self.condition, self.lang, self.template, self.variant)


#: What can happen to a job: built now, unchanged since the last build, failed,
#: skipped (no content in that language), or, for outputs of a condition,
#: language or template that is gone, removed (--clean) or only reported.
STATUSES = ("built", "unchanged", "failed", "skipped", "removed", "obsolete")


@dataclass(frozen=True)
class Outcome:
    """What happened to one job."""

    job: Job
    status: str  # one of STATUSES
    reason: str = ""
    pages: int = 0
    size: int = 0
    warnings: tuple[str, ...] = ()
    #: Skipped because its condition still has TODO placeholders (a draft).
    draft: bool = False


@dataclass
class BuildReport:
    """The outcome of a build: one entry per job, plus the first phase's problems."""

    outcomes: list[Outcome]
    problems: list[Problem]
    elapsed: float = 0.0
    strict: bool = False
    #: How many processes rendered PDFs (0 when none was rendered).
    workers: int = 0
    #: The largest peak resident memory of a rendering process, in bytes.
    peak_worker_rss: int = 0

    def count(self, status: str) -> int:
        """Return how many jobs ended with *status*."""
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def warnings(self) -> int:
        """Return how many warnings the data and the outputs have."""
        return sum(1 for problem in self.problems if not problem.is_error) + sum(
            len(outcome.warnings) for outcome in self.outcomes
        )

    @property
    def ok(self) -> bool:
        """Tell whether the build succeeded (and, when strict, had no warning).

        A draft (a condition with TODO placeholders) skipped is not a failure
        when anything else was built or is up to date; it is when nothing
        else was, or when *strict*.
        """
        failed = self.count("failed") or any(
            problem.is_error and not problem.draft for problem in self.problems
        )
        drafts = sum(1 for outcome in self.outcomes if outcome.draft)
        if drafts and (self.strict or not (self.count("built") or self.count("unchanged"))):
            return False
        return not failed and not (self.strict and self.warnings)


def plan(project: Project) -> tuple[list[Job], list[Outcome]]:
    """Return the jobs that can run, and the ones skipped with the reason why."""
    config = project.workspace.config
    jobs: list[Job] = []
    skipped: list[Outcome] = []
    seen: dict[Path, Job] = {}
    for condition in project.conditions:
        version = condition.metadata.version if condition.metadata else ""
        for lang in project.languages:
            for template in project.templates:
                for variant in project.variants:
                    output = config.output_dir / config.output_name(
                        condition=condition.slug,
                        lang=lang,
                        template=template,
                        version=version,
                        variant=variant,
                    )
                    job = Job(condition.slug, lang, template, output, variant)
                    blocker = _blocker(project, condition, lang, template)
                    if blocker is None and output in seen:
                        blocker = (
                            "failed",
                            f"same output file as {seen[output].name}: {output.name}",
                        )
                    if blocker is None:
                        try:
                            config.output_path(
                                condition=condition.slug,
                                lang=lang,
                                template=template,
                                version=version,
                                variant=variant,
                            )
                        except LeafletsError as error:
                            blocker = "failed", str(error)
                    if blocker:
                        status, reason = blocker
                        draft = status == "skipped" and reason.startswith(DRAFT)
                        skipped.append(Outcome(job, status, reason, draft=draft))
                        continue
                    seen[output] = job
                    jobs.append(job)
    return jobs, skipped


#: How the reason of an output skipped as a draft begins.
DRAFT = "draft"


def _blocker(
    project: Project, condition: Condition, lang: str, template: str
) -> tuple[str, str] | None:
    """Return the status and reason of one job that cannot be built, or None."""
    root = project.workspace.root
    found = _errors_for(condition, lang, root)
    errors = [
        problem for problem in found if not problem.draft and problem is not condition.overdue
    ]
    found = [problem for problem in found if problem.draft]
    if errors:
        first = errors[0]
        more = len(errors) - 1
        return "failed", f"invalid data: {first}" + (f" (and {more} more)" if more else "")
    if lang in project.broken_languages:
        # The catalog's first problem: one line, like every other reason.
        return "failed", project.broken_languages[lang].splitlines()[0]
    if template in project.broken_templates:
        return "failed", f"template {TEMPLATES[template]['file']!r} is broken"
    if lang not in condition.contents:
        return "skipped", no_content(condition.folder, lang, root)
    if found and not project.allow_drafts:
        count = len(found)
        return "skipped", (
            f"{DRAFT}: {count} TODO placeholder{'s' if count > 1 else ''} to replace "
            f"(first: {found[0].path}:{found[0].line}: {found[0].field}); "
            "`build --allow-drafts` prints it marked as a draft"
        )
    if condition.overdue is not None and not project.allow_overdue:
        return "failed", str(condition.overdue)
    return None


def _errors_for(condition: Condition, lang: str, root: Path) -> list[Problem]:
    """Return the errors that stop *condition* in *lang*.

    An error in another language's content file does not: that file is not
    an input of this language's outputs (see fingerprint.py), so an
    incremental build and a full one must agree to build them.
    """
    folder = display_path(condition.folder, root) + "/"
    own = display_path(condition.folder / f"{lang}.md", root)

    def other_language(problem: Problem) -> bool:
        return (
            problem.path.startswith(folder)
            and problem.path.endswith(".md")
            and (problem.path != own)
        )

    return [problem for problem in condition.errors if not other_language(problem)]


def no_content(folder: Path, lang: str, root: Path) -> str:
    return f"no content in {lang!r} ({display_path(folder / f'{lang}.md', root)})"


@dataclass
class Survey:
    """What the first step found: which outputs are up to date, which must be built."""

    folders: dict[str, Path] = field(default_factory=dict)
    unchanged: list[Outcome] = field(default_factory=list)
    #: Jobs to build, by name: (condition, language, template, variant).
    stale: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)
    #: Jobs without a content file in their language, by name.
    absent: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)
    #: The inputs found by name of each job, hashed before anything reads them.
    inputs: dict[str, JobInputs] = field(default_factory=dict)
    #: The data version of conditions with an up-to-date output.
    versions: dict[str, str] = field(default_factory=dict)
    #: Conditions that must be loaded (phase one), including unknown names.
    to_load: set[str] = field(default_factory=set)


def condition_folders(data_dir: Path) -> dict[str, Path]:
    """Return the condition folders under *data_dir*, as conditions.load_conditions finds them."""
    if not data_dir.is_dir():
        return {}
    return {
        path.name: path
        for path in sorted(data_dir.iterdir())
        if path.is_dir() and not path.name.startswith((".", "_"))
    }


def survey(
    workspace: Workspace,
    manifest: Manifest,
    fingerprints: Fingerprinter,
    *,
    wanted: tuple[str, ...],
    languages: tuple[str, ...],
    templates: tuple[str, ...],
    variants: tuple[str, ...],
    force: bool,
    today: datetime.date,
) -> Survey:
    """Sort the selected jobs into up to date, out of date, and without content."""
    config = workspace.config
    survey = Survey(folders=condition_folders(config.data_dir))
    survey.to_load.update(name for name in wanted if name not in survey.folders)
    recorded = manifest.by_name()
    for slug, folder in survey.folders.items():
        if wanted and slug not in wanted:
            continue
        absent = []
        folder_name = str(folder)
        for lang in languages:
            for template, variant in itertools.product(templates, variants):
                name = job_name(slug, lang, template, variant)
                inputs = fingerprints.inputs(folder_name, lang, template, variant)
                if fingerprints.digest(inputs.paths[1]) == MISSING:  # No <lang>.md.
                    absent.append(name)
                    survey.absent[name] = (slug, lang, template, variant)
                    continue
                survey.inputs[name] = inputs
                entry = None
                if not force:
                    entry = _up_to_date(
                        workspace, fingerprints, recorded.get(name, []), name, inputs, today
                    )
                if entry is None:
                    survey.stale[name] = (slug, lang, template, variant)
                    survey.to_load.add(slug)
                    continue
                survey.versions[slug] = entry.version
                survey.unchanged.append(
                    Outcome(
                        Job(slug, lang, template, config.output_dir / entry.file, variant),
                        "unchanged",
                        pages=entry.pages,
                        size=entry.size,
                        warnings=entry.warnings,
                    )
                )
        if absent and slug not in survey.versions:
            # Only an up-to-date output proves condition.yaml valid; without
            # one, load the condition to tell "no content" from "invalid".
            survey.to_load.add(slug)
    return survey


def _up_to_date(
    workspace: Workspace,
    fingerprints: Fingerprinter,
    entries: list[Entry],
    name: str,
    inputs: JobInputs,
    today: datetime.date,
) -> Entry | None:
    """Return the manifest entry that proves job *name* up to date, if one does."""
    entry, reason = staleness(workspace, fingerprints, entries, name, inputs, today)
    logger.debug("%s: %s", name, "up to date" if entry else f"out of date: {reason}")
    return entry


def staleness(
    workspace: Workspace,
    fingerprints: Fingerprinter,
    entries: list[Entry],
    name: str,
    inputs: JobInputs,
    today: datetime.date,
) -> tuple[Entry | None, str]:
    """Return the entry that proves job *name* up to date, or None and why it is not."""
    config = workspace.config
    output_dir = str(config.output_dir)
    reason = "never built"
    for entry in entries:
        if entry.next_review and entry.next_review < today.isoformat():
            # Overdue now: it must be blocked, or rebuilt with the overdue mark.
            reason = "overdue for review"
            continue
        expected = config.output_name(
            condition=entry.condition,
            lang=entry.lang,
            template=entry.template,
            version=entry.version,
            variant=entry.variant,
        )
        if entry.file != expected:
            reason = "the file name pattern changed"
            continue
        try:
            size = os.stat(os.path.join(output_dir, entry.file)).st_size
        except OSError:
            reason = f"{entry.file} is missing"
            continue
        if size != entry.size:
            reason = f"{entry.file} was changed"
            continue
        resources = fingerprints.current_resources(entry.resources)
        if fingerprints.fingerprint(name, inputs, resources) == entry.fingerprint:
            return entry, ""
        reason = "an input changed"
    return None, reason
