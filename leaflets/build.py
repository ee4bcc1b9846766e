"""Plan, check and build leaflets: load and validate everything first, then write PDFs."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from .conditions import Condition, load_conditions
from .config import TEMPLATES
from .exceptions import CatalogError, LeafletsError, Problem, TemplateError, display_path
from .i18n import LoadedCatalog, load_catalog, message_ids, text_direction
from .templating import compile_template, make_context, make_environment, render
from .workspace import Workspace

if TYPE_CHECKING:
    from .rendering import Renderer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One output to build: a condition, in a language, through a template."""

    condition: str
    lang: str
    template: str
    output: Path

    @property
    def name(self) -> str:
        """Return a short label such as ``hemifacial-spasm.it.leaflet``."""
        return f"{self.condition}.{self.lang}.{self.template}"


@dataclass(frozen=True)
class Outcome:
    """What happened to one job."""

    job: Job
    status: str  # "built", "failed" or "skipped"
    reason: str = ""
    pages: int = 0
    size: int = 0
    warnings: tuple[str, ...] = ()


@dataclass
class Project:
    """Everything loaded and validated in the first phase, ready to render."""

    workspace: Workspace
    languages: tuple[str, ...]
    templates: tuple[str, ...]
    conditions: list[Condition]
    catalogs: dict[str, LoadedCatalog] = field(default_factory=dict)
    environments: dict[str, jinja2.Environment] = field(default_factory=dict)
    compiled: dict[tuple[str, str], jinja2.Template] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    broken_languages: dict[str, str] = field(default_factory=dict)
    broken_templates: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        """Return every error found in the first phase."""
        problems = [*self.problems]
        for condition in self.conditions:
            problems.extend(condition.problems)
        return [problem for problem in problems if problem.is_error]

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

    def count(self, status: str) -> int:
        """Return how many jobs ended with *status*."""
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def warnings(self) -> int:
        """Return how many warnings the data and the rendering produced."""
        return sum(1 for problem in self.problems if not problem.is_error) + sum(
            len(outcome.warnings) for outcome in self.outcomes
        )

    @property
    def ok(self) -> bool:
        """Tell whether the build succeeded (and, when strict, had no warning)."""
        failed = self.count("failed") or any(problem.is_error for problem in self.problems)
        return not failed and not (self.strict and self.warnings)


def _select(name: str, chosen: Iterable[str] | None, available: tuple[str, ...]) -> tuple[str, ...]:
    chosen = tuple(chosen or ())
    unknown = [value for value in chosen if value not in available]
    if unknown:
        raise LeafletsError(
            f"unknown {name} {unknown[0]!r} (expected one of: {', '.join(available)})"
        )
    return chosen or available


def load_project(
    workspace: Workspace,
    *,
    conditions: Iterable[str] | None = None,
    languages: Iterable[str] | None = None,
    templates: Iterable[str] | None = None,
) -> Project:
    """Load and validate configuration, catalogs, templates and data (phase one)."""
    config = workspace.config
    root = config.root
    chosen_languages = _select("language", languages, config.languages)
    chosen_templates = _select("template", templates, config.templates)
    loaded, problems = load_conditions(
        config.data_dir,
        root=root,
        languages=chosen_languages,
        only=tuple(conditions or ()),
    )
    project = Project(
        workspace=workspace,
        languages=chosen_languages,
        templates=chosen_templates,
        conditions=loaded,
        problems=problems,
    )
    template_dirs = workspace.search_path("templates")
    expected = message_ids(template_dirs)
    for lang in chosen_languages:
        try:
            catalog = load_catalog(
                workspace.search_path("locales"), lang, root=root, expected=expected
            )
        except CatalogError as error:
            project.problems.extend(error.problems)
            project.broken_languages[lang] = str(error)
            continue
        project.catalogs[lang] = catalog
        project.problems.extend(catalog.warnings)
        project.environments[lang] = make_environment(template_dirs, catalog)
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
                output = config.output_dir / config.output_name(
                    condition=condition.slug, lang=lang, template=template, version=version
                )
                job = Job(condition.slug, lang, template, output)
                reason = _blocker(project, condition, lang, template)
                if reason is None and output in seen:
                    reason = f"same output file as {seen[output].name}: {output.name}"
                if reason:
                    skipped.append(
                        Outcome(job, "skipped" if "no content" in reason else "failed", reason)
                    )
                    continue
                seen[output] = job
                jobs.append(job)
    return jobs, skipped


def _blocker(project: Project, condition: Condition, lang: str, template: str) -> str | None:
    """Return why one job cannot be built, or None."""
    root = project.workspace.root
    if condition.errors:
        first = condition.errors[0]
        more = len(condition.errors) - 1
        return f"invalid data: {first}" + (f" (and {more} more)" if more else "")
    if lang in project.broken_languages:
        return f"no usable catalog for {lang!r}"
    if template in project.broken_templates:
        return f"template {TEMPLATES[template]['file']!r} is broken"
    if lang not in condition.contents:
        return f"no content in {lang!r} ({display_path(condition.folder / f'{lang}.md', root)})"
    return None


def check(workspace: Workspace, **selection: Iterable[str] | None) -> list[Problem]:
    """Validate data, templates and catalogs without rendering; return every problem."""
    project = load_project(workspace, **selection)
    jobs, _ = plan(project)
    problems = project.all_problems()
    # Render the HTML of every job (cheap, no PDF) to catch template errors
    # that only show with real data, such as an undefined variable.
    for job in jobs:
        try:
            render_html(project, job)
        except TemplateError as error:
            problems.extend(problem for problem in error.problems if problem not in problems)
    return problems


def render_html(project: Project, job: Job) -> str:
    """Fill the template of *job* with its condition's content."""
    workspace = project.workspace
    config = workspace.config
    condition = next(c for c in project.conditions if c.slug == job.condition)
    assert condition.metadata is not None
    style_urls = {}
    for folder in reversed(workspace.search_path("styles")):
        for css in folder.glob("*.css"):
            style_urls[css.name] = css.as_uri()
    context = make_context(
        lang=job.lang,
        text_dir=text_direction(job.lang),
        kind=job.template,
        clinic=config.clinic,
        condition=condition.metadata,
        content=condition.contents[job.lang],
        paper=config.paper,
        style_urls=style_urls,
    )
    return render(project.compiled[job.template, job.lang], context, root=config.root)


def render_job(project: Project, job: Job, renderer: Renderer) -> Outcome:
    """Render one job to its output file; failures become a failed Outcome."""
    from .output import atomic_write

    try:
        html = render_html(project, job)
        rendered = renderer.render(
            html, base_url=project.workspace.root.as_uri() + "/", name=job.name
        )
    except LeafletsError as error:
        return Outcome(job, "failed", str(error))
    warnings = list(rendered.warnings)
    max_pages = TEMPLATES[job.template]["max_pages"]
    if rendered.pages > max_pages:
        message = (
            f"{rendered.pages} pages, more than the {max_pages} a "
            f"{TEMPLATES[job.template]['label']} may take"
        )
        logger.warning("%s: %s", job.name, message)
        warnings.append(message)
    try:
        atomic_write(job.output, rendered.pdf)
    except OSError as error:
        return Outcome(job, "failed", f"cannot write {job.output}: {error.strerror}")
    return Outcome(
        job, "built", pages=rendered.pages, size=len(rendered.pdf), warnings=tuple(warnings)
    )


def build(
    workspace: Workspace,
    *,
    conditions: Iterable[str] | None = None,
    languages: Iterable[str] | None = None,
    templates: Iterable[str] | None = None,
    strict: bool = False,
    on_outcome: object = None,
) -> BuildReport:
    """Build the selected leaflets; invalid inputs skip only the outputs they feed."""
    from .rendering import Renderer

    started = time.perf_counter()
    project = load_project(
        workspace, conditions=conditions, languages=languages, templates=templates
    )
    jobs, skipped = plan(project)
    report = BuildReport(outcomes=list(skipped), problems=project.all_problems(), strict=strict)
    if jobs:
        renderer = Renderer(
            allowed_roots=workspace.allowed_roots(), pdf_variant=workspace.config.pdf_variant
        )
        for job in jobs:
            outcome = render_job(project, job, renderer)
            report.outcomes.append(outcome)
            if callable(on_outcome):
                on_outcome(outcome)
    # Report in the planned order (condition, then the configured order of
    # languages and templates), whatever order the jobs finished in.
    report.outcomes.sort(
        key=lambda outcome: (
            outcome.job.condition,
            project.languages.index(outcome.job.lang),
            project.templates.index(outcome.job.template),
        )
    )
    report.elapsed = time.perf_counter() - started
    return report
