"""Check single values of the configuration and the data: names, URLs, images, languages, sizes."""

from __future__ import annotations

import re
import string
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError

from ..exceptions import quote

#: URL schemes a user may write in each kind of field; links are printed, never fetched.
WEB_SCHEMES = ("http", "https")
CONTENT_LINK_SCHEMES = ("http", "https", "mailto", "tel")
EMAIL_RE = re.compile(r"[^@\s:/<>\"(),;\[\]\\]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"\+?[0-9][0-9 ().\-/]*")
#: The placeholders [build] filename and [clinic] online_url may contain.
FILENAME_FIELDS = {"condition", "lang", "template", "version", "variant"}
ONLINE_URL_FIELDS = {"condition", "lang"}
_SIZE_UNITS = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3}


def unsafe_name(value: str) -> str | None:
    """Return why *value* cannot be one component of a file name, or None when it can.

    Values that go into output paths (through the filename pattern) must not
    climb out of the output folder or hide the file.
    """
    if not value:
        return "is empty"
    if "/" in value or "\\" in value:
        return "contains a slash"
    if ".." in value:
        return "contains '..'"
    if value.startswith("."):
        return "starts with a dot"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        return "contains a control character"
    return None


def host_problem(host: str) -> str | None:
    """Return why *host* is not a host name or IP address to connect to, or None.

    Labels are checked as DNS does (1 to 63 characters, 253 in all); an
    international name must have an IDNA 2008 form (see ascii_host()).
    """
    import ipaddress

    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    try:
        ascii_host = ascii_host_name(host)
    except ValueError as error:
        return f"{short_quote(host)} is not a host name ({error})"
    labels = ascii_host.removesuffix(".").split(".")
    if len(ascii_host) > 253:
        return f"{short_quote(host)} is not a host name (longer than 253 characters)"
    for label in labels:
        if not label:
            return f"{short_quote(host)} is not a host name (it has an empty part, as in 'a..b')"
        if len(label) > 63:
            return f"{short_quote(host)} is not a host name (a part is longer than 63 characters)"
        if not re.fullmatch(r"[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?", label):
            return f"{short_quote(host)} is not a host name (letters, digits, '-' and '.' only)"
    return None


def ascii_host_name(host: str) -> str:
    """Return *host* in ASCII: IDNA 2008 (UTS 46, as browsers) for an international name.

    Raise ValueError when it has none. (The standard library's codec is IDNA
    2003, which would connect to another server for a name such as ß.de.)
    """
    if host.isascii():
        return host
    import idna

    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as error:
        raise ValueError(str(error).lower() or "not IDNA") from None


def unsafe_url(value: str, schemes: tuple[str, ...] = WEB_SCHEMES) -> str | None:
    """Return why *value* is not a URL a leaflet may print as a link, or None."""
    allowed = ", ".join(f"{s}://" if s in WEB_SCHEMES else f"{s}:" for s in schemes)
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in value):
        return f"{quote(value)} is not a URL: it contains spaces or control characters"
    scheme = value.split(":", 1)[0].lower() if ":" in value else ""
    if scheme not in schemes:
        return f"{quote(value)} must start with one of: {allowed}"
    rest = value.split(":", 1)[1]
    if scheme in ("http", "https") and not (rest.startswith("//") and urlsplit(value).hostname):
        return f"{quote(value)} must be a web address like https://example.org/page"
    if scheme == "mailto" and not EMAIL_RE.fullmatch(rest.split("?", 1)[0]):
        return f"{quote(value)} must be an email address like mailto:name@example.org"
    if scheme == "tel" and not PHONE_RE.fullmatch(rest):
        return f"{quote(value)} must be a phone number like tel:+390200000000"
    return None


def unreadable_image(path: Path, *, allowed: tuple[Path, ...] = ()) -> str | None:
    """Return why the image file *path* cannot be printed, or None when it can.

    A PNG, JPEG, GIF, WebP or SVG within the size limits, an SVG referring
    only to files inside *allowed* (see images.image_problem).
    """
    from ..images import image_problem

    return image_problem(path, allowed=allowed)


def validate_language(code: str) -> str | None:
    """Return why *code* is not a language Babel knows, or None when it is."""
    if not isinstance(code, str) or not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", code):
        return f"{quote(code)} is not a language code like 'en' or 'pt_BR'"
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return f"unknown language code {quote(code)}"
    return None


def parse_size(value: Any) -> int | None:
    """Return a size such as "10 MB", "500 KB" or 2000000 in bytes, or None when it is not one."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value > 0 else None
    if not isinstance(value, str):
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)B?\s*", value.upper())
    if not match:
        return None
    size = int(float(match.group(1)) * _SIZE_UNITS[match.group(2) + "B" if match.group(2) else ""])
    return size if size > 0 else None


def filename_problems(pattern: Any) -> list[str]:
    """Return why *pattern* cannot name one distinct PDF per leaflet."""
    if not isinstance(pattern, str):
        return [f"must be a string, not {quote(pattern)}"]
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError as error:
        return [f"{quote(pattern)} is not a valid pattern ({error})"]
    names = {name for _, name, _, _ in parsed if name is not None}
    problems = []
    if any(spec or conversion for _, _, spec, conversion in parsed):
        # A format spec such as {lang:>999999999} could build a huge name.
        return [f"{quote(pattern)}: write placeholders plainly, like {{lang}}"]
    unknown = names - FILENAME_FIELDS
    if unknown:
        problems.append(
            f"unknown placeholder {{{sorted(unknown)[0]}}} in {quote(pattern)} "
            f"(expected: {', '.join('{' + n + '}' for n in sorted(FILENAME_FIELDS))})"
        )
    missing = {"condition", "lang", "template"} - names
    if missing:
        problems.append(
            f"{quote(pattern)} must contain {{condition}}, {{lang}} and {{template}} "
            "so that every leaflet gets its own file"
        )
    if not pattern.endswith(".pdf"):
        problems.append(f"{quote(pattern)} must end with .pdf")
    if "/" in pattern or "\\" in pattern:
        problems.append(f"{quote(pattern)} must be a file name, not a path")
    elif not unknown:
        sample = pattern.format(**{name: "x" for name in FILENAME_FIELDS})
        if why := unsafe_name(sample):
            problems.append(f"{quote(pattern)} must be a plain file name: it {why}")
    return problems


def short_quote(value: str) -> str:
    """Quote a bad value for a message, cut to about 80 characters."""
    return repr(value if len(value) <= 80 else value[:77] + "...")


def is_web_url(value: str, *, https_only: bool = False) -> bool:
    """Tell whether *value* looks like an https:// (or http://) address with nothing odd in it."""
    schemes = ("https://",) if https_only else ("https://", "http://")
    return (
        value.startswith(schemes)
        and len(value) > len("https://")
        and not re.search(r"[\s<>\"']", value)
    )


def online_url_problems(pattern: str) -> list[str]:
    """Return why *pattern* cannot give each leaflet its own web address."""
    if not is_web_url(pattern):
        return [f"{short_quote(pattern)} must be a web address starting with https:// or http://"]
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError as error:
        return [f"{short_quote(pattern)} is not a valid pattern ({error})"]
    unknown = names - ONLINE_URL_FIELDS
    if unknown:
        return [
            f"unknown placeholder {{{sorted(unknown)[0]}}} in {short_quote(pattern)} "
            f"(expected: {', '.join('{' + n + '}' for n in sorted(ONLINE_URL_FIELDS))})"
        ]
    return []
