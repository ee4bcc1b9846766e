"""Tell a WordPress JSON page, an HTML page and a plain-text article apart."""

from __future__ import annotations

import codecs

from .reading import RawSource

#: The formats `leaflets import --format` accepts; "auto" detects one of the others.
FORMATS = ("auto", "wordpress", "html", "text")

#: How each format is called in the report.
FORMAT_LABELS = {
    "wordpress": "WordPress REST API JSON",
    "html": "HTML page",
    "text": "plain-text article",
}

_JSON_SUFFIXES = (".json",)
_HTML_SUFFIXES = (".html", ".htm", ".xhtml")


def detect_format(raw: RawSource) -> str:
    """Return "wordpress", "html" or "text" from the file name and the first characters."""
    head = raw.data[:4096]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        start = head.decode("utf-16", errors="replace").lstrip("\ufeff \t\r\n")
    else:
        start = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if raw.suffix in _JSON_SUFFIXES or start.startswith(("{", "[")):
        return "wordpress"
    if raw.suffix in _HTML_SUFFIXES or start.startswith("<"):
        return "html"
    return "text"
