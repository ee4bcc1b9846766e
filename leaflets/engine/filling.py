"""Fill a job's template with its condition's content: the HTML its PDF is rendered from."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..config import CONFIG_NAME
from ..exceptions import FontError
from ..workspace import Workspace, content_languages

if TYPE_CHECKING:
    from ..content.model import Condition
    from .loading import Project
    from .planning import Job


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
    from .glyphs import check_html, coverage, font_files, missing_characters, printed_text

    workspace = project.workspace
    if project.fonts is None:
        trusted = workspace.trusted_roots()
        project.fonts = font_files(stylesheets(workspace).values(), trusted=trusted)
    if not missing_characters(printed_text(html), coverage(project.fonts)):
        # The usual case, checked first: finding the files a missing
        # character may come from costs more than the check itself.
        return
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
