"""The state of a running desk, and the helpers every route uses to read a request and answer it."""

from __future__ import annotations

import logging
import multiprocessing
import re
import threading
import unicodedata
import urllib.parse
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..engine.library import Library
from ..exceptions import LeafletsError
from .catalogue import APOSTROPHES, Catalogue, Entry
from .pages import Pages
from .pdfs import Kind, Thumbnails, kinds
from .security import (
    IDLE_MINUTES,
    FailedSignIns,
    OnceForms,
    RateLimit,
    Session,
    Sessions,
    check_password,
    same_secret,
)

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Emails the desk sends at most per minute, so that a mistake cannot spam.
EMAILS_PER_MINUTE = 20
#: The most conditions one packet holds: a bigger one takes minutes to build and is
#: more than a patient reads.
MAX_PACKET = 20
#: The largest form the desk reads, in bytes.
MAX_FORM = 16 * 1024
#: Paths anyone may load before signing in (the sign-in page and what it shows).
PUBLIC_PATHS = ("/login", "/logout", "/static/", "/ui-language")

Handler = Callable[[Request], Awaitable[Response]]
T = TypeVar("T")


class Desk:
    """The state of one running desk: its workspace, caches, sessions and limits."""

    def __init__(
        self,
        root: Path,
        *,
        password: str | None = None,
        emails_per_minute: int = EMAILS_PER_MINUTE,
        idle_minutes: float = IDLE_MINUTES,
        allowed_hosts: list[str] | None = None,
    ) -> None:
        check_password(password)
        self.root = root.resolve()
        self.password = password or None
        #: The Host names the desk answers to (None: any).
        self.allowed_hosts = allowed_hosts
        self.catalogue = Catalogue()
        self.thumbnails = Thumbnails()
        self.pages = Pages()
        self.sessions = Sessions(idle_minutes)
        self.email_limit = RateLimit(emails_per_minute)
        self.sign_ins = FailedSignIns()
        self.forms = OnceForms()
        self._library: tuple[tuple[int, int], Library] | None = None
        self._library_lock = threading.Lock()
        self._workers: ProcessPoolExecutor | None = None
        self._workers_lock = threading.Lock()

    def in_worker(self, function: Callable[..., T], *args: Any) -> T:
        """Run *function* in the desk's worker process and return its result.

        Rendering a packet keeps a CPU busy for seconds, and in this process
        it would hold the interpreter lock while other receptionists wait
        for a current PDF. One worker (the machine may have two cores) takes
        packets in turn; it starts with the first one.
        """
        with self._workers_lock:
            if self._workers is None:
                self._workers = ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn")
                )
            workers = self._workers
        return workers.submit(function, *args).result()

    def close(self) -> None:
        """Stop the worker process, if it started."""
        with self._workers_lock:
            if self._workers is not None:
                self._workers.shutdown(wait=False, cancel_futures=True)
                self._workers = None

    def library(self) -> Library:
        """Return the open workspace, opened again when leaflets.toml changed."""
        path = self.root / "leaflets.toml"
        stat = path.stat()
        key = (stat.st_size, stat.st_mtime_ns)
        with self._library_lock:
            if self._library is None or self._library[0] != key:
                self._library = (key, Library.open(self.root))
            return self._library[1]


# -- what every route uses ---------------------------------------------------


def desk_of(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def session_of(request: Request) -> Session:
    session: Session = request.state.session
    return session


def ui_lang(request: Request) -> str:
    desk, session = desk_of(request), session_of(request)
    if session.ui_lang in desk.pages.languages:
        return session.ui_lang
    return desk.pages.negotiate(request.headers.get("accept-language", ""))


def render_page(
    request: Request, name: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a full desk page with what every page shows."""
    desk, session = desk_of(request), session_of(request)
    lang = ui_lang(request)
    try:
        library = desk.library()
        clinic = library.config.clinic.name
        date_locale = library.config.locale_for(lang)
        # Conditions removed from the workspace leave the basket, so its count is its list.
        known = set(library.conditions())
        session.basket[:] = [slug for slug in session.basket if slug in known]
    except (LeafletsError, OSError):
        clinic, date_locale = "", lang
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
        date_locale=date_locale,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def take_notice(request: Request) -> tuple[str, str]:
    """Return the notice waiting in the session (after a redirect) and its kind; forget it."""
    session = session_of(request)
    waiting, session.notice = session.notice, None
    if not isinstance(waiting, dict) or not isinstance(waiting.get("values"), dict):
        return "", "ok"
    desk = desk_of(request)
    text = desk.pages.message(ui_lang(request), str(waiting.get("code")), **waiting["values"])
    return text, str(waiting.get("kind", "ok"))


def library_of(request: Request) -> Library:
    try:
        return desk_of(request).library()
    except (LeafletsError, OSError) as error:
        raise HTTPException(500, f"The workspace cannot be loaded: {error}") from None


def entry_of(request: Request, library: Library, slug: str) -> Entry:
    """Look a condition id up in the workspace; anything else is a 404."""
    entry = desk_of(request).catalogue.get(library, slug)
    if entry is None:
        raise HTTPException(404)
    return entry


def lang_of(entry: Entry, lang: str) -> str:
    if lang not in entry.languages:
        raise HTTPException(404)
    return lang


def kind_of(library: Library, name: str) -> Kind:
    kind = kinds(library.config).get(name)
    if kind is None:
        raise HTTPException(404)
    return kind


async def read_form(request: Request) -> dict[str, list[str]]:
    """Read a small urlencoded form and check its CSRF token (400 when missing or wrong)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise HTTPException(413)
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    token = (form.get("csrf") or [""])[0]
    if not token or not same_secret(token, session_of(request).csrf):
        raise HTTPException(400, "csrf")
    return form


def form_value(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0].strip()


def safe_next(target: str, default: str = "/") -> str:
    """Return *target* when it is a path on this site, else *default*."""
    if target.startswith("/") and not target.startswith(("//", "/\\")) and "\n" not in target:
        return target
    return default


def file_name(*parts: str, suffix: str) -> str:
    """Return a file name a person recognises, without characters file systems refuse."""
    name = " - ".join(part for part in parts if part)
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', " ", name)
    name = " ".join(name.split())[:120].strip(" .") or "leaflet"
    return name + suffix


def disposition(kind: str, filename: str) -> str:
    # Browsers use filename*; the plain one is for old clients: accents dropped.
    plain = unicodedata.normalize("NFKD", filename.translate(APOSTROPHES))
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    fallback = plain.encode("ascii", "replace").decode("ascii").replace("?", "_")
    quoted = urllib.parse.quote(filename, safe="")
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quoted}"


def pdf_response(data: bytes, filename: str, *, download: bool) -> Response:
    response = Response(data, media_type="application/pdf")
    response.headers["Content-Disposition"] = disposition(
        "attachment" if download else "inline", filename
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


def default_lang(request: Request, entry: Entry) -> str:
    session = session_of(request)
    for lang in (session.patient_lang, ui_lang(request)):
        if lang in entry.languages:
            return lang
    return entry.languages[0]
