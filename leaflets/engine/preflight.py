"""Read a rendered PDF back and check what a print shop's preflight and a proofreader would.

The checks look at what is on the page, not at the HTML or the CSS: a label
that wraps onto the next one, a web address hyphenated at a line end or a
font the machine slipped in are only visible there. The PDF is read with
pdfium (pypdfium2), in the worker that rendered it, from the bytes still in
memory; every check is one pass over the page's objects, so the cost grows
with the text, not with its square.

A finding is one line: the page, what is wrong, and where (a quotation of
the text, and its place on the page in millimetres from the top left).
"""

from __future__ import annotations

import ctypes
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as raw

#: Points in a millimetre.
MM = 72 / 25.4
#: How close to the sheet's edge text may come: closer, a printer may cut it.
EDGE = 5 * MM
#: Below this share of its content area, a page other than the last is
#: wasted paper, unless what comes next could not fit in the rest.
FILL = 0.75
#: The smallest text large print may have anywhere (RNIB, UKAAF), in points.
LARGE_PRINT_MINIMUM = 16.0
#: Room a block needs above it (its margin, the line's leading) beyond its ink.
_BLOCK_ROOM = 15 * MM

_FONT_FACE = re.compile(r"@font-face\s*\{([^}]*)\}", re.I)
_FAMILY = re.compile(r"""font-family\s*:\s*(?:"([^"]*)"|'([^']*)'|([^;]*))""", re.I)
_SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")
_HYPHENS = "-\u2010\u00ad"
_EMAIL = re.compile(r"\S+@\S+\.\w")
_WEB = re.compile(r"(?i)(?:https?://|www\.)\S|^[\w.-]+\.[a-z]{2,}/")


@dataclass(frozen=True)
class PageArea:
    """A page's size and the margins around its content area, in points."""

    width: float
    height: float
    top: float = 0.0
    right: float = 0.0
    bottom: float = 0.0
    left: float = 0.0
    #: The height of what opens the page and cannot be split (a box, a
    #: heading with the lines it keeps), in points; -1 when not known.
    next_block: float = -1.0


@dataclass(frozen=True)
class Rules:
    """What one output must meet."""

    #: The font families the stylesheets bundle with @font-face.
    families: tuple[str, ...]
    #: The most pages it may take (0: no limit checked here).
    max_pages: int = 0
    #: What the page budget is called in a message ("a clinic handout").
    budget_label: str = ""
    #: What to shorten when it is over its budget.
    shorten: str = ""
    #: The smallest text size allowed, in points (0: none).
    min_size: float = 0.0
    #: Whether the PDF must be tagged (PDF/UA, PDF/A level a).
    tagged: bool = True


@dataclass(frozen=True)
class Finding:
    """One thing wrong on one page."""

    page: int
    what: str
    where: str = ""

    def __str__(self) -> str:
        where = f" ({self.where})" if self.where else ""
        return f"page {self.page}: {self.what}{where}" if self.page else f"{self.what}{where}"


@dataclass(frozen=True)
class _Text:
    """One run of text drawn on a page: its box (PDF coordinates, y up), size and font."""

    text: str
    left: float
    bottom: float
    right: float
    top: float
    size: float


def font_families(stylesheets: Iterable[Path]) -> tuple[str, ...]:
    """Return the families the ``@font-face`` rules of *stylesheets* declare."""
    found: list[str] = []
    for css in stylesheets:
        try:
            text = css.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for rule in _FONT_FACE.findall(text):
            match = _FAMILY.search(rule)
            if match:
                family = next(group for group in match.groups() if group is not None).strip()
                if family and family not in found:
                    found.append(family)
    return tuple(found)


def preflight(
    pdf: bytes, *, rules: Rules, areas: Sequence[PageArea] = (), source: str = ""
) -> list[Finding]:
    """Check the PDF *pdf*; return what is wrong with it, page by page.

    *source* is the HTML it was rendered from: a hyphen that ends a line and
    is in the source (a web address's own "facial-nerve") is not one the
    layout inserted.

    *areas* are the pages' content areas, from the layout (see page_areas());
    without them the whole sheet less its edge is the content area, and the
    fill of the pages is not checked.
    """
    document = pdfium.PdfDocument(pdf)
    try:
        findings: list[Finding] = []
        count = len(document)
        if rules.tagged and not raw.FPDFCatalog_IsTagged(document.raw):
            findings.append(Finding(0, "the PDF is not tagged (no structure for screen readers)"))
        fills: list[tuple[float, float, PageArea]] = []
        for index in range(count):
            page = document[index]
            width, height = page.get_size()
            area = areas[index] if index < len(areas) else PageArea(width, height)
            texts, extents, fonts, plain = _read_page(page)
            fills.append((_lowest(extents, height, area), height, area))
            number = index + 1
            findings.extend(_check_fonts(number, fonts, rules))
            findings.extend(_check_sizes(number, texts, area, rules))
            findings.extend(_check_area(number, texts, area))
            findings.extend(_check_overlaps(number, texts, area))
            findings.extend(_check_hyphens(number, plain, source))
            page.close()
        if rules.max_pages and count > rules.max_pages:
            # Over its budget, the output must be shortened anyway: how full
            # its pages are would only repeat that.
            findings.insert(0, Finding(count, _over_budget(fills, rules)))
        else:
            findings.extend(_check_fill(fills))
        return findings
    finally:
        document.close()


def _over_budget(fills: list[tuple[float, float, PageArea]], rules: Rules) -> str:
    """Say how many pages it takes, how much is over its budget, and what to shorten."""
    over = sum(height - area.top - lowest for lowest, height, area in fills[rules.max_pages :])
    shorten = f": shorten {rules.shorten}" if rules.shorten else ""
    return (
        f"{len(fills)} pages, more than the {rules.max_pages} {rules.budget_label} may take "
        f"even at its tightest spacing and smallest size; about {over / MM:.0f} mm is over"
        f"{shorten}"
    )


def _read_page(
    page: pdfium.PdfPage,
) -> tuple[list[_Text], list[tuple[float, float]], set[tuple[str, bool]], str]:
    """Return a page's text runs, the vertical extent of all it draws, its fonts and its text."""
    textpage = page.get_textpage()
    texts: list[_Text] = []
    fonts: set[tuple[str, bool]] = set()
    size = ctypes.c_float()
    name = ctypes.create_string_buffer(256)
    bottoms: list[tuple[float, float]] = []
    for obj in page.get_objects(max_depth=1):
        left, bottom, right, top = obj.get_bounds()
        bottoms.append((bottom, top))
        if obj.type == raw.FPDF_PAGEOBJ_FORM:
            fonts.update(_form_fonts(obj.raw, name))
            continue
        if obj.type != raw.FPDF_PAGEOBJ_TEXT:
            continue
        fonts.add(_font(obj.raw, name))
        raw.FPDFTextObj_GetFontSize(obj.raw, ctypes.byref(size))
        a, b, c, d, _, _ = obj.get_matrix().get()
        scale = float(abs(a * d - b * c)) ** 0.5
        content = _object_text(obj.raw, textpage.raw)
        if content.strip():
            texts.append(_Text(content, left, bottom, right, top, size.value * scale))
    plain = textpage.get_text_range()
    textpage.close()
    return texts, bottoms, fonts, plain


def _font(handle: Any, name: ctypes.Array[ctypes.c_char]) -> tuple[str, bool]:
    """Return a text object's font name (without its subset tag) and whether it is embedded."""
    font = raw.FPDFTextObj_GetFont(handle)
    length = raw.FPDFFont_GetBaseFontName(font, name, len(name))
    font_name = _SUBSET_TAG.sub("", name.raw[: max(0, length - 1)].decode("latin-1"))
    return font_name, bool(raw.FPDFFont_GetIsEmbedded(font))


def _form_fonts(form: Any, name: ctypes.Array[ctypes.c_char]) -> Iterator[tuple[str, bool]]:
    """Yield the fonts of the text inside a form XObject (an SVG image may be one)."""
    for index in range(raw.FPDFFormObj_CountObjects(form)):
        child = raw.FPDFFormObj_GetObject(form, index)
        kind = raw.FPDFPageObj_GetType(child)
        if kind == raw.FPDF_PAGEOBJ_TEXT:
            yield _font(child, name)
        elif kind == raw.FPDF_PAGEOBJ_FORM:
            yield from _form_fonts(child, name)


def _object_text(handle: Any, textpage: Any) -> str:
    """Return the text a text object draws."""
    length = raw.FPDFTextObj_GetText(handle, textpage, None, 0)
    if length <= 2:  # Only the terminating NUL (UTF-16).
        return ""
    buffer = ctypes.create_string_buffer(length)
    pointer = ctypes.cast(buffer, ctypes.POINTER(raw.FPDF_WCHAR))
    raw.FPDFTextObj_GetText(handle, textpage, pointer, length)
    return buffer.raw[: length - 2].decode("utf-16-le", errors="replace")


def _place(text: _Text, area: PageArea) -> str:
    """Say where *text* is: quoted, and in millimetres from the page's top left corner."""
    quoted = text.text.strip()
    if len(quoted) > 40:
        quoted = quoted[:39] + "…"
    return (
        f"{quoted!r} at {text.left / MM:.0f} mm from the left, "
        f"{(area.height - text.top) / MM:.0f} mm from the top"
    )


def _check_fonts(number: int, fonts: set[tuple[str, bool]], rules: Rules) -> Iterator[Finding]:
    bundled = tuple(family.replace(" ", "-") for family in rules.families)
    for font, embedded in sorted(fonts):
        if not any(font == family or font.startswith(family + "-") for family in bundled):
            shown = font.replace("-", " ")
            yield Finding(
                number,
                f"text in the font {shown!r}, which is not a bundled font "
                f"({', '.join(rules.families)}): text in an SVG image must use a bundled font "
                "or be converted to paths",
            )
        elif not embedded:
            yield Finding(number, f"the font {font.replace('-', ' ')!r} is not embedded")


def _check_sizes(
    number: int, texts: list[_Text], area: PageArea, rules: Rules
) -> Iterator[Finding]:
    if not rules.min_size:
        return
    smallest = min(texts, key=lambda text: text.size, default=None)
    if smallest is not None and smallest.size < rules.min_size - 0.05:
        yield Finding(
            number,
            f"text at {smallest.size:.1f} pt, smaller than large print's {rules.min_size:g} pt",
            _place(smallest, area),
        )


def _check_area(number: int, texts: list[_Text], area: PageArea) -> Iterator[Finding]:
    """Find text past the content area's sides, or too near (or past) the sheet's edge."""
    left = area.left or EDGE
    right = area.width - (area.right or EDGE)
    slack = 1 * MM  # Glyphs' side bearings (a J's tail) may reach past the box.
    for text in texts:
        if (
            text.left < EDGE
            or text.right > area.width - EDGE
            or text.bottom < EDGE
            or text.top > area.height - EDGE
        ):
            yield Finding(number, "text cut at the edge of the sheet", _place(text, area))
        elif text.right > right + slack:
            over = (text.right - right) / MM
            yield Finding(
                number,
                f"text runs {over:.1f} mm past the right side of the content area",
                _place(text, area),
            )
        elif text.left < left - slack:
            over = (left - text.left) / MM
            yield Finding(
                number,
                f"text runs {over:.1f} mm past the left side of the content area",
                _place(text, area),
            )


def _letters(text: str) -> int:
    """Count the characters of *text* that take room of their own (not marks, not spaces)."""
    return sum(
        1 for char in text if not char.isspace() and unicodedata.category(char)[0] not in "MC"
    )


def _check_overlaps(number: int, texts: list[_Text], area: PageArea) -> Iterator[Finding]:
    """Find runs of text printed over one another.

    The runs are swept from the top of the page down: each is compared only
    with those that start above its bottom, a handful at most. A run of one
    letter or of marks alone (Arabic vowel marks, an alef after one) is drawn
    over or inside its neighbours by design, and is left out.
    """
    ordered = sorted((text for text in texts if _letters(text.text) > 1), key=lambda t: -t.top)
    for index, first in enumerate(ordered):
        for second in ordered[index + 1 :]:
            if second.top <= first.bottom:
                break
            wide = min(first.right, second.right) - max(first.left, second.left)
            tall = min(first.top, second.top) - max(first.bottom, second.bottom)
            least = min(first.top - first.bottom, second.top - second.bottom)
            # Ink of one line may touch the next by a hair (an accent, a
            # descender); printed over each other, they share a third of a line.
            if wide > 1.0 and tall > 0.3 * least:
                yield Finding(
                    number,
                    f"text printed over other text: {second.text.strip()[:40]!r}",
                    _place(first, area),
                )


def _check_hyphens(number: int, text: str, source: str = "") -> Iterator[Finding]:
    """Find a web address, email address or phone number broken at a hyphen.

    pdfium joins a word hyphenated at a line end into one, marking the
    break with U+FFFE; a hyphen that ends a line otherwise ends it as is.
    """
    lines = text.splitlines()
    breaks = [
        (line.rstrip().split()[-1], following.split()[0])
        for line, following in itertools.pairwise(lines)
        if line.rstrip() and line.rstrip()[-1] in _HYPHENS and following.split()
    ]
    breaks.extend(
        tuple(word.split(_JOINED, 1))  # type: ignore[misc]
        for word in text.split()
        if _JOINED in word
    )
    for head, tail in breaks:
        stem, rest = head.rstrip(_HYPHENS), tail.replace(_JOINED, "-")
        if source and f"{stem}-{rest}" in source:
            continue  # The hyphens are the address's own, not ones the layout inserted.
        joined = stem + rest
        if _EMAIL.search(joined) or _WEB.search(joined):
            kind = "an email address" if "@" in joined else "a web address"
        elif head.rstrip(_HYPHENS)[-1:].isdigit() and tail[:1].isdigit():
            kind = "a phone number"
        else:
            continue
        shown = head.rstrip(_HYPHENS) + "-"
        yield Finding(number, f"{kind} broken at a hyphen", f"{shown!r} / {tail!r}")


#: What pdfium puts where it joins a word hyphenated at a line end.
_JOINED = "\ufffe"


def _lowest(extents: list[tuple[float, float]], height: float, area: PageArea) -> float:
    """Return the lowest point drawn in the content area (y up), or its top when nothing is."""
    top, bottom = height - area.top, area.bottom
    return min((low for low, high in extents if high > bottom and low < top - 1), default=top)


def _check_fill(fills: list[tuple[float, float, PageArea]]) -> Iterator[Finding]:
    """Find pages, the last one aside, under three-quarters full when what follows would fit.

    *fills* holds each page's lowest point drawn, its height and its area.
    """
    for number, ((lowest, height, area), (_, _, following)) in enumerate(
        itertools.pairwise(fills), start=1
    ):
        top, bottom = height - area.top, area.bottom
        if following.next_block < 0 or top <= bottom or not area.bottom:
            continue  # No layout to judge by.
        lowest = max(bottom, lowest)
        fill = (top - lowest) / (top - bottom)
        left = lowest - bottom
        # The block's own margin and the leading above its first line take
        # room on a page it does not open: allow for them.
        if fill < FILL and following.next_block + _BLOCK_ROOM < left:
            yield Finding(
                number,
                f"page only {fill:.0%} full, though the {following.next_block / MM:.0f} mm "
                f"that open page {number + 1} would fit in the {left / MM:.0f} mm left",
            )


#: CSS pixels to points.
_PT = 0.75


def page_areas(document: Any) -> tuple[PageArea, ...]:
    """Return the content area of each page of a WeasyPrint *document*, and what opens it."""
    areas = []
    for page in document.pages:
        box = page._page_box  # WeasyPrint's layout: the only place margins are known.
        areas.append(
            PageArea(
                width=page.width * _PT,
                height=page.height * _PT,
                top=box.margin_top * _PT,
                right=box.margin_right * _PT,
                bottom=box.margin_bottom * _PT,
                left=box.margin_left * _PT,
                next_block=_opening(box) * _PT,
            )
        )
    return tuple(areas)


def _opening(page_box: Any) -> float:
    """Return the height of what opens a page and could not have been split, in pixels."""
    from weasyprint.formatting_structure import boxes

    roots = [child for child in page_box.children if not isinstance(child, boxes.MarginBox)]
    return _unit(roots[0], boxes) if roots else 0.0


def _in_flow(box: Any, boxes: Any) -> list[Any]:
    return [
        child
        for child in getattr(box, "children", ())
        if isinstance(child, boxes.BlockLevelBox) and child.style["position"] not in _OUT_OF_FLOW
    ]


_OUT_OF_FLOW = ("absolute", "fixed")


def _unit(box: Any, boxes: Any) -> float:
    """Return the height of the first part of *box* that may not be split from it."""
    if box.style["break_inside"] in ("avoid", "avoid-page"):
        return float(box.margin_height())
    children = _in_flow(box, boxes)
    if not children:
        lines = [
            child for child in getattr(box, "children", ()) if isinstance(child, boxes.LineBox)
        ]
        orphans, widows = box.style["orphans"], box.style["widows"]
        if len(lines) < orphans + widows:
            return float(box.margin_height())
        return float(lines[orphans - 1].position_y + lines[orphans - 1].height - box.position_y)
    # A block kept with the next one (break-after on it, break-before on the
    # next: a heading, the closing matter after the last section) goes with it.
    index = 0
    while index + 1 < len(children) and (
        children[index].style["break_after"] in _AVOID
        or children[index + 1].style["break_before"] in _AVOID
    ):
        index += 1
    last = children[index]
    return float(last.position_y - children[0].position_y + _unit(last, boxes))


_AVOID = ("avoid", "avoid-page")
