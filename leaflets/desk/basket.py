"""The desk's basket: several conditions for one patient, printed or emailed as one packet."""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..config import STANDARD
from ..engine.library import Library
from . import delivery
from .catalogue import Entry
from .delivery import Order, deliver
from .pages import language_name
from .state import (
    MAX_PACKET,
    desk_of,
    entry_of,
    file_name,
    form_value,
    library_of,
    pdf_response,
    read_form,
    render_page,
    safe_next,
    session_of,
    take_notice,
    ui_lang,
)

logger = logging.getLogger(__name__)


def _basket_entries(request: Request, library: Library) -> tuple[list[Entry], list[Entry]]:
    """Return the basket's conditions that can be printed now, and those being revised."""
    desk = desk_of(request)
    entries = [desk.catalogue.get(library, slug) for slug in session_of(request).basket]
    found = [entry for entry in entries if entry is not None]
    return [e for e in found if not e.error], [e for e in found if e.error]


def _common_languages(library: Library, entries: list[Entry]) -> tuple[str, ...]:
    return tuple(
        lang
        for lang in library.config.languages
        if entries and all(lang in entry.languages for entry in entries)
    )


def _basket_page(
    request: Request,
    *,
    notice: str = "",
    notice_kind: str = "ok",
    status_code: int = 200,
    recipient: str = "",
    lang: str = "",
    kinds: tuple[str, ...] = (),
    variant: str = STANDARD,
) -> Response:
    desk = desk_of(request)
    library = library_of(request)
    ready, revised = _basket_entries(request, library)
    for entry in revised:
        logger.warning("the desk leaves %s out of a packet: %s", entry.slug, entry.error)
    languages = _common_languages(library, ready)
    session = session_of(request)
    if lang not in languages:
        lang = next((x for x in (session.patient_lang, ui_lang(request)) if x in languages), "")
        lang = lang or (languages[0] if languages else "")
    if not notice:
        notice, notice_kind = take_notice(request)
    return render_page(
        request,
        "basket.html",
        status_code=status_code,
        entries=ready,
        revised=revised,
        languages=languages,
        lang=lang,
        templates=library.config.templates,
        kinds=kinds or library.config.templates[:1],
        variants=library.config.variants,
        variant=variant,
        kind_label=lambda name: desk.pages.kind_label(ui_lang(request), name),
        notice=notice,
        notice_kind=notice_kind,
        recipient=recipient,
        once=desk.forms.issue(),
        max_packet=MAX_PACKET,
    )


def basket(request: Request) -> Response:
    """Show the basket: the conditions chosen for one patient, and what to do with them."""
    return _basket_page(request)


async def basket_add(request: Request) -> Response:
    """Add a condition to the basket (at most MAX_PACKET)."""
    form = await read_form(request)
    return await run_in_threadpool(_basket_add, request, form)


def _basket_add(request: Request, form: dict[str, list[str]]) -> Response:
    library = library_of(request)
    entry = entry_of(request, library, form_value(form, "slug"))
    session = session_of(request)
    target = safe_next(form_value(form, "next"), "/basket")
    if entry.slug not in session.basket:
        if len(session.basket) >= MAX_PACKET:
            session.notice = {
                "code": "packet-full",
                "values": {"count": MAX_PACKET},
                "kind": "error",
            }
            return RedirectResponse(target, status_code=303)
        session.basket.append(entry.slug)
    # The page comes back with the focus where the button was (desk.js).
    return RedirectResponse(target + "#in-packet", status_code=303)


async def basket_remove(request: Request) -> Response:
    """Take a condition out of the basket, or empty it."""
    form = await read_form(request)
    session = session_of(request)
    slug = form_value(form, "slug")
    session.basket[:] = [item for item in session.basket if slug and item != slug]
    return RedirectResponse(safe_next(form_value(form, "next"), "/basket"), status_code=303)


def _packet_choice(
    request: Request, values: Callable[[str], list[str]]
) -> tuple[Library, list[Entry], str, tuple[str, ...], str]:
    library = library_of(request)
    entries = _basket_entries(request, library)[0]
    if not entries:
        raise HTTPException(404)
    (lang,) = values("lang")[:1] or [""]
    if lang not in _common_languages(library, entries):
        raise HTTPException(404)
    kinds = tuple(kind for kind in library.config.templates if kind in values("kind"))
    if not kinds:
        raise HTTPException(404)
    (variant,) = values("variant")[:1] or [STANDARD]
    if variant not in library.config.variants:
        raise HTTPException(404)
    return library, entries, lang, kinds, variant


def _packet_name(request: Request, lang: str, count: int, variant: str, suffix: str) -> str:
    """Name a packet's file in the patient's language."""
    pages = desk_of(request).pages
    name = pages.text(lang, "packet-name", count=count)
    size = pages.text(lang, "large-print") if variant != STANDARD else ""
    return file_name(name, size, language_name(lang), suffix=suffix)


async def packet(request: Request) -> Response:
    """Build the basket into one packet PDF: to print (inline) or to download."""
    form = await read_form(request)
    return await run_in_threadpool(_packet, request, form)


def _packet(request: Request, form: dict[str, list[str]]) -> Response:
    library, entries, lang, kinds, variant = _packet_choice(
        request, lambda name: form.get(name, [])
    )
    outcome = desk_of(request).in_worker(
        delivery.packet_in_worker,
        str(library.root),
        [entry.slug for entry in entries],
        lang,
        kinds,
        variant,
    )
    if isinstance(outcome, str):
        logger.warning("the desk could not make a packet: %s", outcome)
        raise HTTPException(503, "revised")
    data = outcome[0]
    download = form_value(form, "action") == "download"
    name = _packet_name(request, lang, len(entries), variant, ".pdf")
    return pdf_response(data, name, download=download)


async def basket_email(request: Request) -> Response:
    """Email the basket as one packet, or download that email as a draft."""
    form = await read_form(request)
    return await run_in_threadpool(_basket_email, request, form)


def _basket_email(request: Request, form: dict[str, list[str]]) -> Response:
    _, entries, lang, kinds, variant = _packet_choice(request, lambda name: form.get(name, []))
    order = Order(tuple(entry.slug for entry in entries), lang, kinds, packet=True, variant=variant)
    pages = desk_of(request).pages
    outcome = deliver(
        request,
        form,
        order,
        draft_name=_packet_name(request, lang, len(entries), variant, ".eml"),
        what={
            "title": pages.text(ui_lang(request), "packet-name", count=len(entries)),
            "language": language_name(lang),
            "kind": ", ".join(pages.kind_label(ui_lang(request), kind) for kind in kinds),
        },
    )
    if isinstance(outcome, Response):
        return outcome
    notice, notice_kind, status = outcome
    if status == 200:
        return RedirectResponse("/basket", status_code=303)
    return _basket_page(
        request,
        notice=notice,
        notice_kind=notice_kind,
        status_code=status,
        recipient=form_value(form, "to"),
        lang=lang,
        kinds=kinds,
        variant=variant,
    )
