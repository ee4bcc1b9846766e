"""Plan, check and build leaflets: find what is out of date, validate it, then write PDFs.

A build goes in three steps:

1. Survey: fingerprint every selected output from its inputs' bytes (see
   fingerprint.py) and compare with the manifest. This needs neither Jinja,
   YAML, Markdown nor WeasyPrint, so a build with nothing to do is nearly free.
2. Load and validate the conditions, catalogs and templates that the out of
   date outputs need (phase one), and fill their templates.
3. Render the PDFs in worker processes, recording each in the manifest.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime
import itertools
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import CONFIG_NAME, STANDARD, TEMPLATES, VARIANTS, unsafe_name
from ..exceptions import FontError, LeafletsError, Problem, TemplateError, display_path
from ..output import locked_folder
from ..workspace import Workspace, content_languages
from .fingerprint import MISSING, Fingerprinter, JobInputs
from .manifest import MANIFEST_NAME, Entry, Manifest, job_name

if TYPE_CHECKING:
    import jinja2

    from ..content.model import Condition
    from ..i18n import LoadedCatalog
    from .workers import Result

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
class Project:
    """Everything loaded and validated in the first phase, ready to render."""

    workspace: Workspace
    languages: tuple[str, ...]
    templates: tuple[str, ...]
    conditions: list[Condition]
    variants: tuple[str, ...] = (STANDARD,)
    catalogs: dict[str, LoadedCatalog] = field(default_factory=dict)
    environments: dict[str, jinja2.Environment] = field(default_factory=dict)
    compiled: dict[tuple[str, str], jinja2.Template] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    broken_languages: dict[str, str] = field(default_factory=dict)
    broken_templates: dict[str, str] = field(default_factory=dict)
    #: Build conditions with TODO placeholders, marked as drafts on every page.
    allow_drafts: bool = False
    #: The font files the stylesheets declare, found on first use.
    fonts: list[Path] | None = None
    #: The day review dates are compared with, and whether overdue content may be built.
    today: datetime.date = field(default_factory=datetime.date.today)
    allow_overdue: bool = False

    @property
    def errors(self) -> list[Problem]:
        """Return every error found in the first phase."""
        return [problem for problem in self.all_problems() if problem.is_error]

    def all_problems(self) -> list[Problem]:
        """Return every error and warning, configuration first, then by condition."""
        problems = [*self.problems]
        for condition in self.conditions:
            problems.extend(condition.problems)
        return problems


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


def _select(name: str, chosen: Iterable[str] | None, available: tuple[str, ...]) -> tuple[str, ...]:
    chosen = tuple(chosen or ())
    unknown = [value for value in chosen if value not in available]
    if unknown:
        raise LeafletsError(
            f"unknown {name} {unknown[0]!r} (expected one of: {', '.join(available)})"
        )
    return chosen or available


def select_variants(workspace: Workspace, chosen: Iterable[str] | None) -> tuple[str, ...]:
    """Return the print variants to build: *chosen* (any known one), else the configured ones."""
    chosen = tuple(dict.fromkeys(chosen or ()))
    unknown = [value for value in chosen if value not in VARIANTS]
    if unknown:
        raise LeafletsError(
            f"unknown variant {unknown[0]!r} (expected one of: {', '.join(VARIANTS)})"
        )
    return chosen or workspace.config.variants


def load_project(
    workspace: Workspace,
    *,
    conditions: Iterable[str] | None = None,
    languages: Iterable[str] | None = None,
    templates: Iterable[str] | None = None,
    today: datetime.date | None = None,
    allow_overdue: bool = False,
    variants: Iterable[str] | None = None,
    allow_drafts: bool = False,
    allow_untranslated: bool = False,
) -> Project:
    """Load and validate configuration, catalogs, templates and data (phase one).

    *allow_drafts* lets conditions with TODO placeholders be built (marked as
    drafts); *allow_untranslated* lets a language whose catalog lacks
    translations be built (with English template text).

    Review dates are compared with *today* (default: the date now); overdue
    content is an error unless *allow_overdue*.
    """
    # Imported here: a build with nothing to do never needs them.
    from ..content.conditions import load_conditions
    from ..content.review import add_review_problems, resolve_today
    from ..i18n import load_catalog, message_ids
    from .templating import compile_template, make_environment

    config = workspace.config
    root = config.root
    chosen_languages = _select("language", languages, config.languages)
    chosen_templates = _select("template", templates, config.templates)
    loaded, problems = load_conditions(
        config.data_dir,
        root=root,
        languages=chosen_languages,
        only=tuple(conditions or ()),
        source_language=config.source_language,
    )
    project = Project(
        workspace=workspace,
        languages=chosen_languages,
        templates=chosen_templates,
        conditions=loaded,
        variants=select_variants(workspace, variants),
        problems=problems,
        allow_drafts=allow_drafts,
        today=resolve_today(today),
        allow_overdue=allow_overdue,
    )
    add_review_problems(
        loaded,
        root=root,
        today=project.today,
        warn_days=config.review_warn_days,
        allow_overdue=allow_overdue,
    )
    template_dirs = workspace.search_path("templates")
    expected = message_ids(template_dirs, trusted=workspace.trusted_roots())
    for lang in chosen_languages:
        try:
            catalog = load_catalog(
                workspace.search_path("locales"),
                lang,
                root=root,
                expected=expected,
                allow_untranslated=allow_untranslated,
            )
        except LeafletsError as error:
            project.problems.extend(error.problems)
            project.broken_languages[lang] = str(error)
            continue
        project.catalogs[lang] = catalog
        project.problems.extend(catalog.warnings)
        project.environments[lang] = make_environment(
            template_dirs,
            catalog,
            date_locale=config.locale_for(lang),
            trusted=workspace.trusted_roots(),
        )
    for name in chosen_templates:
        for lang, env in project.environments.items():
            try:
                project.compiled[name, lang] = compile_template(
                    env, TEMPLATES[name]["file"], root=root
                )
            except TemplateError as error:
                project.problems.extend(error.problems)
                project.broken_templates[name] = str(error)
                break
    return project


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
        return "skipped", _no_content(condition.folder, lang, root)
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


def _no_content(folder: Path, lang: str, root: Path) -> str:
    return f"no content in {lang!r} ({display_path(folder / f'{lang}.md', root)})"


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


def stylesheets(workspace: Workspace) -> dict[str, Path]:
    """Return the stylesheets templates can link to by name, the workspace's first."""
    found: dict[str, Path] = {}
    for folder in reversed(workspace.search_path("styles")):
        for css in sorted(folder.glob("*.css")):
            found[css.name] = css
    return found


def render_html(project: Project, job: Job) -> str:
    """Fill the template of *job* with its condition's content.

    Raise FontError when the bundled fonts cannot print a character of it:
    every output goes through here, in check and in build, before rendering.
    """
    from ..i18n import language_name, text_direction
    from .templating import OtherLanguage, make_context, overdue_mark, page_mark, render

    workspace = project.workspace
    config = workspace.config
    condition = next(c for c in project.conditions if c.slug == job.condition)
    assert condition.metadata is not None
    marks: list[str] = []
    if condition.overdue is not None and condition.metadata.next_review is not None:
        # Only reached with allow_overdue: otherwise plan() blocks the job.
        since = condition.metadata.next_review
        marks.append(overdue_mark(project.environments[job.lang], since, root=config.root))
    if condition.placeholders:
        # Only reached with allow_drafts: otherwise plan() skips the job.
        marks.append(page_mark(project.environments[job.lang], "draft", root=config.root))
    context = make_context(
        lang=job.lang,
        text_dir=text_direction(job.lang),
        kind=job.template,
        clinic=config.clinic,
        condition=condition.metadata,
        content=condition.contents[job.lang],
        paper=config.paper,
        style_urls={name: path.as_uri() for name, path in stylesheets(workspace).items()},
        variant=job.variant,
        large_print_size=config.large_print_size,
        # What exists for this condition, whatever this build selected: the
        # configured languages it has content in, and the configured variants.
        other_languages=tuple(
            OtherLanguage(lang, language_name(lang), text_direction(lang))
            for lang in content_languages(condition.folder, config.languages)
            if lang != job.lang
        ),
        other_variants=tuple(v for v in config.variants if v != job.variant),
        page_marks=tuple(marks),
    )
    html = render(project.compiled[job.template, job.lang], context, root=config.root)
    _check_glyphs(project, job, condition, html)
    return html


def _check_glyphs(project: Project, job: Job, condition: Condition, html: str) -> None:
    """Raise FontError naming each character of *html* the bundled fonts lack."""
    from .glyphs import check_html, font_files

    workspace = project.workspace
    trusted = workspace.trusted_roots()
    if project.fonts is None:
        project.fonts = font_files(stylesheets(workspace).values(), trusted=trusted)
    catalog = project.catalogs[job.lang].path
    candidates = [
        condition.contents[job.lang].path,
        condition.folder / "condition.yaml",
        *([catalog] if catalog else []),
        workspace.config.root / CONFIG_NAME,
        *(
            path
            for folder in workspace.search_path("templates")
            for path in sorted(folder.glob("*.html"))
        ),
    ]
    sources = [path for path in candidates if workspace.is_trusted(path)]
    problems = check_html(
        html, fonts=project.fonts, sources=sources, root=workspace.root, name=job.name
    )
    if problems:
        raise FontError(problems=problems)


@dataclass
class _Survey:
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
    today = resolve_today(today)
    config = workspace.config
    chosen_languages = _select("language", languages, config.languages)
    chosen_templates = _select("template", templates, config.templates)
    chosen_variants = select_variants(workspace, variants)
    wanted = tuple(conditions or ())
    notify = on_outcome or (lambda outcome: None)
    fingerprints = Fingerprinter(workspace, stylesheets=stylesheets(workspace))
    report = BuildReport(outcomes=[], problems=[], strict=strict)

    shown = display_path(config.output_dir, config.root)

    def waiting() -> None:
        logger.warning("waiting for another build of %s/ to finish…", shown)

    # One build at a time per output folder; the manifest is read once the
    # lock is held, so a build that waited adds to what the other recorded.
    with (
        locked_folder(config.output_dir, on_wait=waiting, shown=shown),
        Manifest.load(config.output_dir) as manifest,
    ):
        survey = _survey(
            workspace,
            manifest,
            fingerprints,
            wanted=wanted,
            languages=chosen_languages,
            templates=chosen_templates,
            variants=chosen_variants,
            force=force,
            today=today,
        )
        if strict:
            # Validate everything selected, not only what is out of date.
            survey.to_load.update(wanted or survey.folders)
        if survey.stale:
            from . import workers

            jobs = jobs or workers.cpu_count()
            if min(jobs, len(survey.stale)) > 1:
                workers.warm_up()  # WeasyPrint loads in the fork server while we parse.
        report.outcomes.extend(survey.unchanged)
        for outcome in survey.unchanged:
            for warning in outcome.warnings:
                logger.warning("%s: %s", outcome.job.name, warning)
            notify(outcome)

        to_render, blocked, project = _load_and_plan(
            workspace,
            survey,
            wanted=wanted,
            languages=chosen_languages,
            templates=chosen_templates,
            variants=chosen_variants,
            full=strict or not config.data_dir.is_dir(),
            allow_drafts=allow_drafts,
            allow_untranslated=allow_untranslated,
            today=today,
            allow_overdue=allow_overdue,
        )
        if project is not None:
            report.problems = project.all_problems()
        for outcome in blocked:
            report.outcomes.append(outcome)
            notify(outcome)

        if to_render:
            assert project is not None and jobs is not None
            _render(
                project,
                to_render,
                survey=survey,
                manifest=manifest,
                fingerprints=fingerprints,
                jobs=jobs,
                report=report,
                on_start=on_start,
                notify=notify,
            )
        elif on_start is not None:
            on_start(0)
        if config.data_dir.is_dir():
            for outcome in _obsolete(
                workspace, manifest, survey.folders, report, clean=clean, variants=chosen_variants
            ):
                report.outcomes.append(outcome)
                notify(outcome)

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
    return report


def _condition_folders(data_dir: Path) -> dict[str, Path]:
    """Return the condition folders under *data_dir*, as conditions.load_conditions finds them."""
    if not data_dir.is_dir():
        return {}
    return {
        path.name: path
        for path in sorted(data_dir.iterdir())
        if path.is_dir() and not path.name.startswith((".", "_"))
    }


def _survey(
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
) -> _Survey:
    """Sort the selected jobs into up to date, out of date, and without content."""
    config = workspace.config
    survey = _Survey(folders=_condition_folders(config.data_dir))
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
    entry, reason = _staleness(workspace, fingerprints, entries, name, inputs, today)
    logger.debug("%s: %s", name, "up to date" if entry else f"out of date: {reason}")
    return entry


def _staleness(
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
    chosen_languages = _select("language", languages, config.languages)
    chosen_templates = _select("template", templates, config.templates)
    chosen_variants = select_variants(workspace, variants)
    wanted = tuple(conditions or ())
    folders = _condition_folders(config.data_dir)
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
                    found.append(Status(job, False, _no_content(folders[slug], lang, config.root)))
                    continue
                entry, reason = _staleness(
                    workspace, fingerprints, recorded.get(name, []), name, inputs, today
                )
                if entry is not None:
                    job = Job(slug, lang, template, config.output_dir / entry.file, variant)
                found.append(Status(job, entry is not None, reason, entry))
    return found


def _load_and_plan(
    workspace: Workspace,
    survey: _Survey,
    *,
    wanted: tuple[str, ...],
    languages: tuple[str, ...],
    templates: tuple[str, ...],
    variants: tuple[str, ...],
    full: bool,
    allow_drafts: bool = False,
    allow_untranslated: bool = False,
    today: datetime.date,
    allow_overdue: bool,
) -> tuple[list[Job], list[Outcome], Project | None]:
    """Load what the out-of-date jobs need; return the jobs to render and those blocked."""
    config = workspace.config
    loaded = survey.to_load
    # Absent jobs of conditions left unloaded are up to date in all else.
    blocked = [
        Outcome(
            Job(
                slug,
                lang,
                template,
                config.output_dir
                / config.output_name(
                    condition=slug,
                    lang=lang,
                    template=template,
                    version=survey.versions.get(slug, ""),
                    variant=variant,
                ),
                variant,
            ),
            "skipped",
            _no_content(survey.folders[slug], lang, config.root),
        )
        for slug, lang, template, variant in survey.absent.values()
        if slug not in loaded and not full
    ]
    if not loaded and not full:
        return [], blocked, None
    todo = {
        name: job
        for name, job in [*survey.stale.items(), *survey.absent.items()]
        if full or job[0] in loaded
    }
    needed_languages = {job[1] for job in todo.values()}
    needed_templates = {job[2] for job in todo.values()}
    needed_variants = {job[3] for job in todo.values()}
    project = load_project(
        workspace,
        # A full load of everything takes no condition names at all.
        conditions=None if full and not wanted else sorted(loaded),
        languages=[lang for lang in languages if lang in needed_languages] or languages,
        templates=[name for name in templates if name in needed_templates] or templates,
        today=today,
        allow_overdue=allow_overdue,
        variants=[name for name in variants if name in needed_variants] or variants,
        allow_drafts=allow_drafts,
        allow_untranslated=allow_untranslated,
    )
    jobs, skipped = plan(project)
    blocked.extend(outcome for outcome in skipped if outcome.job.name in todo)
    taken = {outcome.job.output: outcome.job for outcome in survey.unchanged}
    to_render = []
    for job in jobs:
        # Only jobs fingerprinted in the survey: a content file that appeared
        # since then is left to the next build, which will hash it first.
        if job.name not in survey.stale:
            continue
        other = taken.get(job.output)
        if other is not None and other.name != job.name:
            reason = f"same output file as {other.name}: {job.output.name}"
            blocked.append(Outcome(job, "failed", reason))
            continue
        to_render.append(job)
    return to_render, blocked, project


def _render(
    project: Project,
    to_render: list[Job],
    *,
    survey: _Survey,
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
    base_url = workspace.root.as_uri() + "/"
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
    # Fill every template before writing any PDF: an error in a template
    # shows up before the batch starts.
    tasks: list[workers.Task] = []
    rendered_jobs: list[Job] = []
    for job in to_render:
        try:
            html = render_html(project, job)
        except LeafletsError as error:
            outcome = Outcome(job, "failed", str(error))
            report.outcomes.append(outcome)
            notify(outcome)
            continue
        tasks.append(
            workers.Task(job.name, html, base_url, job.output, epochs.get(job.condition, 0))
        )
        rendered_jobs.append(job)
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
    survey: _Survey,
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


def _obsolete(
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
