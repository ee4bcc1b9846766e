"""Run the command-line interface with ``python -m leaflets``."""

from .cli import cli

cli(prog_name="leaflets")
