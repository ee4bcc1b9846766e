"""Check that the bundled fonts can print every character of a leaflet, before rendering it.

WeasyPrint asks fontconfig for any character the stylesheet's fonts lack and
prints it in whatever font the machine happens to have: a leaflet would then
look different on every machine, or show empty boxes. So the fonts a leaflet
may use are the ones its stylesheets declare with ``@font-face`` (the bundled
Open Sans and Noto Sans Arabic, or a workspace's own), and a character none of
them has is an error naming the character and the file it comes from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from ..exceptions import Problem, display_path
from ..workspace import is_inside

_FONT_FACE = re.compile(r"@font-face\s*\{([^}]*)\}", re.I)
_SRC_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)""")
_CSS_STRING = re.compile(r""""((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'""", re.S)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)", re.S)
# Characters that are never drawn: controls, bidi marks and isolates, soft
# hyphens, zero-width joiners (format characters), and line breaks.
_INVISIBLE_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")


def font_files(
    stylesheets: Iterable[Path], *, trusted: tuple[Path, ...] | None = None
) -> list[Path]:
    """Return the font files that the ``@font-face`` rules of *stylesheets* load.

    With *trusted* folders, stylesheets and fonts elsewhere (symlinks
    resolved) are left unread: WeasyPrint refuses to load them anyway.
    """
    found: list[Path] = []
    for css in stylesheets:
        if trusted is not None and not is_inside(css, trusted):
            continue
        try:
            text = css.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for rule in _FONT_FACE.findall(text):
            for groups in _SRC_URL.findall(rule):
                reference = next((group for group in groups if group), "")
                parts = urlsplit(urljoin(css.resolve().as_uri(), reference))
                if parts.scheme == "file":
                    path = Path(unquote(parts.path)).resolve()
                    if trusted is not None and not is_inside(path, trusted):
                        continue
                    if path not in found:
                        found.append(path)
    return found


@lru_cache(maxsize=64)
def _cmap(path: Path, size: int, mtime_ns: int) -> frozenset[int]:
    """Return the code points font *path* has glyphs for (cached per file version)."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(path, lazy=True, fontNumber=0) as font:
            return frozenset(font.getBestCmap() or {})
    except (OSError, TTLibError, KeyError):
        return frozenset()


def coverage(fonts: Iterable[Path]) -> frozenset[int]:
    """Return every code point at least one of *fonts* has a glyph for."""
    covered: set[int] = set()
    for path in fonts:
        try:
            stat = path.stat()
        except OSError:
            continue
        covered |= _cmap(path, stat.st_size, stat.st_mtime_ns)
    return frozenset(covered)


class _PrintedText(HTMLParser):
    """Collect the text a leaflet prints: the body's text and the page-margin strings."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._stack:
            while self._stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if "style" in self._stack:
            self.parts.extend(_css_strings(data))
        elif "body" in self._stack:
            self.parts.append(data)


def _css_strings(css: str) -> list[str]:
    """Return the quoted strings of *css* (the page-margin ``content``), unescaped."""

    def unescape(match: re.Match[str]) -> str:
        if match.group(1):
            return chr(int(match.group(1), 16))
        return match.group(2)

    return [
        _CSS_ESCAPE.sub(unescape, double or single) for double, single in _CSS_STRING.findall(css)
    ]


def printed_text(html: str) -> str:
    """Return the text of *html* that ends up on paper."""
    parser = _PrintedText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def missing_characters(text: str, covered: frozenset[int]) -> list[str]:
    """Return the visible characters of *text* that no font in *covered* has, in order."""
    missing: dict[str, None] = {}
    for char in text:
        if ord(char) in covered or char in missing or (char.isspace() and ord(char) < 0x80):
            continue
        if unicodedata.category(char) in _INVISIBLE_CATEGORIES:
            continue
        missing[char] = None
    return list(missing)


def describe(char: str) -> str:
    """Return a character as ``U+0D05 'അ' (MALAYALAM LETTER A)``."""
    name = unicodedata.name(char, "")
    shown = f"U+{ord(char):04X} {char!r}"
    return f"{shown} ({name})" if name else shown


def locate(char: str, sources: Iterable[Path], root: Path) -> tuple[str, int | None]:
    """Return the first of *sources* holding *char*, and the line, for the message.

    The caller passes only files it trusts (inside the workspace or the theme).
    """
    for path in sources:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        index = text.find(char)
        if index >= 0:
            return display_path(path, root), text.count("\n", 0, index) + 1
    return "", None


def check_html(
    html: str,
    *,
    fonts: list[Path],
    sources: list[Path],
    root: Path,
    name: str,
) -> list[Problem]:
    """Return one error per character of *html* that none of *fonts* can print.

    *sources* are the files the leaflet's text comes from, most likely first
    (the content file, condition.yaml, the catalog, leaflets.toml, the
    templates); each error names the first one holding the character.
    """
    covered = coverage(fonts)
    problems = []
    for char in missing_characters(printed_text(html), covered):
        path, line = locate(char, sources, root)
        problems.append(
            Problem(
                path or name,
                line,
                None,
                f"character {describe(char)} is in none of the bundled fonts; remove it, "
                "or add a font that has it to styles/fonts/ with an @font-face rule",
            )
        )
    return problems
