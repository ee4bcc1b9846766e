"""The desk: a local web page to find, preview, print, email and bundle leaflets (`leaflets serve`).

``app`` (the app, sessions, signing in), ``views`` (search, a condition,
its PDF and pages), ``basket`` (packets), ``delivery`` (email and packets
through the tool's mail and packet features), ``state`` (what a running
desk keeps, helpers of every route), ``catalogue`` (search), ``pdfs``
(kinds and thumbnails), ``pages`` (the page's own text, translated) and
``security`` (sessions, passwords, CSRF, rate limits, headers). Every PDF
comes from the workspace's Library (engine/library.py).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

from ..exceptions import LeafletsError
from .security import IDLE_MINUTES, check_listen, is_loopback

__all__ = ["serve"]

#: The Host names a desk listening on a loopback address answers to.
LOCAL_HOSTS = ["127.0.0.1", "localhost", "::1"]


def _listen(host: str, port: int) -> socket.socket:
    """Open the listening socket now, so that a busy port is one clear error."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise LeafletsError(f"--host {host}: {error.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        raise LeafletsError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    sock.listen(128)
    return sock


def allowed_hosts_for(host: str) -> list[str] | None:
    """Return the Host names a desk listening on *host* answers to (None: any).

    On a loopback address (IPv4 or IPv6), only local names: a web page cannot
    then reach the desk through a DNS name rebound to 127.0.0.1 or ::1.
    """
    if not is_loopback(host):
        return None
    return list(dict.fromkeys([*LOCAL_HOSTS, host.strip("[]").lower()]))


def url_of(sock: socket.socket) -> str:
    """Return the address to open in a browser for a listening socket."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(
    root: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    password: str | None = None,
    idle_minutes: float = IDLE_MINUTES,
    trusted_proxies: tuple[str, ...] = (),
    on_ready: Callable[[str], None] = lambda url: None,
) -> None:
    """Serve the desk for the workspace at *root* until interrupted (Ctrl-C).

    Refuses an address other computers can reach unless *password* is set;
    a session ends after *idle_minutes* without a request; only requests from
    *trusted_proxies* may say (X-Forwarded-Proto) that the browser used HTTPS.
    *on_ready* is called with the address to open once the port is open.
    """
    import uvicorn

    from .app import create_app

    check_listen(host, password)
    app = create_app(
        root,
        password=password,
        allowed_hosts=allowed_hosts_for(host),
        idle_minutes=idle_minutes,
        trusted_proxies=list(trusted_proxies),
    )
    sock = _listen(host, port)
    # The app reads the proxy's headers itself, and only from trusted_proxies.
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", proxy_headers=False
    )
    server = uvicorn.Server(config)
    on_ready(url_of(sock))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        app.state.desk.close()
