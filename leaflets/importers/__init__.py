"""Turn a saved web page or article into a draft condition: `leaflets import SOURCE`.

Stages, one module each: reading (bytes, strict decoding), detect (which
format), wordpress / html_page / plain_text (one reader per format, all
producing a model.Page), to_markdown (sanitized HTML to our Markdown),
sections (headings to section keys), draft (our file formats) and writer
(no overwrite without --force, backups, atomic writes).
"""

from __future__ import annotations

import datetime
import re
import sys
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from ..config import validate_language
from ..content.conditions import load_content, load_metadata
from ..content.model import METADATA_NAME
from ..exceptions import ImportSourceError, display_path
from ..workspace import Workspace
from .detect import FORMAT_LABELS, FORMATS, detect_format
from .draft import (
    DATE_PLACEHOLDER,
    DRAFT_VERSION,
    OWNER_PLACEHOLDER,
    PLACEHOLDER_FIELDS,
    SPECIALTY_PLACEHOLDER,
    SourceEntry,
    add_source,
    content_text,
    metadata_text,
    source_item,
)
from .html_page import parse_html_page
from .model import Page
from .plain_text import parse_text
from .reading import check_encoding, decode, read_source
from .report import ImportReport
from .sections import SUMMARY_PLACEHOLDER, arrange, find_specialty, guess_language
from .wordpress import parse_wordpress
from .writer import KEEP, FileChange, plan, write

__all__ = ["DEFAULTS", "FORMATS", "ImportReport", "import_page"]

#: One table of defaults for the CLI and the Python API.
DEFAULTS: dict[str, object] = {
    "source_format": "auto",
    "lang": None,
    "slug": None,
    "encoding": None,
    "force": False,
    "dry_run": False,
}

_PARSERS: dict[str, Callable[..., Page]] = {
    "wordpress": parse_wordpress,
    "html": parse_html_page,
    "text": parse_text,
}
_SLUG_RE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_SLUG_MAX = 60


def import_page(
    workspace: Workspace,
    source: str | Path,
    *,
    source_format: str = "auto",
    lang: str | None = None,
    slug: str | None = None,
    encoding: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    today: datetime.date | None = None,
    stdin: BinaryIO | None = None,
) -> ImportReport:
    """Import *source* (a file, or ``-`` for stdin) as a draft condition in *workspace*.

    Everything is read, converted and checked against the data format before
    anything is written; on any error nothing is written at all.
    """
    if source_format not in FORMATS:
        raise ImportSourceError(
            f"--format: unknown format {source_format!r} (expected one of: {', '.join(FORMATS)})"
        )
    if encoding:
        check_encoding(encoding)
    if lang is not None and (reason := validate_language(lang)):
        raise ImportSourceError(f"--lang: {reason}")
    if slug is not None and not _SLUG_RE.fullmatch(slug):
        raise ImportSourceError(
            f"--slug: {slug!r} is not a lowercase folder name like 'hemifacial-spasm'"
        )
    today = today or datetime.date.today()
    config = workspace.config
    raw = read_source(source, stdin=stdin if stdin is not None else sys.stdin.buffer)
    kind = detect_format(raw) if source_format == "auto" else source_format
    text = decode(raw, encoding=encoding, is_html=kind != "text")
    if not text.strip():
        raise ImportSourceError(f"{raw.name}: is empty: there is no text to import")
    page = _PARSERS[kind](text, name=raw.name)
    arrangement = arrange(page)
    language, origin, notes = _language(page, lang, config.languages, raw.name)
    slug = slug or _slugify(page.title, raw.name)
    folder = config.data_dir / slug
    report = ImportReport(
        source=raw.name,
        format=FORMAT_LABELS[kind],
        slug=slug,
        folder=display_path(folder, config.root),
        title=page.title,
        language=language,
        language_origin=origin,
        mapped=arrangement.mapped,
        unmapped=arrangement.unmapped,
        removed=page.removed + arrangement.removed,
        notes=notes,
        dry_run=dry_run,
    )
    entry = SourceEntry(
        title=page.title,
        url=page.url,
        publisher=page.publisher,
        language=language,
        modified=page.modified,
        imported=today,
    )
    md_path = folder / f"{language}.md"
    yaml_path = folder / METADATA_NAME
    files = [
        (
            md_path,
            content_text(
                title=page.title,
                arrangement=arrangement,
                source_name=Path(raw.name).name,
                today=today,
            ),
        )
    ]
    kept: FileChange | None = None
    placeholders: set[str] = set()
    if yaml_path.is_file():
        kept = _existing_metadata(yaml_path, entry, files, force=force, root=config.root)
    else:
        specialty = find_specialty(arrangement.markdown("specialist"))
        files.insert(
            0,
            (
                yaml_path,
                metadata_text(slug=slug, specialty=specialty, source=entry),
            ),
        )
        report.placeholders += _placeholders(specialty)
        placeholders.update(PLACEHOLDER_FIELDS)
        if not specialty:
            placeholders.add("specialty")
    if arrangement.summary == SUMMARY_PLACEHOLDER:
        placeholders.add("summary")
        report.placeholders.append(("summary", f"{SUMMARY_PLACEHOLDER!r} (no definition found)"))
    if language not in config.languages:
        report.notes.append(
            f"{language!r} is not in the [build] languages of leaflets.toml "
            f"({', '.join(config.languages)}); add it there to build this leaflet"
        )
    _validate(files, slug=slug, language=language, placeholders=placeholders)
    report.changes = plan(files, root=config.root, force=force)
    if kept is not None:
        report.changes.insert(0, kept)
    if not dry_run:
        write(report.changes, root=config.root)
    return report


def _language(
    page: Page,
    lang: str | None,
    configured: tuple[str, ...],
    name: str,
) -> tuple[str, str, list[str]]:
    """Return the draft's language, where it came from, and notes for the report."""
    if lang:
        notes = []
        if page.language and _language_code(page.language, configured) != lang:
            notes.append(
                f"the page says {page.language!r} ({page.language_origin}); --lang {lang} wins"
            )
        return lang, "from --lang", notes
    if page.language:
        code = _language_code(page.language, configured)
        if validate_language(code):
            raise ImportSourceError(
                f"{name}: the page's language {page.language!r} ({page.language_origin}) "
                "is not a language Babel knows; pass --lang"
            )
        return code, f"from {page.language_origin}", []
    # A plain-text article carries no language marker; only a clear verdict
    # from the section headings is taken, never a statistical guess.
    guess = guess_language([block.text for block in page.blocks if block.is_heading])
    if guess is None:
        raise ImportSourceError(
            f"{name}: cannot tell the page's language: it declares none and its headings "
            "are not clearly in one of en, it, es, fr, de; pass --lang, like --lang it"
        )
    return guess, "recognised from its section headings; pass --lang to choose another", []


def _language_code(declared: str, configured: tuple[str, ...]) -> str:
    """Return 'en' for 'en-US' or 'en_US', or 'pt_BR' when the workspace uses 'pt_BR'."""
    parts = re.split(r"[-_]", declared.strip())
    code = parts[0].lower()
    if len(parts) > 1 and len(parts[1]) == 2 and f"{code}_{parts[1].upper()}" in configured:
        return f"{code}_{parts[1].upper()}"
    return code


def _slugify(title: str, name: str) -> str:
    """Return a folder name for *title*: ASCII, lowercase, words joined by dashes."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    slug = ""
    for word in words:
        if slug and len(slug) + 1 + len(word) > _SLUG_MAX:
            break
        slug = f"{slug}-{word}" if slug else word[:_SLUG_MAX]
    if not slug:
        raise ImportSourceError(
            f"{name}: cannot make a folder name from the title {title!r}; pass --slug"
        )
    return slug


def _existing_metadata(
    path: Path,
    entry: SourceEntry,
    files: list[tuple[Path, str]],
    *,
    force: bool,
    root: Path,
) -> FileChange | None:
    """Add the source to an existing condition.yaml (only with --force), else keep it."""
    shown = display_path(path, root)
    old = path.read_text(encoding="utf-8", errors="replace")
    snippet = "sources:\n" + source_item(entry).rstrip("\n")
    if force:
        updated, reason = add_source(old, entry, shown=shown)
        if updated is not None:
            files.insert(0, (path, updated))
            return None
        note = f"not changed: {reason}"
        if reason != "it already lists this source":
            note += f"; add the source by hand:\n{snippet}"
        return FileChange(path, shown, old, KEEP, old, note=note)
    return FileChange(
        path,
        shown,
        old,
        KEEP,
        old,
        note="exists and is not changed; pass --force to add this source to it "
        f"(with a backup), or add it by hand:\n{snippet}",
    )


def _placeholders(specialty: str | None) -> list[tuple[str, str]]:
    if specialty:
        told = f"{specialty!r}, read from the 'which specialist' section: check it"
    else:
        told = f"{SPECIALTY_PLACEHOLDER!r}"
    return [
        ("specialty", told),
        ("version", f'"{DRAFT_VERSION}", a draft'),
        (
            "last_reviewed, next_review",
            f"{DATE_PLACEHOLDER}, until a clinician reviews the text",
        ),
        ("owner", repr(OWNER_PLACEHOLDER)),
    ]


def _validate(
    files: list[tuple[Path, str]], *, slug: str, language: str, placeholders: set[str]
) -> None:
    """Load the draft files as `leaflets check` would; refuse to write a failing draft.

    Only the fields holding a TODO placeholder, for a person to replace, may fail.
    """
    with tempfile.TemporaryDirectory(prefix="leaflets-import-") as temporary:
        root = Path(temporary)
        folder = root / "data" / slug
        folder.mkdir(parents=True)
        problems = []
        for path, text in files:
            copy = folder / path.name
            copy.write_text(text, encoding="utf-8")
            if path.name == METADATA_NAME:
                problems += load_metadata(copy, root=root, slug=slug)[1]
            else:
                problems += load_content(copy, root=root, lang=language)[1]
        # TODO placeholders are what a draft is for: a person replaces them.
        errors = [
            problem
            for problem in problems
            if problem.is_error and not problem.draft and problem.field not in placeholders
        ]
        if errors:
            raise ImportSourceError(
                "the imported draft would not pass `leaflets check` (a bug in leaflets "
                "import; please report it with the page):\n"
                + "\n".join(str(problem) for problem in errors)
            )
