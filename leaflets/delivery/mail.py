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

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import formataddr, formatdate, getaddresses, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import STANDARD, Clinic, EmailSettings
from ..engine.library import Library, as_library, job_name
from ..exceptions import MailError
from ..workspace import Workspace
from .addresses import check_addresses
from .selection import Selection, check_selection, in_variant, load_selection, template_label
from .smtp import PASSWORD_VARIABLE, SendResult, send

if TYPE_CHECKING:
    from ..engine.library import Project

__all__ = [
    "PASSWORD_VARIABLE",
    "Delivery",
    "LeafletsMessage",
    "Selection",
    "SendResult",
    "check_addresses",
    "compose",
    "deliver",
    "describe",
    "send",
    "write_draft",
]

logger = logging.getLogger(__name__)

#: Characters a file name shown to a patient must not contain (Windows forbids them all).
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


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


def compose(
    workspace: Library | Workspace,
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
    library = as_library(workspace)
    recipients = check_addresses(to)
    _check_count(recipients, library.config.email.max_recipients)
    selection = Selection.of(
        conditions=conditions, lang=lang, templates=templates or ("leaflet",), variant=variant
    )
    check_selection(library, selection)
    config = library.config
    if packet:
        project = load_selection(library, selection)
        attachments = [_packet_attachment(library, project, selection)]
        titles = tuple(dict.fromkeys(part.title for part in attachments[0].parts))
    else:
        _build(library, selection)
        project = load_selection(library, selection)
        attachments = _built_attachments(library, project, selection)
        by_slug = {condition.slug: condition for condition in project.conditions}
        titles = tuple(
            dict.fromkeys(by_slug[slug].contents[lang].title for slug in selection.conditions)
        )
    _check_size(attachments, config.email.max_attachments_size)
    attachments = _unique_names(attachments)
    return _message(library, project, selection, recipients, titles, packet, attachments)


def _message(
    library: Library,
    project: Project,
    selection: Selection,
    recipients: list[str],
    titles: tuple[str, ...],
    packet: bool,
    attachments: list[Attachment],
) -> LeafletsMessage:
    """Fill the email templates and put the message together, attachments last."""
    from babel.lists import format_list

    from ..i18n import text_direction

    config = library.config
    lang = selection.lang
    context = EmailContext(
        lang=lang,
        text_dir=text_direction(lang),
        clinic=config.clinic,
        titles=format_list(list(titles), locale=lang),
        subject="",
        packet=packet,
        attachments=tuple(attachments),
    )
    subject = " ".join(library.fill(project, lang, "email/subject.txt", context).split())
    context = EmailContext(**{**context.as_dict(), "subject": subject})
    text = _tidy_text(library.fill(project, lang, "email/message.txt", context))
    html = library.fill(project, lang, "email/message.html", context)

    message = LeafletsMessage(policy=default_policy)
    sender = _sender(config.email, config.clinic)
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


def _packet_attachment(library: Library, project: Project, selection: Selection) -> Attachment:
    """Render the selection as one packet, in memory, and describe it as an attachment."""
    from .packet import render_packet

    lang = selection.lang
    rendered = render_packet(library, selection, project=project)
    titles = " – ".join(dict.fromkeys(part.title for part in rendered.parts))
    return Attachment(
        filename=_filename(in_variant(project, selection, f"{rendered.title} - {titles}")),
        title=rendered.title,
        pages=rendered.pages,
        size=rendered.size,
        sha256=rendered.sha256,
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
        parts=tuple(PartInfo(part.title, part.label, part.first_page) for part in rendered.parts),
    )


def _build(library: Library, selection: Selection) -> None:
    """Make the chosen leaflets current; raise MailError when any cannot be."""
    # Only the chosen print variant, configured in [build] variants or not:
    # standard is what a patient reads on screen or prints at home.
    report = library.refresh(
        conditions=selection.conditions,
        languages=[selection.lang],
        templates=selection.templates,
        variants=[selection.variant],
    )
    wanted = selection.job_names()
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
    library: Library, project: Project, selection: Selection
) -> list[Attachment]:
    """Read the chosen PDFs as the manifest records them, refusing any that changed since."""
    config = library.config
    lang, variant = selection.lang, selection.variant
    recorded = library.recorded()
    by_slug = {condition.slug: condition for condition in project.conditions}
    attachments = []
    for slug in selection.conditions:
        title = by_slug[slug].contents[lang].title
        metadata = by_slug[slug].metadata
        assert metadata is not None  # load_selection() refused conditions without it.
        for template in selection.templates:
            expected = config.output_name(
                condition=slug,
                lang=lang,
                template=template,
                version=metadata.version,
                variant=variant,
            )
            entry, data = library.read_recorded(recorded, expected)
            if entry is None:
                raise MailError(
                    f"{expected}: the build did not record this PDF in manifest.json "
                    f"(is the {variant} variant built?); run `leaflets build --variant {variant}` "
                    "and try again; nothing was sent"
                )
            name = job_name(slug, lang, template, variant)
            if entry.name != name or hashlib.sha256(data).hexdigest() != entry.sha256:
                raise MailError(
                    f"{expected}: not the PDF the build recorded in manifest.json "
                    "(changed or removed since); run `leaflets build` and try again"
                )
            kind = "" if template == "leaflet" else template_label(project, lang, template)
            shown = title if template == "leaflet" else f"{title} - {kind}"
            attachments.append(
                Attachment(
                    filename=_filename(in_variant(project, selection, shown)),
                    title=in_variant(
                        project, selection, title if not kind else f"{title} – {kind}"
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


def _check_count(recipients: list[str], most: int) -> None:
    """Refuse more recipients than [email] max_recipients (each gets a message of their own)."""
    if len(recipients) > most:
        raise MailError(
            f"--to: {len(recipients)} addresses, more than [email] max_recipients allows "
            f"({most}); nothing was sent"
        )


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


def draft_bytes(message: EmailMessage) -> bytes:
    """Return *message* as the bytes of an unsent draft (.eml, ``X-Unsent: 1``).

    Outlook and Thunderbird open such a file as a new message to edit and send.
    """
    del message["X-Unsent"]  # Deleting a header the message lacks does nothing.
    message["X-Unsent"] = "1"
    return message.as_bytes(policy=default_policy.clone(linesep="\r\n"))


def write_draft(message: EmailMessage, path: Path, *, overwrite: bool = True) -> Path:
    """Save *message* as an unsent draft (.eml, ``X-Unsent: 1``) at *path*, atomically.

    Outlook and Thunderbird open such a file as a new message to edit and send.
    Without *overwrite*, an existing file at *path* is refused.
    """
    from ..output import atomic_write

    data = draft_bytes(message)
    try:
        atomic_write(path, data, overwrite=overwrite, shown=f"--draft: {path}")
    except OSError as error:
        if overwrite or not path.exists():
            raise MailError(f"--draft: cannot write {path}: {error.strerror}") from None
        raise MailError(_exists(path)) from None
    return path


def _exists(path: Path) -> str:
    return f"--draft: {path}: already exists; pass --force to replace it"


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


@dataclass(frozen=True)
class Delivery:
    """What `leaflets email` did: the message, and where it went."""

    message: EmailMessage
    action: str  # "sent", "draft" or "dry-run"
    result: SendResult | None = None
    draft: Path | None = None


def deliver(
    workspace: Library | Workspace,
    selection: Selection,
    *,
    to: Sequence[str] = (),
    packet: bool = False,
    draft: Path | None = None,
    dry_run: bool = False,
    password: str | None = None,
    force: bool = False,
) -> Delivery:
    """Compose the email, then send it, save it as a draft (*draft*) or only show it (*dry_run*).

    A draft never replaces an existing file unless *force*, and its folder
    must exist already.
    """
    library = as_library(workspace)
    recipients = check_addresses(to)
    if draft is not None:
        draft = draft.resolve()
        if draft.suffix.lower() != ".eml":
            raise MailError(f"--draft: {str(draft)[:80]!r} must be an .eml file")
        if len(recipients) > 1:
            raise MailError(
                "--draft: a draft is for one patient, and everyone it goes to would see the "
                "other addresses: give one --to, or send with --to instead of saving a draft"
            )
        if not draft.parent.is_dir():
            raise MailError(f"--draft: {draft.parent}: no such folder; create it first")
        if draft.exists() and not force:
            raise MailError(_exists(draft))
        if to and draft.is_relative_to(library.root):
            raise MailError(
                f"--draft: {draft.name} is inside the workspace, and the patient's address "
                "must never be written there: save the draft elsewhere, or leave out --to"
            )
    elif not to and not dry_run:
        raise MailError("give the patient's address with --to (or save a draft with --draft)")
    message = compose(
        library,
        conditions=selection.conditions,
        lang=selection.lang,
        templates=selection.templates,
        to=to,
        packet=packet,
        variant=selection.variant,
    )
    if dry_run:
        return Delivery(message, "dry-run")
    if draft is not None:
        return Delivery(message, "draft", draft=write_draft(message, draft, overwrite=force))
    return Delivery(message, "sent", result=send(library.workspace, message, password=password))
