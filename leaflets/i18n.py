"""Load translation catalogs, format dates per locale, and keep the catalogs up to date."""

from __future__ import annotations

import datetime
import gettext
import io
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, PoFileParser, write_po
from markupsafe import Markup, escape

from .exceptions import CatalogError, Problem, display_path
from .workspace import builtin_theme_dir, is_inside

DOMAIN = "messages"
PROJECT = "leaflets"
#: Extraction options for the Jinja2 extractor, the same as babel.cfg says.
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "true", "newstyle_gettext": "true"}


def catalog_path(locales_dir: Path, lang: str) -> Path:
    """Return where the .po catalog for *lang* lives under *locales_dir*."""
    return locales_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def text_direction(lang: str) -> str:
    """Return 'rtl' or 'ltr' for the script *lang* is written in."""
    return "rtl" if Locale.parse(lang).character_order == "right-to-left" else "ltr"


def language_name(lang: str) -> str:
    """Return the name of *lang* in that language itself, like 'Italiano' or 'Español'.

    Babel writes most names in lower case, as inside a sentence; they stand
    alone in a list of languages, so the first letter is capitalized (a
    no-op in scripts without case).
    """
    name = Locale.parse(lang).get_display_name(lang) or lang
    return printable(name[:1].upper() + name[1:])


def long_date(value: datetime.date, lang: str) -> str:
    """Format *value* as a long date in *lang*, like '22 novembre 2026'."""
    return printable(format_date(value, format="long", locale=lang))


#: Spaces of Babel's locale data that the bundled fonts lack, each mapped to
#: U+00A0 NO-BREAK SPACE, which every bundled font has and which keeps their
#: meaning (the date or number stays on one line): U+202F NARROW NO-BREAK
#: SPACE ("20 травня 2026 р." in Ukrainian, French thousands) and U+2007
#: FIGURE SPACE. Without this, glyphs.py refuses a uk leaflet for a
#: character its author never wrote.
_PRINTABLE_SPACES = str.maketrans({"\u202f": "\u00a0", "\u2007": "\u00a0"})


def printable(text: str) -> str:
    """Return Babel's *text* with the spaces the bundled fonts lack made no-break spaces."""
    return text.translate(_PRINTABLE_SPACES)


@dataclass(frozen=True)
class LoadedCatalog:
    """A catalog compiled in memory, and the warnings found while loading it."""

    lang: str
    path: Path | None
    translations: gettext.NullTranslations
    warnings: tuple[Problem, ...]


def find_catalog(search_path: Iterable[Path], lang: str) -> Path | None:
    """Return the first .po for *lang* along *search_path*, or None."""
    for folder in search_path:
        candidate = catalog_path(folder, lang)
        if candidate.is_file():
            return candidate
    return None


def load_catalog(
    search_path: list[Path],
    lang: str,
    *,
    root: Path,
    expected: Iterable[str] = (),
    allow_untranslated: bool = False,
) -> LoadedCatalog:
    """Read and compile the catalog for *lang*; raise CatalogError when unusable.

    *expected* is the set of message ids the templates use. Ids missing from
    the catalog, left untranslated or marked fuzzy would print English text
    in a leaflet of another language: that is one error naming how many, or,
    with *allow_untranslated*, one warning per message.
    """
    path = find_catalog(search_path, lang)
    if path is None:
        # Name the place a user would create it: the workspace's own locales/.
        where = display_path(catalog_path(root / "locales", lang), root)
        raise CatalogError(
            problems=[
                Problem(
                    where,
                    None,
                    None,
                    f"translation catalog for {lang!r} is missing "
                    f"(run `leaflets i18n init {lang}` to create it)",
                )
            ]
        )
    trusted = (root.resolve(), (builtin_theme_dir() / "locales").resolve())
    if not is_inside(path, trusted):
        # Not display_path(): it resolves the very link this is about.
        shown = Path(os.path.relpath(path, root)).as_posix()
        raise CatalogError(
            problems=[
                Problem(
                    shown,
                    None,
                    None,
                    f"resolves to {os.path.realpath(path)!r}, "
                    "outside the workspace and the built-in theme; not read",
                )
            ]
        )
    shown = display_path(path, root)
    catalog = read_catalog(path, lang, shown=shown)

    errors: list[Problem] = []
    warnings: list[Problem] = []
    for message, message_errors in catalog.check():
        line = message.lineno or None
        errors.extend(
            Problem(shown, line, f"msgid {message.id!r}", str(error)) for error in message_errors
        )
    errors.extend(translation_problems(catalog, shown))
    if errors:
        raise CatalogError(problems=errors)
    for message_id in sorted(set(expected), key=_order(catalog)):
        found = catalog.get(message_id)
        if found is None:
            warnings.append(
                Problem(
                    shown,
                    None,
                    f"msgid {message_id!r}",
                    "not in the catalog (run `leaflets i18n update`)",
                    severity="warning",
                )
            )
        elif not _translated(found.string) or found.fuzzy:
            state = "marked fuzzy" if found.fuzzy else "not translated"
            warnings.append(
                Problem(
                    shown,
                    found.lineno or None,
                    f"msgid {message_id!r}",
                    f"{state}; the leaflet will show the English text",
                    severity="warning",
                )
            )
    if warnings and not allow_untranslated:
        count = len(warnings)
        first = ", ".join(str(problem.field)[6:] for problem in warnings[:3])
        raise CatalogError(
            problems=[
                Problem(
                    shown,
                    None,
                    None,
                    f"{count} of {len(set(expected))} template messages "
                    f"{'is' if count == 1 else 'are'} not translated into {lang!r} "
                    f"(first: {first}); its leaflets would show English text there. "
                    "Translate them, or build with --allow-untranslated",
                )
            ]
        )
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return LoadedCatalog(lang, path, gettext.GNUTranslations(buffer), tuple(warnings))


#: CLDR's plural rules have one to six forms (Arabic has six); a header saying
#: more would have Babel make a list that long for every plural message.
MAX_PLURALS = 6


class _HeaderError(Exception):
    """A catalog header that cannot be used safely: its message, and the header it is about."""


class _CheckedCatalog(Catalog):
    """A Catalog that checks its Plural-Forms header before any message is sized by it.

    Babel reads the header first, then makes a list of ``nplurals`` strings
    for each plural message: ``nplurals=99999999999`` filled the memory.
    """

    def _set_mime_headers(self, headers: Iterable[tuple[str, str]]) -> None:
        headers = list(headers)
        for name, value in headers:
            if str(name).lower() == "plural-forms":
                _check_plural_forms(str(value))
        super()._set_mime_headers(headers)


def _check_plural_forms(value: str) -> None:
    """Raise _HeaderError unless *value* is a Plural-Forms header gettext can use."""
    fields = dict(
        (key.strip().lower(), text.strip())
        for key, _, text in (part.partition("=") for part in value.split(";"))
        if key.strip()
    )
    count = fields.get("nplurals", "2")
    if not re.fullmatch(r"[1-6]", count):
        raise _HeaderError(
            f"Plural-Forms: nplurals={count[:20]!r} must be a number from 1 to {MAX_PLURALS}, "
            "as CLDR's plural rules have"
        )
    expression = fields.get("plural", "(n != 1)")
    try:
        plural = gettext.c2py(expression)
    except ValueError as error:
        raise _HeaderError(
            f"Plural-Forms: plural={expression[:80]!r} is not a plural expression gettext "
            f"can read ({error})"
        ) from None
    for number in (*range(200), 1000, 10**6):
        form = plural(number)
        if not 0 <= form < int(count):
            raise _HeaderError(
                f"Plural-Forms: plural={expression[:80]!r} gives form {form} for n={number}, "
                f"but nplurals={count} (forms 0 to {int(count) - 1})"
            )


def read_catalog(path: Path, lang: str, *, shown: str, abort_invalid: bool = True) -> Catalog:
    """Read the .po at *path* (shown as *shown*); raise CatalogError when it cannot be used.

    The Plural-Forms header is checked before Babel sizes anything from it.
    """
    catalog = _CheckedCatalog(locale=lang)
    try:
        with path.open("rb") as handle:
            PoFileParser(catalog, abort_invalid=abort_invalid).parse(handle)
    except _HeaderError as error:
        raise CatalogError(
            problems=[Problem(shown, _line_of(path, b"Plural-Forms:"), None, str(error))]
        ) from None
    except PoFileError as error:
        raise CatalogError(
            problems=[Problem(shown, error.lineno + 1, None, f"invalid catalog: {_reason(error)}")]
        ) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise CatalogError(
            problems=[Problem(shown, None, None, f"invalid catalog: {error}")]
        ) from None
    except OSError as error:
        raise CatalogError(
            problems=[Problem(shown, None, None, f"cannot be read ({error.strerror})")]
        ) from None
    return catalog


def _line_of(path: Path, needle: bytes) -> int | None:
    """Return the first line of *path* holding *needle*, or None."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    index = data.find(needle)
    return None if index < 0 else data.count(b"\n", 0, index) + 1


#: Markup a message may hold: a tag or a character reference.
_MARKUP = re.compile(r"<[^<>]*>|&#?\w+;")


def markup_of(text: str) -> list[str]:
    """Return the tags and character references in *text*, in order."""
    return _MARKUP.findall(text)


def text_translation(message_id: str, translation: str) -> Markup:
    """Return *translation* as HTML: text escaped, only markup *message_id* has kept.

    Translations are text: a msgstr with ``<style>`` or a ``javascript:``
    link would otherwise reach the PDF, as Jinja takes translations for
    markup.
    """
    allowed = set(markup_of(message_id))
    pieces = []
    position = 0
    for match in _MARKUP.finditer(translation):
        pieces.append(escape(translation[position : match.start()]))
        tag = match.group()
        pieces.append(Markup(tag) if tag in allowed else escape(tag))
        position = match.end()
    pieces.append(escape(translation[position:]))
    return Markup("").join(pieces)


class _AnyName(dict[str, int]):
    """Give every placeholder name a value, to try a translation as a format string.

    Zero, as it formats with every conversion (%s, %d, %f…).
    """

    def __missing__(self, key: str) -> int:
        return 0


#: A named placeholder, as templates fill them: ``%(name)s``.
_PLACEHOLDER = re.compile(r"%\((\w+)\)")


def translation_problems(catalog: Catalog, shown: str) -> list[Problem]:
    """Return why translations of *catalog* cannot print: bad format, extra markup, controls.

    Templates format every translation with ``%`` (Jinja's newstyle
    gettext), so a lone ``%`` or a placeholder the template does not give
    fails every leaflet of the language; markup the msgid lacks is printed
    as typed (see text_translation). One problem of each kind per message.
    """
    problems: list[Problem] = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = [str(text) for text in _forms(message.id)]
        strings = [str(text) for text in _forms(message.string) if text]
        plural = len(ids) > 1
        # Babel's own check (catalog.check()) names a python-format message's placeholders.
        known = (
            None
            if message.python_format
            else set(_PLACEHOLDER.findall(" ".join(ids))) | ({"num"} if plural else set())
        )
        expected_markup = sorted(markup_of(ids[0]))
        found: dict[str, str] = {}
        for string in strings:
            extra = [tag for tag in markup_of(string) if tag not in expected_markup]
            whys = {
                "characters": _forbidden(string),
                "format": _format_problem(string, known),
                "markup": None
                if sorted(markup_of(string)) == expected_markup
                else "the translation has markup the msgid does not have "
                f"({(extra[0] if extra else 'markup')[:40]!r}); translations are text, "
                "and it would print as typed",
            }
            for kind, why in whys.items():
                if why:
                    found.setdefault(kind, why)
        field = f"msgid {ids[0][:80]!r}"
        problems.extend(
            Problem(shown, message.lineno or None, field, why) for why in found.values()
        )
    return problems


def _forms(value: str | tuple[str, ...] | list[str]) -> list[str]:
    """Return a msgid or msgstr as the list of its forms (one, or one per plural form)."""
    return list(value) if isinstance(value, tuple | list) else [value]


def _forbidden(string: str) -> str | None:
    from .characters import forbidden_in_value

    why = forbidden_in_value(string)
    return f"the translation {why}" if why else None


def _format_problem(string: str, known: set[str] | None) -> str | None:
    """Return why *string* cannot be filled in with the placeholders *known*, or None.

    *known* is None when Babel checks the placeholders itself.
    """
    unknown = sorted(set(_PLACEHOLDER.findall(string)) - (known or set()))
    if known is not None and unknown:
        return (
            f"the translation uses %({unknown[0]})s, which the msgid does not have "
            "(the template gives only the msgid's placeholders)"
        )
    try:
        string % _AnyName()
    except (ValueError, TypeError) as error:
        return (
            f"the translation is not a valid format ({error}): write %% for a percent sign "
            "and %(name)s for a placeholder"
        )
    return None


def _translated(string: str | tuple[str, ...] | list[str] | None) -> bool:
    """Tell whether a msgstr is filled in: every plural form of a plural message."""
    if isinstance(string, tuple | list):
        return bool(string) and all(string)
    return bool(string)


def _order(catalog: Catalog) -> Callable[[str], tuple[int, str]]:
    """Return a sort key putting message ids in the order the catalog lists them."""
    positions = {message.id: index for index, message in enumerate(catalog)}
    return lambda message_id: (positions.get(message_id, len(positions)), message_id)


def _reason(error: PoFileError) -> str:
    """Return Babel's message without its own 0-based " on N" line suffix."""
    return re.sub(r" on \d+$", "", str(error.args[0]))


def template_sources(
    template_dirs: Iterable[Path], *, trusted: Iterable[Path] | None = None
) -> list[tuple[str, bytes]]:
    """Return each template messages are extracted from, as its location name and its bytes.

    Names read ``templates/leaflet.html`` whether the template is the
    workspace's or the built-in theme's, so that catalogs never carry a
    machine's absolute paths and diff cleanly. A template whose real path is
    outside *trusted* (default: the template folders themselves) is never
    read: the build refuses to load it anyway.
    """
    template_dirs = list(template_dirs)
    roots = tuple(trusted if trusted is not None else (path.resolve() for path in template_dirs))
    sources = []
    for folder in template_dirs:
        # As Babel's extract_from_dir walks, minus the files outside.
        for directory, subfolders, files in os.walk(folder):
            subfolders[:] = sorted(name for name in subfolders if not name.startswith((".", "_")))
            for name in sorted(files):
                path = Path(directory, name)
                if not name.endswith((".html", ".txt")) or not is_inside(path, roots):
                    continue
                shown = (Path(folder.name) / path.relative_to(folder)).as_posix()
                sources.append((shown, path.read_bytes()))
    return sources


def extract_messages(
    template_dirs: Iterable[Path],
    *,
    trusted: Iterable[Path] | None = None,
    sources: list[tuple[str, bytes]] | None = None,
) -> Catalog:
    """Extract every translatable message from the templates into a template catalog.

    The templates are those template_sources() finds, or *sources* when given.
    """
    if sources is None:
        sources = template_sources(template_dirs, trusted=trusted)
    template = Catalog(
        project=PROJECT, fuzzy=False, header_comment="# Messages of the leaflets templates."
    )
    for shown, data in sources:
        for lineno, message, comments, context in extract(
            "jinja2", io.BytesIO(data), options=JINJA_OPTIONS
        ):
            template.add(
                message,
                None,
                [(shown, lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


#: Templates of the desk web page (`leaflets serve`), not of leaflets: their
#: messages share the catalogs but never show on a leaflet.
DESK_TEMPLATES = "desk"


def message_ids(
    template_dirs: Iterable[Path],
    *,
    trusted: Iterable[Path] | None = None,
    sources: list[tuple[str, bytes]] | None = None,
) -> set[str]:
    """Return the ids of the messages the leaflet templates use (not the desk's).

    The templates are those template_sources() finds, or *sources* when given.
    """
    catalog = extract_messages(template_dirs, trusted=trusted, sources=sources)
    # A plural message is known by its singular id, as catalogs look it up.
    return {
        str(message.id[0] if isinstance(message.id, tuple) else message.id)
        for message in catalog
        if message.id
        and not all(Path(path).parent.name == DESK_TEMPLATES for path, _ in message.locations)
    }


def _write_po_atomic(path: Path, catalog: Catalog) -> bool:
    """Write *catalog* to *path* unless only its creation or revision date would change.

    Return whether the file was written.
    """
    from .output import atomic_write

    buffer = io.BytesIO()
    write_po(buffer, catalog, width=88, sort_output=False, omit_header=False)
    data = buffer.getvalue()
    try:
        old = path.read_bytes()
    except OSError:
        old = None
    if old is not None and _DATES.sub(b"", old) == _DATES.sub(b"", data):
        return False
    atomic_write(path, data)
    return True


#: Header lines that change with the clock or the Babel version, left out when
#: comparing catalogs.
_DATES = re.compile(
    rb'^"(?:POT-Creation-Date|PO-Revision-Date|Generated-By): [^"]*"\n', re.MULTILINE
)


def update_catalogs(locales_dir: Path, template_dirs: list[Path], *, root: Path) -> list[Path]:
    """Write messages.pot and merge it into every language's .po; return files written.

    A file whose only change would be its date is left untouched.
    """
    template = extract_messages(template_dirs)
    pot_path = locales_dir / f"{DOMAIN}.pot"
    written = [pot_path] if _write_po_atomic(pot_path, template) else []
    for po_path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        lang = po_path.parent.parent.name
        catalog = read_catalog(
            po_path, lang, shown=display_path(po_path, root), abort_invalid=False
        )
        catalog.update(template, update_header_comment=False)
        if _write_po_atomic(po_path, catalog):
            written.append(po_path)
    return written


def init_catalog(locales_dir: Path, lang: str, template_dirs: list[Path], *, root: Path) -> Path:
    """Create the .po catalog for *lang* in the workspace, from the built-in one if it ships.

    A workspace catalog hides the built-in catalog of its language: an empty
    one would leave every leaflet of that language untranslated. So a
    language leaflets ships starts with its translations (then brought up
    to date with the workspace's templates); another language starts empty.
    """
    path = catalog_path(locales_dir, lang)
    if path.exists():
        raise CatalogError(
            f"{display_path(path, root)}: already exists; use `leaflets i18n update`"
        )
    template = extract_messages(template_dirs)
    builtin = catalog_path(builtin_theme_dir() / "locales", lang)
    if builtin.is_file() and builtin.resolve() != path.resolve():
        catalog = read_catalog(builtin, lang, shown=str(builtin))
    else:
        catalog = Catalog(locale=lang, project=PROJECT, fuzzy=False)
    catalog.update(template)
    # atomic_write() makes the folders, and removes them again when the disk is full.
    _write_po_atomic(path, catalog)
    return path


def compile_catalogs(locales_dir: Path, *, root: Path) -> list[Path]:
    """Compile every .po under *locales_dir* into a .mo beside it; return files written."""
    from .output import atomic_write

    written = []
    for po_path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        lang = po_path.parent.parent.name
        catalog = read_catalog(po_path, lang, shown=display_path(po_path, root))
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        mo_path = po_path.with_suffix(".mo")
        atomic_write(mo_path, buffer.getvalue())
        written.append(mo_path)
    return written
