"""The command-line interface: parse options, open the workspace, call one engine function."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from .. import __version__
from ..config import DEFAULTS, PAPER_SIZES, PDF_VARIANTS, STANDARD, TEMPLATES, VARIANTS
from ..content.review import STATUSES
from ..exceptions import LeafletsError, Problem

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger("leaflets")


class _CountingHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Print leaflets' log records to stderr and count the warnings."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.warnings = 0
        self.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.warnings += 1
        super().emit(record)


def _setup_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING
    log.handlers[:] = [_CountingHandler()]
    log.setLevel(level)
    log.propagate = False


def handle_errors(function: F) -> F:
    """Turn LeafletsError into a clear message and an exit code, never a traceback."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except LeafletsError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(error.exit_code)

    return wrapper  # type: ignore[return-value]


def _workspace(path: Path | None, **overrides: Any) -> Any:
    from ..workspace import open_workspace

    return open_workspace(path or _group_workspace(), **overrides)


def _group_workspace() -> Path | None:
    """Return the -C folder given before the command (``leaflets -C DIR build``)."""
    context = click.get_current_context(silent=True)
    obj = context.find_root().obj if context else None
    return obj.get("workspace") if isinstance(obj, dict) else None


workspace_option = click.option(
    "-C",
    "--workspace",
    "workspace_path",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Workspace folder (default: the nearest one holding leaflets.toml).",
)
selection_options = [
    click.option(
        "-c",
        "--condition",
        "conditions",
        multiple=True,
        metavar="SLUG",
        help="Only this condition (repeatable).",
    ),
    click.option(
        "-l",
        "--lang",
        "languages",
        multiple=True,
        metavar="CODE",
        help="Only this language (repeatable).",
    ),
    click.option(
        "-t",
        "--template",
        "templates",
        multiple=True,
        type=click.Choice(list(TEMPLATES)),
        help="Only this template (repeatable).",
    ),
    click.option(
        "--variant",
        "variants",
        multiple=True,
        type=click.Choice(list(VARIANTS)),
        help="Print variant (repeatable; default: [build] variants, else standard).",
    ),
]


def with_selection(function: F) -> F:
    """Add the --condition, --lang, --template and --variant options."""
    for option in reversed(selection_options):
        function = option(function)
    return function


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="leaflets")
@click.option("-v", "--verbose", is_flag=True, help="Print debugging information.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option(
    "-C",
    "--workspace",
    "workspace_path",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Workspace folder, for every command (also accepted after the command).",
)
@click.pass_context
def cli(ctx: click.Context, verbose: bool, quiet: bool, workspace_path: Path | None) -> None:
    """Build localized, accessible PDF patient leaflets from condition data.

    A workspace is a folder with leaflets.toml (the clinic and build
    settings) and data/ (one folder per condition: condition.yaml plus one
    <lang>.md per language). Start with `leaflets init DIR`.
    """
    ctx.obj = {"quiet": quiet, "workspace": workspace_path}
    _setup_logging(verbose, quiet)


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


@cli.command()
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
    from ..engine.build import build as run_build
    from .progress import Progress, choose_mode

    output = str(Path(output_dir).resolve()) if output_dir else None
    overrides = {"paper": paper, "pdf_variant": pdf_variant, "output_dir": output}
    workspace = _workspace(workspace_path, **overrides)
    quiet = quiet or ctx.obj["quiet"]
    if quiet:
        log.setLevel(logging.ERROR)
    mode = choose_mode(quiet=quiet, as_json=as_json)
    forced = [force]  # --force applies to the first build only, when watching.

    def build_once(workspace: Any) -> Any:
        progress = Progress(mode, root=workspace.root)
        report = run_build(
            workspace,
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
        if not build_once(workspace).ok:
            sys.exit(1)
        return
    from ..engine.watch import watch as watch_workspace

    root = workspace.root
    if mode != "json":
        click.echo(f"Watching {root} for changes; press Ctrl-C to stop.", err=True)
    watch_workspace(
        lambda: _workspace(root, **overrides),
        build_once,
        root=root,
        on_changes=Progress(mode, root=root).changes,
        on_error=lambda error: click.echo(f"Error: {error}", err=True),
    )


@cli.command()
@workspace_option
@with_selection
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@handle_errors
def check(
    workspace_path: Path | None,
    conditions: tuple[str, ...],
    languages: tuple[str, ...],
    templates: tuple[str, ...],
    variants: tuple[str, ...],
    strict: bool,
) -> None:
    """Validate every data file, template and catalog without rendering PDFs.

    Lists every problem with its file, line and field; exits 1 when any is an
    error (or, with --strict, a warning).
    """
    from ..engine.build import check as run_check
    from ..wording import plural

    workspace = _workspace(workspace_path)
    problems = run_check(
        workspace,
        conditions=conditions,
        languages=languages,
        templates=templates,
        variants=variants,
    )
    _print_problems(problems)
    errors = sum(1 for problem in problems if problem.is_error)
    warnings = len(problems) - errors
    click.echo(f"{plural(errors, 'error')}, {plural(warnings, 'warning')}")
    if errors or (strict and warnings):
        sys.exit(1)


@cli.command()
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

    workspace = _workspace(workspace_path)
    rows, problems = review_table(workspace)
    _print_problems(problems)
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


@cli.command("list")
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
    from ..engine.build import load_project, plan
    from ..wording import plural

    workspace = _workspace(workspace_path)
    project = load_project(
        workspace,
        conditions=conditions,
        languages=languages,
        templates=templates,
        variants=variants,
    )
    jobs, blocked = plan(project)
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


@cli.command()
@workspace_option
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), required=False)
@handle_errors
def init(workspace_path: Path | None, directory: Path | None) -> None:
    """Create a workspace in DIRECTORY with the demo clinic and condition.

    DIRECTORY is taken inside the -C folder when both are given; either one
    alone names the new workspace.
    """
    from ..workspace import init_workspace

    base = workspace_path or _group_workspace()
    if directory is None:
        if base is None:
            raise click.UsageError("name the folder to create: `leaflets init DIR`")
        directory = base
    elif base is not None:
        directory = base / directory

    for path in init_workspace(directory):
        click.echo(f"created  {path}")
    click.echo(
        f"Next: edit {directory / 'leaflets.toml'}, then run `leaflets build -C {directory}`"
    )


@cli.group()
def i18n() -> None:
    """Keep the translation catalogs of the templates up to date.

    Workflow: after changing template text run `leaflets i18n update`,
    translate the new entries in locales/<lang>/LC_MESSAGES/messages.po, and
    build (catalogs are compiled by the build; `compile` writes .mo files for
    other tools). A new language: `leaflets i18n init <lang>`.
    """


def _locales(workspace: Any) -> Path:
    return Path(workspace.root) / "locales"


@i18n.command("update")
@workspace_option
@handle_errors
def i18n_update(workspace_path: Path | None) -> None:
    """Extract template messages into messages.pot and merge them into every .po."""
    from ..i18n import update_catalogs

    workspace = _workspace(workspace_path)
    for path in update_catalogs(
        _locales(workspace), workspace.search_path("templates"), root=workspace.root
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
    workspace = _workspace(workspace_path)
    path = init_catalog(
        _locales(workspace), lang, workspace.search_path("templates"), root=workspace.root
    )
    click.echo(f"wrote    {path.relative_to(workspace.root)}")


@i18n.command("compile")
@workspace_option
@handle_errors
def i18n_compile(workspace_path: Path | None) -> None:
    """Compile every .po catalog into a .mo file beside it."""
    from ..i18n import compile_catalogs

    workspace = _workspace(workspace_path)
    for path in compile_catalogs(_locales(workspace), root=workspace.root):
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

    workspace = _workspace(workspace_path)
    marked = mark_translated(workspace, condition=condition, lang=lang, source_lang=source_lang)
    root = workspace.root
    click.echo(
        f"marked   {display_path(marked.path, root)} as translated from "
        f"{marked.source.name} version {marked.version} ({marked.parts} parts hashed)"
    )


@cli.command()
@workspace_option
@handle_errors
def doctor(workspace_path: Path | None) -> None:
    """Check the libraries, fonts and catalogs leaflets needs; exit 1 if any is missing."""
    from ..engine.doctor import run

    diagnosis = run(workspace_path or _group_workspace())
    click.echo(diagnosis.format())
    sys.exit(1 if diagnosis.problems else 0)


@cli.command("import")
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

    workspace = _workspace(workspace_path)
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


def _one_language(function: F) -> F:
    """Add the patient's language, -l/--lang, exactly one."""
    return click.option(
        "-l",
        "--lang",
        required=True,
        metavar="CODE",
        help="The patient's language (exactly one).",
    )(function)


def _delivery_selection(function: F) -> F:
    """Add the --condition, --template and --variant options of email and packet."""
    # Checked by the engine, not by click: an unknown variant is one line.
    function = click.option(
        "--variant",
        default=STANDARD,
        show_default=True,
        metavar="VARIANT",
        help=f"Print variant: {', '.join(VARIANTS)}.",
    )(function)
    function = click.option(
        "-t",
        "--template",
        "templates",
        multiple=True,
        type=click.Choice(list(TEMPLATES)),
        help="Which kind of leaflet (repeatable; default: leaflet).",
    )(function)
    function = _one_language(function)
    return click.option(
        "-c",
        "--condition",
        "conditions",
        multiple=True,
        required=True,
        metavar="SLUG",
        help="A condition to include (repeatable).",
    )(function)


@cli.command()
@workspace_option
@_delivery_selection
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The packet PDF to write.",
)
@handle_errors
def packet(
    workspace_path: Path | None,
    conditions: tuple[str, ...],
    lang: str,
    templates: tuple[str, ...],
    variant: str,
    output: Path,
) -> None:
    """Make one PDF for one patient: a cover page, then the chosen leaflets.

    The cover lists what is inside with page numbers; every leaflet and
    section has a bookmark. The packet is a tagged PDF in the patient's
    language, like the leaflets, and the same inputs give the same bytes.
    """
    from ..delivery.packet import build_packet
    from ..wording import format_size, plural

    workspace = _workspace(workspace_path)
    result = build_packet(
        workspace,
        conditions=conditions,
        lang=lang,
        templates=templates or ("leaflet",),
        output=output.resolve(),
        variant=variant,
    )
    for part in result.parts:
        click.echo(f"page {part.first_page:>3}  {part.title} – {part.label}")
    click.echo(f"wrote    {output}  ({plural(result.pages, 'page')}, {format_size(result.size)})")


@cli.command()
@workspace_option
@_delivery_selection
@click.option(
    "--to",
    "recipients",
    multiple=True,
    metavar="ADDRESS",
    help="The patient's email address (repeatable).",
)
@click.option("--packet", is_flag=True, help="Attach one packet PDF instead of separate files.")
@click.option(
    "--draft",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.eml",
    help="Save an unsent draft for Outlook or Thunderbird instead of sending.",
)
@click.option("-n", "--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
@handle_errors
def email(
    workspace_path: Path | None,
    conditions: tuple[str, ...],
    lang: str,
    templates: tuple[str, ...],
    variant: str,
    recipients: tuple[str, ...],
    packet: bool,
    draft: Path | None,
    dry_run: bool,
) -> None:
    """Email the chosen leaflets to a patient, in the patient's language.

    Builds what is out of date first, then attaches the PDFs the build
    recorded. Sends through the [email] server of leaflets.toml, with the
    password from the environment variable LEAFLETS_SMTP_PASSWORD; --draft
    saves the message for a mail client instead and needs no server.
    """
    from ..delivery.mail import deliver, describe

    workspace = _workspace(workspace_path)
    delivery = deliver(
        workspace,
        conditions=conditions,
        lang=lang,
        templates=templates or ("leaflet",),
        to=recipients,
        packet=packet,
        variant=variant,
        draft=draft,
        dry_run=dry_run,
    )
    if delivery.action == "dry-run":
        click.echo("Would send (nothing was sent):")
    for line in describe(delivery.message):
        click.echo(line)
    if delivery.action == "draft":
        click.echo(f"wrote    {draft}  (an unsent draft: open it in Outlook or Thunderbird)")
    result = delivery.result
    if result is not None:
        if result.accepted:
            click.echo(f"sent to {', '.join(result.accepted)}")
        if result.refused:
            refused = ", ".join(
                f"{address} ({code} {reply})" for address, (code, reply) in result.refused.items()
            )
            click.echo(
                f"Error: sent to {', '.join(result.accepted)}, "
                f"but the mail server refused: {refused}",
                err=True,
            )
            sys.exit(1)


@cli.command()
@workspace_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; any but this computer's needs LEAFLETS_SERVE_PASSWORD.",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port."
)
@handle_errors
def serve(workspace_path: Path | None, host: str, port: int) -> None:
    """Run the desk: a web page to find, preview, print, email and bundle leaflets.

    It listens on this computer only (127.0.0.1) unless --host says
    otherwise; another address needs an access password in the environment
    variable LEAFLETS_SERVE_PASSWORD, which every page then asks for.
    Press Ctrl-C to stop.
    """
    import os

    from ..desk import serve as run_desk
    from ..desk.security import PASSWORD_VARIABLE

    workspace = _workspace(workspace_path)
    password = os.environ.get(PASSWORD_VARIABLE) or None

    def ready(url: str) -> None:
        click.echo(f"Serving the leaflets desk for {workspace.root} at {url}")
        click.echo("Open that address in a browser; press Ctrl-C to stop.")

    # uvicorn stops cleanly on Ctrl-C, then raises the interrupt again for us.
    with contextlib.suppress(KeyboardInterrupt):
        run_desk(workspace.root, host=host, port=port, password=password, on_ready=ready)
    click.echo("Stopped.")
