"""Keep the desk safe by default: who may listen, sessions, passwords, CSRF tokens, rate limits."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from ..exceptions import LeafletsError

#: The environment variable holding the access password.
PASSWORD_VARIABLE = "LEAFLETS_SERVE_PASSWORD"
#: The session cookie: HttpOnly and SameSite=Strict, so that scripts cannot
#: read it and other sites cannot send it along with their requests.
COOKIE_NAME = "leaflets_desk"
#: Sessions kept in memory at most; the oldest are forgotten first.
MAX_SESSIONS = 2000

#: Sent with every response. The page loads scripts, styles and images only
#: from the desk itself (no inline script, no CDN) and frames only its own PDFs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "SAMEORIGIN",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def is_loopback(host: str) -> bool:
    """Tell whether *host* is an address only this computer can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_listen(host: str, password: str | None) -> None:
    """Refuse to listen on an address other computers can reach without a password."""
    if not is_loopback(host) and not password:
        raise LeafletsError(
            f"--host {host} lets other computers reach the desk: set an access password "
            f"in the environment variable {PASSWORD_VARIABLE} first"
        )


def same_secret(given: str, expected: str) -> bool:
    """Compare two secrets in constant time."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@dataclass
class Session:
    """What the desk remembers about one browser."""

    id: str
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    signed_in: bool = False
    ui_lang: str | None = None
    #: Conditions in the packet basket, in the order they were added.
    basket: list[str] = field(default_factory=list)
    #: The patient language chosen last, the basket's default.
    patient_lang: str | None = None


class Sessions:
    """Sessions kept in this process's memory, found by a random cookie value."""

    def __init__(self, limit: int = MAX_SESSIONS) -> None:
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def get(self, cookie: str | None) -> Session | None:
        """Return the session of *cookie*, or None."""
        if not cookie:
            return None
        with self._lock:
            session = self._sessions.get(cookie)
            if session is not None:
                self._sessions.move_to_end(cookie)
            return session

    def new(self) -> Session:
        """Start a session with a fresh id and CSRF token."""
        session = Session(id=secrets.token_urlsafe(32))
        with self._lock:
            self._sessions[session.id] = session
            while len(self._sessions) > self._limit:
                self._sessions.popitem(last=False)
        return session

    def renew(self, session: Session) -> Session:
        """Give *session* a new id and CSRF token (after signing in), keeping its data."""
        fresh = self.new()
        fresh.ui_lang, fresh.basket = session.ui_lang, list(session.basket)
        fresh.patient_lang = session.patient_lang
        with self._lock:
            self._sessions.pop(session.id, None)
        return fresh


class RateLimit:
    """Allow at most *limit* events in any *period* seconds."""

    def __init__(self, limit: int, period: float = 60.0) -> None:
        self.limit = limit
        self.period = period
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """Record one event and tell whether it is within the limit."""
        now = time.monotonic()
        with self._lock:
            while self._times and now - self._times[0] >= self.period:
                self._times.popleft()
            if len(self._times) >= self.limit:
                return False
            self._times.append(now)
            return True
