"""Keep the desk safe by default: who may listen, sessions, passwords, CSRF tokens, rate limits."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
import time
from collections import OrderedDict, deque
from dataclasses import asdict, dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..exceptions import LeafletsError

#: The environment variable holding the access password.
PASSWORD_VARIABLE = "LEAFLETS_SERVE_PASSWORD"
#: The shortest access password accepted: a short one is guessed, even slowly.
MIN_PASSWORD = 12
#: The session cookie: HttpOnly and SameSite=Strict, so that scripts cannot
#: read it and other sites cannot send it along with their requests.
COOKIE_NAME = "leaflets_desk"
#: Minutes without a request after which a session ends (the basket and the sign-in with it).
IDLE_MINUTES = 30

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


def check_password(password: str | None) -> None:
    """Refuse an access password under MIN_PASSWORD characters (outer spaces not counted)."""
    if password is not None and len(password.strip()) < MIN_PASSWORD:
        raise LeafletsError(
            f"{PASSWORD_VARIABLE} is too short: use at least {MIN_PASSWORD} characters "
            "(a few words a person can type are best)"
        )


def check_listen(host: str, password: str | None) -> None:
    """Refuse to listen on an address other computers can reach without a password."""
    check_password(password)
    if not is_loopback(host) and not password:
        raise LeafletsError(
            f"--host {host} lets other computers reach the desk: set an access password "
            f"in the environment variable {PASSWORD_VARIABLE} first"
        )


def check_proxies(proxies: list[str] | tuple[str, ...]) -> None:
    """Refuse a --trusted-proxy that is not an address or network ("*" would trust anyone)."""
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise LeafletsError(
                f"--trusted-proxy {proxy[:80]!r} is not an IP address or network "
                "(like 127.0.0.1 or 10.0.0.0/24)"
            ) from None


def host_name(header: str) -> str:
    """Return the host name of a Host header, without its port ("[::1]:8000" gives "::1")."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else ""
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def same_secret(given: str, expected: str) -> bool:
    """Compare two secrets in constant time."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@dataclass
class Session:
    """What the desk remembers about one browser, kept in its signed cookie."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    signed_in: bool = False
    ui_lang: str | None = None
    #: Conditions in the packet basket, in the order they were added.
    basket: list[str] = field(default_factory=list)
    #: The patient language chosen last, the basket's default.
    patient_lang: str | None = None
    #: What the next page shows once (after a send: Post/Redirect/Get).
    notice: dict[str, Any] | None = None


class Sessions:
    """Sessions kept by the browsers themselves, in a cookie the desk signs.

    Nothing is stored in the desk's memory, so no number of requests can push
    a receptionist's session out. The signature carries the time it was made:
    a cookie not renewed for *idle_minutes* is refused, and every answer to a
    request renews it. A new secret at each start ends every session.
    """

    def __init__(self, idle_minutes: float = IDLE_MINUTES) -> None:
        self.idle_seconds = max(1, round(idle_minutes * 60))
        self._serializer = URLSafeTimedSerializer(secrets.token_bytes(32), salt="leaflets-desk")

    def load(self, cookie: str | None) -> tuple[Session, float] | None:
        """Return *cookie*'s session and age in seconds; None when missing, forged or expired."""
        if not cookie or len(cookie) > 4000:
            return None
        try:
            data, signed = self._serializer.loads(
                cookie, max_age=self.idle_seconds, return_timestamp=True
            )
            return Session(**data), time.time() - signed.timestamp()
        except (BadSignature, TypeError, ValueError):
            return None

    def dump(self, session: Session) -> str:
        """Return the signed cookie value of *session*."""
        return self._serializer.dumps(asdict(session))

    @staticmethod
    def renew(session: Session) -> Session:
        """Return *session* with a new CSRF token (after signing in), keeping its data."""
        return Session(
            ui_lang=session.ui_lang, basket=list(session.basket), patient_lang=session.patient_lang
        )


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


class FailedSignIns:
    """Count wrong passwords per client; past *free* of them, each doubles the wait.

    Only failures count, and only the client's own: a correct password from
    another computer is never held up. A client's count is forgotten after
    *forget* seconds without a failure, or on a correct password. At most
    *clients* are remembered (the oldest forgotten first), so memory is bounded.
    """

    def __init__(
        self,
        *,
        free: int = 5,
        first_wait: float = 2.0,
        longest_wait: float = 300.0,
        forget: float = 3600.0,
        clients: int = 10_000,
    ) -> None:
        self.free, self.first_wait, self.longest_wait = free, first_wait, longest_wait
        self.forget, self.clients = forget, clients
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """Return how many seconds *client* must wait before trying again (0: it may try now)."""
        now = time.monotonic()
        with self._lock:
            count, last = self._failures.get(client, (0, now))
            if now - last >= self.forget:
                self._failures.pop(client, None)
                return 0.0
            if count < self.free:
                return 0.0
            delay = min(self.longest_wait, self.first_wait * 2.0 ** (count - self.free))
            return float(max(0.0, delay - (now - last)))

    def failed(self, client: str) -> None:
        """Record a wrong password from *client*."""
        with self._lock:
            count = self._failures.pop(client, (0, 0.0))[0]
            self._failures[client] = (count + 1, time.monotonic())
            while len(self._failures) > self.clients:
                self._failures.popitem(last=False)

    def succeeded(self, client: str) -> None:
        """Forget *client*'s failures after a correct password."""
        with self._lock:
            self._failures.pop(client, None)


class OnceForms:
    """Tokens that let a form be sent once: a second click or a resent form is refused.

    Only the last *keep* tokens handed out are remembered, so memory is bounded;
    a token is issued with each page that offers a send.
    """

    def __init__(self, keep: int = 10_000) -> None:
        self.keep = keep
        self._open: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def issue(self) -> str:
        """Return a new token for one form."""
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._open[token] = None
            while len(self._open) > self.keep:
                self._open.popitem(last=False)
        return token

    def use(self, token: str) -> bool:
        """Tell whether *token* was issued and not used yet, and use it up."""
        with self._lock:
            if token not in self._open:
                return False
            del self._open[token]
            return True
