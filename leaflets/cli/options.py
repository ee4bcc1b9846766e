"""What every command shares: logging, error handling, and the workspace and selection options."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..config import STANDARD, TEMPLATES, VARIANTS
from ..exceptions import LeafletsError, Problem

if TYPE_CHECKING:
    from ..engine.library import Library

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


def setup_logging(verbose: bool, quiet: bool) -> None:
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


def open_library(path: Path | None, **overrides: Any) -> Library:
    """Open the workspace at *path*, else -C, else the one around the current folder."""
    from ..engine.library import Library

    return Library.open(path or group_workspace(), **overrides)


def group_workspace() -> Path | None:
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


def _once_each(context: click.Context, parameter: click.Parameter, value: Any) -> Any:
    """Keep each value of a repeatable option once: `-t handout -t handout` is one handout."""
    return tuple(dict.fromkeys(value))


def _exactly_one(context: click.Context, parameter: click.Parameter, value: Any) -> Any:
    """Return the one value of a repeatable option; refuse two different ones."""
    values = tuple(dict.fromkeys(value))
    if len(values) > 1:
        given = ", ".join(repr(v) for v in values)
        raise click.BadParameter(f"give the patient's one language, not {given}")
    return values[0]


selection_options = [
    click.option(
        "-c",
        "--condition",
        "conditions",
        multiple=True,
        callback=_once_each,
        metavar="SLUG",
        help="Only this condition (repeatable).",
    ),
    click.option(
        "-l",
        "--lang",
        "languages",
        multiple=True,
        callback=_once_each,
        metavar="CODE",
        help="Only this language (repeatable).",
    ),
    click.option(
        "-t",
        "--template",
        "templates",
        multiple=True,
        callback=_once_each,
        type=click.Choice(list(TEMPLATES)),
        help="Only this template (repeatable).",
    ),
    click.option(
        "--variant",
        "variants",
        multiple=True,
        callback=_once_each,
        type=click.Choice(list(VARIANTS)),
        help="Print variant (repeatable; default: [build] variants, else standard).",
    ),
]


def with_selection(function: F) -> F:
    """Add the --condition, --lang, --template and --variant options."""
    for option in reversed(selection_options):
        function = option(function)
    return function


def print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def one_language(function: F) -> F:
    """Add the patient's language, -l/--lang, exactly one."""
    return click.option(
        "-l",
        "--lang",
        required=True,
        multiple=True,
        callback=_exactly_one,
        metavar="CODE",
        help="The patient's language (exactly one).",
    )(function)


def delivery_selection(function: F) -> F:
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
    function = one_language(function)
    return click.option(
        "-c",
        "--condition",
        "conditions",
        multiple=True,
        required=True,
        metavar="SLUG",
        help="A condition to include (repeatable).",
    )(function)
