"""Plan, check and build leaflets: find what is out of date, validate it, then write PDFs.

A build goes in four phases, each in a module of its own:

1. Survey (planning.py): fingerprint every selected output from its inputs'
   bytes (see fingerprint.py) and compare with the manifest. This needs
   neither Jinja, YAML, Markdown nor WeasyPrint, so a build with nothing to
   do is nearly free.
2. Load and validate (loading.py) the conditions, catalogs and templates that
   the out-of-date outputs need, and plan which of them can be built
   (planning.py). Nothing is written before this phase is over.
3. Render (filling.py, recording.py): fill every template, then render the
   PDFs in worker processes (workers.py).
4. Record (recording.py): each PDF in the manifest as it comes, then find
   the outputs nothing builds any more.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from ..config import VARIANTS
from ..exceptions import FontError, Problem, TemplateError, display_path
from ..output import locked_folder
from ..workspace import Workspace
from .filling import render_html, stylesheets
from .fingerprint import MISSING, Fingerprinter
from .loading import Project, load_project, open_cache, select, select_variants
from .manifest import Entry, Manifest, job_name
from .planning import (
    DRAFT,
    STATUSES,
    BuildReport,
    Job,
    Outcome,
    Survey,
    condition_folders,
    no_content,
    plan,
    staleness,
    survey,
)
from .recording import FONT_FALLBACK_WARNING, obsolete, render_and_record

__all__ = [
    "DRAFT",
    "FONT_FALLBACK_WARNING",
    "STATUSES",
    "BuildReport",
    "Job",
    "Outcome",
    "Project",
    "Status",
    "build",
    "check",
    "load_project",
    "plan",
    "render_html",
    "select_variants",
    "statuses",
    "stylesheets",
]

logger = logging.getLogger(__name__)


def check(
    workspace: Workspace,
    *,
    conditions: Iterable[str] | None = None,
    languages: Iterable[str] | None = None,
    templates: Iterable[str] | None = None,
    variants: Iterable[str] | None = None,
    today: datetime.date | None = None,
) -> list[Problem]:
    """Validate data, templates and catalogs without rendering; return every problem.

    Review dates are compared with *today* (default: the date now).
    """
    # Drafts are reported as errors, and their HTML is filled all the same
    # (allow_drafts) so that a template error shows before anyone prints one.
    project = load_project(
        workspace,
        allow_drafts=True,
        conditions=conditions,
        languages=languages,
        templates=templates,
        variants=variants,
        today=today,
        # Read, never written: check writes nothing.
        cache=open_cache(workspace),
    )
    jobs, _ = plan(project)
    problems = project.all_problems()
    # Render the HTML of every job (cheap, no PDF) to catch template errors
    # that only show with real data, such as an undefined variable, and
    # characters the bundled fonts cannot print.
    for job in jobs:
        try:
            render_html(project, job)
        except (TemplateError, FontError) as error:
            problems.extend(problem for problem in error.problems if problem not in problems)
    return problems


@dataclass(frozen=True)
class _Selection:
    """What one build was asked for."""

    wanted: tuple[str, ...]
    languages: tuple[str, ...]
    templates: tuple[str, ...]
    variants: tuple[str, ...]
    today: datetime.date


def build(
    workspace: Workspace,
    *,
    conditions: Iterable[str] | None = None,
    languages: Iterable[str] | None = None,
    templates: Iterable[str] | None = None,
    variants: Iterable[str] | None = None,
    strict: bool = False,
    force: bool = False,
    clean: bool = False,
    jobs: int | None = None,
    allow_drafts: bool = False,
    allow_untranslated: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    today: datetime.date | None = None,
    allow_overdue: bool = False,
) -> BuildReport:
    """Build the selected leaflets that are out of date; invalid inputs skip only their outputs.

    *variants* are the print variants to build ("standard", "large-print";
    default: the configured ones). *force* rebuilds every selected output;
    *clean* deletes the outputs of conditions, languages, templates and
    variants that are gone; *jobs* is how many
    processes render (default: one per CPU). *allow_drafts* builds conditions
    that still have TODO placeholders, with a draft mark on every page
    (without it they are skipped); *allow_untranslated* builds languages whose
    catalog lacks translations. *strict* also validates the
    data of up-to-date outputs, and fails on any warning. *on_start* is
    called with the number of PDFs to render, *on_outcome* with each outcome.
    A condition whose next_review date is before *today* (default: the date
    now) is not built, unless *allow_overdue*: then every page of its PDFs
    says since when its review is overdue.

    Worker processes start as multiprocessing's forkserver starts them, so a
    script calling build() with more than one job must guard its entry point
    with ``if __name__ == "__main__":``.
    """
    from ..content.review import resolve_today

    started = time.perf_counter()
    config = workspace.config
    selection = _Selection(
        wanted=tuple(conditions or ()),
        languages=select("language", languages, config.languages),
        templates=select("template", templates, config.templates),
        variants=select_variants(workspace, variants),
        today=resolve_today(today),
    )
    notify = on_outcome or (lambda outcome: None)
    fingerprints = Fingerprinter(workspace, stylesheets=stylesheets(workspace))
    report = BuildReport(outcomes=[], problems=[], strict=strict)
    with _locked_manifest(workspace) as manifest:
        # 1. Survey: what is up to date, from the inputs' hashes alone.
        found = _survey(workspace, manifest, fingerprints, selection, force=force, strict=strict)
        if found.stale:
            jobs = _warm_up(jobs, len(found.stale))
        _add(report, found.unchanged, notify, log_warnings=True)
        # 2. Load and validate what the out-of-date outputs need, and plan.
        to_render, blocked, project = _load_and_plan(
            workspace,
            found,
            selection,
            full=strict or not config.data_dir.is_dir(),
            allow_drafts=allow_drafts,
            allow_untranslated=allow_untranslated,
            allow_overdue=allow_overdue,
        )
        if project is not None:
            report.problems = project.all_problems()
        _add(report, blocked, notify)
        # 3 and 4. Render, and record each PDF as it comes.
        _render(project, to_render, found, manifest, fingerprints, report, jobs, on_start, notify)
        if config.data_dir.is_dir():
            found_obsolete = obsolete(
                workspace, manifest, found.folders, report, clean=clean, variants=selection.variants
            )
            _add(report, found_obsolete, notify)
    _finish(report, workspace, manifest, started)
    return report


def _render(
    project: Project | None,
    to_render: list[Job],
    found: Survey,
    manifest: Manifest,
    fingerprints: Fingerprinter,
    report: BuildReport,
    jobs: int | None,
    on_start: Callable[[int], None] | None,
    notify: Callable[[Outcome], None],
) -> None:
    """Render and record *to_render* (phases three and four), then write the cache."""
    if to_render:
        assert project is not None and jobs is not None
        render_and_record(
            project,
            to_render,
            survey=found,
            manifest=manifest,
            fingerprints=fingerprints,
            jobs=jobs,
            report=report,
            on_start=on_start,
            notify=notify,
        )
    elif on_start is not None:
        on_start(0)
    if project is not None and project.cache is not None and (to_render or manifest.entries):
        # Only into a folder the build writes in: a build that fails in
        # phase one leaves nothing behind.
        project.cache.flush()


@contextlib.contextmanager
def _locked_manifest(workspace: Workspace) -> Iterator[Manifest]:
    """Hold the output folder's lock, and give its manifest, read once the lock is held.

    One build at a time per output folder: a build that waited adds to what
    the other recorded.
    """
    config = workspace.config
    shown = display_path(config.output_dir, config.root)

    def waiting() -> None:
        logger.warning("waiting for another build of %s/ to finish…", shown)

    with (
        locked_folder(config.output_dir, on_wait=waiting, shown=shown),
        Manifest.load(config.output_dir) as manifest,
    ):
        yield manifest


def _survey(
    workspace: Workspace,
    manifest: Manifest,
    fingerprints: Fingerprinter,
    selection: _Selection,
    *,
    force: bool,
    strict: bool,
) -> Survey:
    """Sort the selected outputs into up to date and out of date (phase one)."""
    found = survey(
        workspace,
        manifest,
        fingerprints,
        wanted=selection.wanted,
        languages=selection.languages,
        templates=selection.templates,
        variants=selection.variants,
        force=force,
        today=selection.today,
    )
    if strict:
        # Validate everything selected, not only what is out of date.
        found.to_load.update(selection.wanted or found.folders)
    return found


def _warm_up(jobs: int | None, stale: int) -> int:
    """Return how many processes render; start the fork server now when more than one will."""
    from . import workers

    jobs = jobs or workers.cpu_count()
    if min(jobs, stale) > 1:
        workers.warm_up()  # WeasyPrint loads in the fork server while we parse.
    return jobs


def _add(
    report: BuildReport,
    outcomes: Iterable[Outcome],
    notify: Callable[[Outcome], None],
    *,
    log_warnings: bool = False,
) -> None:
    """Add *outcomes* to *report*, telling *notify* of each (and logging their warnings)."""
    for outcome in outcomes:
        report.outcomes.append(outcome)
        if log_warnings:
            for warning in outcome.warnings:
                logger.warning("%s: %s", outcome.job.name, warning)
        notify(outcome)


def _finish(report: BuildReport, workspace: Workspace, manifest: Manifest, started: float) -> None:
    """Note a manifest that could not be saved, sort the outcomes, and time the build."""
    config = workspace.config
    if manifest.save_error is not None:
        report.problems.append(
            Problem(
                display_path(manifest.path, config.root),
                None,
                None,
                f"cannot be written ({manifest.save_error.strerror}); it is left as it was",
            )
        )
    lang_order = {lang: index for index, lang in enumerate(config.languages)}
    template_order = {name: index for index, name in enumerate(config.templates)}
    variant_order = {name: index for index, name in enumerate(VARIANTS)}
    # Report in the planned order (condition, then the configured order of
    # languages and templates, then variants), whatever order the jobs finished in.
    report.outcomes.sort(
        key=lambda outcome: (
            outcome.job.condition,
            lang_order.get(outcome.job.lang, len(lang_order)),
            outcome.job.lang,
            template_order.get(outcome.job.template, len(template_order)),
            outcome.job.template,
            variant_order.get(outcome.job.variant, len(variant_order)),
        )
    )
    report.elapsed = time.perf_counter() - started


def _load_and_plan(
    workspace: Workspace,
    found: Survey,
    selection: _Selection,
    *,
    full: bool,
    allow_drafts: bool,
    allow_untranslated: bool,
    allow_overdue: bool,
) -> tuple[list[Job], list[Outcome], Project | None]:
    """Load what the out-of-date jobs need; return the jobs to render and those blocked."""
    loaded = found.to_load
    blocked = [] if full else _absent_outcomes(workspace, found)
    if not loaded and not full:
        return [], blocked, None
    todo = {
        name: job
        for name, job in [*found.stale.items(), *found.absent.items()]
        if full or job[0] in loaded
    }

    def needed(chosen: tuple[str, ...], index: int) -> list[str]:
        # What the jobs to do need, or all that was chosen when there is none.
        wanted = {job[index] for job in todo.values()}
        return [value for value in chosen if value in wanted] or list(chosen)

    project = load_project(
        workspace,
        # A full load of everything takes no condition names at all.
        conditions=None if full and not selection.wanted else sorted(loaded),
        languages=needed(selection.languages, 1),
        templates=needed(selection.templates, 2),
        today=selection.today,
        allow_overdue=allow_overdue,
        variants=needed(selection.variants, 3),
        allow_drafts=allow_drafts,
        allow_untranslated=allow_untranslated,
        cache=open_cache(workspace),
    )
    jobs, skipped = plan(project)
    blocked.extend(outcome for outcome in skipped if outcome.job.name in todo)
    taken = {outcome.job.output: outcome.job for outcome in found.unchanged}
    to_render = []
    for job in jobs:
        # Only jobs fingerprinted in the survey: a content file that appeared
        # since then is left to the next build, which will hash it first.
        if job.name not in found.stale:
            continue
        other = taken.get(job.output)
        if other is not None and other.name != job.name:
            reason = f"same output file as {other.name}: {job.output.name}"
            blocked.append(Outcome(job, "failed", reason))
            continue
        to_render.append(job)
    return to_render, blocked, project


def _absent_outcomes(workspace: Workspace, found: Survey) -> list[Outcome]:
    """Return the outputs without content of conditions left unloaded, as skipped.

    They are up to date in all else: nothing needs loading to report them.
    """
    config = workspace.config
    outcomes = []
    for slug, lang, template, variant in found.absent.values():
        if slug in found.to_load:
            continue
        name = config.output_name(
            condition=slug,
            lang=lang,
            template=template,
            version=found.versions.get(slug, ""),
            variant=variant,
        )
        job = Job(slug, lang, template, config.output_dir / name, variant)
        outcomes.append(Outcome(job, "skipped", no_content(found.folders[slug], lang, config.root)))
    return outcomes


@dataclass(frozen=True)
class Status:
    """Whether one selected output is current and, when it is not, why."""

    job: Job
    current: bool
    reason: str = ""
    #: The manifest entry of a current output.
    entry: Entry | None = None


def statuses(
    workspace: Workspace,
    *,
    conditions: Iterable[str] | None = None,
    languages: Iterable[str] | None = None,
    templates: Iterable[str] | None = None,
    variants: Iterable[str] | None = None,
    today: datetime.date | None = None,
) -> list[Status]:
    """Tell which selected outputs are current, and why the others are not.

    Like a build's first step, this reads only the manifest and hashes the
    inputs: it loads no content and takes no lock, so it never waits for a
    build. A build running meanwhile may make an answer old, never wrong
    about a file it names: outputs are replaced atomically.
    """
    from ..content.review import resolve_today

    today = resolve_today(today)
    config = workspace.config
    chosen_languages = select("language", languages, config.languages)
    chosen_templates = select("template", templates, config.templates)
    chosen_variants = select_variants(workspace, variants)
    wanted = tuple(conditions or ())
    folders = condition_folders(config.data_dir)
    fingerprints = Fingerprinter(workspace, stylesheets=stylesheets(workspace))
    recorded = Manifest.load(config.output_dir).by_name()
    found: list[Status] = []
    for slug in wanted or tuple(folders):
        for lang in chosen_languages:
            for template, variant in itertools.product(chosen_templates, chosen_variants):
                name = job_name(slug, lang, template, variant)
                output = config.output_dir / config.output_name(
                    condition=slug, lang=lang, template=template, version="", variant=variant
                )
                job = Job(slug, lang, template, output, variant)
                if slug not in folders:
                    found.append(Status(job, False, "no such condition"))
                    continue
                inputs = fingerprints.inputs(str(folders[slug]), lang, template, variant)
                if fingerprints.digest(inputs.paths[1]) == MISSING:  # No <lang>.md.
                    found.append(Status(job, False, no_content(folders[slug], lang, config.root)))
                    continue
                entry, reason = staleness(
                    workspace, fingerprints, recorded.get(name, []), name, inputs, today
                )
                if entry is not None:
                    job = Job(slug, lang, template, config.output_dir / entry.file, variant)
                found.append(Status(job, entry is not None, reason, entry))
    return found
