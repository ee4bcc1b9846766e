"""`leaflets email` against a real SMTP server (aiosmtpd) on 127.0.0.1: plain, STARTTLS, AUTH."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import os
import shutil
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import pdf_pages, run_cli
from fixtures_servers import SMTP_PASSWORD, Mailbox, MailServer, free_port, running_smtp
from pypdf import PdfReader

from leaflets.delivery.mail import check_addresses, compose, send, write_draft
from leaflets.exceptions import MailError
from leaflets.workspace import open_workspace

try:
    import aiosmtpd  # noqa: F401 - the fixtures' server
    import trustme
except ImportError:
    # CI must run these tests: there, a missing server is a failure, not a skip.
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("aiosmtpd and trustme are not installed", allow_module_level=True)

LEAFLET = "hemifacial-spasm.it.leaflet.pdf"
HANDOUT = "hemifacial-spasm.it.handout.pdf"
PASSWORD = SMTP_PASSWORD


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(ca: trustme.CA, tmp_path: Path) -> Iterator[MailServer]:
    """A server that requires STARTTLS and AUTH, with a certificate from a CA made here."""
    mailbox = Mailbox()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with running_smtp(
        mailbox,
        tls_context=context,
        require_starttls=True,
        authenticator=mailbox.authenticate,
        auth_require_tls=True,
    ) as server:
        yield replace(server, ca_file=ca_file)


def email_config(port: int, extra: str = "", security: str = "none") -> str:
    """Return the demo's leaflets.toml with an [email] table for the test server."""
    demo = (Path(__file__).resolve().parent.parent / "leaflets.toml").read_text("utf-8")
    return demo + f'\n[email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "{security}"\n' + extra


@pytest.fixture
def make_built(make_workspace: Callable[..., Path], built_demo: Path) -> Callable[..., Path]:
    """Return a factory of demo workspaces whose PDFs are already built and up to date.

    Building takes most of a test's time; `email` still checks them against
    the manifest and rebuilds what is not up to date.
    """

    def factory(*, config: str | None = None) -> Path:
        root = make_workspace(config=config)
        shutil.copytree(built_demo, root / "build")
        return root

    return factory


def only_message(server: MailServer) -> EmailMessage:
    assert len(server.mailbox.received) == 1
    return server.mailbox.received[0].message


def body(message: EmailMessage, kind: str) -> str:
    """Return the text of the plain or html body, with the wire's CRLF as LF."""
    part = message.get_body((kind,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def attachments(message: EmailMessage) -> dict[str, bytes]:
    found = {}
    for part in message.iter_attachments():
        assert part.get_content_type() == "application/pdf"
        found[part.get_filename() or ""] = part.get_content()
    return found


def test_send_in_italian_over_plain_smtp(
    make_workspace: Callable[..., Path], smtp_server: MailServer
) -> None:
    root = make_workspace(config=email_config(smtp_server.port))
    result = run_cli(
        "email", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "-t", "leaflet",
        "-t", "handout", "--to", "Mario Rossi <mario.rossi@example.org>",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "sent to mario.rossi@example.org"

    received = smtp_server.mailbox.received[0]
    assert received.mail_from == "neurology@example.org"
    assert received.rcpt_tos == ["mario.rossi@example.org"]
    message = only_message(smtp_server)
    assert message["From"] == "Demo Neurology Clinic <neurology@example.org>"
    assert message["Reply-To"] == "Demo Neurology Clinic <neurology@example.org>"
    assert message["To"] == "Mario Rossi <mario.rossi@example.org>"
    assert message["Subject"] == "Emispasmo facciale – informazioni da Demo Neurology Clinic"
    assert message["Content-Language"] == "it"
    assert message["Message-ID"].endswith("@example.org>")
    assert message["Date"].datetime is not None
    assert "X-Unsent" not in message

    text = body(message, "plain")
    assert text.startswith("Buongiorno,\n\nDemo Neurology Clinic ti invia le informazioni")
    assert "- Emispasmo facciale (Emispasmo facciale.pdf, 3 pagine)\n" in text
    assert (
        "- Emispasmo facciale – Scheda dell’ambulatorio "
        "(Emispasmo facciale - Scheda dell’ambulatorio.pdf, 1 pagina)\n"
    ) in text
    assert "Telefono: +39 02 0000 0000\n" in text
    html = body(message, "html")
    assert '<html lang="it"' in html
    assert (
        "<strong>Emispasmo facciale</strong> "
        '(<bdi dir="ltr">Emispasmo facciale.pdf</bdi>, 3 pagine)'
    ) in html

    assert attachments(message) == {
        "Emispasmo facciale.pdf": (root / "build" / LEAFLET).read_bytes(),
        "Emispasmo facciale - Scheda dell’ambulatorio.pdf": (root / "build" / HANDOUT).read_bytes(),
    }
    # The patient's address is nowhere in the workspace: manifest, PDFs, anything.
    for path in root.rglob("*"):
        if path.is_file():
            assert b"mario.rossi" not in path.read_bytes(), path


def test_starttls_and_auth_with_a_verified_certificate_and_the_send_log(
    make_built: Callable[..., Path], tls_server: MailServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tls_server.ca_file is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_server.ca_file))
    monkeypatch.setenv("LEAFLETS_SMTP_PASSWORD", PASSWORD)
    extra = 'username = "leaflets@example.org"\nlog = "sent.jsonl"\n'
    root = make_built(config=email_config(tls_server.port, extra, security="starttls"))
    result = run_cli(
        "email", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "--to", "mario@example.org"
    )
    assert result.exit_code == 0, result.output
    assert tls_server.mailbox.logins == ["leaflets@example.org"]
    message = only_message(tls_server)
    pdf = (root / "build" / LEAFLET).read_bytes()
    assert attachments(message) == {"Emispasmo facciale.pdf": pdf}

    lines = (root / "sent.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["message_id"] == message["Message-ID"]
    assert record["lang"] == "it"
    assert record["attachments"] == [
        {
            "file": "Emispasmo facciale.pdf",
            "sha256": hashlib.sha256(pdf).hexdigest(),
            "pages": 3,
            "leaflets": [
                {
                    "condition": "hemifacial-spasm",
                    "lang": "it",
                    "template": "leaflet",
                    "version": "1.0",
                }
            ],
        }
    ]
    assert "recipients" not in record
    assert "mario" not in lines[0]


def test_the_send_log_names_recipients_only_when_asked(
    make_built: Callable[..., Path], smtp_server: MailServer
) -> None:
    extra = 'log = "logs/sent.jsonl"\nlog_recipients = true\n'
    root = make_built(config=email_config(smtp_server.port, extra))
    workspace = open_workspace(root)
    message = compose(workspace, conditions=["hemifacial-spasm"], lang="en", to=["a@example.org"])
    result = send(workspace, message)
    assert result.accepted == ("a@example.org",)
    assert result.refused == {}
    record = json.loads((root / "logs/sent.jsonl").read_text("utf-8"))
    assert record["recipients"] == ["a@example.org"]
    assert record["attachments"][0]["file"] == "Hemifacial spasm.pdf"


def test_an_untrusted_certificate_stops_before_anything_is_sent(
    make_built: Callable[..., Path], tls_server: MailServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAFLETS_SMTP_PASSWORD", PASSWORD)
    # The test CA is not trusted: certificates are verified by default.
    monkeypatch.setenv("SSL_CERT_FILE", os.devnull)
    extra = 'username = "leaflets@example.org"\n'
    root = make_built(config=email_config(tls_server.port, extra, security="starttls"))
    result = run_cli(
        "email", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "--to", "m@example.org"
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the TLS certificate of the mail server 127.0.0.1:{tls_server.port} cannot be "
        "trusted (unable to get local issuer certificate); nothing was sent\n"
    )
    assert tls_server.mailbox.received == []
    assert tls_server.mailbox.logins == []


def test_connection_refused(make_built: Callable[..., Path]) -> None:
    port = free_port()  # Nothing listens there.
    root = make_built(config=email_config(port))
    result = run_cli(
        "email", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "--to", "m@example.org"
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: cannot connect to the mail server 127.0.0.1:{port}: connection refused "
        "(check [email] host and port); nothing was sent\n"
    )


def test_a_server_that_never_answers_times_out(make_built: Callable[..., Path]) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # Accepts the connection, never says hello.
        port = silent.getsockname()[1]
        root = make_built(config=email_config(port, "timeout = 1\n"))
        result = run_cli(
            "email", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "--to", "m@example.org"
        )
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the mail server 127.0.0.1:{port} did not answer within 1 s "
        "(while trying to connect); nothing was sent\n"
    )


def test_a_wrong_password_is_rejected(
    make_built: Callable[..., Path], tls_server: MailServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tls_server.ca_file is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_server.ca_file))
    monkeypatch.setenv("LEAFLETS_SMTP_PASSWORD", "wrong")
    extra = 'username = "leaflets@example.org"\n'
    root = make_built(config=email_config(tls_server.port, extra, security="starttls"))
    result = run_cli(
        "email", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "--to", "m@example.org"
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the mail server 127.0.0.1:{tls_server.port} rejected the login of "
        "'leaflets@example.org': 535 5.7.8 Authentication credentials invalid "
        "(check [email] username and LEAFLETS_SMTP_PASSWORD); nothing was sent\n"
    )
    assert tls_server.mailbox.received == []


def test_a_missing_password_is_reported_before_connecting(
    make_built: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEAFLETS_SMTP_PASSWORD", raising=False)
    extra = 'username = "leaflets@example.org"\n'
    root = make_built(config=email_config(free_port(), extra, security="starttls"))
    result = run_cli(
        "email", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "--to", "m@example.org"
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the environment variable LEAFLETS_SMTP_PASSWORD is not set: it holds the "
        "password of 'leaflets@example.org' on 127.0.0.1; nothing was sent\n"
    )


def test_a_recipient_refused_with_550(
    make_built: Callable[..., Path], smtp_server: MailServer
) -> None:
    root = make_built(config=email_config(smtp_server.port))
    result = run_cli(
        "email", "-C", root, "-c", "hemifacial-spasm", "-l", "it",
        "--to", "mario@example.org", "--to", "nobody@example.org",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "sent to mario@example.org"
    assert result.stderr == (
        "Error: sent to mario@example.org, but the mail server refused: "
        "nobody@example.org (550 5.1.1 No such user here)\n"
    )
    assert [r.rcpt_tos for r in smtp_server.mailbox.received] == [["mario@example.org"]]


def test_every_recipient_refused(make_built: Callable[..., Path], smtp_server: MailServer) -> None:
    root = make_built(config=email_config(smtp_server.port))
    result = run_cli(
        "email", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "--to", "nobody@example.org"
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the mail server 127.0.0.1:{smtp_server.port} refused every recipient; "
        "nothing was sent: nobody@example.org (550 5.1.1 No such user here)\n"
    )
    assert smtp_server.mailbox.received == []


def test_over_the_size_budget_nothing_is_sent(
    make_built: Callable[..., Path], smtp_server: MailServer
) -> None:
    root = make_built(config=email_config(smtp_server.port, 'max_attachments_size = "20 KB"\n'))
    result = run_cli(
        "email", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "-t", "leaflet",
        "-t", "handout", "--to", "m@example.org",
    )  # fmt: skip
    assert result.exit_code == 1
    leaflet = (root / "build" / LEAFLET).stat().st_size
    handout = (root / "build" / HANDOUT).stat().st_size
    assert result.stderr == (
        f"Error: the attachments take {(leaflet + handout) / 1000:.0f} KB, more than [email] "
        f"max_attachments_size allows (20 KB): Emispasmo facciale.pdf {leaflet / 1000:.0f} KB, "
        f"Emispasmo facciale - Scheda dell’ambulatorio.pdf {handout / 1000:.0f} KB; "
        "nothing was sent\n"
    )
    assert smtp_server.mailbox.received == []


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("mario@@example.org", "the part before @ is not valid"),
        ("mario", "it has no @, as in name@example.org"),
        ("mario@example", "the part after @ needs a dot, as in example.org"),
        ("a@b.c, d@e.f", "write one address at a time"),
        ("a@b..org", "the part after @ is not a valid domain"),
    ],
)
def test_a_bad_address_stops_everything(
    make_workspace: Callable[..., Path], smtp_server: MailServer, address: str, why: str
) -> None:
    root = make_workspace(config=email_config(smtp_server.port))
    result = run_cli(
        "email", "-C", root, "-c", "hemifacial-spasm", "-l", "it",
        "--to", "mario@example.org", "--to", address,
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: --to: Not an email address: {address} ({why}); nothing was sent\n"
    )
    assert not (root / "build").exists()  # Checked before anything was built.
    assert smtp_server.mailbox.received == []


def test_a_draft_opens_as_unsent_and_keeps_the_pdfs(
    make_built: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_built()  # No [email] table: a draft needs no mail server.
    draft = tmp_path / "outbox" / "mario.eml"
    draft.parent.mkdir()
    result = run_cli(
        "email", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "-t", "leaflet",
        "-t", "handout", "--to", "mario@example.org", "--draft", draft,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    raw = draft.read_bytes()
    assert b"\r\nX-Unsent: 1\r\n" in raw
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message["To"] == "mario@example.org"
    assert message["Subject"] == "Emispasmo facciale – informazioni da Demo Neurology Clinic"
    assert attachments(message) == {
        "Emispasmo facciale.pdf": (root / "build" / LEAFLET).read_bytes(),
        "Emispasmo facciale - Scheda dell’ambulatorio.pdf": (root / "build" / HANDOUT).read_bytes(),
    }


def test_a_draft_with_an_address_is_never_written_into_the_workspace(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    result = run_cli(
        "email", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "--to", "mario@example.org",
        "--draft", root / "mario.eml",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --draft: mario.eml is inside the workspace, and the patient's address must "
        "never be written there: save the draft elsewhere, or leave out --to\n"
    )
    assert not (root / "mario.eml").exists()


def test_non_ascii_file_names_use_rfc_2231(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_workspace()
    content = root / "data/hemifacial-spasm/it.md"
    content.write_text(
        content.read_text("utf-8").replace(
            "title: Emispasmo facciale", "title: Emispasmo è curabile"
        ),
        "utf-8",
    )
    workspace = open_workspace(root)
    message = compose(workspace, conditions=["hemifacial-spasm"], lang="it")
    path = write_draft(message, tmp_path / "draft.eml")
    raw = path.read_bytes()
    assert b"filename*=utf-8''Emispasmo%20%C3%A8%20curabile.pdf" in raw
    assert b"Content-Type: application/pdf; name*=utf-8''Emispasmo%20%C3%A8%20curabile.pdf" in raw
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    (part,) = parsed.iter_attachments()
    assert part.get_filename() == "Emispasmo è curabile.pdf"
    assert part.get_param("name") == "Emispasmo è curabile.pdf"


def test_dry_run_shows_the_message_and_sends_nothing(
    make_built: Callable[..., Path], smtp_server: MailServer
) -> None:
    root = make_built(config=email_config(smtp_server.port))
    result = run_cli(
        "email", "-C", root, "-c", "hemifacial-spasm", "-l", "en", "--to", "a@example.org",
        "--dry-run",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    pdf = root / "build/hemifacial-spasm.en.leaflet.pdf"
    size, pages = pdf.stat().st_size, len(PdfReader(pdf).pages)
    assert result.stdout.splitlines() == [
        "Would send (nothing was sent):",
        "From:       Demo Neurology Clinic <neurology@example.org>",
        "To:         a@example.org",
        "Subject:    Hemifacial spasm – information from Demo Neurology Clinic",
        f"Attachment: Hemifacial spasm.pdf ({pages} pages, {size / 1000:.0f} KB)",
        f"Total:      {size / 1000:.0f} KB",
    ]
    assert smtp_server.mailbox.received == []


def test_packet_attachment(make_built: Callable[..., Path], smtp_server: MailServer) -> None:
    root = make_built(config=email_config(smtp_server.port))
    result = run_cli(
        "email", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "-t", "leaflet",
        "-t", "handout", "--packet", "--to", "m@example.org",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    message = only_message(smtp_server)
    (name,) = attachments(message)
    assert name == "Informazioni per te - Emispasmo facciale.pdf"
    text = body(message, "plain")
    assert "  Emispasmo facciale – Informazioni per i pazienti: da pagina 2\n" in text
    assert "  Emispasmo facciale – Scheda dell’ambulatorio: da pagina 5\n" in text


def test_send_without_a_mail_server_configured(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    workspace = open_workspace(root)
    message = compose(workspace, conditions=["hemifacial-spasm"], lang="en", to=["a@example.org"])
    with pytest.raises(MailError) as caught:
        send(workspace, message)
    assert str(caught.value) == (
        "leaflets.toml: email.host: is not set: add an [email] table with the clinic's mail "
        "server (see the README), or save a draft with --draft"
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            'password = "secret"\n',
            "leaflets.toml:20: email.password: must not be in leaflets.toml, where anyone who "
            "can read the workspace would see it: set the environment variable "
            "LEAFLETS_SMTP_PASSWORD instead",
        ),
        (
            'max_attachments_size = "ten megabytes"\n',
            "leaflets.toml:20: email.max_attachments_size: 'ten megabytes' is not a size like "
            '"10 MB" or "500 KB"',
        ),
        (
            'log = "../sent.jsonl"\n',
            "leaflets.toml:20: email.log: '../sent.jsonl' is outside the workspace",
        ),
        (
            'from = "Clinic <clinic>"\n',
            "leaflets.toml:20: email.from: 'Clinic <clinic>' is not one address like "
            '"Clinic name <clinic@example.org>"',
        ),
        (
            "log_recipients = 1\n",
            "leaflets.toml:20: email.log_recipients: must be true or false, not 1",
        ),
    ],
)
def test_email_settings_errors(
    make_workspace: Callable[..., Path], extra: str, expected: str
) -> None:
    line = len(email_config(25).splitlines()) + 1  # Where *extra* starts.
    expected = expected.replace("leaflets.toml:20:", f"leaflets.toml:{line}:")
    root = make_workspace(config=email_config(25, extra))
    result = run_cli("email", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "--draft", "x.eml")
    assert result.exit_code == 2
    assert result.stderr == f"Error: {expected}\n"


def test_unencrypted_smtp_only_on_this_machine(make_workspace: Callable[..., Path]) -> None:
    config = email_config(25).replace('host = "127.0.0.1"', 'host = "smtp.example.org"')
    root = make_workspace(config=config)
    line = config.splitlines().index('security = "none"') + 1
    result = run_cli("build", "-C", root)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: leaflets.toml:{line}: email.security: 'none' sends the password and the leaflets "
        "unencrypted, so it is allowed only for a mail server on this machine (localhost, "
        "127.0.0.1, ::1), not 'smtp.example.org'\n"
    )


def test_an_edited_leaflet_is_rebuilt_before_it_is_sent(
    make_built: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_built()
    content = root / "data/hemifacial-spasm/it.md"
    content.write_text(
        content.read_text("utf-8").replace("title: Emispasmo facciale", "title: Spasmo del viso"),
        "utf-8",
    )
    result = run_cli(
        "email", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "--draft", tmp_path / "d.eml"
    )
    assert result.exit_code == 0, result.output
    message = email.message_from_bytes(
        (tmp_path / "d.eml").read_bytes(), policy=email.policy.default
    )
    assert isinstance(message, EmailMessage)
    assert attachments(message) == {"Spasmo del viso.pdf": (root / "build" / LEAFLET).read_bytes()}
    assert pdf_pages(root / "build" / LEAFLET)[0].startswith(
        "Demo Neurology Clinic Movement Disorders Service "
        "INFORMAZIONI PER I PAZIENTI Spasmo del viso"
    )


def test_a_pdf_changed_behind_the_builds_back_is_not_sent(
    make_built: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_built()
    pdf = root / "build" / LEAFLET
    data = bytearray(pdf.read_bytes())
    data[-10] ^= 1  # Same size, other bytes: only the SHA-256 tells.
    pdf.write_bytes(bytes(data))
    result = run_cli(
        "email", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "--draft", tmp_path / "d.eml"
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {LEAFLET}: not the PDF the build recorded in manifest.json (changed or "
        "removed since); run `leaflets build` and try again\n"
    )
    assert not (tmp_path / "d.eml").exists()


def test_implicit_tls(
    make_built: Callable[..., Path],
    ca: trustme.CA,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    with running_smtp(ssl_context=context) as server:
        root = make_built(config=email_config(server.port, security="ssl"))
        result = run_cli(
            "email", "-C", root, "-c", "hemifacial-spasm", "-l", "en", "--to", "a@example.org"
        )
    assert result.exit_code == 0, result.output
    (received,) = server.mailbox.received
    assert received.rcpt_tos == ["a@example.org"]
    assert attachments(received.message) == {
        "Hemifacial spasm.pdf": (root / "build/hemifacial-spasm.en.leaflet.pdf").read_bytes()
    }


def test_email_and_packet_have_help() -> None:
    for command in ("email", "packet"):
        result = run_cli(command, "--help")
        assert result.exit_code == 0
        assert result.output.startswith(f"Usage: cli {command} [OPTIONS]")


def test_an_unknown_condition_or_missing_language_sends_nothing(
    make_built: Callable[..., Path], smtp_server: MailServer
) -> None:
    root = make_built(config=email_config(smtp_server.port))
    result = run_cli("email", "-C", root, "-c", "nothing-here", "-l", "it", "--to", "a@example.org")
    assert result.exit_code == 1
    assert result.stderr == "Error: data/nothing-here: no such condition; nothing was sent\n"
    (root / "data/hemifacial-spasm/it.md").unlink()
    result = run_cli(
        "email", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "--to", "a@example.org"
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: hemifacial-spasm.it.leaflet: no content in 'it' "
        "(data/hemifacial-spasm/it.md); nothing was sent\n"
    )
    assert smtp_server.mailbox.received == []


def test_addresses_are_normalized() -> None:
    assert check_addresses(
        ["Mario Rossi <mario.rossi@example.org>", "José Ñ <j@example.org>", "anna@bücher.de"]
    ) == [
        "Mario Rossi <mario.rossi@example.org>",
        "José Ñ <j@example.org>",
        "anna@xn--bcher-kva.de",  # International domains in their ASCII form.
    ]


def test_a_large_print_draft_attaches_the_built_large_print_pdf(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    demo = (Path(__file__).resolve().parent.parent / "leaflets.toml").read_text("utf-8")
    # Standard print is not configured: asking for it still builds and attaches it.
    config = demo.replace('variants = ["standard"]', 'variants = ["large-print"]')
    assert config != demo
    root = make_workspace(config=config)
    draft = tmp_path / "large.eml"
    result = run_cli(
        "email", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "--variant", "large-print",
        "--draft", draft,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    message = email.message_from_bytes(draft.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    large = root / "build/hemifacial-spasm.it.leaflet.large-print.pdf"
    assert attachments(message) == {"Emispasmo facciale (caratteri grandi).pdf": large.read_bytes()}

    result = run_cli(
        "email", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "--variant", "standard",
        "--dry-run",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    standard = root / "build" / LEAFLET
    pages = len(PdfReader(standard).pages)
    assert f"Attachment: Emispasmo facciale.pdf ({pages} pages, " in result.stdout


@pytest.mark.parametrize("command", ["email", "packet"])
def test_an_unknown_variant_is_one_line(
    make_workspace: Callable[..., Path], tmp_path: Path, command: str
) -> None:
    root = make_workspace()
    output = tmp_path / ("x.eml" if command == "email" else "x.pdf")
    option = "--draft" if command == "email" else "-o"
    result = run_cli(
        command, "-C", root, "-c", "hemifacial-spasm", "-l", "it", "--variant", "huge",
        option, output,
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: unknown variant 'huge' (expected one of: standard, large-print)\n"
    )
    assert not output.exists()


# The desk once had its own address check that disagreed with `leaflets email`
# on these: now both go through delivery/addresses.py.
ONE_RULE = [
    ("Name <ann@example.org>", "Name <ann@example.org>", ""),
    ("o'brien@example.org", "o'brien@example.org", ""),
    ("ann@exämple.org", "ann@xn--exmple-cua.org", ""),
    ("<ann@example.org>", "ann@example.org", ""),
    ("üser@example.org", None, "the part before @ has letters many mail servers cannot deliver to"),
    ("a..b@example.org", None, "the part before @ is not valid"),
    (".ann@example.org", None, "the part before @ is not valid"),
    ("ann@example.o", None, "the part after @ is not a valid domain"),
    ("ann@ex-.org", None, "the part after @ is not a valid domain"),
    ("ann@1.2.3.4", None, "the part after @ is not a valid domain"),
]


@pytest.mark.parametrize(("address", "normalized", "why"), ONE_RULE)
def test_the_cli_and_the_desk_agree_on_addresses(
    address: str,
    normalized: str | None,
    why: str,
    make_built: Callable[..., Path],
    smtp_server: MailServer,
) -> None:
    from desk_support import csrf_of
    from starlette.testclient import TestClient

    from leaflets.delivery.addresses import normalized_address
    from leaflets.desk.app import create_app

    assert normalized_address(address) == normalized
    if normalized is None:
        with pytest.raises(MailError) as refused:
            check_addresses([address])
        assert str(refused.value) == (
            f"--to: Not an email address: {address} ({why}); nothing was sent"
        )
    root = make_built(config=email_config(smtp_server.port))
    client = TestClient(create_app(root))
    form = {"slug": "hemifacial-spasm", "lang": "it", "kind": "leaflet", "action": "send"}
    response = client.post("/email", data={**form, "csrf": csrf_of(client), "to": address})
    if normalized is None:
        assert response.status_code == 400
        assert "Not an email address:" in response.text
        assert smtp_server.mailbox.received == []
    else:
        assert response.status_code == 200, response.text
        (received,) = smtp_server.mailbox.received
        assert received.message["To"] == normalized
