"""Read a plain-text article: title line, byline, short heading lines, bullets, paragraphs."""

from __future__ import annotations

import re

from ..exceptions import ImportSourceError
from .model import Block, Page, Removal, snippet
from .sections import match_heading
from .to_markdown import escape_inline, escape_line_start

#: Characters that start a bullet in text copied from web pages and word processors.
BULLETS = "•·▪◦‣●○■□–—-*+"
_BULLET_RE = re.compile(rf"^\s*([{re.escape(BULLETS)}])\s+(.*)$")
_NUMBER_RE = re.compile(r"^\s*(\d{1,3})[.)]\s+(.*)$")
#: Words that open a byline ("By …", "Di …", "A cura di …"), in our languages.
_BYLINE_RE = re.compile(
    r"^(by|di|a cura di|por|par|von|autore|author|autor|auteur|redazione|editorial)\b",
    re.IGNORECASE,
)
#: The longest line still read as a heading, and as an image caption.
_HEADING_WORDS = 14
_CAPTION_WORDS = 8


def parse_text(text: str, *, name: str) -> Page:
    """Split a plain-text article into a title, headings and Markdown blocks."""
    paragraphs = _paragraphs(text)
    if not paragraphs:
        raise ImportSourceError(f"{name}: is empty: there is no text to import")
    first_line, first = paragraphs[0]
    title = " ".join(first[0].split())
    rest = [(line, lines) for line, lines in [(first_line + 1, first[1:])] if lines]
    rest += paragraphs[1:]
    removed: list[Removal] = []
    byline: list[str] = []
    while rest and len(byline) < 3 and _is_byline(rest[0][1]):
        byline.extend(" ".join(line.split()) for line in rest.pop(0)[1])
    if byline:
        removed.append(Removal("byline (kept as the source's publisher)", " · ".join(byline)))
    blocks: list[Block] = []
    for index, (_, lines) in enumerate(rest):
        is_last = index == len(rest) - 1
        blocks.extend(_blocks(lines, is_last=is_last, removed=removed))
    if not any(not block.is_heading for block in blocks):
        raise ImportSourceError(
            f"{name}: has no article text: only a title"
            + (" and headings" if blocks else "")
            + " (paragraphs are separated by blank lines)"
        )
    publisher = byline[0] if byline else ""
    if len(byline) > 1:
        publisher += f" ({'; '.join(byline[1:])})"
    return Page(title=title, blocks=blocks, publisher=publisher, removed=removed)


def _paragraphs(text: str) -> list[tuple[int, list[str]]]:
    """Return the blank-line-separated paragraphs of *text*, each with its first line number."""
    found: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        if line.strip():
            if not current:
                start = number
            current.append(line.expandtabs().rstrip())
        elif current:
            found.append((start, current))
            current = []
    if current:
        found.append((start, current))
    return found


def _is_byline(lines: list[str]) -> bool:
    """Tell whether a paragraph right after the title names its site or author."""
    if any(_sentence_like(line) or match_heading(line) for line in lines):
        return False
    return 2 <= len(lines) <= 3 or bool(_BYLINE_RE.match(lines[0].strip()))


def _sentence_like(line: str) -> bool:
    stripped = line.strip()
    return len(stripped.split()) > _HEADING_WORDS or stripped.endswith((".", ";", ":", ","))


def _blocks(lines: list[str], *, is_last: bool, removed: list[Removal]) -> list[Block]:
    """Read one paragraph: an image caption, a heading, or paragraphs and lists."""
    if len(lines) == 1 and not _item(lines[0]):
        line = " ".join(lines[0].split())
        if not _sentence_like(line) and not line.endswith("!"):
            # A short line in lower case between paragraphs is what is left of
            # an image's caption ("ragazza con emispasmo facciale").
            if line[0].islower() and len(line.split()) <= _CAPTION_WORDS:
                removed.append(Removal("image caption", snippet(line)))
                return []
            if not is_last:
                return [Block("heading", line, 2)]
    blocks: list[Block] = []
    paragraph: list[str] = []
    items: list[str] = []
    ordered = False

    def flush() -> None:
        if paragraph:
            blocks.append(Block("markdown", escape_line_start(escape_inline(" ".join(paragraph)))))
            paragraph.clear()
        if items:
            blocks.append(
                Block(
                    "markdown",
                    "\n".join(
                        (f"{index}. " if ordered else "- ") + escape_inline(item)
                        for index, item in enumerate(items, start=1)
                    ),
                )
            )
            items.clear()

    for line in lines:
        text = " ".join(line.split())
        item = _item(line)
        if item is not None:
            numbered, item_text = item
            if paragraph or (items and numbered != ordered):
                flush()
            ordered = numbered
            items.append(item_text)
        elif items and line[:1].isspace():
            items[-1] += " " + text
        else:
            if items:
                flush()
            paragraph.append(text)
    flush()
    return blocks


def _item(line: str) -> tuple[bool, str] | None:
    """Return (numbered?, text) when *line* is a list item, else None."""
    match = _BULLET_RE.match(line)
    if match:
        return False, " ".join(match.group(2).split())
    match = _NUMBER_RE.match(line)
    if match:
        return True, " ".join(match.group(2).split())
    return None
