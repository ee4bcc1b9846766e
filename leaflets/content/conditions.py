"""Load and validate condition data: shared metadata plus one content file per language."""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from markupsafe import Markup

from .. import characters
from ..config import validate_language
from ..config.metadata import (
    ConditionMetadata,
    YamlKey,
    is_placeholder,
    yaml_keys,
)
from ..config.metadata import (
    Source as SourceSchema,
)
from ..exceptions import QUOTE_LIMIT, Problem, display_path, quote
from ..workspace import is_inside
from . import markdown, translations
from .model import METADATA_NAME, SECTION_KEYS, Condition, Content, Metadata, Section, Source
from .yaml_loader import MAX_DATA_FILE_SIZE, ImpossibleDate, LineDict, LineList, load_yaml, too_big

_SLUG_RE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
#: The longest condition id (its folder's name): with the language, the
#: template and the variant it must fit a file name (255 bytes on most disks).
MAX_ID = 64
_SECTION_RE = re.compile(r"^##(?!#)\s*(.*?)\s*$")
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$\n?", re.S | re.M)


class _Fields:
    """Typed field access on a LineDict that records a Problem per bad field."""

    def __init__(self, data: LineDict, path: str, problems: list[Problem], prefix: str = ""):
        self.data = data
        self.path = path
        self.problems = problems
        self.prefix = prefix

    def report(self, key: str, message: str, line: int | None = None) -> None:
        self.problems.append(
            Problem(
                self.path,
                line if line is not None else self.data.line_of(key),
                self.prefix + key,
                message,
            )
        )

    def placeholder(self, key: str, value: Any, line: int | None = None) -> bool:
        """Report *value* as a draft placeholder when it is one; tell whether it was."""
        if not is_placeholder(value):
            return False
        # `leaflets import` marks what it could not know this way.
        self.problems.append(
            Problem(
                self.path,
                line if line is not None else self.data.line_of(key),
                self.prefix + key,
                f"{quote(value.strip())} is a placeholder; replace it before printing",
                draft=True,
            )
        )
        return True

    def text(self, key: str, *, required: bool = True, hint: str = "") -> str:
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.report(key, "is required" + (f" ({hint})" if hint else ""))
            return ""
        if not isinstance(value, str):
            self.report(
                key, f"must be text, not {_describe(value)}" + (f"; {hint}" if hint else "")
            )
            return ""
        self.placeholder(key, value)
        return value.strip()

    def date(self, key: str, *, required: bool = True) -> datetime.date | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.report(key, "is required (a date like 2026-11-22)")
            return None
        if isinstance(value, ImpossibleDate):
            self.report(key, f"{quote(str(value))} is not a real date ({value.reason})")
            return None
        if self.placeholder(key, value):
            return None
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            shown = quote(value) if isinstance(value, list | dict) else str(value)
            shown = shown if len(shown) <= QUOTE_LIMIT else quote(shown)
            self.report(key, f"{shown} is not a date in YYYY-MM-DD format (like 2026-11-22)")
            return None
        return value

    def text_list(self, key: str) -> list[tuple[str, int]]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, LineList):
            self.report(key, f"must be a list of short lines, not {_describe(value)}")
            return []
        items = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.report(f"{key}[{index}]", "must be a line of text", value.line_of(index))
            else:
                self.placeholder(f"{key}[{index}]", item, value.line_of(index))
                items.append((item.strip(), value.line_of(index)))
        return items

    def unknown(self, allowed: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in allowed:
                self.report(key, f"unknown key (expected one of: {', '.join(allowed)})")

    def declared(self, keys: tuple[YamlKey, ...], slug: str) -> dict[str, Any]:
        """Read the text and date keys of *keys* in order, each followed by its check."""
        self.unknown(tuple(key.name for key in keys))
        values: dict[str, Any] = {}
        for key in keys:
            required = key.field.required
            if key.kind == "text":
                hint = key.field.hint.format(slug=slug)
                values[key.name] = self.text(key.name, required=required, hint=hint)
            elif key.kind == "date":
                values[key.name] = self.date(key.name, required=required)
            else:
                continue  # a list of mappings, read by its own loader
            check = key.field.check
            if values[key.name] and check and (why := check(values[key.name], values, slug)):
                self.report(key.name, why)
        return values


def _describe(value: Any) -> str:
    if isinstance(value, list | LineList):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, bool):
        return f"{value!r} (a yes/no value)"
    if isinstance(value, int | float):
        return f"the number {quote(value)}"
    return quote(value)


_CONTENT_KEYS = ("title", "summary", "key_points", "next_steps", "translated_from")


def load_metadata(path: Path, *, root: Path, slug: str) -> tuple[Metadata | None, list[Problem]]:
    """Load ``condition.yaml``; return the metadata (None if unusable) and its problems."""
    shown = display_path(path, root)
    problems: list[Problem] = []
    text, read_problem = _read_text(path, shown, root=root)
    if read_problem:
        return None, [read_problem]
    data = _load_mapping(text, shown, problems, line_offset=0)
    if data is None:
        return None, problems
    fields = _Fields(data, shown, problems)
    values = fields.declared(yaml_keys(ConditionMetadata), slug)
    sources = _load_sources(data, fields)
    if any(problem.is_error and not problem.draft for problem in problems):
        return None, problems
    return Metadata(
        slug=slug,
        specialty=values["specialty"],
        icd10=values["icd10"],
        version=values["version"],
        last_reviewed=values["last_reviewed"],
        next_review=values["next_review"],
        owner=values["owner"],
        reviewer=values["reviewer"],
        sources=tuple(sources),
        next_review_line=data.line_of("next_review"),
        last_reviewed_line=data.line_of("last_reviewed"),
    ), problems


def _load_sources(data: LineDict, fields: _Fields) -> list[Source]:
    value = data.get("sources")
    if not isinstance(value, LineList) or not value:
        fields.report("sources", "is required: a list of the pages this content was written from")
        return []
    sources = []
    for index, item in enumerate(value):
        if not isinstance(item, LineDict):
            fields.report(
                f"sources[{index}]",
                "must be a mapping with a title and a url",
                value.line_of(index),
            )
            continue
        source_fields = _Fields(item, fields.path, fields.problems, f"sources[{index}].")
        values = source_fields.declared(yaml_keys(SourceSchema), "")
        sources.append(Source(**values))
    return sources


def load_content(path: Path, *, root: Path, lang: str) -> tuple[Content | None, list[Problem]]:
    """Load one language's ``<lang>.md``: YAML front matter, then ``## key`` sections."""
    shown = display_path(path, root)
    text, read_problem = _read_text(path, shown, root=root)
    if read_problem:
        return None, [read_problem]
    return parse_content(text, path=path, shown=shown, root=root, lang=lang)


#: A content file once parsed: its content (None when unusable), its problems,
#: and the readability warning about it, if any.
ParsedContent = tuple[Content | None, list[Problem], Problem | None]


class ContentCache(Protocol):
    """Something that keeps parsed content files between builds (see engine/cache.py)."""

    def content(
        self, path: Path, text: str, lang: str, parse: Callable[[], ParsedContent]
    ) -> ParsedContent:
        """Return what *parse* returns for *text*, from an earlier build when it can."""
        ...


def _parsed_content(
    path: Path, *, root: Path, lang: str, cache: ContentCache | None
) -> ParsedContent:
    """Read and parse ``<lang>.md``, and measure its readability; through *cache* if any."""
    shown = display_path(path, root)
    text, read_problem = _read_text(path, shown, root=root)
    if read_problem:
        return None, [read_problem], None

    def parse() -> ParsedContent:
        content, problems = parse_content(text, path=path, shown=shown, root=root, lang=lang)
        return content, problems, _readability_problem(content, shown) if content else None

    return parse() if cache is None else cache.content(path, text, lang, parse)


def parse_content(
    text: str, *, path: Path, shown: str, root: Path, lang: str
) -> tuple[Content | None, list[Problem]]:
    """Parse the text of ``<lang>.md`` read from *path* (shown as *shown* in messages)."""
    match = _FRONT_MATTER_RE.match(text)
    if not match:
        return None, [
            Problem(
                shown,
                1,
                None,
                "must start with front matter: a line '---', the title and summary, and '---'",
            )
        ]
    problems: list[Problem] = []
    data = _load_mapping(match.group(1), shown, problems, line_offset=1)
    if data is None:
        return None, problems
    fields = _Fields(data, shown, problems)
    fields.unknown(_CONTENT_KEYS)
    title = fields.text("title")
    if title and (why := characters.title_problem(title)):
        fields.report("title", why)
    base_dir = path.parent

    def inline(key: str, value: str, line: int) -> Markup:
        html, found = markdown.render_inline(
            value, path=shown, field=key, line=line, base_dir=base_dir, root=root
        )
        problems.extend(found)
        return html

    summary = inline("summary", fields.text("summary"), data.line_of("summary"))
    key_points = tuple(
        inline(f"key_points[{index}]", value, line)
        for index, (value, line) in enumerate(fields.text_list("key_points"))
    )
    next_steps = tuple(
        inline(f"next_steps[{index}]", value, line)
        for index, (value, line) in enumerate(fields.text_list("next_steps"))
    )
    translated_from = None
    if "translated_from" in data:
        translated_from = translations.parse_translated_from(
            data["translated_from"], path=shown, own_lang=lang, problems=problems
        )
    hashes = {
        key: digest
        for key in translations.FRONT_MATTER_PARTS
        if (digest := translations.value_hash(data.get(key))) is not None
    }
    body_first_line = text.count("\n", 0, match.end()) + 1
    raw: dict[str, str] = {}
    sections = _load_sections(
        text[match.end() :],
        shown=shown,
        first_line=body_first_line,
        base_dir=base_dir,
        root=root,
        problems=problems,
        raw=raw,
    )
    hashes.update((key, translations.text_hash(raw[key])) for key in SECTION_KEYS if key in raw)
    if any(problem.is_error and not problem.draft for problem in problems):
        return None, problems
    return Content(
        lang=lang,
        path=path,
        title=title,
        summary=summary,
        key_points=key_points,
        next_steps=next_steps,
        sections=sections,
        hashes=hashes,
        translated_from=translated_from,
    ), problems


def _load_sections(
    body: str,
    *,
    shown: str,
    first_line: int,
    base_dir: Path,
    root: Path,
    problems: list[Problem],
    raw: dict[str, str],
) -> dict[str, Section]:
    """Split the body at ``## key`` lines and render each section's Markdown.

    *raw* receives each section's Markdown source, by key.
    """
    chunks: list[tuple[str, int, list[str]]] = []
    preamble: list[tuple[int, str]] = []
    for number, text in enumerate(body.splitlines(), start=first_line):
        heading = _SECTION_RE.match(text)
        if heading:
            chunks.append((heading.group(1), number, []))
        elif chunks:
            chunks[-1][2].append(text)
        elif text.strip():
            preamble.append((number, text))
    if preamble:
        problems.append(
            Problem(
                shown,
                preamble[0][0],
                None,
                "text before the first section; start each section with a line like '## symptoms'",
            )
        )
    sections: dict[str, Section] = {}
    for key, line, lines in chunks:
        field_name = f"sections.{key}"
        if key not in SECTION_KEYS:
            problems.append(
                Problem(
                    shown,
                    line,
                    field_name,
                    f"unknown section key {quote(key)} "
                    f"(expected one of: {', '.join(SECTION_KEYS)})",
                )
            )
            continue
        if key in sections:
            problems.append(
                Problem(
                    shown,
                    line,
                    field_name,
                    f"section given twice (first at line {sections[key].line})",
                )
            )
            continue
        source = "\n".join(lines)
        raw[key] = source
        if not source.strip():
            problems.append(Problem(shown, line, field_name, "section is empty"))
            continue
        html, found = markdown.render_block(
            source,
            path=shown,
            field=field_name,
            first_line=line + 1,
            base_dir=base_dir,
            root=root,
        )
        problems.extend(found)
        sections[key] = Section(key=key, html=html, line=line)
    return sections


def _load_mapping(
    text: str, shown: str, problems: list[Problem], *, line_offset: int
) -> LineDict | None:
    """Parse YAML that must be a mapping; record problems, return None if unusable."""
    data, found = load_yaml(text, shown, line_offset=line_offset)
    problems.extend(found)
    if data is None and found:
        return None
    # Escapes such as "\x1b" or "\N" write a control character without one in the file.
    for key, value, container, index in characters.walk_strings(data):
        if why := characters.forbidden_in_value(value):
            problems.append(Problem(shown, container.line_of(index), key, why))
    if not isinstance(data, LineDict):
        problems.append(
            Problem(shown, line_offset + 1, None, "must be a mapping of keys to values")
        )
        return None
    return data


def _read_text(path: Path, shown: str, *, root: Path) -> tuple[str, Problem | None]:
    if not is_inside(path, (root.resolve(),)):
        # A data file that is a link to elsewhere is never read (display_path resolved it).
        shown = Path(os.path.relpath(path, root)).as_posix()
        return "", Problem(
            shown, None, None, f"resolves to {os.path.realpath(path)!r}, outside the workspace"
        )
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_DATA_FILE_SIZE + 1)
            if len(data) > MAX_DATA_FILE_SIZE:
                return "", Problem(shown, None, None, too_big(path.stat().st_size))
        # utf-8-sig: Windows editors may start the file with a byte order mark.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return "", Problem(
            shown, None, None, f"not UTF-8 text ({error.reason} at byte {error.start})"
        )
    except OSError as error:
        return "", Problem(shown, None, None, f"cannot be read ({error.strerror})")
    # Before any parser sees it: PyYAML's own refusal is a traceback without a line.
    if (found := characters.forbidden_in_file(text)) is not None:
        return "", Problem(shown, found[0], None, found[1])
    return text, None


def load_condition(
    folder: Path,
    *,
    root: Path,
    languages: tuple[str, ...],
    source_language: str = "",
    cache: ContentCache | None = None,
) -> Condition:
    """Load one condition folder; problems are recorded on the result, never raised.

    Content files are checked against what they were translated from;
    *source_language* (default: the first of *languages*) is the one
    written first, which needs no ``translated_from``. *cache* keeps parsed
    content files between builds.
    """
    condition = Condition(slug=folder.name, folder=folder)
    shown_folder = display_path(folder, root)
    if why := _folder_problem(folder.name):
        condition.problems.append(Problem(shown_folder, None, None, why))
        return condition
    metadata_path = folder / METADATA_NAME
    if not metadata_path.is_file():
        condition.problems.append(
            Problem(
                display_path(metadata_path, root),
                None,
                None,
                "is missing: every condition needs its metadata file",
            )
        )
    else:
        condition.metadata, found = load_metadata(metadata_path, root=root, slug=folder.name)
        condition.problems.extend(found)
    readability: list[Problem] = []
    for path in sorted(folder.glob("*.md")):
        lang = path.stem
        reason = validate_language(lang)
        if reason:
            condition.problems.append(
                Problem(
                    display_path(path, root),
                    None,
                    None,
                    f"file name must be a language code plus .md: {reason}",
                )
            )
            continue
        content, found, hard_to_read = _parsed_content(path, root=root, lang=lang, cache=cache)
        condition.problems.extend(found)
        if content is not None:
            condition.contents[lang] = content
        if hard_to_read is not None:
            readability.append(hard_to_read)
    _compare_languages(condition, root=root, languages=languages)
    condition.problems.extend(
        translations.translation_problems(
            condition,
            root=root,
            source_language=source_language or (languages[0] if languages else "en"),
        )
    )
    # Readability comes last, after the problems between languages.
    condition.problems.extend(readability)
    return condition


def _folder_problem(name: str) -> str | None:
    """Return why folder *name* cannot be a condition's id, or None when it can."""
    if not _SLUG_RE.fullmatch(name):
        return "folder name must be a lowercase slug like 'hemifacial-spasm'"
    if len(name) > MAX_ID:
        return (
            f"folder name is {len(name)} characters long; a condition's id may be at most "
            f"{MAX_ID} (it is part of every output's file name)"
        )
    return None


def _readability_problem(content: Content, shown: str) -> Problem | None:
    """Return a warning when *content* is harder to read than a reading age of about 11-13."""
    from .readability import measure, plain_text

    score = measure(plain_text(content), content.lang)
    if score is None or score.ok:
        return None
    return Problem(
        shown,
        None,
        "readability",
        f"{score}: too hard for a reading age of about 11-13; "
        "use shorter sentences and everyday words",
        severity="warning",
    )


def _compare_languages(condition: Condition, *, root: Path, languages: tuple[str, ...]) -> None:
    """Warn about configured languages without content and sections some languages lack."""
    for lang in languages:
        if lang not in condition.contents and not (condition.folder / f"{lang}.md").exists():
            condition.problems.append(
                Problem(
                    display_path(condition.folder / f"{lang}.md", root),
                    None,
                    None,
                    f"is missing: {condition.slug} has no content in {lang!r}",
                    severity="warning",
                )
            )
    present = {lang: set(content.sections) for lang, content in condition.contents.items()}
    for content in condition.contents.values():
        for key in SECTION_KEYS:
            others = sorted(other for other, keys in present.items() if key in keys)
            if key not in content.sections and others:
                condition.problems.append(
                    Problem(
                        display_path(content.path, root),
                        None,
                        f"sections.{key}",
                        f"section is missing (present in: {', '.join(others)})",
                        severity="warning",
                    )
                )


def load_conditions(
    data_dir: Path,
    *,
    root: Path,
    languages: tuple[str, ...],
    only: tuple[str, ...] = (),
    source_language: str = "",
    cache: ContentCache | None = None,
) -> tuple[list[Condition], list[Problem]]:
    """Load every condition folder under *data_dir* (or only those named).

    *cache* keeps parsed content files between builds.
    """
    if not data_dir.is_dir():
        return [], [Problem(display_path(data_dir, root), None, None, "data folder does not exist")]
    folders = sorted(
        path
        for path in data_dir.iterdir()
        if path.is_dir() and not path.name.startswith((".", "_"))
    )
    problems = []
    if only:
        names = {folder.name for folder in folders}
        problems = [
            # Joined as text, never resolved: "../../etc" names no folder of ours.
            Problem(f"{display_path(data_dir, root)}/{name}", None, None, "no such condition")
            for name in only
            if name not in names
        ]
        folders = [folder for folder in folders if folder.name in only]
    return [
        load_condition(
            folder, root=root, languages=languages, source_language=source_language, cache=cache
        )
        for folder in folders
    ], problems
