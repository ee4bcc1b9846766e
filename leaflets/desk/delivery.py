"""Email leaflets and bundle packets for the desk through the tool's mail and packet features."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from ..config import STANDARD
from ..exceptions import LeafletsError
from ..workspace import Workspace
from .pdfs import Builder

#: A plain address, one line: nothing that could add a header or a second recipient.
_ADDRESS_RE = re.compile(
    r"[^@\s,;<>\"'()\[\]\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?"
)


def valid_address(address: str) -> bool:
    """Tell whether *address* is one plain email address."""
    return bool(_ADDRESS_RE.fullmatch(address)) and "." in address.rsplit("@", 1)[1]


@dataclass(frozen=True)
class Sent:
    """What the mail server said: who it accepted and who it refused, with its reason."""

    accepted: tuple[str, ...] = ()
    refused: dict[str, str] = field(default_factory=dict)


def _compose(
    workspace: Workspace,
    builder: Builder,
    *,
    conditions: list[str],
    lang: str,
    templates: tuple[str, ...],
    variant: str,
    to: tuple[str, ...],
    packet: bool,
) -> EmailMessage:
    """Compose the email through mail.compose, which builds what is out of date.

    The build runs under the desk's lock, like every other build it starts.
    """
    from ..delivery import mail

    with builder.locked(workspace):
        message: EmailMessage = mail.compose(
            workspace,
            conditions=conditions,
            lang=lang,
            templates=templates,
            to=to,
            packet=packet,
            variant=variant,
        )
    return message


def send(
    workspace: Workspace,
    builder: Builder,
    *,
    conditions: list[str],
    lang: str,
    templates: tuple[str, ...],
    to: str,
    packet: bool,
    variant: str = STANDARD,
) -> Sent:
    """Compose the email with the PDFs attached and send it; raise LeafletsError on failure."""
    from ..delivery import mail

    message = _compose(
        workspace,
        builder,
        conditions=conditions,
        lang=lang,
        templates=templates,
        variant=variant,
        to=(to,),
        packet=packet,
    )
    result = mail.send(workspace, message)
    return Sent(
        accepted=tuple(str(address) for address in result.accepted),
        refused={str(address): _reason(reason) for address, reason in result.refused.items()},
    )


def _reason(reason: object) -> str:
    """Return an SMTP refusal, (550, b'No such user') or text, as "550 No such user"."""
    if isinstance(reason, tuple) and len(reason) == 2:
        code, text = reason
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return f"{code} {text}"
    return str(reason)


def draft(
    workspace: Workspace,
    builder: Builder,
    *,
    conditions: list[str],
    lang: str,
    templates: tuple[str, ...],
    to: str,
    packet: bool,
    folder: Path,
    variant: str = STANDARD,
) -> Path:
    """Compose the email and write it as an .eml draft in *folder*; return its path."""
    from ..delivery import mail

    message = _compose(
        workspace,
        builder,
        conditions=conditions,
        lang=lang,
        templates=templates,
        variant=variant,
        to=(to,) if to else (),
        packet=packet,
    )
    return Path(mail.write_draft(message, folder / "draft.eml"))


def packet(
    workspace: Workspace,
    builder: Builder,
    *,
    conditions: list[str],
    lang: str,
    templates: tuple[str, ...],
    output: Path,
) -> Path:
    """Build one packet PDF of *conditions* in *lang* at *output*; return its path."""
    from ..delivery import packet as packets

    with builder.locked(workspace):
        result = packets.build_packet(
            workspace, conditions=conditions, lang=lang, templates=templates, output=output
        )
    path = Path(result.path)
    if not path.is_file():
        raise LeafletsError(f"{output.name}: the packet was not written")
    return path
