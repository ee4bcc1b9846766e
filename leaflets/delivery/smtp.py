"""Send a composed message through the clinic's mail server, and log what was sent."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from ..config import EmailSettings
from ..exceptions import MailError, WriteError, display_path
from ..output import append_line
from ..workspace import Workspace

#: The environment variable the SMTP password is read from (never leaflets.toml).
PASSWORD_VARIABLE = "LEAFLETS_SMTP_PASSWORD"


@dataclass(frozen=True)
class SendResult:
    """Who the mail server accepted the message for, and who it refused."""

    accepted: tuple[str, ...]
    #: Refused address -> the server's code and reply (code 0: not sent, for the reason given).
    refused: dict[str, tuple[int, str]]
    message_id: str
    #: Addresses whose message the server received whole but never confirmed: it may
    #: have been delivered, and the send log records it as "unconfirmed".
    unconfirmed: tuple[str, ...] = ()
    #: What went wrong after the last message was transmitted (a lost connection).
    problem: str = ""
    #: Why the send log could not be written (the messages were sent all the same).
    log_error: str = ""

    @property
    def ok(self) -> bool:
        """Tell whether every recipient was accepted."""
        return not self.refused and not self.unconfirmed


class _SMTP(smtplib.SMTP):
    """An SMTP client that knows whether the whole of a message's DATA has gone out."""

    transmitted = False

    def send(self, s: Any) -> None:
        # The payload of DATA is the only thing smtplib sends that ends with
        # CRLF.CRLF; commands are single lines. Once it is out, the server may
        # deliver the message even if its reply never arrives.
        super().send(s)
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.transmitted = True


class _SMTP_SSL(_SMTP, smtplib.SMTP_SSL):
    """The same, over TLS from the start."""


def send(
    workspace: Workspace,
    message: EmailMessage,
    *,
    password: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> SendResult:
    """Send *message* through the mail server in ``[email]``; return who got it.

    Each address in its ``To`` gets a message of its own, with only that
    address in ``To``, so no patient sees another's address. The password is
    *password*, else the LEAFLETS_SMTP_PASSWORD environment variable. TLS
    certificates are verified against the system's trusted authorities (or
    ``SSL_CERT_FILE``) unless *ssl_context* says otherwise. Raises MailError,
    with one line, when nothing was sent; a message refused for only some
    recipients returns them in ``refused``, one the server received but did
    not confirm in ``unconfirmed``.
    """
    settings = workspace.config.email
    if not settings.host:
        raise MailError(
            "leaflets.toml: email.host: is not set: add an [email] table with the clinic's "
            "mail server (see the README), or save a draft with --draft"
        )
    if password is None:
        password = os.environ.get(PASSWORD_VARIABLE) or None
    if settings.username and not password:
        raise MailError(
            f"the environment variable {PASSWORD_VARIABLE} is not set: it holds the password "
            f"of {settings.username!r} on {settings.host}; nothing was sent"
        )
    # (as written in To, address): "Mario Rossi <mario@example.org>", "mario@example.org"
    recipients = [
        (str(mailbox), mailbox.addr_spec)
        for header in message.get_all("To", [])
        for mailbox in getattr(header, "addresses", ())
    ]
    if not recipients:
        raise MailError("the message has no recipient: give one with --to; nothing was sent")
    if not message["From"]:
        raise MailError(
            "leaflets.toml: email.from: is not set and the clinic has no email; nothing was sent"
        )
    _check_log(workspace)
    context = ssl_context or ssl.create_default_context()
    outcomes = _transmit(settings, message, context, password, recipients)
    log_error = ""
    for outcome in outcomes.logged:
        try:
            _append_log(workspace, message, outcome)
        except WriteError as error:
            log_error = str(error)
            break
    accepted = tuple(o.address for o in outcomes.logged if o.status == "sent")
    unconfirmed = tuple(o.address for o in outcomes.logged if o.status == "unconfirmed")
    first = outcomes.logged[0].message_id if outcomes.logged else str(message["Message-ID"])
    return SendResult(accepted, outcomes.refused, first, unconfirmed, outcomes.problem, log_error)


@dataclass(frozen=True)
class _Outcome:
    """One message sent, or perhaps sent: to whom, with which Message-ID."""

    address: str
    message_id: str
    status: str  # "sent" or "unconfirmed"


@dataclass
class _Outcomes:
    logged: list[_Outcome]
    refused: dict[str, tuple[int, str]]
    problem: str = ""


def _transmit(
    settings: EmailSettings,
    message: EmailMessage,
    context: ssl.SSLContext,
    password: str | None,
    recipients: list[tuple[str, str]],
) -> _Outcomes:
    """Send one message per recipient over one connection; sort out what happened to each."""
    stage = "connect"
    outcomes = _Outcomes([], {})
    original_id, original_to = str(message["Message-ID"]), str(message["To"])
    try:
        smtp: _SMTP
        if settings.security == "ssl":
            smtp = _SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            smtp = _SMTP(settings.host, settings.port, timeout=settings.timeout)
        with smtp:
            if settings.security == "starttls":
                stage = "starttls"
                smtp.starttls(context=context)
            if settings.username:
                stage = "login"
                smtp.login(settings.username, password or "")
            stage = "send"
            for index, (mailbox, address) in enumerate(recipients):
                message_id = _address_to(message, mailbox, address, index, original_id)
                smtp.transmitted = False
                try:
                    refused = smtp.send_message(message, to_addrs=[address])
                except smtplib.SMTPRecipientsRefused as error:
                    outcomes.refused.update(_refused(error.recipients))
                    continue
                except (OSError, smtplib.SMTPServerDisconnected) as error:
                    if not smtp.transmitted:
                        raise
                    outcomes.logged.append(_Outcome(address, message_id, "unconfirmed"))
                    outcomes.problem = _unconfirmed(settings, error, address)
                    _not_sent(outcomes, recipients[index + 1 :], "the connection was lost")
                    return outcomes
                if refused:
                    outcomes.refused.update(_refused(refused))
                else:
                    outcomes.logged.append(_Outcome(address, message_id, "sent"))
            # Sent already: a rude goodbye does not undo it.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
    except (smtplib.SMTPException, OSError) as error:
        failure = _explain(settings, error, stage)
        if not outcomes.logged:
            raise failure from None
        # Some messages went out: say what happened to the others instead.
        done = {o.address for o in outcomes.logged} | set(outcomes.refused)
        left = [(name, address) for name, address in recipients if address not in done]
        _not_sent(outcomes, left, str(failure).removesuffix("; nothing was sent"))
    finally:
        del message["To"]
        message["To"] = original_to
        del message["Message-ID"]
        message["Message-ID"] = original_id
    if not outcomes.logged:
        where = f"{settings.host}:{settings.port}"
        raise MailError(
            f"the mail server {where} refused every recipient; nothing was sent: "
            + _refusals(outcomes.refused)
        )
    return outcomes


def _address_to(
    message: EmailMessage, mailbox: str, address: str, index: int, original_id: str
) -> str:
    """Make *message* go to *mailbox* alone; return its Message-ID (a new one after the first)."""
    del message["To"]
    message["To"] = mailbox
    message_id = original_id
    if index:
        domain = original_id.rpartition("@")[2].rstrip(">") or "leaflets.invalid"
        message_id = make_msgid(domain=domain)
    del message["Message-ID"]
    message["Message-ID"] = message_id
    return message_id


def _not_sent(outcomes: _Outcomes, left: list[tuple[str, str]], reason: str) -> None:
    for _, address in left:
        outcomes.refused[address] = (0, f"not sent: {reason}")


def _refused(refused: Mapping[str, tuple[int, bytes | str]]) -> dict[str, tuple[int, str]]:
    return {address: (code, _text(reply)) for address, (code, reply) in refused.items()}


def _unconfirmed(settings: EmailSettings, error: BaseException, address: str) -> str:
    """Return what to say of a message the server received whole but never confirmed."""
    where = f"{settings.host}:{settings.port}"
    timed_out = isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError)
    why = (
        f"did not confirm it within {settings.timeout:g} s"
        if timed_out
        else "closed the connection before confirming it"
    )
    return (
        f"the mail server {where} received the whole message for {address} but {why}: "
        "it may have been delivered (recorded as unconfirmed in the send log); "
        "ask the patient before sending it again"
    )


def _explain(settings: EmailSettings, error: BaseException, stage: str) -> MailError:
    """Turn an SMTP or network failure while at *stage* into one MailError line."""
    where = f"{settings.host}:{settings.port}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return MailError(
            f"the mail server {where} refused every recipient; nothing was sent: "
            + _refusals(error.recipients)
        )
    if isinstance(error, ConnectionRefusedError):
        return MailError(
            f"cannot connect to the mail server {where}: connection refused "
            "(check [email] host and port); nothing was sent"
        )
    if isinstance(error, TimeoutError):
        return _timed_out(settings, stage)
    if isinstance(error, ssl.SSLCertVerificationError):
        return MailError(
            f"the TLS certificate of the mail server {where} cannot be trusted "
            f"({error.verify_message}); nothing was sent"
        )
    if isinstance(error, ssl.SSLError):
        return MailError(
            f"TLS with the mail server {where} failed ({error.reason or error}); nothing was sent"
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return _not_supported(settings, stage)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return MailError(
            f"the mail server {where} rejected the login of {settings.username!r}: "
            f"{_reply(error)} (check [email] username and "
            f"{PASSWORD_VARIABLE}); nothing was sent"
        )
    if isinstance(error, smtplib.SMTPSenderRefused):
        return MailError(
            f"the mail server {where} refused the sender {error.sender!r}: "
            f"{_reply(error)}; nothing was sent"
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return MailError(
            f"the mail server {where} refused the message ({stage}): "
            f"{_reply(error)}; nothing was sent"
        )
    if isinstance(error, smtplib.SMTPServerDisconnected):
        if isinstance(error.__context__, TimeoutError):  # smtplib wraps a read timeout.
            return _timed_out(settings, stage)
        return MailError(
            f"the mail server {where} closed the connection (while trying to {stage}); "
            "nothing was sent"
        )
    if isinstance(error, smtplib.SMTPException):
        return MailError(f"the mail server {where}: {error}; nothing was sent")
    assert isinstance(error, OSError)
    reason = error.strerror or str(error)
    return MailError(f"cannot connect to the mail server {where}: {reason}; nothing was sent")


def _not_supported(settings: EmailSettings, stage: str) -> MailError:
    """Return the error of a server lacking what *stage* needs: STARTTLS, AUTH or SMTPUTF8."""
    where = f"{settings.host}:{settings.port}"
    if stage == "login":
        return MailError(
            f"the mail server {where} does not offer a login (SMTP AUTH), but [email] "
            f"username is set to {settings.username!r}: leave username empty if this server "
            "needs no login, or check host and port; nothing was sent"
        )
    if stage == "starttls":
        return MailError(
            f"the mail server {where} does not offer STARTTLS, so the message would go "
            'unencrypted; nothing was sent (use security = "ssl" if it expects TLS from the '
            "start)"
        )
    return MailError(
        f"the mail server {where} does not accept international addresses (SMTPUTF8); "
        "nothing was sent"
    )


def _timed_out(settings: EmailSettings, stage: str) -> MailError:
    """Return the error of a server that did not answer in time, while at *stage*."""
    return MailError(
        f"the mail server {settings.host}:{settings.port} did not answer within "
        f"{settings.timeout:g} s (while trying to {stage}); nothing was sent"
    )


def _reply(error: smtplib.SMTPResponseException) -> str:
    """Return the server's reply in an error, as "535 Authentication failed"."""
    return f"{error.smtp_code} {_text(error.smtp_error)}"


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())[:200]


def _refusals(refused: Mapping[str, tuple[int, bytes | str]]) -> str:
    return ", ".join(
        f"{address} ({code} {_text(reply)})" for address, (code, reply) in refused.items()
    )


def _check_log(workspace: Workspace) -> None:
    """Refuse to send when the send log cannot be written (before anything is sent)."""
    path = workspace.config.email.log
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as error:
        raise MailError(
            f"leaflets.toml: email.log: cannot write {path.name}: {error.strerror}; "
            "nothing was sent"
        ) from None


def _append_log(workspace: Workspace, message: EmailMessage, outcome: _Outcome) -> None:
    """Append one JSON line: what was sent, in which version; the recipient only if asked."""
    settings = workspace.config.email
    if settings.log is None:
        return
    attachments = getattr(message, "attachments_info", ())
    record: dict[str, Any] = {
        "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "message_id": outcome.message_id,
        "status": outcome.status,
        "lang": getattr(message, "lang", ""),
        "attachments": [
            {"file": a.filename, "sha256": a.sha256, "pages": a.pages, "leaflets": list(a.leaflets)}
            for a in attachments
        ],
    }
    if settings.log_recipients:
        record["recipients"] = [outcome.address]
    line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
    shown = display_path(settings.log, workspace.root)
    append_line(settings.log, line.encode("utf-8"), shown=shown)
