"""Helpers shared by the desk's tests: extra conditions, a live server, a real SMTP server."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

IN_CI = os.environ.get("CI") == "true"


def missing(what: str) -> None:
    """Fail when CI=true (the setup script must provide *what*), else skip."""
    if IN_CI:
        pytest.fail(f"{what} is missing; ./dev.sh setup installs it")
    pytest.skip(f"{what} is missing (./dev.sh setup installs it)")


def add_condition(
    root: Path,
    slug: str,
    *,
    titles: dict[str, str],
    icd10: str,
    next_review: str = "2030-01-01",
    last_reviewed: str = "2025-01-01",
) -> Path:
    """Copy the demo condition as *slug* with other titles, ICD-10 code and review dates."""
    source = root / "data" / "hemifacial-spasm"
    folder = root / "data" / slug
    shutil.copytree(source, folder)
    for lang in titles:
        if not (folder / f"{lang}.md").exists():  # a new language: the English text
            shutil.copyfile(folder / "en.md", folder / f"{lang}.md")
    for path in folder.glob("*.md"):
        lang = path.stem
        if lang not in titles:
            path.unlink()
            continue
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"^title: .*$", f"title: {titles[lang]}", text, count=1, flags=re.M)
        path.write_text(text, encoding="utf-8")
    meta = folder / "condition.yaml"
    text = meta.read_text(encoding="utf-8")
    text = re.sub(r"^id: .*$", f"id: {slug}", text, flags=re.M)
    text = re.sub(r"^icd10: .*$", f"icd10: {icd10}", text, flags=re.M)
    text = re.sub(r"^next_review: .*$", f"next_review: {next_review}", text, flags=re.M)
    text = re.sub(r"^last_reviewed: .*$", f"last_reviewed: {last_reviewed}", text, flags=re.M)
    meta.write_text(text, encoding="utf-8")
    return folder


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_desk(app: Any) -> Iterator[str]:
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


@dataclass
class Mailbox:
    """What a real SMTP server (aiosmtpd) received; it refuses the addresses in *refuse*."""

    refuse: set[str] = field(default_factory=set)
    messages: list[Any] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(
            (tuple(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=default))
        )
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(refuse: set[str] | None = None) -> Iterator[tuple[int, Mailbox]]:
    """Run a real SMTP server on 127.0.0.1; yield its port and mailbox."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        missing("aiosmtpd")
    mailbox = Mailbox(refuse=set(refuse or ()))
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


def email_settings(port: int) -> str:
    """Return an [email] table sending through a local SMTP server on *port*."""
    return f'\n[email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
