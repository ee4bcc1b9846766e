"""Phase one of a build: load and validate configuration, catalogs, templates and data.

Nothing here writes an output. What is derived from an input file and costs
more than hashing it (a parsed content file, the templates' messages) can be
kept between builds in a DerivedCache (see cache.py); the entries it gathers
are written only once the build writes its outputs.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import STANDARD, TEMPLATES, VARIANTS
from ..exceptions import LeafletsError, Problem, TemplateError
from ..workspace import Workspace
from .cache import DerivedCache, key_of

if TYPE_CHECKING:
    import jinja2

    from ..content.conditions import ParsedContent
    from ..content.model import Condition, Content
    from ..i18n import LoadedCatalog


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
    #: Where parsed inputs are kept between builds (None: not kept).
    cache: DerivedCache | None = None

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


def select(name: str, chosen: Iterable[str] | None, available: tuple[str, ...]) -> tuple[str, ...]:
    """Return the *chosen* values (all *available* when none is); refuse an unknown one."""
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


def open_cache(workspace: Workspace) -> DerivedCache:
    """Return the cache of parsed inputs in *workspace*'s output folder."""
    from .cache import salt
    from .fingerprint import installed_versions

    libraries = installed_versions(("pyyaml", "markdown-it-py", "markupsafe", "babel", "jinja2"))
    return DerivedCache(workspace.config.output_dir, salt=salt(libraries))


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
    cache: DerivedCache | None = None,
) -> Project:
    """Load and validate configuration, catalogs, templates and data (phase one).

    *allow_drafts* lets conditions with TODO placeholders be built (marked as
    drafts); *allow_untranslated* lets a language whose catalog lacks
    translations be built (with English template text).

    Review dates are compared with *today* (default: the date now); overdue
    content is an error unless *allow_overdue*. *cache* keeps parsed content
    files and the templates' messages between builds (see cache.py).
    """
    # Imported here: a build with nothing to do never needs them.
    from ..content.conditions import load_conditions
    from ..content.review import add_review_problems, resolve_today

    config = workspace.config
    chosen_languages = select("language", languages, config.languages)
    loaded, problems = load_conditions(
        config.data_dir,
        root=config.root,
        languages=chosen_languages,
        only=tuple(conditions or ()),
        source_language=config.source_language,
        cache=_ContentFiles(cache, config.root) if cache is not None else None,
    )
    project = Project(
        workspace=workspace,
        languages=chosen_languages,
        templates=select("template", templates, config.templates),
        conditions=loaded,
        variants=select_variants(workspace, variants),
        problems=problems,
        allow_drafts=allow_drafts,
        today=resolve_today(today),
        allow_overdue=allow_overdue,
        cache=cache,
    )
    add_review_problems(
        loaded,
        root=config.root,
        today=project.today,
        warn_days=config.review_warn_days,
        allow_overdue=allow_overdue,
    )
    _load_catalogs(project, allow_untranslated=allow_untranslated)
    _compile_templates(project)
    return project


def _load_catalogs(project: Project, *, allow_untranslated: bool) -> None:
    """Load each language's catalog and make its template environment."""
    from ..i18n import load_catalog
    from .templating import make_environment

    workspace = project.workspace
    config = workspace.config
    template_dirs = workspace.search_path("templates")
    expected = expected_messages(workspace, project.cache)
    for lang in project.languages:
        try:
            catalog = load_catalog(
                workspace.search_path("locales"),
                lang,
                root=config.root,
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


def _compile_templates(project: Project) -> None:
    """Compile each selected template in each language; note those that are broken."""
    from .templating import compile_template

    root = project.workspace.config.root
    for name in project.templates:
        for lang, env in project.environments.items():
            try:
                project.compiled[name, lang] = compile_template(
                    env, TEMPLATES[name]["file"], root=root
                )
            except TemplateError as error:
                project.problems.extend(error.problems)
                project.broken_templates[name] = str(error)
                break


def expected_messages(workspace: Workspace, cache: DerivedCache | None) -> set[str]:
    """Return the ids of the messages the leaflet templates use, from *cache* when it has them.

    Extracting them costs Babel's Jinja lexer over every template, about as
    long as loading a dozen conditions; hashing the templates costs nothing.
    """
    from ..i18n import message_ids, template_sources

    template_dirs = workspace.search_path("templates")
    trusted = workspace.trusted_roots()
    sources = template_sources(template_dirs, trusted=trusted)
    if cache is None:
        return message_ids(template_dirs, sources=sources)
    key = key_of(*(part for shown, data in sources for part in (shown, data)))
    found = cache.get("messages", "templates", key, _strings)
    if found is not None:
        return found
    expected = message_ids(template_dirs, sources=sources)
    cache.put("messages", "templates", key, sorted(expected))
    return expected


class _ContentFiles:
    """Keep parsed content files in a DerivedCache (the ContentCache of content/conditions.py)."""

    def __init__(self, cache: DerivedCache, root: Path) -> None:
        self.cache = cache
        self.root = str(root)

    def content(
        self, path: Path, text: str, lang: str, parse: Callable[[], ParsedContent]
    ) -> ParsedContent:
        """Return what *parse* returns for *text*, from the cache when it was parsed before."""
        if "![" in text:
            # An image makes the result depend on another file (whether it
            # exists, whether it is a readable image): parse it every time.
            return parse()
        name = str(path)
        key = key_of(self.root, name, lang, text)
        found = self.cache.get("content", name, key, lambda value: _decode(value, path))
        if found is not None:
            return found
        parsed = parse()
        self.cache.put("content", name, key, _encode(parsed))
        return parsed


def _strings(value: Any) -> set[str]:
    """Return *value*, a list of message ids, as a set."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError("not a list of message ids")
    return set(value)


def _problem_json(problem: Problem) -> list[Any]:
    return [
        problem.path,
        problem.line,
        problem.field,
        problem.message,
        problem.severity,
        problem.draft,
    ]


def _problem(value: list[Any]) -> Problem:
    path, line, field_name, message, severity, draft = value
    if not all(isinstance(text, str) for text in (path, message, severity)):
        raise TypeError("not a problem")
    return Problem(path, line, field_name, message, severity=severity, draft=bool(draft))


def _encode(parsed: ParsedContent) -> dict[str, Any]:
    """Return a parsed content file as JSON values."""
    content, problems, readability = parsed
    return {
        "content": None if content is None else _content_json(content),
        "problems": [_problem_json(problem) for problem in problems],
        "readability": None if readability is None else _problem_json(readability),
    }


def _content_json(content: Content) -> dict[str, Any]:
    origin = content.translated_from
    return {
        "lang": content.lang,
        "title": content.title,
        "summary": str(content.summary),
        "key_points": [str(point) for point in content.key_points],
        "next_steps": [str(step) for step in content.next_steps],
        "sections": [[s.key, str(s.html), s.line] for s in content.sections.values()],
        "hashes": content.hashes,
        "translated_from": None
        if origin is None
        else [origin.lang, origin.version, origin.sha256, origin.sections, origin.line],
    }


def _decode(value: dict[str, Any], path: Path) -> ParsedContent:
    """Return the parsed content file that _encode() turned into *value*."""
    from markupsafe import Markup

    from ..content.model import Content, Section, TranslatedFrom

    data = value["content"]
    content = None
    if data is not None:
        origin = data["translated_from"]
        content = Content(
            lang=str(data["lang"]),
            path=path,
            title=str(data["title"]),
            summary=Markup(data["summary"]),
            key_points=tuple(Markup(point) for point in data["key_points"]),
            next_steps=tuple(Markup(step) for step in data["next_steps"]),
            sections={
                key: Section(key=key, html=Markup(html), line=int(line))
                for key, html, line in data["sections"]
            },
            hashes=dict(data["hashes"]),
            translated_from=None if origin is None else TranslatedFrom(*origin),
        )
    readability = value["readability"]
    return (
        content,
        [_problem(problem) for problem in value["problems"]],
        None if readability is None else _problem(readability),
    )
