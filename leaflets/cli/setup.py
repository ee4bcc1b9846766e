"""The commands that set a workspace up: `init` and `doctor`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .options import group_workspace, handle_errors, workspace_option


@click.command()
@workspace_option
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), required=False)
@handle_errors
def init(workspace_path: Path | None, directory: Path | None) -> None:
    """Create a workspace in DIRECTORY with the demo clinic and condition.

    DIRECTORY is taken inside the -C folder when both are given; either one
    alone names the new workspace.
    """
    from ..workspace import init_workspace

    base = workspace_path or group_workspace()
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


@click.command()
@workspace_option
@handle_errors
def doctor(workspace_path: Path | None) -> None:
    """Check the libraries, fonts and catalogs leaflets needs; exit 1 if any is missing."""
    from ..engine.doctor import run

    diagnosis = run(workspace_path or group_workspace())
    click.echo(diagnosis.format())
    sys.exit(1 if diagnosis.problems else 0)
