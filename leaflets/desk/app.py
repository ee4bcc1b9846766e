"""The desk web app: its routes, sessions and security headers, and signing in and out.

The routes live beside it: ``views`` (search, a condition, its PDF and
pages), ``basket`` (packets) and ``delivery`` (email); ``state`` holds what
a running desk keeps and the helpers every route uses.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .basket import basket, basket_add, basket_email, basket_remove, packet
from .security import (
    CONTENT_SECURITY_POLICY,
    COOKIE_NAME,
    IDLE_MINUTES,
    SECURITY_HEADERS,
    Session,
    check_proxies,
    host_name,
    same_secret,
)
from .state import (
    EMAILS_PER_MINUTE,
    PUBLIC_PATHS,
    STATIC_DIR,
    Desk,
    desk_of,
    form_value,
    read_form,
    render_page,
    safe_next,
    session_of,
)
from .views import condition, email, home, pdf, search, thumbnail

__all__ = ["Desk", "create_app"]

logger = logging.getLogger(__name__)

#: A session cookie older than this is signed again on the next page, so that
#: the idle timeout counts from the last page shown, not from signing in.
RENEW_AFTER = 60.0


async def ui_language(request: Request) -> Response:
    """Switch the language of the desk's own text (not the patient's)."""
    form = await read_form(request)
    lang = form_value(form, "ui")
    if lang in desk_of(request).pages.languages:
        session_of(request).ui_lang = lang
    return RedirectResponse(safe_next(form_value(form, "next")), status_code=303)


def client_of(request: Request) -> str:
    """Return the address of the computer asking (the proxy's client behind a trusted proxy)."""
    return request.client.host if request.client else ""


async def login(request: Request) -> Response:
    """Ask for the access password; sign the browser in when it is right."""
    desk = desk_of(request)
    if desk.password is None or session_of(request).signed_in:
        return RedirectResponse("/", status_code=303)
    if request.method == "GET":
        return await run_in_threadpool(render_page, request, "login.html", 401, failed="")
    form = await read_form(request)
    client = client_of(request)
    wait = desk.sign_ins.wait(client)
    if wait > 0:
        response = await run_in_threadpool(
            render_page, request, "login.html", 429, failed="too-many", wait=math.ceil(wait)
        )
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    if not same_secret(form_value(form, "password"), desk.password):
        desk.sign_ins.failed(client)
        logger.warning("a wrong desk password from %s", client)
        return await run_in_threadpool(render_page, request, "login.html", 401, failed="wrong")
    desk.sign_ins.succeeded(client)
    # A new CSRF token after signing in, so that one seen before cannot be used.
    fresh = desk.sessions.renew(session_of(request))
    fresh.signed_in = True
    request.state.session = fresh
    return RedirectResponse(safe_next(form_value(form, "next")), status_code=303)


async def logout(request: Request) -> Response:
    """Sign out: forget the sign-in, the basket and the language chosen in this browser."""
    if request.method == "POST":
        await read_form(request)
        request.state.session = Session()
    return RedirectResponse("/login" if desk_of(request).password else "/", status_code=303)


# -- errors, sessions and headers --------------------------------------------


async def http_error(request: Request, error: Exception) -> Response:
    """Show an error as a desk page (404, 400, 500 ...)."""
    assert isinstance(error, HTTPException)
    if not hasattr(request.state, "session"):
        return PlainTextResponse(str(error.detail), status_code=error.status_code)
    return await run_in_threadpool(
        render_page, request, "error.html", status_code=error.status_code, code=error.status_code
    )


def _crash_page(request: Request) -> Response:
    """Answer a request that failed unexpectedly with a plain error page; never raise."""
    try:
        return render_page(request, "error.html", status_code=500, code=500)
    except Exception:
        return PlainTextResponse("Internal Server Error", status_code=500)


class SessionMiddleware(BaseHTTPMiddleware):
    """Check the Host, read the signed session, ask for the password, add the security headers."""

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        desk = desk_of(request)
        path = request.url.path
        allowed = desk.allowed_hosts
        if allowed is not None and host_name(request.headers.get("host", "")) not in allowed:
            return _secured(PlainTextResponse("Invalid host header", status_code=400))
        if path.startswith("/static/"):
            # Static files need no session: none is read, none is made.
            return _secured(await call_next(request))
        loaded = desk.sessions.load(request.cookies.get(COOKIE_NAME))
        session, age = loaded if loaded else (Session(), math.inf)
        before = asdict(session) if loaded else None
        request.state.session = session
        try:
            if desk.password and not session.signed_in and not path.startswith(PUBLIC_PATHS):
                response: Response = await run_in_threadpool(
                    render_page, request, "login.html", 401, failed=""
                )
            else:
                response = await call_next(request)
        except Exception:
            logger.exception("the desk failed to answer %s %s", request.method, path)
            response = await run_in_threadpool(_crash_page, request)
        current = session_of(request)
        page = response.headers.get("content-type", "").startswith("text/html")
        # Only a changed session, or a page after a minute, writes the cookie: the
        # images and PDFs a page loads at once must not put back an older basket.
        if asdict(current) != before or (page and age > RENEW_AFTER):
            response.set_cookie(
                COOKIE_NAME,
                desk.sessions.dump(current),
                httponly=True,
                samesite="strict",
                secure=request.url.scheme == "https",
                path="/",
            )
        return _secured(response)


def _secured(response: Response) -> Response:
    """Add the security headers to *response* (every answer, error pages included)."""
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
    idle_minutes: float = IDLE_MINUTES,
    trusted_proxies: list[str] | None = None,
) -> Starlette:
    """Return the desk app serving the workspace at *root*.

    *allowed_hosts* are the Host names it answers to (None: any), which keeps
    a desk on 127.0.0.1 out of reach of DNS rebinding. Requests from
    *trusted_proxies* (addresses) may say, in X-Forwarded-Proto and
    X-Forwarded-For, that the browser used HTTPS and who it is; from anyone
    else those headers are ignored.
    """
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    check_proxies(trusted_proxies or [])
    desk = Desk(
        root,
        password=password,
        emails_per_minute=emails_per_minute,
        idle_minutes=idle_minutes,
        allowed_hosts=[name.lower() for name in allowed_hosts] if allowed_hosts else None,
    )
    desk.library()  # Fail now, with the configuration's message, rather than on a request.
    middleware = [Middleware(SessionMiddleware)]
    if trusted_proxies:
        middleware.insert(0, Middleware(ProxyHeadersMiddleware, trusted_hosts=trusted_proxies))
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
            Route("/logout", logout, methods=["GET", "POST"]),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        middleware=middleware,
        exception_handlers={HTTPException: http_error},
    )
    # A redirect to the address with(out) a slash would be built from the Host header.
    app.router.redirect_slashes = False
    app.state.desk = desk
    return app
