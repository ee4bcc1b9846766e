"""Convert sanitized article HTML into headings and blocks of our Markdown."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bs4.element import Comment, NavigableString, Tag

from ..content.markdown import LINK_SCHEMES
from .model import Block, Removal, snippet

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_CONTAINERS = {
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "nav",
    "body",
    "details",
    "address",
    "figure",
    "center",
    "html",
    "form",
    "fieldset",
}
_BOLD = ("strong", "b")
_ITALIC = ("em", "i", "cite", "dfn")
#: A paragraph that is only bold text and at most this long reads as a heading.
_PSEUDO_HEADING_CHARS = 80

#: Stands for a <br> until a paragraph is assembled; it cannot occur in decoded text.
_BREAK = "\x00"
_ASCII_SPACE = re.compile(r"[ \t\n\r\f\v]+")
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<])")
_ENTITY_LIKE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_LIST_START = re.compile(r"^(\s*)([-+*]|\d{1,9}[.)])(\s|$)")
_BLOCK_START = re.compile(r"^(\s*)(#|>|=+\s*$|-{3,}|~~~)")


def escape_inline(text: str) -> str:
    """Escape the characters Markdown would read as markup inside a line of text."""
    return _ENTITY_LIKE.sub("\\&", _INLINE_SPECIAL.sub(r"\\\1", text))


def escape_line_start(line: str) -> str:
    """Escape a line start that Markdown would read as a list, heading or quote."""
    match = _LIST_START.match(line)
    if match:
        marker = match.group(2)
        escaped = "\\" + marker if not marker[0].isdigit() else marker[:-1] + "\\" + marker[-1]
        return match.group(1) + escaped + line[match.end(2) :]
    match = _BLOCK_START.match(line)
    if match:
        return match.group(1) + "\\" + line[match.end(1) :]
    return line


def plain_text(element: Tag) -> str:
    """Return the text of *element* with whitespace folded, as a reader sees it."""
    return _fold(element.get_text(" "))


def _fold(text: str) -> str:
    # Fold ASCII whitespace only: a no-break space is kept where the page put it
    # (French puts one before ':'), except at the ends.
    return _ASCII_SPACE.sub(" ", text).strip(" \u00a0")


def _attr(tag: Tag, name: str) -> str:
    value = tag.get(name)
    if value is None:
        return ""
    return value if isinstance(value, str) else " ".join(value)


class MarkdownConverter:
    """Turn one sanitized element into Blocks, recording what it leaves out."""

    def __init__(self) -> None:
        self.removed: list[Removal] = []

    def blocks(self, root: Tag) -> list[Block]:
        """Return the headings and Markdown blocks of *root*, in document order."""
        return list(self._blocks(root))

    def _blocks(self, root: Tag) -> Iterator[Block]:
        pending: list[str] = []

        def flush() -> Iterator[Block]:
            text = _paragraph("".join(pending))
            pending.clear()
            if text:
                yield Block("markdown", text)

        for child in root.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                pending.append(escape_inline(str(child)))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name in HEADINGS:
                yield from flush()
                text = plain_text(child)
                if text:
                    yield Block("heading", text, int(name[1]), _attr(child, "id"))
            elif name == "p":
                yield from flush()
                yield from self._paragraph(child)
            elif name in ("ul", "ol"):
                yield from flush()
                text = "\n".join(self._list(child, indent=""))
                if text.strip():
                    yield Block("markdown", text)
            elif name == "blockquote":
                yield from flush()
                inner = [block.text for block in self._blocks(child) if not block.is_heading]
                if inner:
                    quoted = "\n>\n".join(
                        "\n".join("> " + line for line in text.splitlines()) for text in inner
                    )
                    yield Block("markdown", quoted)
            elif name == "pre":
                yield from flush()
                code = child.get_text().strip("\n")
                if code.strip():
                    fence = "~~~~" if "~~~" in code else "~~~"
                    yield Block("markdown", f"{fence}\n{code}\n{fence}")
            elif name == "table":
                yield from flush()
                yield from self._table(child)
            elif name == "dl":
                yield from flush()
                for item in child.find_all(("dt", "dd")):
                    text = _paragraph(self.inline(item))
                    if text:
                        yield Block("markdown", f"**{text}**" if item.name == "dt" else text)
            elif name == "img":
                self._image(child)
            elif name == "figcaption":
                self.removed.append(Removal("image caption", plain_text(child)))
            elif name == "hr":
                yield from flush()
            elif name in _CONTAINERS or name in ("li", "dd", "dt", "tr", "td", "th"):
                yield from flush()
                yield from self._blocks(child)
            else:
                pending.append(self._inline_tag(child))
        yield from flush()

    def _paragraph(self, tag: Tag) -> Iterator[Block]:
        meaningful = [
            child
            for child in tag.children
            if not (isinstance(child, NavigableString) and not str(child).strip())
            and not isinstance(child, Comment)
        ]
        if len(meaningful) == 1 and isinstance(meaningful[0], Tag) and meaningful[0].name in _BOLD:
            text = plain_text(meaningful[0]).rstrip(":").strip()
            if text and len(text) <= _PSEUDO_HEADING_CHARS and not text.endswith("."):
                yield Block("heading", text, 0)
                return
        text = _paragraph(self.inline(tag))
        if text:
            yield Block("markdown", text)

    def _list(self, tag: Tag, *, indent: str) -> Iterator[str]:
        ordered = tag.name == "ol"
        number = 0
        for item in tag.find_all("li", recursive=False):
            number += 1
            marker = f"{number}. " if ordered else "- "
            inline_parts: list[str] = []
            nested: list[str] = []
            for child in item.children:
                if isinstance(child, Tag) and child.name in ("ul", "ol"):
                    nested.extend(self._list(child, indent=indent + " " * len(marker)))
                elif isinstance(child, Tag):
                    inline_parts.append(self._inline_tag(child))
                elif isinstance(child, NavigableString) and not isinstance(child, Comment):
                    inline_parts.append(escape_inline(str(child)))
            text = _paragraph("".join(inline_parts).replace(_BREAK, " "))
            if not text and not nested:
                continue
            yield (indent + marker + text).rstrip()
            yield from nested

    def _table(self, tag: Tag) -> Iterator[Block]:
        # CommonMark has no tables; each row becomes a list item, cells joined.
        rows = []
        for row in tag.find_all("tr"):
            cells = [
                _paragraph(self.inline(cell).replace(_BREAK, " "))
                for cell in row.find_all(("td", "th"))
            ]
            cells = [cell for cell in cells if cell]
            if cells:
                rows.append("- " + " — ".join(cells))
        if rows:
            self.removed.append(Removal("table turned into a list", snippet(plain_text(tag))))
            yield Block("markdown", "\n".join(rows))

    def _image(self, tag: Tag) -> None:
        described = _fold(_attr(tag, "alt")) or _attr(tag, "src").rsplit("/", 1)[-1]
        self.removed.append(Removal("image", described or "(no description)"))

    def inline(self, tag: Tag) -> str:
        """Return the inline Markdown of *tag*: text, bold, italics and safe links."""
        parts: list[str] = []
        for child in tag.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                parts.append(escape_inline(str(child)))
            elif isinstance(child, Tag):
                parts.append(self._inline_tag(child))
        return "".join(parts)

    def _inline_tag(self, tag: Tag) -> str:
        name = tag.name
        if name == "br":
            return _BREAK
        if name == "img":
            self._image(tag)
            return ""
        inner = self.inline(tag)
        if name in _BOLD:
            return _wrap(inner, "**")
        if name in _ITALIC:
            return _wrap(inner, "*")
        if name == "code":
            code = tag.get_text()
            tick = "``" if "`" in code else "`"
            return f"{tick}{code}{tick}" if code.strip() else ""
        if name == "a":
            href = _attr(tag, "href").strip()
            label = _fold(inner)
            if label and href.startswith(LINK_SCHEMES):
                # Angle brackets keep a URL with spaces or parentheses in one piece.
                target = f"<{href}>" if " " in href or ")" in href else href
                return f"[{label}]({target})"
            return inner
        if name in ("p", "div", "li", "section"):
            return " " + inner + " "
        return inner


def _wrap(inner: str, mark: str) -> str:
    """Wrap *inner* in *mark*, keeping its outer spaces outside the markers."""
    core = inner.strip(" \n\t" + _BREAK)
    if not core:
        return inner
    lead = " " if inner[:1].isspace() else ""
    trail = " " if inner[-1:].isspace() else ""
    return f"{lead}{mark}{core}{mark}{trail}"


def _paragraph(text: str) -> str:
    """Fold the spaces of a Markdown paragraph and escape each line's start."""
    lines = [_fold(line) for line in text.split(_BREAK)]
    lines = [line for line in lines if line]
    return "\\\n".join(escape_line_start(line) for line in lines)
