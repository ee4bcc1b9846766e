"""Render the desk's own pages in the language of the person at the desk (gettext, Babel)."""

from __future__ import annotations

import datetime
import logging
import re
from pathlib import Path
from typing import Any

import jinja2
from babel import Locale
from babel.dates import format_date
from markupsafe import Markup

from ..exceptions import CatalogError
from ..i18n import load_catalog, read_catalog, text_direction
from ..workspace import builtin_theme_dir
from .pdfs import Kind

logger = logging.getLogger(__name__)

#: The language of the desk when the browser asks for none we have.
DEFAULT_UI_LANG = "en"


def language_name(lang: str) -> str:
    """Return the name of *lang* in that language, capitalised ("Italiano", "English")."""
    name = Locale.parse(lang).get_display_name(lang) or lang
    return name[:1].upper() + name[1:]


def preferred_languages(header: str) -> list[str]:
    """Return the languages of an Accept-Language header, most wanted first."""
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not re.fullmatch(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", tag):
            continue
        quality = 1.0
        match = re.search(r"q=([0-9.]+)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                continue
        if quality > 0:
            weighted.append((-quality, position, tag.replace("-", "_")))
    return [tag for _, _, tag in sorted(weighted)]


class Pages:
    """The desk templates, one Jinja environment per interface language."""

    def __init__(self) -> None:
        theme = builtin_theme_dir()
        self.locales = theme / "locales"
        self.templates = theme / "templates"
        self.languages = tuple(
            sorted(path.name for path in self.locales.iterdir() if _has_catalog(path))
        )
        self._environments: dict[tuple[str, str], jinja2.Environment] = {}

    def negotiate(self, accept_language: str) -> str:
        """Return the interface language that best matches an Accept-Language header."""
        for tag in preferred_languages(accept_language):
            # "it-CH" is served in Italian when there is no Swiss Italian.
            for candidate in (tag, tag.split("_")[0].lower()):
                if candidate in self.languages:
                    return candidate
        return DEFAULT_UI_LANG

    def environment(self, lang: str, date_locale: str = "") -> jinja2.Environment:
        """Return the environment translating into *lang* (one of self.languages).

        Dates are written for *date_locale* (the workspace's ``[build] locales``
        for *lang*, "en_GB" for "en"), by default for *lang* itself.
        """
        date_locale = date_locale or lang
        key = (lang, date_locale)
        if key not in self._environments:
            catalog = load_catalog([self.locales], lang, root=self.locales.parent)
            env = jinja2.Environment(
                loader=jinja2.FileSystemLoader(self.templates),
                autoescape=True,
                undefined=jinja2.StrictUndefined,
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.install_gettext_translations(catalog.translations, newstyle=True)  # type: ignore[attr-defined]
            env.globals["language_name"] = language_name
            env.globals["text_dir"] = text_direction
            env.filters["long_date"] = lambda value: _long_date(value, date_locale)
            self._environments[key] = env
        return self._environments[key]

    def render(self, ui_lang: str, name: str, *, date_locale: str = "", **context: Any) -> str:
        """Render the desk template *name* in interface language *ui_lang*."""
        template = self.environment(ui_lang, date_locale).get_template(f"desk/{name}")
        return template.render(ui_lang=ui_lang, **context)

    def message(self, lang: str, code: str, **values: object) -> Markup:
        """Return the message *code* ('sent', 'refused', ...) in *lang*, as safe HTML.

        The macro escapes the values once; the result is Markup so that the
        page does not escape them again ("o&#39;brien" shown literally).
        """
        lang = lang if lang in self.languages else DEFAULT_UI_LANG
        module = self.environment(lang).get_template("desk/_labels.html").module
        return Markup(str(module.message(code, values)).strip())  # type: ignore[attr-defined]

    def text(self, lang: str, code: str, **values: object) -> str:
        """Return the message *code* in *lang* as plain text (a file name, a log line)."""
        return self.message(lang, code, **values).unescape()

    def kind_label(self, lang: str, kind: Kind | str) -> str:
        """Return the name of a kind (or of a template) in *lang*, as plain text."""
        if isinstance(kind, str):
            kind = Kind(kind, kind)
        lang = lang if lang in self.languages else DEFAULT_UI_LANG
        module = self.environment(lang).get_template("desk/_labels.html").module
        label = module.kind_label(kind.template, kind.variant)  # type: ignore[attr-defined]
        return Markup(str(label).strip()).unescape()


def _has_catalog(folder: Path) -> bool:
    """Tell whether *folder*'s catalog translates every message of the desk's pages.

    The leaflet languages (ten and counting) need not translate the desk: a
    language whose catalog lacks desk text is not offered for the page itself.
    """
    path = folder / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return False
    try:
        # The same checked reader as the build's: a hostile Plural-Forms header
        # must not size anything here either.
        catalog = read_catalog(path, folder.name, shown=str(path))
    except CatalogError as error:
        logger.warning("the desk's page is not offered in %r: %s", folder.name, error)
        return False
    desk = [
        message
        for message in catalog
        if message.id
        and message.locations
        and all("/desk/" in location for location, _ in message.locations)
    ]
    return bool(desk) and all(not message.fuzzy and _translated(message.string) for message in desk)


def _translated(string: object) -> bool:
    """Tell whether a catalog entry's msgstr (or every plural form of it) is filled in."""
    forms = string if isinstance(string, (tuple, list)) else (string,)
    return all(forms)


def _long_date(value: datetime.date, lang: str) -> str:
    return format_date(value, format="long", locale=lang)
