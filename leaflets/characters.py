"""Which characters data files, titles and translations may hold, and how long titles may be.

A control character prints as an empty box or as nothing, moves text
around (bidi overrides), or breaks the one line it belongs on (a line break
in a title reaches the PDF's /Title, an email's subject and an attachment's
name). PyYAML refuses some of them with a traceback; the bundled fonts have
none of them. So they are refused here, before parsing, with the line and
column where they are.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

#: Characters no data file, value or translation may hold: C0 controls but
#: tab, line feed and carriage return; DEL and the C1 controls (U+0085 NEXT
#: LINE among them); the Unicode line and paragraph separators; surrogates;
#: and the noncharacters (U+FDD0-U+FDEF, and the last two of every plane).
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufdd0-\ufdef"
    + "".join(
        f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
    )
    + "]"
)

#: What a title may not hold besides: line breaks and tabs, and invisible
#: format characters (bidi overrides and isolates, zero-width space, word
#: joiner, soft hyphen…): a title is one line, and it reaches email subjects
#: and attachment names, where invisible characters disguise what it says.
#: ZERO WIDTH NON-JOINER and ZERO WIDTH JOINER are allowed: Persian and the
#: scripts of India need them to spell words.
_TITLE_ALLOWED_FORMAT = {"\u200c", "\u200d"}

#: The longest title, in characters. Titles print large, on the cover of
#: every leaflet and in the PDF's /Title; the longest real title of our
#: content is about 60 characters, and a 1,000-character one without spaces
#: took minutes to lay out.
MAX_TITLE = 120


def describe(char: str) -> str:
    """Return a character as a reader can identify it: ``U+001B (ESCAPE)``."""
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(ord(char), "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


#: Names of control characters, which unicodedata.name() does not know.
_CONTROL_NAMES = {
    0x00: "NULL",
    0x07: "BELL",
    0x08: "BACKSPACE",
    0x0B: "LINE TABULATION",
    0x0C: "FORM FEED",
    0x1B: "ESCAPE",
    0x1F: "INFORMATION SEPARATOR ONE",
    0x7F: "DELETE",
    0x85: "NEXT LINE",
}


def first_forbidden(text: str) -> tuple[int, int, str] | None:
    """Return the (1-based) line and column of the first forbidden character of *text*, and it.

    Lines are counted at ``\\n`` only, as editors and the YAML loader count them.
    """
    match = FORBIDDEN.search(text)
    if match is None:
        return None
    start = match.start()
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return line, column, match.group()


def forbidden_in_file(text: str) -> tuple[int, str] | None:
    """Return the line of the first forbidden character in a file's *text*, and the message."""
    found = first_forbidden(text)
    if found is None:
        return None
    line, column, char = found
    count = len(FORBIDDEN.findall(text))
    more = f" ({count} such characters in the file)" if count > 1 else ""
    return line, (
        f"the control character {describe(char)} at column {column} is not allowed in a "
        f"data file{more}; delete it (it prints as an empty box or as nothing)"
    )


def forbidden_in_value(value: str) -> str | None:
    """Return why a text value (from an escape such as ``"\\x1b"`` in YAML) cannot print."""
    match = FORBIDDEN.search(value)
    if match is None:
        return None
    return (
        f"contains the control character {describe(match.group())} at character "
        f"{match.start() + 1}; delete it"
    )


def title_problem(title: str, *, limit: int | None = None) -> str | None:
    """Return why *title* cannot be a leaflet's title, or None when it can.

    *limit* is MAX_TITLE unless given.
    """
    limit = MAX_TITLE if limit is None else limit
    if len(title) > limit:
        return (
            f"is {len(title)} characters long; a title may be at most {limit} "
            "(it prints large on the cover and names the PDF and the email)"
        )
    for index, char in enumerate(title, start=1):
        if char in "\n\r\t":
            return (
                f"contains a line break or tab ({describe(char)}) at character {index}; "
                "a title is one line"
            )
        if unicodedata.category(char) == "Cf" and char not in _TITLE_ALLOWED_FORMAT:
            return (
                f"contains the invisible character {describe(char)} at character {index}; "
                "delete it (titles reach email subjects and attachment names)"
            )
    return None


def walk_strings(value: Any, key: str = "") -> list[tuple[str, str, Any, Any]]:
    """Return every text in parsed YAML *value*: (key path, text, container, index).

    The container and the index give the line (LineDict.line_of, LineList.line_of).
    """
    found: list[tuple[str, str, Any, Any]] = []
    stack: list[tuple[str, Any]] = [(key, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            for name, child in item.items():
                child_path = f"{path}.{name}" if path else str(name)
                if isinstance(child, str):
                    found.append((child_path, child, item, name))
                else:
                    stack.append((child_path, child))
        elif isinstance(item, list):
            for index, child in enumerate(item):
                child_path = f"{path}[{index}]"
                if isinstance(child, str):
                    found.append((child_path, child, item, index))
                else:
                    stack.append((child_path, child))
    return found


#: Bidirectional overrides and isolates: they make text read in another order than it is.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def control_character(value: str) -> str | None:
    """Return the first control character in *value* as "U+000D", or None when it has none.

    Line breaks and other controls (C0, C1, U+2028, U+2029) and bidirectional
    overrides: a configured text goes into email headers, PDF metadata and
    printed lines, where each of them either breaks something or hides text.
    """
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI_CONTROLS:
            return f"U+{ord(ch):04X}"
    return None
