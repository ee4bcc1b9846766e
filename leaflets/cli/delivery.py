"""The commands that give leaflets to patients: `packet`, `email`, and `serve` (the desk)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .options import delivery_selection, handle_errors, open_library, workspace_option

if TYPE_CHECKING:
    from ..delivery.smtp import SendResult


@click.command()
@workspace_option
@delivery_selection
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

    library = open_library(workspace_path)
    result = build_packet(
        library,
        conditions=conditions,
        lang=lang,
        templates=templates or ("leaflet",),
        output=output.resolve(),
        variant=variant,
    )
    for part in result.parts:
        click.echo(f"page {part.first_page:>3}  {part.title} – {part.label}")
    click.echo(f"wrote    {output}  ({plural(result.pages, 'page')}, {format_size(result.size)})")


@click.command()
@workspace_option
@delivery_selection
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
@click.option("--force", is_flag=True, help="Let --draft replace an existing file.")
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
    force: bool,
) -> None:
    """Email the chosen leaflets to a patient, in the patient's language.

    Builds what is out of date first, then attaches the PDFs the build
    recorded. Sends through the [email] server of leaflets.toml, with the
    password from the environment variable LEAFLETS_SMTP_PASSWORD; --draft
    saves the message for a mail client instead and needs no server.
    """
    from ..delivery.mail import deliver, describe
    from ..delivery.selection import Selection

    library = open_library(workspace_path)
    selection = Selection.of(
        conditions=conditions, lang=lang, templates=templates or ("leaflet",), variant=variant
    )
    delivery = deliver(
        library,
        selection,
        to=recipients,
        packet=packet,
        draft=draft,
        dry_run=dry_run,
        force=force,
    )
    if delivery.action == "dry-run":
        click.echo("Would send (nothing was sent):")
    for line in describe(delivery.message):
        click.echo(line)
    if delivery.action == "draft":
        click.echo(f"wrote    {draft}  (an unsent draft: open it in Outlook or Thunderbird)")
    if delivery.result is not None:
        report_sent(delivery.result)


def report_sent(result: SendResult) -> None:
    """Print who got the message; exit 1 when anyone did not, or may not have."""
    if result.accepted:
        click.echo(f"sent to {', '.join(result.accepted)}")
    if result.log_error:
        # The messages went out: a second try would send them twice.
        click.echo(
            f"Warning: {result.log_error}: the send log misses this message "
            f"({result.message_id}); add it by hand",
            err=True,
        )
    if result.unconfirmed:
        click.echo(f"Error: {result.problem}", err=True)
    if result.refused:
        refused = ", ".join(
            f"{address} ({f'{code} ' if code else ''}{reply})"
            for address, (code, reply) in result.refused.items()
        )
        sent = ", ".join(result.accepted) or "nobody"
        click.echo(f"Error: sent to {sent}, but the mail server refused: {refused}", err=True)
    if not result.ok:
        sys.exit(1)


@click.command()
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
@click.option(
    "--idle-minutes",
    type=click.FloatRange(1, 24 * 60),
    default=30,
    show_default=True,
    help="Minutes without use after which a browser is signed out and its packet emptied.",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDRESS",
    help="Address of the HTTPS proxy in front of the desk, whose X-Forwarded-Proto and "
    "X-Forwarded-For are believed (repeatable); the session cookie is then Secure.",
)
@handle_errors
def serve(
    workspace_path: Path | None,
    host: str,
    port: int,
    idle_minutes: float,
    trusted_proxies: tuple[str, ...],
) -> None:
    """Run the desk: a web page to find, preview, print, email and bundle leaflets.

    It listens on this computer only (127.0.0.1) unless --host says
    otherwise; another address needs an access password in the environment
    variable LEAFLETS_SERVE_PASSWORD, which every page then asks for.
    Press Ctrl-C to stop.
    """
    import os

    from ..desk import serve as run_desk
    from ..desk.security import PASSWORD_VARIABLE

    library = open_library(workspace_path)
    # Set but blank is a mistake, refused below as too short, not "no password".
    password = os.environ.get(PASSWORD_VARIABLE)

    def ready(url: str) -> None:
        click.echo(f"Serving the leaflets desk for {library.root} at {url}")
        click.echo("Open that address in a browser; press Ctrl-C to stop.")

    # uvicorn stops cleanly on Ctrl-C, then raises the interrupt again for us.
    with contextlib.suppress(KeyboardInterrupt):
        run_desk(
            library.root,
            host=host,
            port=port,
            password=password,
            idle_minutes=idle_minutes,
            trusted_proxies=trusted_proxies,
            on_ready=ready,
        )
    click.echo("Stopped.")
