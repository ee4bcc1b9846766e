"""Translated content files: what each was translated from, and whether that has changed since.

A language file that a translator finished records its source in its front
matter::

    translated_from:
      lang: en                 # the source file is en.md in the same folder
      version: "1.0"           # condition.yaml's version when it was marked
      sha256: 5f1c…            # the whole source text, from the hashes below
      sections:                # one SHA-256 per part of the source text
        title: 9a0e…
        summary: 77b2…
        symptoms: 03d4…

Each part is hashed separately so that a stale translation can name what
changed: the front matter texts ``title``, ``summary``, ``key_points`` and
``next_steps``, and each ``## section``'s Markdown. A section's hash is the
SHA-256 of its UTF-8 text with line endings made ``\\n``, trailing spaces
removed from each line, and blank lines removed from both ends; a front
matter text's is that of its value with every run of white space made one
space (a list: its items joined by ``\\n``). So re-saving a file in
another editor, or re-wrapping a summary, changes nothing. ``sha256`` is the
SHA-256 of one line ``<key> <hash>\\n`` per part, in printed order.
`leaflets i18n mark-translated` writes it all.

A file without ``translated_from`` is the source of its condition when its
language is ``[build] source_language`` (default: the first of
``languages``) or another file names it as its source; otherwise it is an
unreviewed draft, such as a page just imported.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .exceptions import DataError, Problem, display_path

if TYPE_CHECKING:
    from .conditions import Condition
    from .workspace import Workspace

#: The front matter texts hashed besides the sections, in printed order.
FRONT_MATTER_PARTS = ("title", "summary", "key_points", "next_steps")

#: What stale and draft warnings start with, so that `list` can show them.
STALE = "stale:"
DRAFT = "not marked as translated from another language"

KEY = "translated_from"
_HEX_RE = re.compile(r"[0-9a-f]{64}")
_FRONT_MATTER_RE = re.compile(r"\A(---[ \t]*\r?\n)(.*?)(^---[ \t]*\r?$\n?)", re.S | re.M)


def part_keys() -> tuple[str, ...]:
    """Return every part a content file is hashed by, in printed order."""
    from .conditions import SECTION_KEYS

    return FRONT_MATTER_PARTS + SECTION_KEYS


@dataclass(frozen=True)
class TranslatedFrom:
    """What a content file says it was translated from."""

    lang: str
    version: str
    sha256: str
    #: The hash of each part of the source when the file was marked.
    sections: dict[str, str]
    line: int


def text_hash(text: str) -> str:
    """Return the SHA-256 of *text*, normalized as the module docstring says."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return hashlib.sha256("\n".join(lines).strip("\n").encode("utf-8")).hexdigest()


def value_hash(value: Any) -> str | None:
    """Return the hash of a front matter value (text or list of texts), or None."""
    # YAML folds these texts into one line, so any run of spaces is one space.
    if isinstance(value, str):
        return text_hash(" ".join(value.split()))
    if isinstance(value, list):
        return text_hash("\n".join(" ".join(str(item).split()) for item in value))
    return None


def overall_hash(hashes: dict[str, str]) -> str:
    """Return the hash of a whole file from the hashes of its parts."""
    lines = "".join(f"{key} {hashes[key]}\n" for key in part_keys() if key in hashes)
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def parse_translated_from(
    value: Any, *, path: str, own_lang: str, problems: list[Problem]
) -> TranslatedFrom | None:
    """Validate the ``translated_from`` front matter value; record its problems."""
    from .config import validate_language
    from .yaml_loader import LineDict

    def report(field: str, message: str, line: int) -> None:
        problems.append(Problem(path, line, field, message))

    if not isinstance(value, LineDict):
        problems.append(
            Problem(path, None, KEY, "must be a mapping with lang, version, sha256 and sections")
        )
        return None
    allowed = ("lang", "version", "sha256", "sections")
    for key in value:
        if key not in allowed:
            report(
                f"{KEY}.{key}",
                f"unknown key (expected one of: {', '.join(allowed)})",
                value.line_of(key),
            )
    lang = value.get("lang")
    if not isinstance(lang, str):
        report(f"{KEY}.lang", "is required: the language code of the source", value.line_of("lang"))
    elif why := validate_language(lang):
        report(f"{KEY}.lang", why, value.line_of("lang"))
    elif lang == own_lang:
        report(f"{KEY}.lang", f"{lang!r} is this file's own language", value.line_of("lang"))
    version = value.get("version")
    if not isinstance(version, str) or not version.strip():
        report(f"{KEY}.version", 'must be text, like version: "1.0"', value.line_of("version"))
    digest = value.get("sha256")
    if not isinstance(digest, str) or not _HEX_RE.fullmatch(digest):
        report(
            f"{KEY}.sha256",
            f"{str(digest)[:80]!r} is not a SHA-256 (64 lowercase hex digits)",
            value.line_of("sha256"),
        )
    sections: dict[str, str] = {}
    given = value.get("sections", {})
    if not isinstance(given, dict):
        report(
            f"{KEY}.sections",
            "must be a mapping of section keys to SHA-256 hashes",
            value.line_of("sections"),
        )
        given = {}
    for key, section_digest in given.items():
        line = given.line_of(key) if isinstance(given, LineDict) else value.line_of("sections")
        if key not in part_keys():
            report(f"{KEY}.sections.{key}", f"unknown section key {str(key)!r}", line)
        elif not isinstance(section_digest, str) or not _HEX_RE.fullmatch(section_digest):
            report(
                f"{KEY}.sections.{key}",
                f"{str(section_digest)[:80]!r} is not a SHA-256 (64 lowercase hex digits)",
                line,
            )
        else:
            sections[key] = section_digest
    if any(problem.field and problem.field.startswith(KEY) for problem in problems):
        return None
    assert isinstance(lang, str) and isinstance(version, str) and isinstance(digest, str)
    return TranslatedFrom(
        lang=lang, version=version.strip(), sha256=digest, sections=sections, line=value.line
    )


def translation_problems(
    condition: Condition, *, root: Path, source_language: str
) -> list[Problem]:
    """Return a warning for each stale translation and each unreviewed draft of *condition*."""
    problems: list[Problem] = []
    contents = condition.contents
    sources = {
        content.translated_from.lang for content in contents.values() if content.translated_from
    }
    for lang, content in sorted(contents.items()):
        shown = display_path(content.path, root)
        marked = content.translated_from
        if marked is None:
            if lang != source_language and lang not in sources:
                suggested = source_language if source_language in contents else "<lang>"
                problems.append(
                    Problem(
                        shown,
                        None,
                        None,
                        f"{DRAFT}: an unreviewed draft (once a translator has checked it, run "
                        f"`leaflets i18n mark-translated -c {condition.slug} -l {lang} "
                        f"--from {suggested}`)",
                        severity="warning",
                    )
                )
            continue
        source_name = f"{marked.lang}.md"
        source = contents.get(marked.lang)
        if source is None:
            if not (condition.folder / source_name).exists():
                problems.append(
                    Problem(
                        shown,
                        marked.line,
                        f"{KEY}.lang",
                        f"translated from {source_name}, which does not exist",
                        severity="warning",
                    )
                )
            continue  # An invalid source file is reported by itself.
        changed = changed_parts(marked, source.hashes)
        if changed is None:
            continue
        since = (
            f"these sections changed in {source_name}: {', '.join(changed)}"
            if changed
            else f"{source_name} changed"
        )
        problems.append(
            Problem(
                shown,
                None,
                None,
                f"{STALE} translated from {source_name} version {marked.version}; "
                f"since then {since}",
                severity="warning",
            )
        )
    return problems


def changed_parts(marked: TranslatedFrom, current: dict[str, str]) -> list[str] | None:
    """Return the parts of the source changed since *marked*, or None when nothing changed.

    Without per-part hashes only the whole can be compared: a change then
    gives an empty list.
    """
    if not marked.sections:
        return None if marked.sha256 == overall_hash(current) else []
    changed = [
        key
        for key in part_keys()
        if (key in marked.sections or key in current)
        and marked.sections.get(key) != current.get(key)
    ]
    return changed or None


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
    from .conditions import load_condition
    from .config import validate_language
    from .output import atomic_write
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
    atomic_write(path, new_text.encode("utf-8"))
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
