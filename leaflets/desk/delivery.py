"""Email leaflets and bundle packets for the desk through the tool's mail and packet features.

Nothing here takes the build lock: mail.compose() builds what is out of
date through the Library, which takes it, and a packet is rendered in
memory from the content, so it never holds up another request.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from ..config import STANDARD
from ..delivery import mail
from ..delivery import packet as packets
from ..delivery.addresses import normalized_address
from ..engine.library import Library
from ..exceptions import LeafletsError
from .state import desk_of, disposition, form_value, library_of, ui_lang

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Order:
    """What to email: the leaflets, their language and variant, one by one or as a packet."""

    conditions: tuple[str, ...]
    lang: str
    templates: tuple[str, ...]
    packet: bool
    variant: str = STANDARD


@dataclass(frozen=True)
class Sent:
    """What the mail server said: who it accepted and who it refused, with its reason."""

    accepted: tuple[str, ...] = ()
    refused: dict[str, str] = field(default_factory=dict)


def compose(library: Library, order: Order, to: str) -> mail.LeafletsMessage:
    """Compose the email of *order* to *to* (none when empty); mail.compose builds what it needs."""
    return mail.compose(
        library,
        conditions=order.conditions,
        lang=order.lang,
        templates=order.templates,
        to=(to,) if to else (),
        packet=order.packet,
        variant=order.variant,
    )


def send(library: Library, order: Order, to: str) -> Sent:
    """Compose the email with the PDFs attached and send it; raise LeafletsError on failure."""
    result = mail.send(library.workspace, compose(library, order, to))
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


def draft(library: Library, order: Order, to: str, folder: Path) -> Path:
    """Compose the email and write it as an .eml draft in *folder*; return its path."""
    return Path(mail.write_draft(compose(library, order, to), folder / "draft.eml"))


def packet(
    library: Library,
    *,
    conditions: list[str],
    lang: str,
    templates: tuple[str, ...],
    output: Path,
) -> Path:
    """Build one packet PDF of *conditions* in *lang* at *output*; return its path."""
    result = packets.build_packet(
        library, conditions=conditions, lang=lang, templates=templates, output=output
    )
    path = Path(result.path)
    if not path.is_file():
        raise LeafletsError(f"{output.name}: the packet was not written")
    return path


def deliver(
    request: Request, form: dict[str, list[str]], order: Order, *, draft_name: str
) -> Response | tuple[str, str, int]:
    """Send or draft an email; return the draft, or (message, kind of message, status)."""
    desk = desk_of(request)
    library = library_of(request)
    shown_in = ui_lang(request)

    def say(code: str, **values: object) -> str:
        return desk.pages.message(shown_in, code, **values)

    recipient = form_value(form, "to")
    # A draft may leave the address for the mail client to fill in.
    if (recipient or form_value(form, "action") != "draft") and not normalized_address(recipient):
        return say("bad-address", address=recipient[:80]), "error", 400
    if form_value(form, "action") == "draft":
        folder = Path(tempfile.mkdtemp(dir=desk.scratch.name))
        try:
            path = draft(library, order, recipient, folder)
        except LeafletsError as error:
            return say("no-draft", reason=str(error)), "error", 500
        response = Response(path.read_bytes(), media_type="message/rfc822")
        response.headers["Content-Disposition"] = disposition("attachment", draft_name)
        return response
    if not desk.email_limit.allow():
        return say("too-many", count=desk.email_limit.limit), "error", 429
    try:
        sent = send(library, order, recipient)
    except LeafletsError as error:
        logger.warning("an email was not sent: %s", error)
        return say("failed", reason=str(error)), "error", 502
    if sent.refused:
        address, reason = next(iter(sent.refused.items()))
        return say("refused", address=address, reason=reason), "error", 502
    return say("sent", address=recipient), "ok", 200
