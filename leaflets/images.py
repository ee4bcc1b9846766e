"""What an image file is: its format and size in pixels, read from its header, and SVG policy.

`check` and the build both read images only through here before WeasyPrint
does: a 30,000 × 30,000 PNG is a few KB on disk and gigabytes once decoded
(a "decompression bomb"), and an SVG file may refer to files anywhere. The
size is read from the header alone, never by decoding the picture.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, unquote_to_bytes, urljoin, urlsplit
from xml.parsers import expat

#: The most pixels an image may have: 25 million, e.g. 5,000 × 5,000, four
#: times what a full A4 page needs at 300 dpi; decoded, 100 MB.
MAX_PIXELS = 25_000_000
#: The largest raster image an SVG file may embed as a ``data:`` address, decoded.
MAX_DATA_IMAGE = 2_000_000
#: The largest SVG file `check` reads (a logo is a few KB; exported ones with
#: embedded pictures a few MB).
MAX_SVG = 10_000_000

#: The image formats a leaflet can print, by the bytes their files start with.
_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
}
#: JPEG markers that start a frame and carry its size (SOF0-SOF15 but DHT, JPG, DAC).
_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


class SvgRefused(Exception):
    """An SVG file that declares entities or refers to what the policy refuses."""

    def __init__(self, name: str, line: int, message: str) -> None:
        super().__init__(f"{name}:{line}: {message}")
        self.line = line
        self.message = message


def image_format(head: bytes) -> str | None:
    """Return 'PNG', 'JPEG', 'GIF', 'WebP' or 'SVG' from a file's first bytes, or None."""
    for magic, name in _MAGIC.items():
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if b"<svg" in head:
        # SVG whatever the name: WeasyPrint reads it as SVG, under the SVG policy.
        return "SVG"
    return None


def raster_size(stream: BinaryIO, kind: str) -> tuple[int, int] | None:
    """Return the (width, height) a raster image's header gives, or None when it has none."""
    stream.seek(0)
    head = stream.read(64)
    if kind == "PNG" and head[12:16] == b"IHDR":
        width, height = struct.unpack(">II", head[16:24])
        return width, height
    if kind == "GIF" and len(head) >= 10:
        width, height = struct.unpack("<HH", head[6:10])
        return width, height
    if kind == "WebP":
        return _webp_size(head)
    if kind == "JPEG":
        return _jpeg_size(stream)
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8X" and len(head) >= 30:
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L" and len(head) >= 25:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(head) >= 30:
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


def _jpeg_size(stream: BinaryIO) -> tuple[int, int] | None:
    """Walk a JPEG's segments (seeking past each, at most 10,000) to its frame header."""
    stream.seek(2)
    for _ in range(10_000):
        marker = stream.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        if marker[1] in (0xD8, 0x01) or 0xD0 <= marker[1] <= 0xD7:
            continue  # Markers without a length.
        length_bytes = stream.read(2)
        if len(length_bytes) < 2:
            return None
        length = struct.unpack(">H", length_bytes)[0]
        if marker[1] in _JPEG_FRAMES:
            frame = stream.read(5)
            if len(frame) < 5:
                return None
            height, width = struct.unpack(">HH", frame[1:5])
            return width, height
        stream.seek(length - 2, 1)
    return None


def size_problem(size: tuple[int, int] | None) -> str | None:
    """Return why an image of *size* pixels cannot print, or None when it can."""
    if size is None:
        return "has no readable size in its header (a damaged or unusual file)"
    width, height = size
    if width * height > MAX_PIXELS:
        return (
            f"is {width:,} × {height:,} pixels; an image may have at most "
            f"{MAX_PIXELS // 1_000_000} million pixels (like 5,000 × 5,000): scale it down"
        )
    if width == 0 or height == 0:
        return f"is {width} × {height} pixels: it shows nothing"
    return None


def data_image_problem(url: str) -> str | None:
    """Return why a ``data:`` address cannot be an image inside an SVG file, or None.

    Logos exported from drawing programs often embed a PNG or JPEG this way:
    one within MAX_DATA_IMAGE bytes and MAX_PIXELS pixels is allowed.
    """
    decoded = decode_data_image(url)
    if isinstance(decoded, str):
        return decoded
    kind, body = decoded
    import io

    return size_problem(raster_size(io.BytesIO(body), kind))


def decode_data_image(url: str) -> tuple[str, bytes] | str:
    """Return a ``data:`` address's image format and bytes, or why it is not an allowed image."""
    header, comma, data = url.partition(",")
    media = header[5:].lower().split(";")
    if not comma or media[0] not in ("image/png", "image/jpeg"):
        return "only PNG and JPEG images may be embedded as data: addresses"
    # Base64 is 4 characters for 3 bytes; a bound before decoding anything.
    if len(data) > MAX_DATA_IMAGE * 4 // 3 + 4:
        return f"an embedded image may be at most {MAX_DATA_IMAGE // 1_000_000} MB"
    try:
        body = base64.b64decode(data, validate=False) if "base64" in media else None
    except (binascii.Error, ValueError):
        return "the embedded image is not valid base64"
    if body is None:
        body = unquote_to_bytes(data)
    kind = image_format(body[:16])
    if kind not in ("PNG", "JPEG") or kind.lower() not in media[0]:
        return f"the embedded image is not the {media[0]} it says it is"
    return kind, body


_XLINK_HREF = "http://www.w3.org/1999/xlink href"
_XML_BASE = "http://www.w3.org/XML/1998/namespace base"
_SVG_STYLE = "http://www.w3.org/2000/svg style"
_LINKS = ("http://www.w3.org/2000/svg a", "a")
_URL_IN_CSS = re.compile(
    r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""", re.I
)
_PSEUDO_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def check_svg(body: bytes, url: str, *, name: str, check: Callable[[str], str | None]) -> None:
    """Refuse an SVG file that declares a DTD or entities, or refers to a file *check* refuses.

    Checked before WeasyPrint parses it: ``href``, ``xlink:href`` (against ``xml:base``),
    ``url()`` and ``@import`` anywhere, ``<?xml-stylesheet?>``; *check* returns why an
    address is refused, or None. An ``<image>`` may embed a PNG or JPEG as ``data:``
    within limits. expat refuses a DOCTYPE before any entity exists. Raise SvgRefused.
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    bases = [url]
    style: list[str] = []
    in_style = 0

    def refuse(message: str) -> None:
        raise SvgRefused(name, parser.CurrentLineNumber, message)

    def refer(reference: str, base: str, *, image: bool = False) -> None:
        reference = reference.strip()
        if not reference or reference.startswith("#"):
            return  # A fragment of this very file.
        if image and reference[:5].lower() == "data:":
            if why := data_image_problem(reference):
                refuse(f"refused to load {_quote(reference)}: {why}")
            return
        if why := check(urljoin(base, reference)):
            refuse(why)

    def refer_in_css(text: str, base: str) -> None:
        for groups in _URL_IN_CSS.findall(text):
            refer(next((group for group in groups if group), ""), base)

    def doctype(*_: object) -> None:
        refuse("a DOCTYPE or entity declaration is refused in an SVG file")

    def start(tag: str, attributes: dict[str, str]) -> None:
        nonlocal in_style
        base = bases[-1]
        if _XML_BASE in attributes:
            base = urljoin(base, attributes[_XML_BASE])
            refer(base, base)
        bases.append(base)
        for attribute, value in attributes.items():
            if attribute in (_XLINK_HREF, "href"):
                if tag not in _LINKS:  # A link is followed by a reader, never fetched.
                    refer(value, base, image=tag.rpartition(" ")[2] == "image")
            elif attribute != _XML_BASE:
                refer_in_css(value, base)
        if tag == _SVG_STYLE or tag == "style":
            in_style += 1

    def end(tag: str) -> None:
        nonlocal in_style
        bases.pop()
        if in_style and (tag == _SVG_STYLE or tag == "style"):
            in_style -= 1
            if not in_style:
                refer_in_css("".join(style), bases[-1])
                style.clear()

    def text(data: str) -> None:
        if in_style:
            style.append(data)

    def instruction(target: str, data: str) -> None:
        if target == "xml-stylesheet":
            for groups in _PSEUDO_HREF.findall(data):
                refer(next((group for group in groups if group), ""), bases[-1])

    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = doctype
    parser.UnparsedEntityDeclHandler = doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.ProcessingInstructionHandler = instruction
    try:
        parser.Parse(body, True)
    except expat.ExpatError as error:
        message = f"not a well-formed SVG file: {expat.ErrorString(error.code)}"
        raise SvgRefused(name, error.lineno, message) from None


def _quote(value: str, limit: int = 80) -> str:
    """Quote *value* for a message, cut in the middle to about *limit* characters.

    The middle goes: a URL's scheme and its file name both tell the reader something.
    """
    if len(value) > limit:
        value = value[: limit // 3] + "…" + value[-(limit - limit // 3 - 1) :]
    return repr(value)


def file_policy(allowed: tuple[Path, ...]) -> Callable[[str], str | None]:
    """Return the check of an address an SVG file refers to: a file inside *allowed*, or why not.

    The same rule as the renderer's (engine/rendering.py): ``file:`` URLs
    inside the workspace or the built-in theme only.
    """
    roots = tuple(root.resolve() for root in allowed)

    def check(url: str) -> str | None:
        parts = urlsplit(url)
        if parts.scheme != "file":
            return f"refused to load {_quote(url)}: leaflets only uses files inside the workspace"
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in roots):
            return f"refused to load {_quote(url)}: the file is outside the workspace"
        return None

    return check


def image_problem(path: Path, *, allowed: tuple[Path, ...]) -> str | None:
    """Return why the image file *path* cannot be printed, or None when it can.

    Its format and size come from its header; an SVG file is checked as the
    renderer will check it, its addresses against the folders *allowed*.
    """
    try:
        with path.open("rb") as stream:
            head = stream.read(65536)
            kind = image_format(head)
            if kind is None:
                return "is not a PNG, JPEG, GIF, WebP or SVG image"
            if kind != "SVG":
                return size_problem(raster_size(stream, kind))
            if stream.read(1):
                body = head + stream.read(MAX_SVG - len(head))
                if stream.read(1):
                    return f"is an SVG file over {MAX_SVG // 1_000_000} MB"
            else:
                body = head
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    try:
        check_svg(body, path.resolve().as_uri(), name=path.name, check=file_policy(allowed))
    except SvgRefused as error:
        return f"line {error.line}: {error.message}"
    return None
