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
from email.utils import getaddresses
from typing import Any

from ..config import EmailSettings
from ..exceptions import MailError
from ..workspace import Workspace

#: The environment variable the SMTP password is read from (never leaflets.toml).
PASSWORD_VARIABLE = "LEAFLETS_SMTP_PASSWORD"


@dataclass(frozen=True)
class SendResult:
    """Who the mail server accepted the message for, and who it refused."""

    accepted: tuple[str, ...]
    #: Refused address -> the server's code and reply.
    refused: dict[str, tuple[int, str]]
    message_id: str

    @property
    def ok(self) -> bool:
        """Tell whether every recipient was accepted."""
        return not self.refused


def send(
    workspace: Workspace,
    message: EmailMessage,
    *,
    password: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> SendResult:
    """Send *message* through the mail server in ``[email]``; return who got it.

    The password is *password*, else the LEAFLETS_SMTP_PASSWORD environment
    variable. TLS certificates are verified against the system's trusted
    authorities (or ``SSL_CERT_FILE``) unless *ssl_context* says otherwise.
    Raises MailError, with one line, when nothing was sent; a message
    refused for only some recipients returns them in ``refused``.
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
    recipients = [address for _, address in getaddresses(message.get_all("To", []))]
    if not recipients:
        raise MailError("the message has no recipient: give one with --to; nothing was sent")
    sender = message["From"]
    if not sender:
        raise MailError(
            "leaflets.toml: email.from: is not set and the clinic has no email; nothing was sent"
        )
    log = _open_log(workspace)
    where = f"{settings.host}:{settings.port}"
    context = ssl_context or ssl.create_default_context()
    try:
        refused = _transmit(settings, message, context, password, recipients)
    except MailError:
        if log is not None:
            log.close()
        raise
    except smtplib.SMTPRecipientsRefused as error:
        if log is not None:
            log.close()
        raise MailError(
            f"the mail server {where} refused every recipient; nothing was sent: "
            + _refusals(error.recipients)
        ) from None
    except BaseException:
        if log is not None:
            log.close()
        raise
    accepted = tuple(address for address in recipients if address not in refused)
    result = SendResult(accepted, refused, str(message["Message-ID"]))
    if log is not None:
        with log:
            _append_log(log, workspace, message, result)
    return result


def _transmit(
    settings: EmailSettings,
    message: EmailMessage,
    context: ssl.SSLContext,
    password: str | None,
    recipients: list[str],
) -> dict[str, tuple[int, str]]:
    """Talk to the server; turn each failure into one MailError line."""
    where = f"{settings.host}:{settings.port}"
    stage = "connect"
    try:
        smtp: smtplib.SMTP
        if settings.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with smtp:
            if settings.security == "starttls":
                stage = "starttls"
                smtp.starttls(context=context)
            if settings.username:
                stage = "login"
                smtp.login(settings.username, password or "")
            stage = "send"
            refused = smtp.send_message(message, to_addrs=recipients)
            # Sent already: a rude goodbye does not undo it.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
            return {address: (code, _text(reply)) for address, (code, reply) in refused.items()}
    except smtplib.SMTPRecipientsRefused:
        raise
    except ConnectionRefusedError:
        raise MailError(
            f"cannot connect to the mail server {where}: connection refused "
            "(check [email] host and port); nothing was sent"
        ) from None
    except TimeoutError:
        raise _timed_out(settings, stage) from None
    except ssl.SSLCertVerificationError as error:
        raise MailError(
            f"the TLS certificate of the mail server {where} cannot be trusted "
            f"({error.verify_message}); nothing was sent"
        ) from None
    except ssl.SSLError as error:
        raise MailError(
            f"TLS with the mail server {where} failed ({error.reason or error}); nothing was sent"
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise MailError(
            f"the mail server {where} does not offer STARTTLS, so the message would go "
            'unencrypted; nothing was sent (use security = "ssl" if it expects TLS from the start)'
        ) from None
    except smtplib.SMTPAuthenticationError as error:
        raise MailError(
            f"the mail server {where} rejected the login of {settings.username!r}: "
            f"{_reply(error)} (check [email] username and "
            f"{PASSWORD_VARIABLE}); nothing was sent"
        ) from None
    except smtplib.SMTPSenderRefused as error:
        raise MailError(
            f"the mail server {where} refused the sender {error.sender!r}: "
            f"{_reply(error)}; nothing was sent"
        ) from None
    except smtplib.SMTPResponseException as error:
        raise MailError(
            f"the mail server {where} refused the message ({stage}): "
            f"{_reply(error)}; nothing was sent"
        ) from None
    except smtplib.SMTPServerDisconnected as error:
        if isinstance(error.__context__, TimeoutError):  # smtplib wraps a read timeout.
            raise _timed_out(settings, stage) from None
        raise MailError(
            f"the mail server {where} closed the connection (while trying to {stage}); "
            "nothing was sent"
        ) from None
    except smtplib.SMTPException as error:
        raise MailError(f"the mail server {where}: {error}; nothing was sent") from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise MailError(
            f"cannot connect to the mail server {where}: {reason}; nothing was sent"
        ) from None


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


def _open_log(workspace: Workspace) -> Any:
    """Open the send log for appending before anything is sent, or return None."""
    path = workspace.config.email.log
    if path is None:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("a", encoding="utf-8")
    except OSError as error:
        raise MailError(
            f"leaflets.toml: email.log: cannot write {path.name}: {error.strerror}; "
            "nothing was sent"
        ) from None


def _append_log(log: Any, workspace: Workspace, message: EmailMessage, result: SendResult) -> None:
    """Append one JSON line: what was sent, in which version; the recipients only if asked."""
    settings = workspace.config.email
    attachments = getattr(message, "attachments_info", ())
    record: dict[str, Any] = {
        "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "message_id": result.message_id,
        "lang": getattr(message, "lang", ""),
        "attachments": [
            {"file": a.filename, "sha256": a.sha256, "pages": a.pages, "leaflets": list(a.leaflets)}
            for a in attachments
        ],
    }
    if settings.log_recipients:
        record["recipients"] = list(result.accepted)
    log.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    log.flush()
