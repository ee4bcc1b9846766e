"""The command-line interface: each command parses its options and calls one engine function.

Commands live by what they do: ``building`` (build, check, list),
``content`` (review, import, i18n), ``delivery`` (packet, email, serve)
and ``setup`` (init, doctor); ``options`` holds what they share.
"""

from __future__ import annotations

from pathlib import Path

import click

from .. import __version__
from .building import build, check, list_command
from .content import i18n, import_command, review
from .delivery import email, packet, serve
from .options import setup_logging
from .setup import doctor, init

__all__ = ["cli", "import_command"]


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
    setup_logging(verbose, quiet)


for command in (
    build,
    check,
    review,
    list_command,
    init,
    i18n,
    doctor,
    import_command,
    packet,
    email,
    serve,
):
    cli.add_command(command)
