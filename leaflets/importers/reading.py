"""Read a page's bytes from a file or stdin and decode them without guessing."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from bs4.dammit import EncodingDetector

from ..exceptions import ImportSourceError, Problem
from .limits import MAX_SOURCE_BYTES, check_size

#: The name a page read from standard input goes by in messages.
STDIN_NAME = "<stdin>"

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class RawSource:
    """The bytes of a page and the name to show for it."""

    name: str
    data: bytes
    suffix: str = ""


def read_source(source: str | Path, *, stdin: BinaryIO | None = None) -> RawSource:
    """Read *source* (a file path, or ``-`` for *stdin*); refuse URLs and oversized sources."""
    text = str(source)
    if text.lower().startswith(("http://", "https://", "ftp://", "www.")):
        raise ImportSourceError(
            f"{text}: leaflets import reads saved files and never downloads pages; "
            "save the page (or its /wp-json/wp/v2/pages/ID JSON) to a file and import that"
        )
    if text == "-":
        if stdin is None:
            raise ImportSourceError(f"{STDIN_NAME}: no standard input to read")
        # One byte more than the limit tells a source that is too large.
        data = stdin.read(MAX_SOURCE_BYTES + 1)
        check_size(STDIN_NAME, len(data))
        return RawSource(STDIN_NAME, data)
    path = Path(source)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_SOURCE_BYTES + 1)
    except IsADirectoryError:
        raise ImportSourceError(f"{text}: is a folder; give the saved page's file") from None
    except OSError as error:
        raise ImportSourceError(f"{text}: cannot be read ({error.strerror})") from None
    check_size(text, len(data))
    return RawSource(text, data, path.suffix.lower())


def check_encoding(name: str) -> str:
    """Return the codec name for *name*, or raise when Python does not know it."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ImportSourceError(f"--encoding: unknown encoding {name!r}") from None


def decode(raw: RawSource, *, encoding: str | None, is_html: bool) -> str:
    """Decode *raw* strictly: a byte-order mark, --encoding, an HTML declaration, else UTF-8.

    No guessing from the bytes: a wrong guess would put wrong letters into
    medical text without anyone noticing, so undecodable bytes are an error.
    """
    chosen = encoding
    for bom, codec in _BOMS:
        if raw.data.startswith(bom):
            chosen = codec
            break
    else:
        if chosen is None and is_html:
            declared = EncodingDetector.find_declared_encoding(raw.data, is_html=True)
            if declared:
                try:
                    chosen = codecs.lookup(declared).name
                except LookupError:
                    raise ImportSourceError(
                        f"{raw.name}: declares an unknown encoding {declared!r}; "
                        "pass --encoding with the page's real encoding"
                    ) from None
    codec = check_encoding(chosen) if chosen else "utf-8"
    try:
        text = raw.data.decode(codec)
    except UnicodeDecodeError as error:
        line = raw.data.count(b"\n", 0, error.start) + 1
        label = "UTF-8" if codec == "utf-8" else codec
        raise ImportSourceError(
            problems=[
                Problem(
                    raw.name,
                    line,
                    None,
                    f"cannot be decoded as {label} ({error.reason} at byte {error.start}); "
                    "pass --encoding with the page's encoding, like --encoding cp1252",
                )
            ]
        ) from None
    return text.lstrip("\ufeff")
