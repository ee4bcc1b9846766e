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
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import Problem, display_path
from .model import TranslatedFrom

if TYPE_CHECKING:
    from .model import Condition

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
    from .model import SECTION_KEYS

    return FRONT_MATTER_PARTS + SECTION_KEYS


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
    from ..config import validate_language
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
