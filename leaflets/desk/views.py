"""The desk's pages for finding and showing leaflets: search, a condition, its PDF and pages."""

from __future__ import annotations

import datetime
import logging
import urllib.parse
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..exceptions import LeafletsError
from .catalogue import Entry
from .delivery import Order, deliver
from .pages import language_name
from .pdfs import Kind, kinds
from .state import (
    default_lang,
    desk_of,
    entry_of,
    file_name,
    form_value,
    kind_of,
    lang_of,
    library_of,
    pdf_response,
    read_form,
    render_page,
    session_of,
    take_notice,
    ui_lang,
)

logger = logging.getLogger(__name__)


def _results_context(request: Request) -> dict[str, Any]:
    library = library_of(request)
    query = request.query_params.get("q", "")[:200]
    patient_lang = request.query_params.get("lang", "")
    languages = library.config.languages
    if patient_lang not in languages:
        patient_lang = ""
    entries = desk_of(request).catalogue.search(library, query, lang=patient_lang)
    return {
        "query": query,
        "patient_lang": patient_lang,
        "languages": languages,
        "kinds": list(kinds(library.config).values()),
        "results": entries,
        "today": datetime.date.today(),
        "kind_label": lambda kind: desk_of(request).pages.kind_label(ui_lang(request), kind),
    }


def home(request: Request) -> Response:
    """Show the search box and every condition (or those matching ?q=)."""
    return render_page(request, "index.html", **_results_context(request))


def search(request: Request) -> Response:
    """Return the search results alone, for the page to show as the user types."""
    desk = desk_of(request)
    lang = ui_lang(request)
    date_locale = library_of(request).config.locale_for(lang)
    html = desk.pages.render(
        lang, "_results.html", date_locale=date_locale, **_results_context(request)
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def _condition_page(
    request: Request,
    entry: Entry,
    lang: str,
    kind: Kind,
    *,
    notice: str = "",
    notice_kind: str = "ok",
    status_code: int = 200,
    recipient: str = "",
) -> Response:
    desk = desk_of(request)
    library = library_of(request)
    unavailable = False
    pages = 0
    try:
        if entry.error:
            raise LeafletsError(entry.error)
        pdf = library.current_pdf(entry.slug, lang, kind.template, kind.variant)
        pages = desk.thumbnails.count(pdf)
    except LeafletsError as problem:
        # Receptionists see that it is being revised; the reason is for the editors.
        logger.warning("the desk cannot offer %s (%s, %s): %s", entry.slug, lang, kind.id, problem)
        unavailable = True
        status_code = 503 if status_code == 200 else status_code
    session_of(request).patient_lang = lang
    if not notice:
        notice, notice_kind = take_notice(request)
    return render_page(
        request,
        "condition.html",
        status_code=status_code,
        entry=entry,
        lang=lang,
        kind=kind,
        kinds=list(kinds(library.config).values()),
        kind_label=lambda name: desk.pages.kind_label(ui_lang(request), name),
        pages=pages,
        unavailable=unavailable,
        notice=notice,
        notice_kind=notice_kind,
        recipient=recipient,
        in_basket=entry.slug in session_of(request).basket,
        once=desk.forms.issue(),
        today=datetime.date.today(),
    )


def condition(request: Request) -> Response:
    """Show one condition: choose language and kind, preview, print, download, email."""
    library = library_of(request)
    entry = entry_of(request, library, request.path_params["slug"])
    if entry.languages:
        lang = lang_of(entry, request.query_params.get("lang") or default_lang(request, entry))
    elif entry.error:  # Its files do not load: it is shown as being revised.
        lang = ui_lang(request)
    else:  # Written in no language this workspace builds.
        raise HTTPException(404)
    kind = kind_of(library, request.query_params.get("kind") or library.config.templates[0])
    return _condition_page(request, entry, lang, kind)


def _current_pdf(request: Request) -> tuple[Entry, str, Kind, Path]:
    """Look up the leaflet a /pdf or /thumbs address names; return it and its current PDF."""
    library = library_of(request)
    entry = entry_of(request, library, request.path_params["slug"])
    lang = lang_of(entry, request.path_params["lang"])
    kind = kind_of(library, request.path_params["kind"])
    try:
        path = library.current_pdf(entry.slug, lang, kind.template, kind.variant)
    except LeafletsError as error:
        logger.warning("the desk cannot offer %s: %s", request.url.path, error)
        raise HTTPException(503, "revised") from None
    return entry, lang, kind, path


def leaflet_file_name(request: Request, entry: Entry, lang: str, kind: Kind, suffix: str) -> str:
    """Name a leaflet's file in the patient's language: title, kind and language name."""
    label = desk_of(request).pages.kind_label(lang, kind)
    return file_name(entry.title(lang), label, language_name(lang), suffix=suffix)


def pdf(request: Request) -> Response:
    """Send one leaflet, built if out of date: inline for the viewer, or as a download."""
    entry, lang, kind, path = _current_pdf(request)
    filename = leaflet_file_name(request, entry, lang, kind, ".pdf")
    return pdf_response(
        path.read_bytes(), filename, download=request.query_params.get("download") == "1"
    )


def thumbnail(request: Request) -> Response:
    """Send one page of a leaflet as a PNG image."""
    path = _current_pdf(request)[3]
    png = desk_of(request).thumbnails.png(path, request.path_params["page"] - 1)
    if png is None:
        raise HTTPException(404)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-cache"})


async def email(request: Request) -> Response:
    """Send one leaflet by email, or download the email as an .eml draft."""
    form = await read_form(request)
    return await run_in_threadpool(_email, request, form)


def condition_address(entry: Entry, lang: str, kind: Kind) -> str:
    """Return the address of a condition's page showing *lang* and *kind*."""
    query = urllib.parse.urlencode({"lang": lang, "kind": kind.id})
    return f"/conditions/{entry.slug}?{query}"


def _email(request: Request, form: dict[str, list[str]]) -> Response:
    library = library_of(request)
    entry = entry_of(request, library, form_value(form, "slug"))
    lang = lang_of(entry, form_value(form, "lang"))
    kind = kind_of(library, form_value(form, "kind"))
    order = Order((entry.slug,), lang, (kind.template,), packet=False, variant=kind.variant)
    outcome = deliver(
        request,
        form,
        order,
        draft_name=leaflet_file_name(request, entry, lang, kind, ".eml"),
        what={
            "title": entry.title(lang),
            "language": language_name(lang),
            "kind": desk_of(request).pages.kind_label(ui_lang(request), kind),
        },
    )
    if isinstance(outcome, Response):
        return outcome
    notice, notice_kind, status = outcome
    if status == 200:
        # Post/Redirect/Get: a reload does not send again, and the address goes.
        return RedirectResponse(condition_address(entry, lang, kind), status_code=303)
    return _condition_page(
        request,
        entry,
        lang,
        kind,
        notice=notice,
        notice_kind=notice_kind,
        status_code=status,
        recipient=form_value(form, "to"),
    )
