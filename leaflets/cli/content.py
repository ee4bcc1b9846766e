"""The commands that look after content: `review`, `import` and the `i18n` catalogs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..content.review import STATUSES
from ..exceptions import LeafletsError
from .options import handle_errors, open_library, print_problems, workspace_option

if TYPE_CHECKING:
    from ..workspace import Workspace


@click.command()
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@handle_errors
def review(workspace_path: Path | None, as_json: bool) -> None:
    """List every condition by next review date, with its owner and status.

    The status is "overdue" once next_review has passed, "due soon" within
    [review] warn_days of it (default 60), otherwise "ok". Exits 1 when a
    condition is overdue or its metadata is invalid.
    """
    import json

    from ..content.review import review_table

    workspace = open_library(workspace_path).workspace
    rows, problems = review_table(workspace)
    print_problems(problems)
    if as_json:
        click.echo(json.dumps([row.as_json() for row in rows], ensure_ascii=False, indent=2))
    else:
        width = max((len(row.condition) for row in rows), default=9)
        click.echo(f"{'next review':<11}  {'status':<8}  {'condition':<{width}}  owner")
        for row in rows:
            click.echo(
                f"{row.next_review.isoformat():<11}  {row.status:<8}  "
                f"{row.condition:<{width}}  {row.owner}"
            )
        counts = {status: sum(1 for row in rows if row.status == status) for status in STATUSES}
        click.echo(", ".join(f"{count} {status}" for status, count in counts.items()))
    if problems or any(row.status == "overdue" for row in rows):
        sys.exit(1)


@click.group()
def i18n() -> None:
    """Keep the translation catalogs of the templates up to date.

    Workflow: after changing template text run `leaflets i18n update`,
    translate the new entries in locales/<lang>/LC_MESSAGES/messages.po, and
    build (catalogs are compiled by the build; `compile` writes .mo files for
    other tools). A new language: `leaflets i18n init <lang>`.
    """


def locales_of(workspace: Workspace) -> Path:
    return Path(workspace.root) / "locales"


@i18n.command("update")
@workspace_option
@handle_errors
def i18n_update(workspace_path: Path | None) -> None:
    """Extract template messages into messages.pot and merge them into every .po."""
    from ..i18n import update_catalogs

    workspace = open_library(workspace_path).workspace
    for path in update_catalogs(
        locales_of(workspace), workspace.search_path("templates"), root=workspace.root
    ):
        click.echo(f"wrote    {path.relative_to(workspace.root)}")


@i18n.command("init")
@workspace_option
@click.argument("lang")
@handle_errors
def i18n_init(workspace_path: Path | None, lang: str) -> None:
    """Create the catalog for a new language LANG (then add it to leaflets.toml)."""
    from ..config import validate_language
    from ..i18n import init_catalog

    reason = validate_language(lang)
    if reason:
        raise LeafletsError(reason)
    workspace = open_library(workspace_path).workspace
    path = init_catalog(
        locales_of(workspace), lang, workspace.search_path("templates"), root=workspace.root
    )
    click.echo(f"wrote    {path.relative_to(workspace.root)}")


@i18n.command("compile")
@workspace_option
@handle_errors
def i18n_compile(workspace_path: Path | None) -> None:
    """Compile every .po catalog into a .mo file beside it."""
    from ..i18n import compile_catalogs

    workspace = open_library(workspace_path).workspace
    for path in compile_catalogs(locales_of(workspace), root=workspace.root):
        click.echo(f"wrote    {path.relative_to(workspace.root)}")


@i18n.command("mark-translated")
@workspace_option
@click.option("-c", "--condition", required=True, metavar="SLUG", help="The condition.")
@click.option("-l", "--lang", required=True, metavar="CODE", help="The translated file's language.")
@click.option(
    "--from",
    "source_lang",
    required=True,
    metavar="CODE",
    help="The language it was translated from.",
)
@handle_errors
def i18n_mark_translated(
    workspace_path: Path | None, condition: str, lang: str, source_lang: str
) -> None:
    """Record that data/SLUG/CODE.md is a finished translation of the source as it is now.

    Writes translated_from (the source language, the condition's version and
    a SHA-256 of each source section) into the file's front matter, leaving
    the rest of the file as it is. `check` and `list` then warn when the
    source changes, naming the sections that changed.
    """
    from ..content.marking import mark_translated
    from ..exceptions import display_path

    workspace = open_library(workspace_path).workspace
    marked = mark_translated(workspace, condition=condition, lang=lang, source_lang=source_lang)
    root = workspace.root
    click.echo(
        f"marked   {display_path(marked.path, root)} as translated from "
        f"{marked.source.name} version {marked.version} ({marked.parts} parts hashed)"
    )


@click.command("import")
@workspace_option
@click.argument("source")
# The choices are leaflets.importers.FORMATS, repeated so that `leaflets --help`
# does not import the HTML parsers; a test keeps the two in step.
@click.option(
    "-f",
    "--format",
    "source_format",
    type=click.Choice(["auto", "wordpress", "html", "text"]),
    default="auto",
    show_default=True,
    help="What SOURCE is; auto detects it.",
)
@click.option(
    "-l", "--lang", metavar="CODE", help="The page's language (default: what the page declares)."
)
@click.option(
    "--slug", metavar="SLUG", help="Condition folder to import into (default: made from the title)."
)
@click.option(
    "--encoding", metavar="NAME", help="Text encoding of SOURCE when it is not UTF-8 (e.g. cp1252)."
)
@click.option(
    "--force", is_flag=True, help="Replace existing files, keeping each old one as <name>.bak."
)
@click.option("-n", "--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@handle_errors
def import_command(
    workspace_path: Path | None,
    source: str,
    source_format: str,
    lang: str | None,
    slug: str | None,
    encoding: str | None,
    force: bool,
    dry_run: bool,
) -> None:
    """Turn a saved web page or article into a draft condition.

    SOURCE is a file (WordPress REST API JSON, an HTML page, or plain text)
    or - for standard input; pages are never downloaded. Writes
    data/<slug>/condition.yaml and data/<slug>/<lang>.md, or adds <lang>.md
    to an existing condition, and reports how headings were mapped to
    sections and what was left out.
    """
    from ..importers import import_page

    workspace = open_library(workspace_path).workspace
    report = import_page(
        workspace,
        source,
        source_format=source_format,
        lang=lang,
        slug=slug,
        encoding=encoding,
        force=force,
        dry_run=dry_run,
    )
    for line in [*report.lines(), *report.file_lines()]:
        click.echo(line)
    if not dry_run:
        click.echo(
            f"Next: edit the draft into plain language, then run `leaflets check -c {report.slug}`"
        )
