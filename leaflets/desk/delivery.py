"""Email leaflets and bundle packets for the desk through the tool's mail and packet features.

Nothing here takes the build lock: mail.compose() builds what is out of
date through the Library, which takes it, and a packet is rendered in
memory from the content. Packets (printed, downloaded or emailed) are
rendered in the desk's worker process (state.Desk.in_worker), so their
seconds of WeasyPrint never hold up another receptionist's current PDF.
Nothing here writes a file either: drafts and packets stay in memory, so
no patient's address is left on disk.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from ..config import STANDARD
from ..delivery import mail
from ..delivery import packet as packets
from ..delivery.addresses import normalized_address
from ..delivery.selection import Selection
from ..engine.library import Library
from ..exceptions import LeafletsError
from .state import desk_of, disposition, form_value, library_of, session_of, ui_lang

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
    #: The pages of every PDF attached.
    pages: int = 0


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
    message = compose(library, order, to)
    result = mail.send(library.workspace, message)
    return Sent(
        accepted=tuple(str(address) for address in result.accepted),
        refused={str(address): _reason(reason) for address, reason in result.refused.items()},
        pages=sum(attachment.pages for attachment in message.attachments_info),
    )


def _reason(reason: object) -> str:
    """Return an SMTP refusal, (550, b'No such user') or text, as "550 No such user"."""
    if isinstance(reason, tuple) and len(reason) == 2:
        code, text = reason
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return f"{code} {text}"
    return str(reason)


def draft(library: Library, order: Order, to: str) -> bytes:
    """Compose the email as an unsent .eml draft (``X-Unsent: 1``), in memory."""
    return mail.draft_bytes(compose(library, order, to))


def packet(
    library: Library,
    *,
    conditions: list[str],
    lang: str,
    templates: tuple[str, ...],
    variant: str = STANDARD,
) -> tuple[bytes, int]:
    """Render one packet of *conditions* in *lang*, in memory; return its PDF and page count."""
    selection = Selection.of(conditions=conditions, lang=lang, templates=templates, variant=variant)
    rendered = packets.render_packet(library, selection)
    return rendered.pdf, rendered.pages


def packet_in_worker(
    root: str, conditions: list[str], lang: str, templates: tuple[str, ...], variant: str
) -> tuple[bytes, int] | str:
    """Render a packet in a worker process; return its PDF and pages, or the error's text."""
    try:
        return packet(
            Library.open(Path(root)),
            conditions=conditions,
            lang=lang,
            templates=templates,
            variant=variant,
        )
    except LeafletsError as error:
        return str(error)


def send_in_worker(root: str, order: Order, to: str) -> Sent | str:
    """Send an email in a worker process; return what the server said, or the error's text."""
    try:
        return send(Library.open(Path(root)), order, to)
    except LeafletsError as error:
        return str(error)


def deliver(
    request: Request,
    form: dict[str, list[str]],
    order: Order,
    *,
    draft_name: str,
    what: dict[str, str],
) -> Response | tuple[str, str, int]:
    """Send or draft an email; return the draft, or (message, kind of message, status).

    After a send, the notice naming what was sent (*what*: title, language,
    kind) waits in the session for the page the browser is sent back to.
    """
    desk = desk_of(request)
    library = library_of(request)
    shown_in = ui_lang(request)

    def say(code: str, **values: object) -> str:
        return desk.pages.message(shown_in, code, **values)

    recipient = form_value(form, "to")
    # A draft may leave the address for the mail client to fill in.
    address = normalized_address(recipient) if recipient else None
    if (recipient or form_value(form, "action") != "draft") and not address:
        return say("bad-address", address=recipient[:80]), "error", 400
    if form_value(form, "action") == "draft":
        try:
            data = draft(library, order, address or "")
        except LeafletsError as error:
            logger.warning("an email draft was not made: %s", error)
            return say("no-draft", reason=str(error)), "error", 500
        response = Response(data, media_type="message/rfc822")
        response.headers["Content-Disposition"] = disposition("attachment", draft_name)
        response.headers["Cache-Control"] = "no-store"
        return response
    # The desk's own send forms carry a one-time token: a second click, or the
    # same form sent again, sends nothing. (A form without one, from a script
    # holding the CSRF token, is not a double click.)
    once = form_value(form, "once")
    if once and not desk.forms.use(once):
        return say("already-sent"), "error", 409
    if not desk.email_limit.allow():
        return say("too-many", count=desk.email_limit.limit), "error", 429
    if order.packet:  # Rendering a packet takes seconds: not in the desk's process.
        outcome = desk.in_worker(send_in_worker, str(library.root), order, address or recipient)
    else:
        try:
            outcome = send(library, order, address or recipient)
        except LeafletsError as error:
            outcome = str(error)
    if isinstance(outcome, str):
        logger.warning("an email was not sent: %s", outcome)
        return say("failed", reason=outcome), "error", 502
    sent = outcome
    if sent.refused:
        refused, reason = next(iter(sent.refused.items()))
        return say("refused", address=refused, reason=reason), "error", 502
    session_of(request).notice = {
        "code": "sent",
        "values": {"address": recipient, "pages": sent.pages, **what},
    }
    return "", "ok", 200
