"""Hold what a validated leaflets.toml becomes (Config, Clinic, EmailSettings) and fixed tables."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError, quote
from .checks import unsafe_name

#: Paper sizes a leaflet can be printed on, as CSS ``@page size`` values.
PAPER_SIZES = {"A4": "A4", "Letter": "letter"}

#: PDF variants WeasyPrint can write for us. PDF/UA-1 is the default because a
#: patient leaflet must be readable with a screen reader; PDF/A-xa variants are
#: tagged too, for archives that ask for PDF/A.
PDF_VARIANTS = ("pdf/ua-1", "pdf/ua-2", "pdf/a-2a", "pdf/a-3a", "pdf/a-2u", "pdf/a-3u")

#: What each kind of output is: its template file and the most pages it may take.
TEMPLATES: dict[str, dict[str, Any]] = {
    "leaflet": {
        "file": "leaflet.html",
        "max_pages": 4,
        "large_print_max_pages": 10,
        "label": "patient leaflet",
    },
    "handout": {
        "file": "handout.html",
        "max_pages": 1,
        "large_print_max_pages": 3,
        "label": "clinic handout",
    },
}

#: The print variants every template comes in. Large print layers a
#: stylesheet over the standard ones (clear-print rules, see the README).
VARIANTS: dict[str, dict[str, Any]] = {
    "standard": {"stylesheet": None, "label": "standard print"},
    "large-print": {"stylesheet": "large-print.css", "label": "large print"},
}
STANDARD = "standard"

#: The body text size of large print, in points: RNIB's clear-print minimum
#: is 16 pt; above 24 pt a leaflet becomes a booklet.
LARGE_PRINT_SIZES = (16, 24)

#: The port each [email] security uses unless port is set.
EMAIL_SECURITY = {"starttls": 587, "ssl": 465, "none": 25}
#: The host names that "security = none" accepts: plain SMTP only on this machine.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class Clinic:
    """The clinic whose name and contacts go on every leaflet."""

    name: str
    department: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    logo: Path | None = None
    #: Where each leaflet is online: a URL pattern with {condition} and {lang}.
    online_url: str = ""
    #: Where patients send feedback: an email address or an https:// URL.
    feedback: str = ""

    def online_url_for(self, *, condition: str, lang: str) -> str:
        """Return the URL of one leaflet online, or "" when there is none."""
        if not self.online_url:
            return ""
        return self.online_url.format(condition=condition, lang=lang)


@dataclass(frozen=True)
class EmailSettings:
    """How `leaflets email` sends: the [email] table of leaflets.toml."""

    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str = ""
    #: The From address; empty means the clinic's name and email.
    sender: str = ""
    max_attachments_size: int = 10 * 1000**2
    timeout: float = 30.0
    #: Where to append one JSON line per message sent (inside the workspace), or None.
    log: Path | None = None
    log_recipients: bool = False
    #: The most recipients one `leaflets email` sends to (each gets a message of their own).
    max_recipients: int = 5


@dataclass(frozen=True)
class Config:
    """A validated workspace configuration."""

    root: Path
    path: Path
    clinic: Clinic
    languages: tuple[str, ...]
    paper: str
    output_dir: Path
    filename: str
    pdf_variant: str
    templates: tuple[str, ...]
    data_dir: Path
    #: The language translations are made from (see translations.py).
    source_language: str = "en"
    #: How many days before next_review `check` starts to warn.
    review_warn_days: int = 60  # [review] warn_days; a test pins it to the schema
    #: The Babel locale that formats dates for a language, where it is not the
    #: language itself (``{"en": "en_GB"}``: "20 November 2026").
    locales: dict[str, str] = field(default_factory=dict)
    variants: tuple[str, ...] = (STANDARD,)
    large_print_size: float = LARGE_PRINT_SIZES[0]
    raw_text: str = field(repr=False, default="")
    email: EmailSettings = field(default_factory=EmailSettings)

    def locale_for(self, lang: str) -> str:
        """Return the Babel locale that formats dates and numbers for *lang*."""
        return self.locales.get(lang, lang)

    def output_name(
        self, *, condition: str, lang: str, template: str, version: str, variant: str = STANDARD
    ) -> str:
        """Return the output file name for one leaflet in one print variant.

        A pattern without ``{variant}`` names standard outputs as it always
        did and puts ``.<variant>`` before ``.pdf`` for the others.
        """
        pattern = self.filename
        if variant != STANDARD and "{variant}" not in pattern:
            pattern = f"{pattern[: -len('.pdf')]}.{{variant}}.pdf"
        return pattern.format(
            condition=condition, lang=lang, template=template, version=version, variant=variant
        )

    def page_limit(self, template: str, variant: str = STANDARD) -> int:
        """Return the most pages an output of *template* may take in *variant*.

        Large print's limit is set for 16 pt; a page holds about (16 / size)²
        as much text at a larger size, so the limit grows by the inverse.
        """
        if variant == STANDARD:
            return int(TEMPLATES[template]["max_pages"])
        scale = (self.large_print_size / LARGE_PRINT_SIZES[0]) ** 2
        return math.floor(int(TEMPLATES[template]["large_print_max_pages"]) * scale)

    def output_path(
        self, *, condition: str, lang: str, template: str, version: str, variant: str = STANDARD
    ) -> Path:
        """Return where one leaflet is written; raise ConfigError if that leaves the output folder.

        The values are validated where they are read; this is the last guard,
        on the final path, whatever slipped through.
        """
        name = self.output_name(
            condition=condition, lang=lang, template=template, version=version, variant=variant
        )
        path = self.output_dir / name
        if unsafe_name(name) or path.resolve().parent != self.output_dir.resolve():
            raise ConfigError(f"output file name {quote(name)} leaves the output folder")
        return path
