"""Mark a translation as up to date with its source: rewrite its translated_from block."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..exceptions import DataError, Problem, display_path
from .translations import _FRONT_MATTER_RE, KEY, overall_hash, part_keys

if TYPE_CHECKING:
    from ..workspace import Workspace


@dataclass(frozen=True)
class Marked:
    """What `leaflets i18n mark-translated` wrote."""

    path: Path
    source: Path
    version: str
    parts: int


def mark_translated(workspace: Workspace, *, condition: str, lang: str, source_lang: str) -> Marked:
    """Record in ``<lang>.md`` that it translates ``<source_lang>.md`` as that is now.

    Only the ``translated_from`` block of the front matter is replaced (or
    added at its end); the rest of the file, comments included, is kept
    byte for byte, and the file is written atomically.
    """
    from ..config import validate_language
    from ..output import atomic_write
    from .conditions import load_condition
    from .yaml_loader import load_yaml

    config = workspace.config
    root = config.root
    for code in (lang, source_lang):
        if why := validate_language(code):
            raise DataError(why)
    if lang == source_lang:
        raise DataError(f"a file cannot be translated from its own language ({lang!r})")
    folder = config.data_dir / condition
    # A slug, never a path: nothing outside the data folder is written.
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", condition):
        raise DataError(
            f"{condition[:80]!r} is not a condition name (a lowercase slug like 'hemifacial-spasm')"
        )
    if not folder.is_dir():
        raise DataError(f"{display_path(folder, root)}: no such condition")
    path = folder / f"{lang}.md"
    source_path = folder / f"{source_lang}.md"
    for needed in (path, source_path):
        if not needed.is_file():
            raise DataError(f"{display_path(needed, root)}: does not exist")
    loaded = load_condition(folder, root=root, languages=config.languages)
    source = loaded.contents.get(source_lang)
    blocking = [
        problem
        for problem in loaded.errors
        if problem.path
        in (display_path(source_path, root), display_path(folder / "condition.yaml", root))
    ]
    if source is None or loaded.metadata is None or blocking:
        raise DataError(problems=blocking)

    # Bytes, not read_text(): universal newlines would turn CRLF files into LF.
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataError(f"{display_path(path, root)}: not UTF-8 text ({error.reason})") from None
    match = _FRONT_MATTER_RE.match(text)
    if not match:
        raise DataError(
            problems=[
                Problem(
                    display_path(path, root),
                    1,
                    None,
                    "must start with front matter: a line '---', the title and summary, and '---'",
                )
            ]
        )
    newline = "\r\n" if "\r\n" in match.group(1) else "\n"
    hashes = source.hashes
    block = [
        f"{KEY}:",
        f"  lang: {source_lang}",
        f"  version: {json.dumps(loaded.metadata.version, ensure_ascii=False)}",
        f"  sha256: {overall_hash(hashes)}",
        "  sections:",
        *(f"    {key}: {hashes[key]}" for key in part_keys() if key in hashes),
    ]
    front = replace_key(match.group(2), KEY, [line + newline for line in block], newline)
    new_text = match.group(1) + front + match.group(3) + text[match.end() :]
    shown = display_path(path, root)
    data, found = load_yaml(front, shown, line_offset=1)
    if found or not isinstance(data, dict) or KEY not in data:
        raise DataError(
            problems=found or [Problem(shown, 1, None, "front matter is not a mapping")]
        )
    atomic_write(path, new_text.encode("utf-8"), shown=display_path(path, workspace.root))
    return Marked(path=path, source=source_path, version=loaded.metadata.version, parts=len(hashes))


def replace_key(front: str, key: str, block: list[str], newline: str) -> str:
    """Replace top-level *key* and its indented lines in YAML text *front*, or append *block*."""
    lines = front.splitlines(keepends=True)
    start = next(
        (index for index, line in enumerate(lines) if re.match(rf"{re.escape(key)}\s*:", line)),
        None,
    )
    if start is None:
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += newline
        return "".join(lines + block)
    end = start + 1
    while end < len(lines) and (lines[end][:1] in (" ", "\t") or not lines[end].strip()):
        end += 1
    while end - 1 > start and not lines[end - 1].strip():
        end -= 1  # Keep the blank lines before the next key.
    return "".join(lines[:start] + block + lines[end:])
