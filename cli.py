"""Run leaflets from a source checkout: a shim to the package's command-line interface."""

from leaflets.cli import cli

if __name__ == "__main__":
    cli(prog_name="leaflets")
