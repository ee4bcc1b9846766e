"""The desk web app: find, preview, print, download, email and bundle leaflets in a browser."""

from __future__ import annotations

import datetime
import logging
import re
import tempfile
import threading
import unicodedata
import urllib.parse
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..config import STANDARD
from ..exceptions import LeafletsError
from ..workspace import Workspace, open_workspace
from . import delivery
from .catalogue import APOSTROPHES, Catalogue, Entry
from .pages import Pages
from .pdfs import Builder, Kind, Thumbnails, kinds
from .security import (
    CONTENT_SECURITY_POLICY,
    COOKIE_NAME,
    SECURITY_HEADERS,
    RateLimit,
    Session,
    Sessions,
    same_secret,
)

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Emails the desk sends at most per minute, so that a mistake cannot spam.
EMAILS_PER_MINUTE = 20
#: Password attempts allowed per minute.
SIGN_INS_PER_MINUTE = 10
#: The largest form the desk reads, in bytes.
MAX_FORM = 16 * 1024
#: Paths anyone may load before signing in (the sign-in page and what it shows).
PUBLIC_PATHS = ("/login", "/static/", "/ui-language")

Handler = Callable[[Request], Awaitable[Response]]


class Desk:
    """The state of one running desk: its workspace, caches, sessions and limits."""

    def __init__(
        self,
        root: Path,
        *,
        password: str | None = None,
        emails_per_minute: int = EMAILS_PER_MINUTE,
    ) -> None:
        self.root = root.resolve()
        self.password = password or None
        self.catalogue = Catalogue()
        self.builder = Builder()
        self.thumbnails = Thumbnails()
        self.pages = Pages()
        self.sessions = Sessions()
        self.email_limit = RateLimit(emails_per_minute)
        self.sign_in_limit = RateLimit(SIGN_INS_PER_MINUTE)
        self.scratch = tempfile.TemporaryDirectory(prefix="leaflets-desk-")
        self._workspace: tuple[tuple[int, int], Workspace] | None = None
        self._workspace_lock = threading.Lock()

    def workspace(self) -> Workspace:
        """Return the workspace, reloaded when leaflets.toml changed."""
        path = self.root / "leaflets.toml"
        stat = path.stat()
        key = (stat.st_size, stat.st_mtime_ns)
        with self._workspace_lock:
            if self._workspace is None or self._workspace[0] != key:
                self._workspace = (key, open_workspace(self.root))
            return self._workspace[1]


# -- helpers ---------------------------------------------------------------


def _desk(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def _session(request: Request) -> Session:
    session: Session = request.state.session
    return session


def _ui_lang(request: Request) -> str:
    desk, session = _desk(request), _session(request)
    if session.ui_lang in desk.pages.languages:
        return session.ui_lang
    return desk.pages.negotiate(request.headers.get("accept-language", ""))


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a full desk page with what every page shows."""
    desk, session = _desk(request), _session(request)
    lang = _ui_lang(request)
    try:
        clinic = desk.workspace().config.clinic.name
    except (LeafletsError, OSError):
        clinic = ""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    html = desk.pages.render(
        lang,
        name,
        clinic=clinic,
        csrf=session.csrf,
        basket_count=len(session.basket),
        ui_languages=desk.pages.languages,
        signed_in=session.signed_in,
        password=bool(desk.password),
        here=here,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def _workspace(request: Request) -> Workspace:
    try:
        return _desk(request).workspace()
    except (LeafletsError, OSError) as error:
        raise HTTPException(500, f"The workspace cannot be loaded: {error}") from None


def _entry(request: Request, workspace: Workspace, slug: str) -> Entry:
    """Look a condition id up in the workspace; anything else is a 404."""
    entry = _desk(request).catalogue.get(workspace, slug)
    if entry is None:
        raise HTTPException(404)
    return entry


def _lang(entry: Entry, lang: str) -> str:
    if lang not in entry.languages:
        raise HTTPException(404)
    return lang


def _kind(workspace: Workspace, name: str) -> Kind:
    kind = kinds(workspace.config).get(name)
    if kind is None:
        raise HTTPException(404)
    return kind


async def _form(request: Request) -> dict[str, list[str]]:
    """Read a small urlencoded form and check its CSRF token (400 when missing or wrong)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise HTTPException(413)
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    token = (form.get("csrf") or [""])[0]
    if not token or not same_secret(token, _session(request).csrf):
        raise HTTPException(400, "csrf")
    return form


def _one(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0].strip()


def _safe_next(target: str, default: str = "/") -> str:
    """Return *target* when it is a path on this site, else *default*."""
    if target.startswith("/") and not target.startswith(("//", "/\\")) and "\n" not in target:
        return target
    return default


def _file_name(*parts: str, suffix: str) -> str:
    """Return a file name a person recognises, without characters file systems refuse."""
    name = " - ".join(part for part in parts if part)
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', " ", name)
    name = " ".join(name.split())[:120].strip(" .") or "leaflet"
    return name + suffix


def _disposition(kind: str, filename: str) -> str:
    # Browsers use filename*; the plain one is for old clients: accents dropped.
    plain = unicodedata.normalize("NFKD", filename.translate(APOSTROPHES))
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    fallback = plain.encode("ascii", "replace").decode("ascii").replace("?", "_")
    quoted = urllib.parse.quote(filename, safe="")
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quoted}"


def _pdf_response(data: bytes, filename: str, *, download: bool) -> Response:
    response = Response(data, media_type="application/pdf")
    response.headers["Content-Disposition"] = _disposition(
        "attachment" if download else "inline", filename
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


def _default_lang(request: Request, entry: Entry) -> str:
    session = _session(request)
    for lang in (session.patient_lang, _ui_lang(request)):
        if lang in entry.languages:
            return lang
    return entry.languages[0]


# -- pages -----------------------------------------------------------------


def _results_context(request: Request) -> dict[str, Any]:
    workspace = _workspace(request)
    query = request.query_params.get("q", "")[:200]
    patient_lang = request.query_params.get("lang", "")
    languages = workspace.config.languages
    if patient_lang not in languages:
        patient_lang = ""
    entries = _desk(request).catalogue.search(workspace, query)
    return {
        "query": query,
        "patient_lang": patient_lang,
        "languages": languages,
        "kinds": list(kinds(workspace.config).values()),
        "results": entries,
        "today": datetime.date.today(),
        "kind_label": lambda kind: _desk(request).pages.kind_label(_ui_lang(request), kind),
    }


def home(request: Request) -> Response:
    """Show the search box and every condition (or those matching ?q=)."""
    return _page(request, "index.html", **_results_context(request))


def search(request: Request) -> Response:
    """Return the search results alone, for the page to show as the user types."""
    desk = _desk(request)
    html = desk.pages.render(_ui_lang(request), "_results.html", **_results_context(request))
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
    desk = _desk(request)
    workspace = _workspace(request)
    error = ""
    pages = 0
    try:
        pdf = desk.builder.pdf(workspace, entry.slug, lang, kind)
        pages = desk.thumbnails.count(pdf)
    except LeafletsError as problem:
        error = str(problem)
        status_code = 500 if status_code == 200 else status_code
    _session(request).patient_lang = lang
    return _page(
        request,
        "condition.html",
        status_code=status_code,
        entry=entry,
        lang=lang,
        kind=kind,
        kinds=list(kinds(workspace.config).values()),
        kind_label=lambda name: desk.pages.kind_label(_ui_lang(request), name),
        pages=pages,
        error=error,
        notice=notice,
        notice_kind=notice_kind,
        recipient=recipient,
        in_basket=entry.slug in _session(request).basket,
        today=datetime.date.today(),
    )


def condition(request: Request) -> Response:
    """Show one condition: choose language and kind, preview, print, download, email."""
    workspace = _workspace(request)
    entry = _entry(request, workspace, request.path_params["slug"])
    if not entry.languages:
        raise HTTPException(404)
    lang = _lang(entry, request.query_params.get("lang") or _default_lang(request, entry))
    kind = _kind(workspace, request.query_params.get("kind") or workspace.config.templates[0])
    return _condition_page(request, entry, lang, kind)


def pdf(request: Request) -> Response:
    """Send one leaflet, built if out of date: inline for the viewer, or as a download."""
    desk = _desk(request)
    workspace = _workspace(request)
    entry = _entry(request, workspace, request.path_params["slug"])
    lang = _lang(entry, request.path_params["lang"])
    kind = _kind(workspace, request.path_params["kind"])
    try:
        path = desk.builder.pdf(workspace, entry.slug, lang, kind)
    except LeafletsError as error:
        raise HTTPException(500, str(error)) from None
    label = desk.pages.kind_label(_ui_lang(request), kind)
    filename = _file_name(entry.title(lang), label, lang, suffix=".pdf")
    return _pdf_response(
        path.read_bytes(), filename, download=request.query_params.get("download") == "1"
    )


def thumbnail(request: Request) -> Response:
    """Send one page of a leaflet as a PNG image."""
    desk = _desk(request)
    workspace = _workspace(request)
    entry = _entry(request, workspace, request.path_params["slug"])
    lang = _lang(entry, request.path_params["lang"])
    kind = _kind(workspace, request.path_params["kind"])
    try:
        path = desk.builder.pdf(workspace, entry.slug, lang, kind)
    except LeafletsError as error:
        raise HTTPException(500, str(error)) from None
    png = desk.thumbnails.png(path, request.path_params["page"] - 1)
    if png is None:
        raise HTTPException(404)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-cache"})


async def email(request: Request) -> Response:
    """Send one leaflet by email, or download the email as an .eml draft."""
    form = await _form(request)
    return await run_in_threadpool(_email, request, form)


def _email(request: Request, form: dict[str, list[str]]) -> Response:
    desk = _desk(request)
    workspace = _workspace(request)
    entry = _entry(request, workspace, _one(form, "slug"))
    lang = _lang(entry, _one(form, "lang"))
    kind = _kind(workspace, _one(form, "kind"))
    label = desk.pages.kind_label(_ui_lang(request), kind)
    outcome = _deliver(
        request,
        form,
        conditions=[entry.slug],
        lang=lang,
        templates=(kind.template,),
        variant=kind.variant,
        packet=False,
        draft_name=_file_name(entry.title(lang), label, lang, suffix=".eml"),
    )
    if isinstance(outcome, Response):
        return outcome
    notice, notice_kind, status = outcome
    return _condition_page(
        request,
        entry,
        lang,
        kind,
        notice=notice,
        notice_kind=notice_kind,
        status_code=status,
        recipient=_one(form, "to"),
    )


def _deliver(
    request: Request,
    form: dict[str, list[str]],
    *,
    conditions: list[str],
    lang: str,
    templates: tuple[str, ...],
    packet: bool,
    draft_name: str,
    variant: str = STANDARD,
) -> Response | tuple[str, str, int]:
    """Send or draft an email; return the draft, or (message, kind of message, status)."""
    desk = _desk(request)
    workspace = _workspace(request)
    ui_lang = _ui_lang(request)

    def say(code: str, **values: object) -> str:
        return desk.pages.message(ui_lang, code, **values)

    recipient = _one(form, "to")
    action = _one(form, "action")
    if action == "draft":
        if recipient and not delivery.valid_address(recipient):
            return say("bad-address", address=recipient[:80]), "error", 400
        folder = Path(tempfile.mkdtemp(dir=desk.scratch.name))
        try:
            path = delivery.draft(
                workspace,
                desk.builder,
                conditions=conditions,
                lang=lang,
                templates=templates,
                variant=variant,
                to=recipient,
                packet=packet,
                folder=folder,
            )
        except LeafletsError as error:
            return say("no-draft", reason=str(error)), "error", 500
        data = path.read_bytes()
        response = Response(data, media_type="message/rfc822")
        response.headers["Content-Disposition"] = _disposition("attachment", draft_name)
        return response
    if not delivery.valid_address(recipient):
        return say("bad-address", address=recipient[:80]), "error", 400
    if not desk.email_limit.allow():
        return (
            say("too-many", count=desk.email_limit.limit),
            "error",
            429,
        )
    try:
        sent = delivery.send(
            workspace,
            desk.builder,
            conditions=conditions,
            lang=lang,
            templates=templates,
            variant=variant,
            to=recipient,
            packet=packet,
        )
    except LeafletsError as error:
        logger.warning("an email was not sent: %s", error)
        return say("failed", reason=str(error)), "error", 502
    if sent.refused:
        address, reason = next(iter(sent.refused.items()))
        return (
            say("refused", address=address, reason=reason),
            "error",
            502,
        )
    return say("sent", address=recipient), "ok", 200


# -- the packet basket -------------------------------------------------------


def _basket_entries(request: Request, workspace: Workspace) -> list[Entry]:
    desk = _desk(request)
    entries = [desk.catalogue.get(workspace, slug) for slug in _session(request).basket]
    return [entry for entry in entries if entry is not None]


def _common_languages(workspace: Workspace, entries: list[Entry]) -> tuple[str, ...]:
    return tuple(
        lang
        for lang in workspace.config.languages
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
    desk = _desk(request)
    workspace = _workspace(request)
    entries = _basket_entries(request, workspace)
    languages = _common_languages(workspace, entries)
    session = _session(request)
    if lang not in languages:
        lang = next((x for x in (session.patient_lang, _ui_lang(request)) if x in languages), "")
        lang = lang or (languages[0] if languages else "")
    return _page(
        request,
        "basket.html",
        status_code=status_code,
        entries=entries,
        languages=languages,
        lang=lang,
        templates=workspace.config.templates,
        kinds=kinds or workspace.config.templates[:1],
        kind_label=lambda name: desk.pages.kind_label(_ui_lang(request), name),
        notice=notice,
        notice_kind=notice_kind,
        recipient=recipient,
    )


def basket(request: Request) -> Response:
    """Show the basket: the conditions chosen for one packet, and what to do with it."""
    return _basket_page(request)


async def basket_add(request: Request) -> Response:
    """Add a condition to the basket."""
    form = await _form(request)
    return await run_in_threadpool(_basket_add, request, form)


def _basket_add(request: Request, form: dict[str, list[str]]) -> Response:
    workspace = _workspace(request)
    entry = _entry(request, workspace, _one(form, "slug"))
    session = _session(request)
    if entry.slug not in session.basket:
        session.basket.append(entry.slug)
    return RedirectResponse(_safe_next(_one(form, "next"), "/basket"), status_code=303)


async def basket_remove(request: Request) -> Response:
    """Take a condition out of the basket, or empty it."""
    form = await _form(request)
    session = _session(request)
    slug = _one(form, "slug")
    session.basket[:] = [item for item in session.basket if slug and item != slug]
    return RedirectResponse(_safe_next(_one(form, "next"), "/basket"), status_code=303)


def _packet_choice(
    request: Request, values: Callable[[str], list[str]]
) -> tuple[Workspace, list[Entry], str, tuple[str, ...]]:
    workspace = _workspace(request)
    entries = _basket_entries(request, workspace)
    if not entries:
        raise HTTPException(404)
    (lang,) = values("lang")[:1] or [""]
    if lang not in _common_languages(workspace, entries):
        raise HTTPException(404)
    kinds = tuple(kind for kind in workspace.config.templates if kind in values("kind"))
    if not kinds:
        raise HTTPException(404)
    return workspace, entries, lang, kinds


def _packet_name(request: Request, lang: str, count: int) -> str:
    name = _desk(request).pages.message(_ui_lang(request), "packet-name", count=count)
    return _file_name(name, lang, suffix=".pdf")


async def packet(request: Request) -> Response:
    """Build the basket into one packet PDF: to print (inline) or to download."""
    form = await _form(request)
    return await run_in_threadpool(_packet, request, form)


def _packet(request: Request, form: dict[str, list[str]]) -> Response:
    desk = _desk(request)
    workspace, entries, lang, kinds = _packet_choice(request, lambda name: form.get(name, []))
    output = Path(desk.scratch.name) / f"packet-{uuid.uuid4().hex}.pdf"
    try:
        path = delivery.packet(
            workspace,
            desk.builder,
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
    download = _one(form, "action") == "download"
    return _pdf_response(data, _packet_name(request, lang, len(entries)), download=download)


async def basket_email(request: Request) -> Response:
    """Email the basket as one packet, or download that email as a draft."""
    form = await _form(request)
    return await run_in_threadpool(_basket_email, request, form)


def _basket_email(request: Request, form: dict[str, list[str]]) -> Response:
    _, entries, lang, kinds = _packet_choice(request, lambda name: form.get(name, []))
    name = _packet_name(request, lang, len(entries))
    outcome = _deliver(
        request,
        form,
        conditions=[entry.slug for entry in entries],
        lang=lang,
        templates=kinds,
        packet=True,
        draft_name=name[: -len(".pdf")] + ".eml",
    )
    if isinstance(outcome, Response):
        return outcome
    notice, notice_kind, status = outcome
    return _basket_page(
        request,
        notice=notice,
        notice_kind=notice_kind,
        status_code=status,
        recipient=_one(form, "to"),
        lang=lang,
        kinds=kinds,
    )


# -- the page's language and signing in --------------------------------------


async def ui_language(request: Request) -> Response:
    """Switch the language of the desk's own text (not the patient's)."""
    form = await _form(request)
    lang = _one(form, "ui")
    if lang in _desk(request).pages.languages:
        _session(request).ui_lang = lang
    return RedirectResponse(_safe_next(_one(form, "next")), status_code=303)


async def login(request: Request) -> Response:
    """Ask for the access password; sign the browser in when it is right."""
    desk = _desk(request)
    if desk.password is None:
        return RedirectResponse("/", status_code=303)
    if request.method == "GET":
        return await run_in_threadpool(_page, request, "login.html", 401, failed="")
    form = await _form(request)
    given = _one(form, "password")
    if not desk.sign_in_limit.allow():
        return await run_in_threadpool(_page, request, "login.html", 429, failed="too-many")
    if not same_secret(given, desk.password):
        return await run_in_threadpool(_page, request, "login.html", 401, failed="wrong")
    # A new session id after signing in, so that one planted before cannot be used.
    fresh = desk.sessions.renew(_session(request))
    fresh.signed_in = True
    request.state.session = fresh
    return RedirectResponse(_safe_next(_one(form, "next")), status_code=303)


# -- errors, sessions and headers --------------------------------------------


async def http_error(request: Request, error: Exception) -> Response:
    """Show an error as a desk page (404, 400, 500 ...)."""
    assert isinstance(error, HTTPException)
    if not hasattr(request.state, "session"):
        return Response(str(error.detail), status_code=error.status_code)
    detail = "" if error.detail in ("csrf", None) else str(error.detail)
    return await run_in_threadpool(
        _page,
        request,
        "error.html",
        status_code=error.status_code,
        code=error.status_code,
        detail=detail if error.status_code >= 500 else "",
    )


class SessionMiddleware(BaseHTTPMiddleware):
    """Give each browser a session, ask for the password, and add the security headers."""

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        desk = _desk(request)
        cookie = request.cookies.get(COOKIE_NAME)
        session = desk.sessions.get(cookie) or desk.sessions.new()
        request.state.session = session
        public = request.url.path.startswith(PUBLIC_PATHS)
        if desk.password and not session.signed_in and not public:
            response: Response = await run_in_threadpool(
                _page, request, "login.html", 401, failed=""
            )
        else:
            response = await call_next(request)
        current: Session = request.state.session
        if current.id != cookie:
            response.set_cookie(COOKIE_NAME, current.id, httponly=True, samesite="strict", path="/")
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        if response.headers.get("content-type") != "application/pdf":
            # Chromium's PDF viewer does not run under a page's policy.
            response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response


def create_app(
    root: Path,
    *,
    password: str | None = None,
    allowed_hosts: list[str] | None = None,
    emails_per_minute: int = EMAILS_PER_MINUTE,
) -> Starlette:
    """Return the desk app serving the workspace at *root*.

    *allowed_hosts* are the Host names it answers to (None: any), which keeps
    a desk on 127.0.0.1 out of reach of DNS rebinding.
    """
    desk = Desk(root, password=password, emails_per_minute=emails_per_minute)
    desk.workspace()  # Fail now, with the configuration's message, rather than on a request.
    middleware = [Middleware(SessionMiddleware)]
    if allowed_hosts is not None:
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts))
    app = Starlette(
        routes=[
            Route("/", home),
            Route("/search", search),
            Route("/conditions/{slug}", condition),
            Route("/pdf/{slug}/{lang}/{kind}", pdf),
            Route("/thumbs/{slug}/{lang}/{kind}/{page:int}.png", thumbnail),
            Route("/email", email, methods=["POST"]),
            Route("/basket", basket),
            Route("/basket/add", basket_add, methods=["POST"]),
            Route("/basket/remove", basket_remove, methods=["POST"]),
            Route("/basket/packet", packet, methods=["POST"]),
            Route("/basket/email", basket_email, methods=["POST"]),
            Route("/ui-language", ui_language, methods=["POST"]),
            Route("/login", login, methods=["GET", "POST"]),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        middleware=middleware,
        exception_handlers={HTTPException: http_error},
    )
    app.state.desk = desk
    return app
