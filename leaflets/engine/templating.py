"""Fill the Jinja2 templates: one environment per language, one typed context per leaflet."""

from __future__ import annotations

import datetime
import functools
import gettext
import os
import posixpath
import re
import traceback
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from .. import __version__
from ..config import PAPER_SIZES, Clinic
from ..content.model import SECTION_KEYS, Content, Metadata, Section
from ..content.typography import bind_single_letters
from ..exceptions import Problem, TemplateError, display_path
from ..i18n import LoadedCatalog, long_date, text_translation
from ..workspace import is_inside
from .qr import qr_svg


@dataclass(frozen=True)
class OtherLanguage:
    """A language a leaflet is also available in, named in that language."""

    lang: str
    name: str
    dir: str


@dataclass(frozen=True)
class TemplateContext:
    """Everything a template may use, and nothing else."""

    lang: str
    text_dir: str
    kind: str
    clinic: Clinic
    condition: Metadata
    content: Content
    sections: tuple[Section, ...]
    paper: str
    style_urls: dict[str, str]
    logo_url: str
    generator: str
    #: The print variant ("standard" or "large-print") and large print's body size in pt.
    variant: str
    large_print_size: float
    #: What else exists for this condition: other languages, other print variants.
    other_languages: tuple[OtherLanguage, ...]
    other_variants: tuple[str, ...]
    #: Short notices printed on every page, such as "DRAFT — not reviewed" or
    #: "Review overdue since …", already in the leaflet's language (see page_mark).
    page_marks: tuple[str, ...] = ()
    #: This leaflet's address online ([clinic] online_url filled in), or "".
    online_url: str = ""
    #: Where patients send feedback: a mailto: or https: link, or "".
    feedback_href: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Return the context as template variables (a shallow copy)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


class Context(Protocol):
    """A typed template context: anything that gives its template variables as a dict."""

    def as_dict(self) -> dict[str, Any]:
        """Return the template variables."""
        ...


def make_context(
    *,
    lang: str,
    text_dir: str,
    kind: str,
    clinic: Clinic,
    condition: Metadata,
    content: Content,
    paper: str,
    style_urls: dict[str, str],
    variant: str = "standard",
    large_print_size: float = 16,
    other_languages: tuple[OtherLanguage, ...] = (),
    other_variants: tuple[str, ...] = (),
    page_marks: tuple[str, ...] = (),
) -> TemplateContext:
    """Build the context for one leaflet, with sections in the fixed leaflet order."""
    return TemplateContext(
        lang=lang,
        text_dir=text_dir,
        kind=kind,
        clinic=clinic,
        condition=condition,
        content=content,
        sections=tuple(content.sections[key] for key in SECTION_KEYS if key in content.sections),
        paper=PAPER_SIZES[paper],
        style_urls=style_urls,
        logo_url=clinic.logo.as_uri() if clinic.logo else "",
        generator=f"leaflets {__version__}",
        variant=variant,
        large_print_size=large_print_size,
        other_languages=other_languages,
        other_variants=other_variants,
        page_marks=page_marks,
        online_url=clinic.online_url_for(condition=condition.slug, lang=lang),
        feedback_href=(
            clinic.feedback
            if clinic.feedback.startswith("https://") or not clinic.feedback
            else f"mailto:{clinic.feedback}"
        ),
    )


#: The template whose macros hold the text of each page mark, so that the
#: texts are extracted and translated like all other template text.
PAGE_MARKS_TEMPLATE = "_marks.html"


def page_mark(env: jinja2.Environment, name: str, *, root: Path, **params: Any) -> Markup:
    """Return the text of page mark *name* (a macro of _marks.html) in *env*'s language."""
    module = compile_template(env, PAGE_MARKS_TEMPLATE, root=root).module
    macro = getattr(module, name, None)
    if macro is None:
        raise TemplateError(
            problems=[
                Problem(PAGE_MARKS_TEMPLATE, None, None, f"no macro {name!r} for a page mark")
            ]
        )
    return Markup(macro(**params)).strip()


def css_string(value: str, placeholders: dict[str, str] | None = None) -> Markup:
    """Quote *value* as a CSS string, turning ``{name}`` into raw CSS from *placeholders*.

    Used for page-margin text such as "Page {page} of {pages}", whose
    translation decides where the counters go.
    """
    placeholders = placeholders or {}
    parts = []
    for piece in re.split(r"(\{\w+\})", str(value)):
        name = piece[1:-1] if piece.startswith("{") and piece.endswith("}") else None
        if name in placeholders:
            parts.append(placeholders[name])
        elif piece:
            escaped = "".join(
                ch if ch.isalnum() or ch in " .,:;!?·-'()" else f"\\{ord(ch):x} " for ch in piece
            )
            parts.append(f'"{escaped}"')
    return Markup(" ".join(parts) or '""')


def ltr(value: object) -> Markup:
    """Keep *value* (a phone number, a web address, a version) left to right, even in Arabic."""
    return Markup('<bdi dir="ltr">{}</bdi>').format(value)


def isolate(value: object) -> Markup:
    """Set *value* apart in the direction of its own first letter, like ``dir="auto"``.

    A clinic's address or a source's name may be written in Latin or in
    Arabic script; either way, it must not be reordered by the text around
    it ("1 Example Street" printed as "Example Street 1" in an Arabic leaflet).
    """
    text = str(value)
    direction = "ltr"
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("L", "R", "AL"):
            direction = "ltr" if kind == "L" else "rtl"
            break
    return Markup('<bdi dir="{}">{}</bdi>').format(direction, value)


class OutsideTheme(jinja2.TemplateError):
    """A template name that leads outside the workspace and the built-in theme."""

    def __init__(self, message: str, filename: str | None = None) -> None:
        super().__init__(message)
        #: The path in a templates folder that is a symlink to elsewhere, if any.
        self.filename = filename


class TrustedLoader(jinja2.FileSystemLoader):
    """Load templates from *search_path*, refusing any file whose real path is elsewhere.

    Jinja's own loader refuses ``..`` but follows symlinks: a template (or a
    templates folder) linked to ``/etc`` would be read. This one checks the
    real path against *trusted* before it opens the file.
    """

    def __init__(self, search_path: list[Path], trusted: tuple[Path, ...]) -> None:
        super().__init__([str(path) for path in search_path])
        self.trusted = trusted

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        pieces = template.replace("\\", "/").split("/")
        if ".." in pieces:
            raise OutsideTheme(
                f"template {template!r} is outside the workspace and the built-in theme"
            )
        for folder in self.searchpath:
            filename = posixpath.join(
                folder, *[piece for piece in pieces if piece not in ("", ".")]
            )
            if os.path.isfile(filename):
                break
        else:
            raise jinja2.TemplateNotFound(template)
        if not is_inside(filename, self.trusted):
            raise OutsideTheme(
                f"template {template!r} resolves to {os.path.realpath(filename)!r}, "
                "outside the workspace and the built-in theme",
                filename,
            )
        with open(filename, encoding="utf-8") as stream:
            contents = stream.read()
        mtime = os.path.getmtime(filename)
        return contents, os.path.normpath(filename), lambda: os.path.getmtime(filename) == mtime


def make_environment(
    search_path: list[Path],
    catalog: LoadedCatalog,
    *,
    date_locale: str | None = None,
    trusted: tuple[Path, ...] | None = None,
) -> jinja2.Environment:
    """Create the sandboxed Jinja2 environment that renders templates in *catalog*'s language.

    Dates are formatted in *date_locale* (``en_GB``), by default the language.
    Workspace templates are not trusted (see "Trust model" in the README):
    the immutable sandbox refuses attributes starting with ``_``, the
    internals of functions, frames and code, and any method that changes a
    list, dict or set, so a template can read its context and nothing more.
    Templates are loaded only from real paths inside *trusted* (by default,
    the folders of *search_path*).
    """
    if trusted is None:
        trusted = tuple(path.resolve() for path in search_path)
    env = ImmutableSandboxedEnvironment(
        loader=TrustedLoader(search_path, trusted),
        # Plain-text templates (the email's subject and text body) are not HTML.
        autoescape=jinja2.select_autoescape(disabled_extensions=("txt",), default=True),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    # Keep translations whitespace-insensitive, as babel.cfg extracts them.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        *_text_callables(catalog.translations), newstyle=True
    )
    env.filters["long_date"] = partial(_long_date_filter, lang=date_locale or catalog.lang)
    env.filters["css_string"] = css_string
    env.filters["ltr"] = ltr
    env.filters["isolate"] = isolate
    env.filters["qr_svg"] = _qr_svg
    env.filters["bind_single_letters"] = partial(bind_single_letters, lang=catalog.lang)
    return env


def _text_callables(
    translations: gettext.NullTranslations,
) -> tuple[Callable[..., str], Callable[..., str]]:
    """Return gettext and ngettext that give translations as text, not markup.

    Jinja's newstyle gettext takes a translation for markup whenever the
    template autoescapes: a msgstr with ``<style>`` would style the PDF.
    These escape it, keeping only the markup the msgid itself has (see
    i18n.text_translation); plain-text templates (an email's body) get it
    as written.
    """

    @jinja2.pass_context
    def text_gettext(context: jinja2.runtime.Context, message: str) -> str:
        translated = translations.gettext(message)
        if not context.eval_ctx.autoescape:
            return translated
        return text_translation(message, translated)

    @jinja2.pass_context
    def text_ngettext(
        context: jinja2.runtime.Context, singular: str, plural: str, number: int
    ) -> str:
        translated = translations.ngettext(singular, plural, number)
        if not context.eval_ctx.autoescape:
            return translated
        return text_translation(singular if number == 1 else plural, translated)

    return text_gettext, text_ngettext


@functools.lru_cache(maxsize=1024, typed=True)
def _qr_svg(url: str, title: str = "") -> Markup:
    """Return qr_svg(url, title), drawn once per process.

    Drawing a QR code takes segno longer than filling the rest of a leaflet,
    and every template and print variant of a leaflet shows the same one.
    Markup is immutable: sharing it is safe.
    """
    return qr_svg(url, title)


def _long_date_filter(value: datetime.date, lang: str) -> str:
    return long_date(value, lang)


def compile_template(env: jinja2.Environment, name: str, *, root: Path) -> jinja2.Template:
    """Load and compile template *name*, turning Jinja errors into TemplateError."""
    try:
        return env.get_template(name)
    except jinja2.TemplateSyntaxError as error:
        path = display_path(Path(error.filename), root) if error.filename else name
        raise TemplateError(
            problems=[Problem(path, error.lineno, None, f"template syntax error: {error.message}")]
        ) from None
    except jinja2.TemplateNotFound as error:
        raise TemplateError(
            problems=[
                Problem(
                    str(error.name),
                    None,
                    None,
                    "template not found in the workspace or the theme",
                )
            ]
        ) from None
    except OutsideTheme as error:
        # Not display_path(): it resolves the symlink this is about.
        path = name
        if error.filename and error.filename.startswith(os.path.join(str(root), "")):
            path = Path(os.path.relpath(error.filename, root)).as_posix()
        raise TemplateError(problems=[Problem(path, None, None, str(error))]) from None


def overdue_mark(env: jinja2.Environment, since: datetime.date, *, root: Path) -> Markup:
    """Return "Review overdue since <date>" in the environment's language (``_marks.html``)."""
    template = compile_template(env, "_marks.html", root=root)
    return Markup(template.module.overdue_mark(since)).strip()  # type: ignore[attr-defined]


def render(template: jinja2.Template, context: Context, *, root: Path) -> str:
    """Render *template* with *context*; name the template line of any error."""
    try:
        return template.render(context.as_dict())
    except jinja2.TemplateError as error:
        path, line = template.filename or str(template.name), None
        # Jinja rewrites tracebacks so that template frames carry the
        # template's own file name and line: take the innermost one.
        for frame in traceback.extract_tb(error.__traceback__):
            if frame.filename.endswith((".html", ".jinja", ".j2")):
                path, line = frame.filename, frame.lineno
        message = getattr(error, "message", None) or str(error)
        if isinstance(error, SecurityError):
            message = f"sandbox violation: {message}"
        elif isinstance(error, jinja2.TemplateNotFound):
            message = f"template {error.name!r} not found in the workspace or the theme"
        elif not isinstance(error, OutsideTheme):
            message = f"template error: {message}"
        raise TemplateError(
            problems=[
                Problem(
                    display_path(Path(path), root),
                    line,
                    None,
                    message,
                )
            ]
        ) from None
