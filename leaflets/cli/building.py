"""The commands that build and validate: `build`, `check` and `list`."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..config import DEFAULTS, PAPER_SIZES, PDF_VARIANTS, VARIANTS
from .options import (
    handle_errors,
    log,
    open_library,
    print_problems,
    with_selection,
    workspace_option,
)

if TYPE_CHECKING:
    from ..engine.library import BuildReport, Library


@click.command()
@workspace_option
@with_selection
@click.option(
    "--paper",
    type=click.Choice(list(PAPER_SIZES), case_sensitive=False),
    help=f"Paper size (default: from leaflets.toml, else {DEFAULTS['paper']}).",
)
@click.option(
    "--pdf-variant",
    type=click.Choice(PDF_VARIANTS),
    help=f"PDF flavour (default: from leaflets.toml, else {DEFAULTS['pdf_variant']}).",
)
@click.option(
    "-o",
    "--output",
    "output_dir",
    type=click.Path(file_okay=False),
    help="Output folder (default: from leaflets.toml, else build/).",
)
@click.option("--strict", is_flag=True, help="Fail when there is any warning.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Render N leaflets at a time (default: one per CPU).",
)
@click.option("--force", is_flag=True, help="Rebuild every selected output, even up-to-date ones.")
@click.option(
    "--clean",
    is_flag=True,
    help="Delete outputs of conditions, languages or templates that are gone.",
)
@click.option(
    "--allow-drafts",
    is_flag=True,
    help="Build conditions with TODO placeholders, marked as drafts on every page.",
)
@click.option(
    "--allow-untranslated",
    is_flag=True,
    help="Build languages whose catalog lacks translations (English template text).",
)
@click.option("--watch", is_flag=True, help="Keep running; rebuild after every change.")
@click.option(
    "--allow-overdue",
    is_flag=True,
    help="Build conditions past their review date, marking every page as overdue.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on one line.")
@click.pass_context
@handle_errors
def build(
    ctx: click.Context,
    workspace_path: Path | None,
    conditions: tuple[str, ...],
    languages: tuple[str, ...],
    templates: tuple[str, ...],
    variants: tuple[str, ...],
    paper: str | None,
    pdf_variant: str | None,
    output_dir: str | None,
    strict: bool,
    jobs: int | None,
    force: bool,
    clean: bool,
    allow_drafts: bool,
    allow_untranslated: bool,
    watch: bool,
    allow_overdue: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Build the PDF leaflets that are out of date into the output folder.

    An output is rebuilt when anything it is made from changed: its data
    files, the templates, styles, fonts and images it uses, its language's
    catalog, leaflets.toml or the leaflets version. manifest.json in the
    output folder lists every output built. What is rebuilt is validated
    first; a broken condition or language skips only the leaflets it feeds,
    and files already built are never left half-written. --strict validates
    all the data, up to date or not. A condition past its next_review date
    is not built unless --allow-overdue.

    A condition with TODO placeholders is a draft: it is skipped (and the
    build fails only if nothing else was built), unless --allow-drafts,
    which prints "DRAFT — not reviewed" on every page.
    """
    from .progress import Progress, choose_mode

    output = str(Path(output_dir).resolve()) if output_dir else None
    overrides = {"paper": paper, "pdf_variant": pdf_variant, "output_dir": output}
    library = open_library(workspace_path, **overrides)
    quiet = quiet or ctx.obj["quiet"]
    if quiet:
        log.setLevel(logging.ERROR)
    mode = choose_mode(quiet=quiet, as_json=as_json)
    forced = [force]  # --force applies to the first build only, when watching.

    def build_once(library: Library) -> BuildReport:
        progress = Progress(mode, root=library.root)
        report = library.build(
            conditions=conditions,
            languages=languages,
            templates=templates,
            variants=variants,
            strict=strict,
            force=forced.pop() if forced else False,
            clean=clean,
            jobs=jobs,
            allow_drafts=allow_drafts,
            allow_untranslated=allow_untranslated,
            on_start=progress.start,
            on_outcome=progress.outcome,
            allow_overdue=allow_overdue,
        )
        progress.finish(report)
        return report

    if not watch:
        if not build_once(library).ok:
            sys.exit(1)
        return
    root = library.root
    if mode != "json":
        click.echo(f"Watching {root} for changes; press Ctrl-C to stop.", err=True)
    library.watch(
        build_once,
        on_changes=Progress(mode, root=root).changes,
        on_error=lambda error: click.echo(f"Error: {error}", err=True),
    )


@click.command()
@workspace_option
@with_selection
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option(
    "--render",
    is_flag=True,
    help="Also render every PDF into a temporary folder and preflight it (build/ is left alone).",
)
@handle_errors
def check(
    workspace_path: Path | None,
    conditions: tuple[str, ...],
    languages: tuple[str, ...],
    templates: tuple[str, ...],
    variants: tuple[str, ...],
    strict: bool,
    render: bool,
) -> None:
    """Validate every data file, template and catalog without rendering PDFs.

    Lists every problem with its file, line and field; exits 1 when any is an
    error (or, with --strict, a warning). --render also renders every PDF
    into a temporary folder and preflights it as `build` does: text over
    text, text outside the page, fonts, sizes, hyphens in addresses, page
    fill and page budget.
    """
    from ..wording import plural

    library = open_library(workspace_path)
    check = library.check_render if render else library.check
    problems = check(
        conditions=conditions,
        languages=languages,
        templates=templates,
        variants=variants,
    )
    print_problems(problems)
    errors = sum(1 for problem in problems if problem.is_error)
    warnings = len(problems) - errors
    click.echo(f"{plural(errors, 'error')}, {plural(warnings, 'warning')}")
    if errors or (strict and warnings):
        sys.exit(1)


@click.command("list")
@workspace_option
@with_selection
@handle_errors
def list_command(
    workspace_path: Path | None,
    conditions: tuple[str, ...],
    languages: tuple[str, ...],
    templates: tuple[str, ...],
    variants: tuple[str, ...],
) -> None:
    """List conditions × languages × templates × variants: what can be built and what is missing.

    Also shows each content file's reading level against the target reading
    age of about 11-13.
    """
    from ..content.readability import measure, plain_text
    from ..content.translations import DRAFT, STALE
    from ..wording import plural

    library = open_library(workspace_path)
    project = library.load(
        conditions=conditions,
        languages=languages,
        templates=templates,
        variants=variants,
    )
    jobs, blocked = library.plan(project)
    rows = [(job, "ready", "") for job in jobs]
    rows += [
        (
            outcome.job,
            "draft" if outcome.draft else "missing" if outcome.status == "skipped" else "blocked",
            outcome.reason,
        )
        for outcome in blocked
    ]
    order = list(VARIANTS)
    rows.sort(
        key=lambda row: (
            row[0].condition,
            row[0].lang,
            row[0].template,
            order.index(row[0].variant),
        )
    )
    width = max((len(row[0].name) for row in rows), default=10)
    for job, status, reason in rows:
        line = f"{job.name:<{width}}  {status:<8} {job.output.name}"
        click.echo(line if not reason else f"{job.name:<{width}}  {status:<8} {reason}")
    for condition in project.conditions:
        for problem in condition.problems:
            if problem.is_error:
                continue
            if (problem.field or "").startswith("sections.") or problem.message.startswith(
                (STALE, DRAFT)
            ):
                click.echo(f"{condition.slug}: {problem}")
        for lang, content in sorted(condition.contents.items()):
            score = measure(plain_text(content), lang)
            shown = f"{score}{'' if score.ok else ' - too hard'}" if score else "not measured"
            click.echo(f"{condition.slug}.{lang}: reading level: {shown}")
    ready = len(jobs)
    click.echo(f"{ready} of {plural(len(rows), 'output')} can be built")
