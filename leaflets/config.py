"""Load and validate the workspace configuration, leaflets.toml."""

from __future__ import annotations

import math
import re
import string
import tomllib
from dataclasses import dataclass, field
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError

from .exceptions import ConfigError, Problem

CONFIG_NAME = "leaflets.toml"

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

#: One table of defaults for the CLI, the Python API and leaflets.toml.
DEFAULTS: dict[str, Any] = {
    "languages": ["en"],
    "paper": "A4",
    "output_dir": "build",
    "filename": "{condition}.{lang}.{template}.pdf",
    "pdf_variant": "pdf/ua-1",
    "templates": list(TEMPLATES),
    "data_dir": "data",
    # The language content is written in first; None means the first of languages.
    "source_language": None,
    "locales": {},
    "variants": [STANDARD],
    "large_print_size": LARGE_PRINT_SIZES[0],
}

#: The defaults of the [review] table.
REVIEW_DEFAULTS: dict[str, Any] = {"warn_days": 60}

#: Placeholders [clinic] online_url may contain.
ONLINE_URL_FIELDS = {"condition", "lang"}

#: The [email] table's keys and defaults (see mail.py). The password is never
#: among them: it comes only from the LEAFLETS_SMTP_PASSWORD environment variable.
EMAIL_DEFAULTS: dict[str, Any] = {
    "host": "",
    "port": None,  # 587 for starttls, 465 for ssl, 25 for none
    "security": "starttls",
    "username": "",
    "from": "",  # default: the clinic's name and email
    "max_attachments_size": "10 MB",
    "timeout": 30,
    "log": "",
    "log_recipients": False,
}
EMAIL_SECURITY = {"starttls": 587, "ssl": 465, "none": 25}
#: The host names that "security = none" accepts: plain SMTP only on this machine.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
_SIZE_UNITS = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3}

FILENAME_FIELDS = {"condition", "lang", "template", "version", "variant"}
_CLINIC_FIELDS = (
    "name",
    "department",
    "address",
    "phone",
    "email",
    "website",
    "logo",
    "online_url",
    "feedback",
)
_EMAIL_RE = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+")
_REQUIRED_CLINIC_FIELDS = ("name",)


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
    review_warn_days: int = REVIEW_DEFAULTS["warn_days"]
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


def find_line(text: str, table: str, key: str) -> int | None:
    """Return the line of ``key = …`` inside ``[table]`` of a TOML text."""
    current = ""
    key_re = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"^\s*\[\s*([^\]]+?)\s*\]", line)
        if header:
            current = header.group(1)
            if not key and current == table:
                return number
            continue
        if current == table and key and key_re.match(line):
            return number
    return None


def validate_language(code: str) -> str | None:
    """Return why *code* is not a language Babel knows, or None when it is."""
    if not isinstance(code, str) or not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", code):
        return f"{code!r} is not a language code like 'en' or 'pt_BR'"
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return f"unknown language code {code!r}"
    return None


def load_config(root: Path, **overrides: Any) -> Config:
    """Read ``leaflets.toml`` in *root*, apply *overrides*, and validate it all.

    Every problem is collected and raised together in one ConfigError.
    """
    root = root.resolve()
    path = root / CONFIG_NAME
    shown = CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{shown}: not found in {root} (run `leaflets init` to create a workspace)"
        ) from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{shown}: not UTF-8 text ({error.reason})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"\(at line (\d+), column \d+\)", str(error))
        line = int(match.group(1)) if match else None
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        raise ConfigError(
            problems=[Problem(shown, line, None, f"invalid TOML: {reason}")]
        ) from None

    problems: list[Problem] = []

    def report(table: str, key: str, message: str) -> None:
        problems.append(Problem(shown, find_line(text, table, key), f"{table}.{key}", message))

    for table in data:
        if table not in ("clinic", "build", "review", "email"):
            problems.append(
                Problem(
                    shown,
                    find_line(text, table, ""),
                    table,
                    "unknown table (expected [clinic], [build], [review] and [email])",
                )
            )

    clinic_data = data.get("clinic", {})
    clinic_values: dict[str, Any] = {}
    if not isinstance(clinic_data, dict):
        problems.append(Problem(shown, None, "clinic", "must be a table"))
        clinic_data = {}
    for key, value in clinic_data.items():
        if key not in _CLINIC_FIELDS:
            report("clinic", key, f"unknown key (expected one of: {', '.join(_CLINIC_FIELDS)})")
        elif not isinstance(value, str):
            report("clinic", key, f"must be a string, not {value!r}")
        else:
            clinic_values[key] = value.strip()
    for key in _REQUIRED_CLINIC_FIELDS:
        if not clinic_values.get(key):
            problems.append(
                Problem(
                    shown,
                    find_line(text, "clinic", ""),
                    f"clinic.{key}",
                    "is required: the clinic's name is printed on every leaflet",
                )
            )
    logo: Path | None = None
    if clinic_values.get("logo"):
        logo = (root / clinic_values["logo"]).resolve()
        if not logo.is_relative_to(root):
            report("clinic", "logo", f"{clinic_values['logo']!r} is outside the workspace")
            logo = None
        elif not logo.is_file():
            report("clinic", "logo", f"file {clinic_values['logo']!r} does not exist")
            logo = None
    clinic_values["logo"] = logo
    if clinic_values.get("online_url"):
        for message in _online_url_problems(clinic_values["online_url"]):
            report("clinic", "online_url", message)
            clinic_values["online_url"] = ""
    if clinic_values.get("feedback"):
        feedback = clinic_values["feedback"]
        if not (_EMAIL_RE.fullmatch(feedback) or _is_web_url(feedback, https_only=True)):
            report(
                "clinic",
                "feedback",
                f"{_quote(feedback)} is neither an email address nor an https:// URL",
            )

    build_data = data.get("build", {})
    if not isinstance(build_data, dict):
        problems.append(Problem(shown, None, "build", "must be a table"))
        build_data = {}
    for key in build_data:
        if key not in DEFAULTS:
            report("build", key, f"unknown key (expected one of: {', '.join(DEFAULTS)})")
    options = {**DEFAULTS, **build_data}
    options.update({key: value for key, value in overrides.items() if value is not None})

    languages = options["languages"]
    if not isinstance(languages, list) or not languages:
        report("build", "languages", "must be a non-empty list of language codes")
        languages = []
    for code in languages:
        if why := validate_language(code):
            report("build", "languages", why)

    paper = options["paper"]
    paper_names = {name.lower(): name for name in PAPER_SIZES}
    if not isinstance(paper, str) or paper.lower() not in paper_names:
        report("build", "paper", f"{paper!r} is not one of: {', '.join(PAPER_SIZES)}")
        paper = DEFAULTS["paper"]
    else:
        paper = paper_names[paper.lower()]

    variant = options["pdf_variant"]
    if variant not in PDF_VARIANTS:
        report("build", "pdf_variant", f"{variant!r} is not one of: {', '.join(PDF_VARIANTS)}")

    templates = options["templates"]
    if not isinstance(templates, list) or not templates:
        report("build", "templates", "must be a non-empty list of template names")
        templates = []
    for name in templates:
        if name not in TEMPLATES:
            report(
                "build",
                "templates",
                f"unknown template {name!r} (expected one of: {', '.join(TEMPLATES)})",
            )

    variants = options["variants"]
    if not isinstance(variants, list) or not variants:
        report("build", "variants", "must be a non-empty list of print variants")
        variants = []
    for name in variants:
        if name not in VARIANTS:
            report(
                "build",
                "variants",
                f"unknown variant {str(name)[:80]!r} (expected one of: {', '.join(VARIANTS)})",
            )
    variants = list(dict.fromkeys(variants))

    size = options["large_print_size"]
    low, high = LARGE_PRINT_SIZES
    if isinstance(size, bool) or not isinstance(size, int | float):
        report("build", "large_print_size", f"must be a number of points, not {size!r:.80}")
        size = low
    elif not low <= size <= high:
        report("build", "large_print_size", f"{size!r} is not between {low} and {high} (points)")
        size = low

    filename: str = options["filename"]
    problems.extend(
        Problem(shown, find_line(text, "build", "filename"), "build.filename", message)
        for message in _filename_problems(filename)
    )

    locales = options["locales"]
    if not isinstance(locales, dict):
        report("build", "locales", 'must be a table like { en = "en_GB" }')
        locales = {}
    # A mapping for a language not built now is kept (a language may be
    # switched off for a while); a key that is no language at all is a typo.
    for lang, locale in locales.items():
        if why := validate_language(lang):
            report("build", "locales", why)
        elif why := validate_language(locale):
            report("build", "locales", f"{lang}: {why}")
        elif locale.split("_")[0] != lang.split("_")[0]:
            report(
                "build", "locales", f"{lang}: {locale!r} is not a locale of the language {lang!r}"
            )

    for key in ("output_dir", "data_dir"):
        if not isinstance(options[key], str) or not options[key].strip():
            report("build", key, "must be a folder path")
            options[key] = DEFAULTS[key]

    source_language = options["source_language"]
    if source_language is None:
        source_language = languages[0] if languages else DEFAULTS["languages"][0]
    elif why := validate_language(source_language):
        report("build", "source_language", why)

    review_data = data.get("review", {})
    if not isinstance(review_data, dict):
        problems.append(Problem(shown, find_line(text, "review", ""), "review", "must be a table"))
        review_data = {}
    for key in review_data:
        if key not in REVIEW_DEFAULTS:
            report("review", key, f"unknown key (expected one of: {', '.join(REVIEW_DEFAULTS)})")
    warn_days = review_data.get("warn_days", REVIEW_DEFAULTS["warn_days"])
    if isinstance(warn_days, bool) or not isinstance(warn_days, int) or not 0 <= warn_days <= 3660:
        report(
            "review",
            "warn_days",
            f"{warn_days!r} is not a number of days from 0 to 3660",
        )
        warn_days = REVIEW_DEFAULTS["warn_days"]

    email = _email_settings(data.get("email", {}), root, report)
    if not isinstance(data.get("email", {}), dict):
        problems.append(Problem(shown, None, "email", "must be a table"))

    if problems:
        raise ConfigError(problems=problems)

    return Config(
        root=root,
        path=path,
        clinic=Clinic(**clinic_values),
        languages=tuple(languages),
        paper=paper,
        output_dir=(root / options["output_dir"]).resolve(),
        filename=filename,
        pdf_variant=variant,
        templates=tuple(templates),
        data_dir=(root / options["data_dir"]).resolve(),
        source_language=source_language,
        review_warn_days=warn_days,
        locales=dict(locales),
        variants=tuple(variants),
        large_print_size=size,
        raw_text=text,
        email=email,
    )


def parse_size(value: Any) -> int | None:
    """Return a size such as "10 MB", "500 KB" or 2000000 in bytes, or None when it is not one."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value > 0 else None
    if not isinstance(value, str):
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)B?\s*", value.upper())
    if not match:
        return None
    size = int(float(match.group(1)) * _SIZE_UNITS[match.group(2) + "B" if match.group(2) else ""])
    return size if size > 0 else None


def _email_settings(data: Any, root: Path, report: Any) -> EmailSettings:
    """Validate the [email] table; report each bad key with *report*(table, key, message)."""
    if not isinstance(data, dict):
        return EmailSettings()
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "password":
            report(
                "email",
                key,
                "must not be in leaflets.toml, where anyone who can read the workspace "
                "would see it: set the environment variable LEAFLETS_SMTP_PASSWORD instead",
            )
        elif key not in EMAIL_DEFAULTS:
            report("email", key, f"unknown key (expected one of: {', '.join(EMAIL_DEFAULTS)})")
        else:
            values[key] = value
    settings: dict[str, Any] = {}
    for key in ("host", "username", "from"):
        value = values.get(key, "")
        if not isinstance(value, str):
            report("email", key, f"must be a string, not {value!r}")
        else:
            settings["sender" if key == "from" else key] = value.strip()
    sender = settings.get("sender", "")
    if sender:
        found = getaddresses([sender])
        if len(found) != 1 or "@" not in found[0][1] or "\n" in sender:
            report(
                "email",
                "from",
                f'{sender[:80]!r} is not one address like "Clinic name <clinic@example.org>"',
            )
    security = values.get("security", EMAIL_DEFAULTS["security"])
    if security not in EMAIL_SECURITY:
        report("email", "security", f"{security!r} is not one of: {', '.join(EMAIL_SECURITY)}")
    else:
        settings["security"] = security
        host = settings.get("host", "")
        if security == "none" and host and host.lower() not in LOCAL_HOSTS:
            report(
                "email",
                "security",
                f"'none' sends the password and the leaflets unencrypted, so it is allowed "
                f"only for a mail server on this machine ({', '.join(LOCAL_HOSTS)}), "
                f"not {host!r}",
            )
    port = values.get("port")
    if port is None:
        settings["port"] = EMAIL_SECURITY.get(settings.get("security", "starttls"), 587)
    elif isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        report("email", "port", f"{port!r} is not a port number (1-65535)")
    else:
        settings["port"] = port
    size = values.get("max_attachments_size", EMAIL_DEFAULTS["max_attachments_size"])
    parsed = parse_size(size)
    if parsed is None:
        report("email", "max_attachments_size", f'{size!r} is not a size like "10 MB" or "500 KB"')
    else:
        settings["max_attachments_size"] = parsed
    timeout = values.get("timeout", EMAIL_DEFAULTS["timeout"])
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        report("email", "timeout", f"{timeout!r} is not a number of seconds")
    else:
        settings["timeout"] = float(timeout)
    log = values.get("log", "")
    if not isinstance(log, str):
        report("email", "log", f"must be a file path, not {log!r}")
    elif log.strip():
        path = (root / log.strip()).resolve()
        if not path.is_relative_to(root) or path == root:
            report("email", "log", f"{log!r} is outside the workspace")
        else:
            settings["log"] = path
    log_recipients = values.get("log_recipients", False)
    if not isinstance(log_recipients, bool):
        report("email", "log_recipients", f"must be true or false, not {log_recipients!r}")
    else:
        settings["log_recipients"] = log_recipients
    return EmailSettings(**settings)


def _filename_problems(pattern: Any) -> list[str]:
    """Return why *pattern* cannot name one distinct PDF per leaflet."""
    if not isinstance(pattern, str):
        return [f"must be a string, not {pattern!r}"]
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError as error:
        return [f"{pattern!r} is not a valid pattern ({error})"]
    problems = []
    unknown = names - FILENAME_FIELDS
    if unknown:
        problems.append(
            f"unknown placeholder {{{sorted(unknown)[0]}}} in {pattern!r} "
            f"(expected: {', '.join('{' + n + '}' for n in sorted(FILENAME_FIELDS))})"
        )
    missing = {"condition", "lang", "template"} - names
    if missing:
        problems.append(
            f"{pattern!r} must contain {{condition}}, {{lang}} and {{template}} "
            "so that every leaflet gets its own file"
        )
    if not pattern.endswith(".pdf"):
        problems.append(f"{pattern!r} must end with .pdf")
    if "/" in pattern or "\\" in pattern:
        problems.append(f"{pattern!r} must be a file name, not a path")
    return problems


def _quote(value: str) -> str:
    """Quote a bad value for a message, cut to about 80 characters."""
    return repr(value if len(value) <= 80 else value[:77] + "...")


def _is_web_url(value: str, *, https_only: bool = False) -> bool:
    schemes = ("https://",) if https_only else ("https://", "http://")
    return (
        value.startswith(schemes)
        and len(value) > len("https://")
        and not re.search(r"[\s<>\"']", value)
    )


def _online_url_problems(pattern: str) -> list[str]:
    """Return why *pattern* cannot give each leaflet its own web address."""
    if not _is_web_url(pattern):
        return [f"{_quote(pattern)} must be a web address starting with https:// or http://"]
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError as error:
        return [f"{_quote(pattern)} is not a valid pattern ({error})"]
    unknown = names - ONLINE_URL_FIELDS
    if unknown:
        return [
            f"unknown placeholder {{{sorted(unknown)[0]}}} in {_quote(pattern)} "
            f"(expected: {', '.join('{' + n + '}' for n in sorted(ONLINE_URL_FIELDS))})"
        ]
    return []
