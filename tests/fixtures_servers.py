"""Servers the tests talk to: a real SMTP server (aiosmtpd) and a running desk (uvicorn).

A pytest plugin (loaded by conftest.py). Each server listens on 127.0.0.1 on
a port the system hands out, and keeps what it receives in memory, so that
tests run side by side under pytest-xdist without sharing a port or a folder.
"""

from __future__ import annotations

import email
import email.policy
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

#: The password the SMTP server's AUTH accepts for leaflets@example.org.
SMTP_PASSWORD = "correct horse battery staple"


def missing(what: str) -> None:
    """Fail when CI=true (the setup script must provide *what*), else skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing; ./dev.sh setup installs it")
    pytest.skip(f"{what} is missing (./dev.sh setup installs it)")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    """One message the test server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        """Return the message parsed."""
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Mailbox:
    """What the SMTP server received; it refuses every address at ``nobody@``."""

    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(  # aiosmtpd calls hooks by these names.
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> Any:
        """Accept leaflets@example.org with SMTP_PASSWORD, and record the login."""
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == b"leaflets@example.org"
            and auth_data.password == SMTP_PASSWORD.encode()
        )
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)


@dataclass
class MailServer:
    """A running SMTP server: its port, its mailbox and the CA file that trusts it."""

    port: int
    mailbox: Mailbox
    ca_file: Path | None = None

    def settings(self, security: str = "none") -> str:
        """Return an [email] table of leaflets.toml that sends through this server."""
        return f'\n[email]\nhost = "127.0.0.1"\nport = {self.port}\nsecurity = "{security}"\n'


@contextmanager
def running_smtp(mailbox: Mailbox | None = None, **options: Any) -> Iterator[MailServer]:
    """Run a real SMTP server on 127.0.0.1 (aiosmtpd *options*: TLS, AUTH ...)."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        missing("aiosmtpd")
    mailbox = mailbox or Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield MailServer(controller.port, mailbox)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[MailServer]:
    """A plain SMTP server (no TLS, no AUTH) for one test."""
    with running_smtp() as server:
        yield server


@contextmanager
def running_desk(app: Any) -> Iterator[str]:
    """Serve *app* with uvicorn on 127.0.0.1 and a free port; yield its address."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the desk did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def start_desk() -> Iterator[Callable[..., str]]:
    """Return a function that serves the desk of a workspace for this test; it gives the address.

    ``start_desk(root, password=...)`` takes create_app's options.
    """
    from contextlib import ExitStack

    from leaflets.desk.app import create_app

    with ExitStack() as stack:

        def start(root: Path, **options: Any) -> str:
            return stack.enter_context(running_desk(create_app(root, **options)))

        yield start
