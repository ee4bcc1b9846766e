"""The desk's basket: several conditions for one patient, printed or emailed as one packet."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..engine.library import Library
from ..exceptions import LeafletsError
from . import delivery
from .catalogue import Entry
from .delivery import Order, deliver
from .state import (
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
    ui_lang,
)


def _basket_entries(request: Request, library: Library) -> list[Entry]:
    desk = desk_of(request)
    entries = [desk.catalogue.get(library, slug) for slug in session_of(request).basket]
    return [entry for entry in entries if entry is not None]


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
) -> Response:
    desk = desk_of(request)
    library = library_of(request)
    entries = _basket_entries(request, library)
    languages = _common_languages(library, entries)
    session = session_of(request)
    if lang not in languages:
        lang = next((x for x in (session.patient_lang, ui_lang(request)) if x in languages), "")
        lang = lang or (languages[0] if languages else "")
    return render_page(
        request,
        "basket.html",
        status_code=status_code,
        entries=entries,
        languages=languages,
        lang=lang,
        templates=library.config.templates,
        kinds=kinds or library.config.templates[:1],
        kind_label=lambda name: desk.pages.kind_label(ui_lang(request), name),
        notice=notice,
        notice_kind=notice_kind,
        recipient=recipient,
    )


def basket(request: Request) -> Response:
    """Show the basket: the conditions chosen for one packet, and what to do with it."""
    return _basket_page(request)


async def basket_add(request: Request) -> Response:
    """Add a condition to the basket."""
    form = await read_form(request)
    return await run_in_threadpool(_basket_add, request, form)


def _basket_add(request: Request, form: dict[str, list[str]]) -> Response:
    library = library_of(request)
    entry = entry_of(request, library, form_value(form, "slug"))
    session = session_of(request)
    if entry.slug not in session.basket:
        session.basket.append(entry.slug)
    return RedirectResponse(safe_next(form_value(form, "next"), "/basket"), status_code=303)


async def basket_remove(request: Request) -> Response:
    """Take a condition out of the basket, or empty it."""
    form = await read_form(request)
    session = session_of(request)
    slug = form_value(form, "slug")
    session.basket[:] = [item for item in session.basket if slug and item != slug]
    return RedirectResponse(safe_next(form_value(form, "next"), "/basket"), status_code=303)


def _packet_choice(
    request: Request, values: Callable[[str], list[str]]
) -> tuple[Library, list[Entry], str, tuple[str, ...]]:
    library = library_of(request)
    entries = _basket_entries(request, library)
    if not entries:
        raise HTTPException(404)
    (lang,) = values("lang")[:1] or [""]
    if lang not in _common_languages(library, entries):
        raise HTTPException(404)
    kinds = tuple(kind for kind in library.config.templates if kind in values("kind"))
    if not kinds:
        raise HTTPException(404)
    return library, entries, lang, kinds


def _packet_name(request: Request, lang: str, count: int) -> str:
    name = desk_of(request).pages.message(ui_lang(request), "packet-name", count=count)
    return file_name(name, lang, suffix=".pdf")


async def packet(request: Request) -> Response:
    """Build the basket into one packet PDF: to print (inline) or to download."""
    form = await read_form(request)
    return await run_in_threadpool(_packet, request, form)


def _packet(request: Request, form: dict[str, list[str]]) -> Response:
    desk = desk_of(request)
    library, entries, lang, kinds = _packet_choice(request, lambda name: form.get(name, []))
    output = Path(desk.scratch.name) / f"packet-{uuid.uuid4().hex}.pdf"
    try:
        path = delivery.packet(
            library,
            conditions=[entry.slug for entry in entries],
            lang=lang,
            templates=kinds,
            output=output,
        )
        data = path.read_bytes()
    except LeafletsError as error:
        raise HTTPException(500, str(error)) from None
    finally:
        output.unlink(missing_ok=True)
    download = form_value(form, "action") == "download"
    return pdf_response(data, _packet_name(request, lang, len(entries)), download=download)


async def basket_email(request: Request) -> Response:
    """Email the basket as one packet, or download that email as a draft."""
    form = await read_form(request)
    return await run_in_threadpool(_basket_email, request, form)


def _basket_email(request: Request, form: dict[str, list[str]]) -> Response:
    _, entries, lang, kinds = _packet_choice(request, lambda name: form.get(name, []))
    name = _packet_name(request, lang, len(entries))
    order = Order(tuple(entry.slug for entry in entries), lang, kinds, packet=True)
    outcome = deliver(request, form, order, draft_name=name[: -len(".pdf")] + ".eml")
    if isinstance(outcome, Response):
        return outcome
    notice, notice_kind, status = outcome
    return _basket_page(
        request,
        notice=notice,
        notice_kind=notice_kind,
        status_code=status,
        recipient=form_value(form, "to"),
        lang=lang,
        kinds=kinds,
    )
