"""Make a patient packet: one PDF with a cover page, then several leaflets in one language.

The packet is rendered as one HTML document through the same templates as
the leaflets (templates/packet.html imports their bodies), not glued from
PDFs: so it is tagged as one PDF/UA document with one /Lang, the cover's
table of contents gets its page numbers from the layout itself, and each
leaflet and each of its sections gets a PDF bookmark.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..config import PAPER_SIZES, STANDARD, Clinic
from ..engine.library import Library, as_library
from ..exceptions import PacketError
from ..workspace import Workspace
from .selection import Selection, check_variant, load_selection, template_label

if TYPE_CHECKING:
    from ..content.model import Content, Metadata, Section
    from ..engine.library import Project

logger = logging.getLogger(__name__)

PACKET_TEMPLATE = "packet.html"


@dataclass(frozen=True)
class PacketPart:
    """One leaflet in a packet, and the page of the packet it starts on."""

    condition: str
    template: str
    title: str
    #: What kind of leaflet it is, in the packet's language ("Informazioni per i pazienti").
    label: str
    version: str
    first_page: int
    pages: int


@dataclass(frozen=True)
class RenderedPacket:
    """A packet rendered in memory, before it is written or attached anywhere."""

    pdf: bytes
    pages: int
    parts: tuple[PacketPart, ...]
    lang: str
    title: str

    @property
    def size(self) -> int:
        """Return the PDF's size in bytes."""
        return len(self.pdf)

    @property
    def sha256(self) -> str:
        """Return the PDF's SHA-256, in hex."""
        return hashlib.sha256(self.pdf).hexdigest()


@dataclass(frozen=True)
class PacketResult:
    """A packet written to disk: where, and what it holds."""

    path: Path
    packet: RenderedPacket

    @property
    def pages(self) -> int:
        """Return how many pages the packet has."""
        return self.packet.pages

    @property
    def parts(self) -> tuple[PacketPart, ...]:
        """Return the leaflets in it, with the page each starts on."""
        return self.packet.parts

    @property
    def size(self) -> int:
        """Return the PDF's size in bytes."""
        return self.packet.size

    @property
    def sha256(self) -> str:
        """Return the PDF's SHA-256, in hex."""
        return self.packet.sha256


@dataclass(frozen=True)
class PartContext:
    """What packet.html needs about one leaflet of the packet."""

    anchor: str
    kind: str
    label: str
    condition: Metadata
    content: Content
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class PacketContext:
    """Everything packet.html may use, and nothing else."""

    lang: str
    text_dir: str
    clinic: Clinic
    logo_url: str
    paper: str
    style_urls: dict[str, str]
    generator: str
    reviewed: datetime.date
    parts: tuple[PartContext, ...]
    #: The titles of the conditions in the packet, each once.
    titles: tuple[str, ...]
    #: The print variant ("standard" or "large-print") and the large-print body size.
    variant: str = STANDARD
    large_print_size: float = 16

    def as_dict(self) -> dict[str, Any]:
        """Return the context as template variables (a shallow copy)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


def render_packet(
    workspace: Library | Workspace, selection: Selection, *, project: Project | None = None
) -> RenderedPacket:
    """Render the packet of the selection's conditions × templates into PDF bytes."""
    from ..i18n import text_direction

    check_variant(selection.variant)
    library = as_library(workspace)
    lang, variant = selection.lang, selection.variant
    if project is None:
        project = load_selection(library, selection)
    config = library.config
    by_slug = {condition.slug: condition for condition in project.conditions}
    parts: list[PartContext] = []
    for slug in selection.conditions:
        condition = by_slug[slug]
        assert condition.metadata is not None
        content = condition.contents[lang]
        for template in selection.templates:
            parts.append(
                PartContext(
                    anchor=f"part-{len(parts) + 1}",
                    kind=template,
                    label=template_label(project, lang, template),
                    condition=condition.metadata,
                    content=content,
                    sections=tuple(content.sections[key] for key in _section_keys(content)),
                )
            )
    styles = library.stylesheets()
    context = PacketContext(
        lang=lang,
        text_dir=text_direction(lang),
        clinic=config.clinic,
        logo_url=config.clinic.logo.as_uri() if config.clinic.logo else "",
        paper=PAPER_SIZES[config.paper],
        style_urls={name: path.as_uri() for name, path in styles.items()},
        generator=f"leaflets {__version__}",
        # Drafts, whose dates may be TODO, never get here: load_selection refuses them.
        reviewed=max(p.condition.last_reviewed for p in parts if p.condition.last_reviewed),
        parts=tuple(parts),
        titles=tuple(dict.fromkeys(part.content.title for part in parts)),
        variant=variant,
        large_print_size=config.large_print_size,
    )
    html = library.fill(project, lang, PACKET_TEMPLATE, context)
    rendered = library.render_pdf(html, name="packet")
    starts = [rendered.anchors.get(part.anchor, 0) for part in parts]
    if 0 in starts:
        raise PacketError("packet: a leaflet is missing from the rendered packet")
    ends = [*starts[1:], rendered.pages + 1]
    results = tuple(
        PacketPart(
            condition=part.condition.slug,
            template=part.kind,
            title=part.content.title,
            label=part.label,
            version=part.condition.version,
            first_page=start,
            pages=end - start,
        )
        for part, start, end in zip(parts, starts, ends, strict=True)
    )
    title = str(project.catalogs[lang].translations.gettext("Information for you"))
    return RenderedPacket(rendered.pdf, rendered.pages, results, lang, title)


def build_packet(
    workspace: Library | Workspace,
    *,
    conditions: Sequence[str],
    lang: str,
    templates: Sequence[str] = ("leaflet",),
    output: Path,
    variant: str = STANDARD,
) -> PacketResult:
    """Write one patient packet of *conditions* × *templates* in *lang* to *output*.

    The packet is in the print *variant* ("standard" or "large-print").
    """
    from ..output import atomic_write

    check_variant(variant)
    if output.suffix.lower() != ".pdf":
        raise PacketError(f"-o/--output: {str(output)[:80]!r} must be a .pdf file")
    selection = Selection.of(conditions=conditions, lang=lang, templates=templates, variant=variant)
    packet = render_packet(workspace, selection)
    try:
        atomic_write(output, packet.pdf)
    except OSError as error:
        raise PacketError(f"cannot write {output}: {error.strerror}") from None
    logger.info("wrote %s (%d pages)", output, packet.pages)
    return PacketResult(output, packet)


def _section_keys(content: Content) -> list[str]:
    from ..content.model import SECTION_KEYS

    return [key for key in SECTION_KEYS if key in content.sections]
