"""Deliver leaflets by email: compose the message, then send it, save it as a draft, or show it.

A message is made from what the build recorded: compose() first builds the
chosen leaflets that are out of date (the normal incremental build), then
attaches the PDFs listed in build/manifest.json after checking their
SHA-256, so a stale or half-written PDF is never sent. The subject and the
body come from templates/email/ in the patient's language, through the same
catalogs as the leaflets.

Privacy: the patient's address goes only into the message. It is never
written into the workspace, the manifest or a PDF; the optional send log
records it only when ``log_recipients = true``.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import logging
import os
import re
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import formataddr, formatdate, getaddresses, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import STANDARD, Clinic, EmailSettings
from ..exceptions import MailError
from ..workspace import Workspace

if TYPE_CHECKING:
    from ..engine.build import Project

logger = logging.getLogger(__name__)

#: The environment variable the SMTP password is read from (never leaflets.toml).
PASSWORD_VARIABLE = "LEAFLETS_SMTP_PASSWORD"

#: Characters a file name shown to a patient must not contain (Windows forbids them all).
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}", re.I)


@dataclass(frozen=True)
class PartInfo:
    """A leaflet inside a packet attachment, for the message body."""

    title: str
    label: str
    first_page: int


@dataclass(frozen=True)
class Attachment:
    """A PDF attached to a message, and what the send log records about it."""

    filename: str
    title: str
    pages: int
    size: int
    sha256: str
    data: bytes = field(repr=False)
    #: One record per leaflet in it: condition, lang, template, version.
    leaflets: tuple[dict[str, str], ...] = ()
    parts: tuple[PartInfo, ...] = ()


class LeafletsMessage(EmailMessage):
    """An email message composed by leaflets, carrying what the send log needs."""

    attachments_info: tuple[Attachment, ...] = ()
    lang: str = ""


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


@dataclass(frozen=True)
class EmailContext:
    """Everything the email templates may use, and nothing else."""

    lang: str
    text_dir: str
    clinic: Clinic
    titles: str
    subject: str
    packet: bool
    attachments: tuple[Attachment, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the context as template variables (a shallow copy)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


def check_addresses(addresses: Sequence[str]) -> list[str]:
    """Return *addresses* normalized; raise MailError naming the first that is not one address.

    Each must be one mailbox, ``name@example.org`` or ``Name <name@example.org>``,
    with a domain that has a dot: a typo must not send a patient's leaflets
    somewhere else, or nowhere.
    """
    checked = []
    for value in addresses:
        shown = repr(value[:80])
        if "\n" in value or "\r" in value:
            raise MailError(f"--to: {shown} is not an email address (it has a line break)")
        try:
            header = default_policy.header_factory("to", value)
            found = list(getattr(header, "addresses", ()))
            defects = list(getattr(header, "defects", ()))
        except (ValueError, IndexError, TypeError):
            found, defects = [], ["unparsable"]
        parsed = getaddresses([value])
        if len(found) != 1 or defects or len(parsed) != 1:
            raise MailError(
                f"--to: {shown} is not an email address like name@example.org; nothing was sent"
            )
        address: Address = found[0]
        domain = _ascii_domain(address.username, address.domain)
        if domain is None:
            raise MailError(
                f"--to: {shown} is not an email address like name@example.org; nothing was sent"
            )
        # An international domain is written in its ASCII (IDNA) form, which
        # every mail server and header understands.
        checked.append(str(Address(address.display_name, address.username, domain)))
    return checked


def _ascii_domain(local: str, domain: str) -> str | None:
    """Return *domain* in ASCII when *local*@*domain* is a plausible mailbox, else None."""
    if not local or not domain or len(local) > 64 or " " in local:
        return None
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return ascii_domain if _DOMAIN.fullmatch(ascii_domain) else None


def compose(
    workspace: Workspace,
    *,
    conditions: Sequence[str],
    lang: str,
    templates: Sequence[str] = ("leaflet",),
    to: Sequence[str] = (),
    packet: bool = False,
    variant: str = STANDARD,
) -> LeafletsMessage:
    """Compose the email that carries the chosen leaflets, in *lang*, to *to*.

    The leaflets are in the print *variant* ("standard" or "large-print").
    Builds the chosen leaflets that are out of date first; raises MailError
    when an address is bad, a leaflet cannot be built, or the attachments
    are over ``[email] max_attachments_size``.
    """
    from .packet import check_selection, load_selection, render_packet, template_label

    recipients = check_addresses(to)
    templates = tuple(dict.fromkeys(templates)) or ("leaflet",)
    conditions = tuple(dict.fromkeys(conditions))
    check_selection(
        workspace, conditions=conditions, lang=lang, templates=templates, variant=variant
    )
    config = workspace.config
    settings = config.email
    if packet:
        project = load_selection(workspace, conditions=conditions, lang=lang, templates=templates)
        rendered = render_packet(
            workspace,
            conditions=conditions,
            lang=lang,
            templates=templates,
            project=project,
            variant=variant,
        )
        titles = tuple(dict.fromkeys(part.title for part in rendered.parts))
        attachments = [
            Attachment(
                filename=_filename(
                    _in_variant(project, lang, variant, f"{rendered.title} - {' – '.join(titles)}")
                ),
                title=rendered.title,
                pages=rendered.pages,
                size=len(rendered.pdf),
                sha256=hashlib.sha256(rendered.pdf).hexdigest(),
                data=rendered.pdf,
                leaflets=tuple(
                    {
                        "condition": part.condition,
                        "lang": lang,
                        "template": part.template,
                        "version": part.version,
                    }
                    for part in rendered.parts
                ),
                parts=tuple(
                    PartInfo(part.title, part.label, part.first_page) for part in rendered.parts
                ),
            )
        ]
    else:
        _build(workspace, conditions=conditions, lang=lang, templates=templates, variant=variant)
        project = load_selection(workspace, conditions=conditions, lang=lang, templates=templates)
        attachments = _built_attachments(
            workspace,
            project,
            conditions=conditions,
            lang=lang,
            templates=templates,
            label=lambda template: template_label(project, lang, template),
            variant=variant,
        )
        by_slug = {condition.slug: condition for condition in project.conditions}
        titles = tuple(dict.fromkeys(by_slug[slug].contents[lang].title for slug in conditions))
    _check_size(attachments, settings.max_attachments_size)
    attachments = _unique_names(attachments)

    from babel.lists import format_list

    from ..engine.templating import compile_template, render
    from ..i18n import text_direction

    env = project.environments[lang]
    context = EmailContext(
        lang=lang,
        text_dir=text_direction(lang),
        clinic=config.clinic,
        titles=format_list(list(titles), locale=lang),
        subject="",
        packet=packet,
        attachments=tuple(attachments),
    )

    def fill(name: str, context: EmailContext) -> str:
        return render(compile_template(env, name, root=config.root), context, root=config.root)

    subject = " ".join(fill("email/subject.txt", context).split())
    context = EmailContext(**{**context.as_dict(), "subject": subject})
    text = _tidy_text(fill("email/message.txt", context))
    html = fill("email/message.html", context)

    message = LeafletsMessage(policy=default_policy)
    sender = _sender(settings, config.clinic)
    if sender:
        message["From"] = sender
        message["Reply-To"] = _reply_to(config.clinic) or sender
    if recipients:
        message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=_domain_of(sender) or "leaflets.invalid")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for attachment in attachments:
        message.add_attachment(
            attachment.data, maintype="application", subtype="pdf", filename=attachment.filename
        )
        # Older Outlook versions read the name from Content-Type, not Content-Disposition.
        # The name goes in Content-Type too, where some older clients look for
        # it; non-ASCII names are encoded per RFC 2231 in both places.
        added = list(message.iter_attachments())[-1]
        added.set_param("name", attachment.filename)
    # After the body and attachments: set_content() drops every Content-* header.
    message["Content-Language"] = lang.replace("_", "-")
    message.attachments_info = tuple(attachments)
    message.lang = lang
    return message


def _in_variant(project: Project, lang: str, variant: str, name: str) -> str:
    """Return *name* marked with its print variant: "Emispasmo facciale (caratteri grandi)"."""
    if variant == STANDARD:
        return name
    message = project.catalogs[lang].translations.gettext("%(kind)s (large print)")
    return str(message) % {"kind": name}


def _build(
    workspace: Workspace,
    *,
    conditions: Sequence[str],
    lang: str,
    templates: Sequence[str],
    variant: str = STANDARD,
) -> None:
    """Build the chosen leaflets that are out of date; raise MailError when any cannot be."""
    from ..engine.build import build
    from ..engine.manifest import job_name

    # Only the chosen print variant, configured in [build] variants or not:
    # standard is what a patient reads on screen or prints at home.
    report = build(
        workspace,
        conditions=conditions,
        languages=[lang],
        templates=templates,
        variants=[variant],
    )
    wanted = {
        job_name(slug, lang, template, variant) for slug in conditions for template in templates
    }
    reasons = [
        f"{outcome.job.name}: {outcome.reason or outcome.status}"
        for outcome in report.outcomes
        if outcome.job.name in wanted and outcome.status in ("failed", "skipped")
    ]
    reasons += [
        str(problem)
        for problem in report.problems
        if problem.is_error and problem.message == "no such condition"
    ]
    if reasons:
        raise MailError("; ".join(reasons) + "; nothing was sent")


def _built_attachments(
    workspace: Workspace,
    project: Project,
    *,
    conditions: Sequence[str],
    lang: str,
    templates: Sequence[str],
    label: Callable[[str], str],
    variant: str = STANDARD,
) -> list[Attachment]:
    """Read the chosen PDFs as the manifest records them, refusing any that changed since."""
    from ..engine.manifest import Manifest, job_name

    config = workspace.config
    manifest = Manifest.load(config.output_dir)
    by_slug = {condition.slug: condition for condition in project.conditions}
    attachments = []
    for slug in conditions:
        content = by_slug[slug].contents[lang]
        metadata = by_slug[slug].metadata
        assert metadata is not None  # load_selection() refused conditions without it.
        for template in templates:
            name = job_name(slug, lang, template, variant)
            expected = config.output_name(
                condition=slug,
                lang=lang,
                template=template,
                version=metadata.version,
                variant=variant,
            )
            entry = manifest.entries.get(expected)
            path = config.output_dir / expected
            if entry is None:
                raise MailError(
                    f"{path.name}: the build did not record this PDF in manifest.json "
                    f"(is the {variant} variant built?); run `leaflets build --variant {variant}` "
                    "and try again; nothing was sent"
                )
            try:
                data = path.read_bytes() if entry is not None else b""
            except OSError:
                data = b""
            if (
                entry is None
                or entry.name != name
                or hashlib.sha256(data).hexdigest() != entry.sha256
            ):
                raise MailError(
                    f"{path.name}: not the PDF the build recorded in manifest.json "
                    "(changed or removed since); run `leaflets build` and try again"
                )
            title = content.title
            kind = "" if template == "leaflet" else label(template)
            shown = title if template == "leaflet" else f"{title} - {kind}"
            attachments.append(
                Attachment(
                    filename=_filename(_in_variant(project, lang, variant, shown)),
                    title=_in_variant(
                        project, lang, variant, title if not kind else f"{title} – {kind}"
                    ),
                    pages=entry.pages,
                    size=entry.size,
                    sha256=entry.sha256,
                    data=data,
                    leaflets=(
                        {
                            "condition": slug,
                            "lang": lang,
                            "template": template,
                            "version": entry.version,
                        },
                    ),
                )
            )
    return attachments


def _filename(title: str, qualifier: str = "") -> str:
    """Return a file name a patient recognizes: "Emispasmo facciale.pdf"."""
    name = f"{title} - {qualifier}" if qualifier else title
    name = " ".join(_UNSAFE_NAME.sub(" ", name).split()).strip(". ") or "leaflet"
    return f"{name[:120]}.pdf"


def _unique_names(attachments: list[Attachment]) -> list[Attachment]:
    seen: dict[str, int] = {}
    unique = []
    for attachment in attachments:
        name = attachment.filename
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            stem = name.removesuffix(".pdf")
            attachment = Attachment(
                **{
                    **{f.name: getattr(attachment, f.name) for f in fields(attachment)},
                    "filename": f"{stem} ({seen[name]}).pdf",
                }
            )
        unique.append(attachment)
    return unique


def _check_size(attachments: list[Attachment], budget: int) -> None:
    from ..wording import format_size

    total = sum(attachment.size for attachment in attachments)
    if total > budget:
        sizes = ", ".join(
            f"{attachment.filename} {format_size(attachment.size)}" for attachment in attachments
        )
        raise MailError(
            f"the attachments take {format_size(total)}, more than [email] "
            f"max_attachments_size allows ({format_size(budget)}): {sizes}; nothing was sent"
        )


def _tidy_text(text: str) -> str:
    """Drop trailing spaces and runs of blank lines the template's tags leave."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _sender(settings: EmailSettings, clinic: Clinic) -> str:
    if settings.sender:
        return settings.sender
    if clinic.email:
        return formataddr((clinic.name, clinic.email))
    return ""


def _reply_to(clinic: Clinic) -> str:
    return formataddr((clinic.name, clinic.email)) if clinic.email else ""


def _domain_of(address: str) -> str:
    found = getaddresses([address]) if address else []
    return found[0][1].rpartition("@")[2] if found and "@" in found[0][1] else ""


def write_draft(message: EmailMessage, path: Path) -> Path:
    """Save *message* as an unsent draft (.eml, ``X-Unsent: 1``) at *path*, atomically.

    Outlook and Thunderbird open such a file as a new message to edit and send.
    """
    from ..output import atomic_write

    if "X-Unsent" in message:
        del message["X-Unsent"]
    message["X-Unsent"] = "1"
    try:
        atomic_write(path, message.as_bytes(policy=default_policy.clone(linesep="\r\n")))
    except OSError as error:
        raise MailError(f"cannot write {path}: {error.strerror}") from None
    return path


def describe(message: EmailMessage) -> list[str]:
    """Return lines that tell what *message* is: recipients, subject, attachments with sizes."""
    from ..wording import format_size, plural

    lines = [
        f"From:       {message['From'] or '(not set)'}",
        f"To:         {message['To'] or '(nobody yet)'}",
        f"Subject:    {message['Subject']}",
    ]
    info = {a.filename: a for a in getattr(message, "attachments_info", ())}
    total = 0
    for part in message.iter_attachments():
        name = part.get_filename() or "(no name)"
        data = part.get_content()
        total += len(data)
        count = info[name].pages if name in info else 0
        pages = f"{plural(count, 'page')}, " if count else ""
        lines.append(f"Attachment: {name} ({pages}{format_size(len(data))})")
    lines.append(f"Total:      {format_size(total)}")
    return lines


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
        raise MailError(
            f"the mail server {where} did not answer within {settings.timeout:g} s "
            f"(while trying to {stage}); nothing was sent"
        ) from None
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
            f"{error.smtp_code} {_text(error.smtp_error)} (check [email] username and "
            f"{PASSWORD_VARIABLE}); nothing was sent"
        ) from None
    except smtplib.SMTPSenderRefused as error:
        raise MailError(
            f"the mail server {where} refused the sender {error.sender!r}: "
            f"{error.smtp_code} {_text(error.smtp_error)}; nothing was sent"
        ) from None
    except smtplib.SMTPResponseException as error:
        raise MailError(
            f"the mail server {where} refused the message ({stage}): "
            f"{error.smtp_code} {_text(error.smtp_error)}; nothing was sent"
        ) from None
    except smtplib.SMTPServerDisconnected as error:
        if isinstance(error.__context__, TimeoutError):  # smtplib wraps a read timeout.
            raise MailError(
                f"the mail server {where} did not answer within {settings.timeout:g} s "
                f"(while trying to {stage}); nothing was sent"
            ) from None
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


@dataclass(frozen=True)
class Delivery:
    """What `leaflets email` did: the message, and where it went."""

    message: EmailMessage
    action: str  # "sent", "draft" or "dry-run"
    result: SendResult | None = None
    draft: Path | None = None


def deliver(
    workspace: Workspace,
    *,
    conditions: Sequence[str],
    lang: str,
    templates: Sequence[str] = ("leaflet",),
    to: Sequence[str] = (),
    packet: bool = False,
    variant: str = STANDARD,
    draft: Path | None = None,
    dry_run: bool = False,
    password: str | None = None,
) -> Delivery:
    """Compose the email, then send it, save it as a draft (*draft*) or only show it (*dry_run*)."""
    check_addresses(to)
    if draft is not None:
        draft = draft.resolve()
        if draft.suffix.lower() != ".eml":
            raise MailError(f"--draft: {str(draft)[:80]!r} must be an .eml file")
        if to and draft.is_relative_to(workspace.root):
            raise MailError(
                f"--draft: {draft.name} is inside the workspace, and the patient's address "
                "must never be written there: save the draft elsewhere, or leave out --to"
            )
    elif not to and not dry_run:
        raise MailError("give the patient's address with --to (or save a draft with --draft)")
    message = compose(
        workspace,
        conditions=conditions,
        lang=lang,
        templates=templates,
        to=to,
        packet=packet,
        variant=variant,
    )
    if dry_run:
        return Delivery(message, "dry-run")
    if draft is not None:
        return Delivery(message, "draft", draft=write_draft(message, draft))
    return Delivery(message, "sent", result=send(workspace, message, password=password))
