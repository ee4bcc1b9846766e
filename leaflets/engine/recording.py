"""Phases three and four of a build: render the PDFs, record each in the manifest, and
find the outputs nothing builds any more."""

from __future__ import annotations

import calendar
import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import STANDARD, TEMPLATES, VARIANTS, unsafe_name
from ..exceptions import LeafletsError, display_path
from ..workspace import Workspace
from .filling import render_html
from .fingerprint import Fingerprinter
from .manifest import MANIFEST_NAME, Entry, Manifest
from .planning import BuildReport, Job, Outcome, Survey

if TYPE_CHECKING:
    from . import preflight, workers
    from .loading import Project
    from .workers import Result

logger = logging.getLogger(__name__)


def render_and_record(
    project: Project,
    to_render: list[Job],
    *,
    survey: Survey,
    manifest: Manifest,
    fingerprints: Fingerprinter,
    jobs: int,
    report: BuildReport,
    on_start: Callable[[int], None] | None,
    notify: Callable[[Outcome], None],
) -> None:
    """Fill the templates of *to_render*, render the PDFs, and record each one built."""
    from . import workers

    workspace = project.workspace
    config = workspace.config
    versions = {
        condition.slug: condition.metadata.version
        for condition in project.conditions
        if condition.metadata
    }
    reviews = {
        condition.slug: condition.metadata.next_review.isoformat()
        for condition in project.conditions
        if condition.metadata and condition.metadata.next_review
    }
    # Fonts subset by fontTools carry this date, from the data, never the clock
    # (a draft whose review date is a placeholder gets 0, 1970-01-01).
    epochs = {
        condition.slug: calendar.timegm(condition.metadata.last_reviewed.timetuple())
        for condition in project.conditions
        if condition.metadata and condition.metadata.last_reviewed
    }
    drafts = {
        condition.slug: len(condition.placeholders)
        for condition in project.conditions
        if condition.placeholders
    }
    tasks, rendered_jobs = _fill(project, to_render, epochs, report, notify)
    _remove_leftovers(config.output_dir)
    if on_start is not None:
        on_start(len(tasks))
    settings = workers.Settings(
        allowed_roots=tuple(workspace.allowed_roots()),
        pdf_variant=config.pdf_variant,
        log_level=logging.getLogger("leaflets").getEffectiveLevel(),
    )
    report.workers = max(1, min(jobs, len(tasks))) if tasks else 0
    results = workers.render_all(tasks, settings=settings, jobs=jobs, render=workers.render_task)
    font_fallback = ""
    for job, result in zip(rendered_jobs, results, strict=True):
        report.peak_worker_rss = max(report.peak_worker_rss, result.peak_rss)
        font_fallback = font_fallback or result.font_fallback
        outcome = _record(
            job,
            result,
            manifest=manifest,
            fingerprints=fingerprints,
            survey=survey,
            version=versions.get(job.condition, ""),
            draft=drafts.get(job.condition, 0),
            next_review=reviews.get(job.condition, ""),
        )
        report.outcomes.append(outcome)
        notify(outcome)
    if font_fallback:
        logger.warning(FONT_FALLBACK_WARNING, font_fallback)


def _fill(
    project: Project,
    to_render: list[Job],
    epochs: dict[str, int],
    report: BuildReport,
    notify: Callable[[Outcome], None],
) -> tuple[list[workers.Task], list[Job]]:
    """Fill the template of every job; return the tasks to render and their jobs.

    Every template is filled before any PDF is written: an error in a
    template shows up before the batch starts. A job that fails here is
    added to *report* as failed.
    """
    from . import workers

    base_url = project.workspace.root.as_uri() + "/"
    tasks: list[workers.Task] = []
    jobs: list[Job] = []
    checks = Checks(project.workspace)
    for job in to_render:
        try:
            html = render_html(project, job)
        except LeafletsError as error:
            outcome = Outcome(job, "failed", str(error))
            report.outcomes.append(outcome)
            notify(outcome)
            continue
        tasks.append(
            workers.Task(
                job.name,
                html,
                base_url,
                job.output,
                epochs.get(job.condition, 0),
                rules=checks.rules(job),
                fit=checks.fit(job),
                shown=display_path(job.output, project.workspace.root),
            )
        )
        jobs.append(job)
    return tasks, jobs


class Checks:
    """What the preflight checks in each output of one workspace, and how handouts are fitted."""

    def __init__(self, workspace: Workspace) -> None:
        from .filling import stylesheets
        from .preflight import font_families

        self.config = workspace.config
        self.families = font_families(
            path for path in stylesheets(workspace).values() if workspace.is_trusted(path)
        )

    def rules(self, job: Job) -> preflight.Rules:
        """Return what the PDF of *job* must meet."""
        from .fitting import handout_pages
        from .preflight import LARGE_PRINT_MINIMUM, Rules

        handout = job.template == "handout"
        label = TEMPLATES[job.template]["label"]
        if job.variant != STANDARD:
            label = f"{label} in {VARIANTS[job.variant]['label']}"
        variant = self.config.pdf_variant
        return Rules(
            families=self.families,
            max_pages=handout_pages(job.variant) if handout else 0,
            budget_label=f"a {label}",
            shorten="the key points or the next steps" if handout else "",
            min_size=LARGE_PRINT_MINIMUM if job.variant != STANDARD else 0.0,
            tagged=variant.startswith("pdf/ua") or variant.endswith("a"),
        )

    def fit(self, job: Job) -> tuple[str, ...]:
        """Return the fitting steps of *job*: a handout's, none for a leaflet."""
        from .fitting import fitting_steps

        if job.template != "handout":
            return ()
        return fitting_steps(job.variant, self.config.large_print_size)


#: What a build says, once, when WeasyPrint subset the fonts with fontTools.
FONT_FALLBACK_WARNING = (
    "fonts were subset with fontTools instead of HarfBuzz: %s; the PDFs are bigger and "
    "slower to make (install it: `apt-get install libharfbuzz-subset0`, or run "
    "`./dev.sh setup`; `leaflets doctor` checks the setup)"
)


def _record(
    job: Job,
    result: Result,
    *,
    manifest: Manifest,
    fingerprints: Fingerprinter,
    survey: Survey,
    version: str,
    next_review: str,
    draft: int = 0,
) -> Outcome:
    """Turn a worker's result into an outcome, and record a built PDF in the manifest.

    *draft* is how many TODO placeholders its condition has (--allow-drafts).
    """
    if not result.ok:
        return Outcome(job, "failed", result.error)
    warnings = list(result.warnings)
    if draft:
        message = (
            f"a draft with {draft} TODO placeholder{'s' if draft > 1 else ''}, "
            "marked as such on every page"
        )
        logger.warning("%s: %s", job.name, message)
        warnings.append(message)
    config = fingerprints.workspace.config
    max_pages = config.page_limit(job.template, job.variant)
    if result.pages > max_pages:
        label = TEMPLATES[job.template]["label"]
        if job.variant != STANDARD:
            label = f"{label} in {VARIANTS[job.variant]['label']}"
        message = f"{result.pages} pages, more than the {max_pages} a {label} may take"
        logger.warning("%s: %s", job.name, message)
        warnings.append(message)
    resources = {fingerprints.display(str(path)): digest for path, digest in result.files}
    inputs = survey.inputs[job.name]
    manifest.record(
        Entry(
            file=job.output.name,
            condition=job.condition,
            lang=job.lang,
            template=job.template,
            version=version,
            # The inputs' hashes are the ones taken before phase one read
            # them: an edit made during the build makes the next one redo it.
            fingerprint=fingerprints.fingerprint(job.name, inputs, resources.items()),
            pages=result.pages,
            size=result.size,
            sha256=result.sha256,
            warnings=tuple(warnings),
            inputs=tuple(fingerprints.display(path) for path in inputs.paths),
            resources=tuple(sorted(resources)),
            next_review=next_review,
            variant=job.variant,
        )
    )
    return Outcome(job, "built", pages=result.pages, size=result.size, warnings=tuple(warnings))


def _remove_leftovers(output_dir: Path) -> None:
    """Delete the temporary files of writes a killed build left half-done."""
    if not output_dir.is_dir():
        return
    for pattern in (".*.pdf.*.tmp", f".{MANIFEST_NAME}.*.tmp"):
        for path in output_dir.glob(pattern):
            with contextlib.suppress(OSError):
                path.unlink()


def obsolete(
    workspace: Workspace,
    manifest: Manifest,
    folders: dict[str, Path],
    report: BuildReport,
    *,
    clean: bool,
    variants: tuple[str, ...],
) -> list[Outcome]:
    """Find recorded outputs that nothing builds any more; delete them when *clean*.

    Entries whose file was deleted by hand are dropped from the manifest.
    """
    config = workspace.config
    output_dir = str(config.output_dir)
    current = {
        outcome.job.name: outcome.job.output.name
        for outcome in report.outcomes
        if outcome.status in ("built", "unchanged")
    }
    outcomes = []
    for entry in list(manifest.entries.values()):
        if current.get(entry.name) == entry.file:
            continue  # Built or found up to date just now.
        if unsafe_name(entry.file):
            # Not a name leaflets writes: never touch what it points to.
            logger.warning("%s: ignoring a manifest entry that is not a file name", entry.name)
            manifest.forget(entry.file)
            continue
        if not os.path.exists(os.path.join(output_dir, entry.file)):
            manifest.forget(entry.file)
            continue
        # A variant chosen with --variant is kept while it is being built.
        built_variants = (*config.variants, *variants)
        reason = _why_obsolete(
            entry, config.languages, config.templates, built_variants, folders, current
        )
        if reason is None:
            continue
        path = config.output_dir / entry.file
        job = Job(entry.condition, entry.lang, entry.template, path, entry.variant)
        if not clean:
            outcomes.append(Outcome(job, "obsolete", reason))
            continue
        try:
            path.unlink()
        except OSError as error:
            outcomes.append(Outcome(job, "failed", f"cannot remove {path}: {error.strerror}"))
            continue
        manifest.forget(entry.file)
        outcomes.append(Outcome(job, "removed", reason))
    return outcomes


def _why_obsolete(
    entry: Entry,
    languages: tuple[str, ...],
    templates: tuple[str, ...],
    variants: tuple[str, ...],
    folders: dict[str, Path],
    current: dict[str, str],
) -> str | None:
    if entry.condition not in folders:
        return f"the condition {entry.condition!r} was removed"
    if entry.lang not in languages:
        return f"the language {entry.lang!r} is no longer built"
    if entry.template not in templates:
        return f"the template {entry.template!r} is no longer built"
    if entry.variant not in variants:
        return f"the variant {entry.variant!r} is no longer built"
    if not os.path.isfile(os.path.join(folders[entry.condition], f"{entry.lang}.md")):
        return f"{entry.condition} has no content in {entry.lang!r} any more"
    if current.get(entry.name, entry.file) != entry.file:
        return f"replaced by {current[entry.name]}"
    return None
