"""The desk web app: its routes, sessions and security headers, and signing in.

The routes live beside it: ``views`` (search, a condition, its PDF and
pages), ``basket`` (packets) and ``delivery`` (email); ``state`` holds what
a running desk keeps and the helpers every route uses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .basket import basket, basket_add, basket_email, basket_remove, packet
from .security import CONTENT_SECURITY_POLICY, COOKIE_NAME, SECURITY_HEADERS, Session, same_secret
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


async def ui_language(request: Request) -> Response:
    """Switch the language of the desk's own text (not the patient's)."""
    form = await read_form(request)
    lang = form_value(form, "ui")
    if lang in desk_of(request).pages.languages:
        session_of(request).ui_lang = lang
    return RedirectResponse(safe_next(form_value(form, "next")), status_code=303)


async def login(request: Request) -> Response:
    """Ask for the access password; sign the browser in when it is right."""
    desk = desk_of(request)
    if desk.password is None:
        return RedirectResponse("/", status_code=303)
    if request.method == "GET":
        return await run_in_threadpool(render_page, request, "login.html", 401, failed="")
    form = await read_form(request)
    given = form_value(form, "password")
    if not desk.sign_in_limit.allow():
        return await run_in_threadpool(render_page, request, "login.html", 429, failed="too-many")
    if not same_secret(given, desk.password):
        return await run_in_threadpool(render_page, request, "login.html", 401, failed="wrong")
    # A new session id after signing in, so that one planted before cannot be used.
    fresh = desk.sessions.renew(session_of(request))
    fresh.signed_in = True
    request.state.session = fresh
    return RedirectResponse(safe_next(form_value(form, "next")), status_code=303)


# -- errors, sessions and headers --------------------------------------------


async def http_error(request: Request, error: Exception) -> Response:
    """Show an error as a desk page (404, 400, 500 ...)."""
    assert isinstance(error, HTTPException)
    if not hasattr(request.state, "session"):
        return Response(str(error.detail), status_code=error.status_code)
    detail = "" if error.detail in ("csrf", None) else str(error.detail)
    return await run_in_threadpool(
        render_page,
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
        desk = desk_of(request)
        cookie = request.cookies.get(COOKIE_NAME)
        session = desk.sessions.get(cookie) or desk.sessions.new()
        request.state.session = session
        public = request.url.path.startswith(PUBLIC_PATHS)
        if desk.password and not session.signed_in and not public:
            response: Response = await run_in_threadpool(
                render_page, request, "login.html", 401, failed=""
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
    desk.library()  # Fail now, with the configuration's message, rather than on a request.
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
