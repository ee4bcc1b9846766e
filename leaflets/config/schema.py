"""Declare leaflets.toml once: each table's keys with their type, default, help text and checks.

Each table is a msgspec Struct. A key's type and constraints are msgspec's
(``Meta``, which also holds the help text); what msgspec cannot say is in a
``Rule`` beside it: the message for a value of the wrong type, the check of
a well-typed value, and the value the example leaflets.toml shows. Loading
(loading.py), the example file and the reference table (reference.py) all
read these declarations; nothing else lists the keys.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import getaddresses
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from ..exceptions import quote
from .checks import (
    EMAIL_RE,
    PHONE_RE,
    filename_problems,
    host_problem,
    is_web_url,
    online_url_problems,
    parse_size,
    short_quote,
    unreadable_image,
    unsafe_url,
    validate_language,
)
from .model import (
    EMAIL_SECURITY,
    LARGE_PRINT_SIZES,
    LOCAL_HOSTS,
    PAPER_SIZES,
    PDF_VARIANTS,
    STANDARD,
    TEMPLATES,
    VARIANTS,
)


@dataclass(frozen=True)
class Context:
    """What a check may need besides the value: the workspace and the rest of its table."""

    root: Path
    #: The table's values after defaults and overrides, by key.
    values: dict[str, Any]
    #: The keys given on the command line rather than in leaflets.toml.
    overridden: frozenset[str] = frozenset()
    #: The key being checked.
    key: str = ""


Check = Callable[[Any, Context], Iterable[str]]


def _always(value: Any) -> bool:
    return True


def _non_empty_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value)


def _mapping(value: Any) -> bool:
    return isinstance(value, dict)


@dataclass(frozen=True)
class Rule:
    """What msgspec cannot declare about one key: its messages, checks and example."""

    #: The message for a value of the wrong type, formatted with value= and quoted=.
    type_error: str = "must be a string, not {quoted}"
    #: Return the problems of a value of the right type (and of any value *lenient* accepts).
    check: Check | None = None
    #: Values of the wrong type that *check* still examines, because it names the bad
    #: item better than *type_error* can (a list of languages with one unknown code).
    lenient: Callable[[Any], bool] | None = None
    #: The message when the key is missing or empty; None when it is optional.
    required: str | None = None
    #: What the example leaflets.toml writes, when not the default (None: the default).
    example: Any = None
    #: Whether a text value loses surrounding spaces (names and addresses do; patterns do not).
    strip: bool = False


def _messages(*found: str | None) -> list[str]:
    return [message for message in found if message]


# [clinic]


def _check_website(value: str, ctx: Context) -> list[str]:
    return _messages(unsafe_url(value)) if value else []


def _check_email(value: str, ctx: Context) -> list[str]:
    if value and not EMAIL_RE.fullmatch(value):
        return [f"{quote(value)} must be a plain address like name@example.org"]
    return []


def _check_phone(value: str, ctx: Context) -> list[str]:
    if value and not PHONE_RE.fullmatch(value):
        return [
            f"{quote(value)} must be a phone number like +39 02 0000 0000 "
            "(digits, spaces, + ( ) . - /)"
        ]
    return []


def _check_logo(value: str, ctx: Context) -> list[str]:
    if not value:
        return []
    logo = (ctx.root / value).resolve()
    if not logo.is_relative_to(ctx.root):
        return [f"{quote(value)} is outside the workspace"]
    if not logo.is_file():
        return [f"file {quote(value)} does not exist"]
    why = unreadable_image(logo, allowed=(ctx.root,))
    return [f"file {quote(value)} {why}"] if why else []


def _check_online_url(value: str, ctx: Context) -> list[str]:
    return online_url_problems(value) if value else []


#: The longest clinic name or department: both print large in every masthead,
#: in the running header and as the sender of every email.
MAX_CLINIC_TEXT = 100


def _check_clinic_text(value: str, ctx: Context) -> list[str]:
    if len(value) > MAX_CLINIC_TEXT:
        return [
            f"is {len(value)} characters long; it may be at most {MAX_CLINIC_TEXT} (it prints "
            "large in the masthead of every leaflet and names the sender of every email)"
        ]
    return []


def _check_feedback(value: str, ctx: Context) -> list[str]:
    if value and not (EMAIL_RE.fullmatch(value) or is_web_url(value, https_only=True)):
        return [f"{short_quote(value)} is neither an email address nor an https:// URL"]
    return []


class ClinicTable(msgspec.Struct, kw_only=True):
    """The clinic whose name and contacts go on every leaflet."""

    name: Annotated[
        str,
        Meta(description="The clinic's name, printed on every leaflet."),
        Rule(
            strip=True,
            required="is required: the clinic's name is printed on every leaflet",
            example="Demo Neurology Clinic",
            check=_check_clinic_text,
        ),
    ] = ""
    department: Annotated[
        str,
        Meta(description="The department or service, under the name."),
        Rule(strip=True, example="Movement Disorders Service", check=_check_clinic_text),
    ] = ""
    address: Annotated[
        str,
        Meta(description="The postal address."),
        Rule(strip=True, example="1 Example Street, Milan"),
    ] = ""
    phone: Annotated[
        str,
        Meta(description="The phone number patients call: digits, spaces and + ( ) . - /."),
        Rule(strip=True, check=_check_phone, example="+39 02 0000 0000"),
    ] = ""
    email: Annotated[
        str,
        Meta(description="The email address patients write to."),
        Rule(strip=True, check=_check_email, example="neurology@example.org"),
    ] = ""
    website: Annotated[
        str,
        Meta(description="The clinic's web site, an http:// or https:// address."),
        Rule(strip=True, check=_check_website, example="https://example.org/neurology"),
    ] = ""
    logo: Annotated[
        str,
        Meta(
            description="An image (PNG, JPEG, GIF, WebP or SVG) inside the workspace, "
            "printed in the header."
        ),
        Rule(strip=True, check=_check_logo, example="assets/clinic-logo.svg"),
    ] = ""
    online_url: Annotated[
        str,
        Meta(
            description="Where each leaflet is online, with {condition} and {lang}: "
            "printed as a link and a QR code."
        ),
        Rule(
            strip=True,
            check=_check_online_url,
            example="https://example.org/leaflets/{condition}/{lang}",
        ),
    ] = ""
    feedback: Annotated[
        str,
        Meta(description="Where patients send feedback: an email address or an https:// URL."),
        Rule(strip=True, check=_check_feedback, example="feedback@example.org"),
    ] = ""


# [build]


def _check_languages(value: Any, ctx: Context) -> list[str]:
    return _messages(*(validate_language(code) for code in value))


def _check_paper(value: Any, ctx: Context) -> list[str]:
    if not isinstance(value, str) or value.lower() not in {name.lower() for name in PAPER_SIZES}:
        return [f"{quote(value)} is not one of: {', '.join(PAPER_SIZES)}"]
    return []


def _check_folder(value: str, ctx: Context) -> list[str]:
    if not value.strip():
        return ["must be a folder path"]
    if ctx.key not in ctx.overridden and not (ctx.root / value).resolve().is_relative_to(ctx.root):
        # Only leaflets.toml is held to this: `build -o DIR` is the user's own choice.
        return [f"{quote(value)} is outside the workspace"]
    return []


def _check_filename(value: str, ctx: Context) -> list[str]:
    return filename_problems(value)


def _check_templates(value: list[Any], ctx: Context) -> list[str]:
    return [
        f"unknown template {quote(name)} (expected one of: {', '.join(TEMPLATES)})"
        for name in value
        if not isinstance(name, str) or name not in TEMPLATES
    ]


def _check_source_language(value: Any, ctx: Context) -> list[str]:
    return _messages(validate_language(value)) if value is not None else []


def _check_locales(value: dict[str, Any], ctx: Context) -> list[str]:
    # A mapping for a language not built now is kept (a language may be
    # switched off for a while); a key that is no language at all is a typo.
    problems = []
    for lang, locale in value.items():
        if why := validate_language(lang):
            problems.append(why)
        elif why := validate_language(locale):
            problems.append(f"{lang}: {why}")
        elif locale.split("_")[0] != lang.split("_")[0]:
            problems.append(f"{lang}: {locale!r} is not a locale of the language {lang!r}")
    return problems


def _check_variants(value: list[Any], ctx: Context) -> list[str]:
    return [
        f"unknown variant {str(name)[:80]!r} (expected one of: {', '.join(VARIANTS)})"
        for name in value
        if not isinstance(name, str) or name not in VARIANTS
    ]


def _check_large_print_size(value: float, ctx: Context) -> list[str]:
    low, high = LARGE_PRINT_SIZES
    return [] if low <= value <= high else [f"{value!r} is not between {low} and {high} (points)"]


#: The choices, spelled out for type checkers and the reference; a test pins
#: each to the table it mirrors (TEMPLATES, VARIANTS, PDF_VARIANTS, EMAIL_SECURITY).
TemplateName = Literal["leaflet", "handout"]
VariantName = Literal["standard", "large-print"]
PdfVariant = Literal["pdf/ua-1", "pdf/ua-2", "pdf/a-2a", "pdf/a-3a", "pdf/a-2u", "pdf/a-3u"]
Security = Literal["starttls", "ssl", "none"]
_FOLDER = Rule(type_error="must be a folder path", check=_check_folder)


class BuildTable(msgspec.Struct, kw_only=True):
    """How leaflets are built; every key is optional, and the command line may override it."""

    languages: Annotated[
        list[str],
        Meta(min_length=1, description="The languages to build, as codes like en or pt_BR."),
        Rule(
            type_error="must be a non-empty list of language codes",
            check=_check_languages,
            lenient=_non_empty_list,
            example=["en", "it", "es", "ar"],
        ),
    ] = msgspec.field(default_factory=lambda: ["en"])
    paper: Annotated[
        str,
        Meta(description="The paper size, A4 or Letter (in any case)."),
        Rule(type_error="{quoted} is not one of: A4, Letter", check=_check_paper),
    ] = "A4"
    output_dir: Annotated[
        str, Meta(description="The folder PDFs are written to, inside the workspace."), _FOLDER
    ] = "build"
    filename: Annotated[
        str,
        Meta(
            description="The name of each PDF, with {condition}, {lang} and {template}; "
            "also {version} and {variant}."
        ),
        Rule(check=_check_filename),
    ] = "{condition}.{lang}.{template}.pdf"
    pdf_variant: Annotated[
        PdfVariant,
        Meta(description="The PDF standard written: PDF/UA for screen readers, PDF/A to archive."),
        Rule(type_error=f"{{quoted}} is not one of: {', '.join(PDF_VARIANTS)}"),
    ] = "pdf/ua-1"
    templates: Annotated[
        list[TemplateName],
        Meta(min_length=1, description="The kinds of output made for each condition."),
        Rule(
            type_error="must be a non-empty list of template names",
            check=_check_templates,
            lenient=_non_empty_list,
        ),
    ] = msgspec.field(default_factory=lambda: typing.cast(list[TemplateName], list(TEMPLATES)))
    data_dir: Annotated[
        str, Meta(description="The folder of condition data, inside the workspace."), _FOLDER
    ] = "data"
    source_language: Annotated[
        str | None,
        Meta(
            description="The language content is written in first (default: the first of "
            "languages); the others are translated from it."
        ),
        Rule(check=_check_source_language, lenient=_always, example="en"),
    ] = None
    locales: Annotated[
        dict[str, str],
        Meta(
            description="The Babel locale that formats dates, per language, where it is not "
            "the language itself."
        ),
        Rule(
            type_error='must be a table like {{ en = "en_GB" }}',
            check=_check_locales,
            lenient=_mapping,
            example={"en": "en_GB"},
        ),
    ] = msgspec.field(default_factory=dict)
    variants: Annotated[
        list[VariantName],
        Meta(
            min_length=1,
            description='The print variants made; add "large-print" for large-print editions.',
        ),
        Rule(
            type_error="must be a non-empty list of print variants",
            check=_check_variants,
            lenient=_non_empty_list,
        ),
    ] = msgspec.field(default_factory=lambda: typing.cast(list[VariantName], [STANDARD]))
    large_print_size: Annotated[
        float,
        Meta(description="Large print's body text size, from 16 to 24 points."),
        Rule(
            type_error="must be a number of points, not {value!r:.80}",
            check=_check_large_print_size,
        ),
    ] = LARGE_PRINT_SIZES[0]


# [review]


class ReviewTable(msgspec.Struct, kw_only=True):
    """When `leaflets check` warns about a review coming due."""

    warn_days: Annotated[
        int,
        Meta(ge=0, le=3660, description="How many days before next_review `check` starts to warn."),
        Rule(type_error="{value!r} is not a number of days from 0 to 3660"),
    ] = 60


# [email]


def _check_sender(value: str, ctx: Context) -> list[str]:
    found = getaddresses([value])
    if value and (len(found) != 1 or "@" not in found[0][1] or "\n" in value):
        return [f'{value[:80]!r} is not one address like "Clinic name <clinic@example.org>"']
    return []


def _check_security(value: str, ctx: Context) -> list[str]:
    host = ctx.values.get("host")
    if value == "none" and isinstance(host, str) and host and host.lower() not in LOCAL_HOSTS:
        return [
            f"'none' sends the password and the leaflets unencrypted, so it is allowed "
            f"only for a mail server on this machine ({', '.join(LOCAL_HOSTS)}), "
            f"not {host!r}"
        ]
    return []


def _check_size(value: Any, ctx: Context) -> list[str]:
    return [] if parse_size(value) else [f'{value!r} is not a size like "10 MB" or "500 KB"']


#: What every send log's lines start with, as _append_log() in delivery/smtp.py writes them.
SEND_LOG_SUFFIX = ".jsonl"


def _check_host(value: str, ctx: Context) -> list[str]:
    return _messages(host_problem(value)) if value else []


def _check_log(value: str, ctx: Context) -> list[str]:
    """Refuse a send log that is, or could become, any other file of the workspace."""
    if not value:
        return []
    path = (ctx.root / value).resolve()
    if not path.is_relative_to(ctx.root) or path == ctx.root:
        return [f"{value!r} is outside the workspace"]
    # Resolved: a symlink named sent.jsonl that points at leaflets.toml is leaflets.toml.
    if path.suffix != SEND_LOG_SUFFIX or not value.endswith(SEND_LOG_SUFFIX):
        return [
            f'{value!r} must be a .jsonl file, like "logs/sent.jsonl": the send log is '
            "never content, configuration, a template, a catalog or an output"
        ]
    return _messages(_not_a_send_log(path, value))


def _not_a_send_log(path: Path, value: str) -> str | None:
    """Return why the existing file *path* is not a send log, or None (a new file is fine)."""
    import json
    import os
    import stat

    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"{value!r} cannot be read ({error.strerror})"
    if not stat.S_ISREG(info.st_mode):
        return f"{value!r} is not a file"
    if info.st_size == 0:
        return None
    try:
        with path.open("rb") as handle:
            first = handle.readline(65536)
        record = json.loads(first)
    except (OSError, ValueError):
        record = None
    if not (isinstance(record, dict) and "message_id" in record and "time" in record):
        return f"{value!r} exists and is not a send log: choose a new file for the log"
    return None


def log_folder_problem(log: str, root: Path, folders: dict[str, str]) -> str | None:
    """Return why the send log *log* is inside a folder of content or outputs, or None.

    *folders* maps a key ("build.data_dir") to its folder; templates/,
    styles/ and locales/ are always refused.
    """
    path = (root / log).resolve()
    named = {"the theme folder " + repr(f): f for f in ("templates", "styles", "locales")}
    named.update({key: folder for key, folder in folders.items()})
    for key, folder in named.items():
        if path.is_relative_to((root / folder).resolve()):
            return (
                f"{log!r} is inside {key} ({folder!r}): keep the send log apart, "
                'like "logs/sent.jsonl"'
            )
    return None


_EMAIL_TEXT = Rule(type_error="must be a string, not {value!r}", strip=True)


class EmailTable(msgspec.Struct, kw_only=True):
    """How `leaflets email` sends. The password is never here: it comes only from the
    environment variable LEAFLETS_SMTP_PASSWORD."""

    host: Annotated[
        str,
        Meta(description="The SMTP server's host name."),
        Rule(type_error="must be a string, not {value!r}", strip=True, check=_check_host),
    ] = ""
    port: Annotated[
        Annotated[int, Meta(ge=1, le=65535)] | None,
        Meta(description="The SMTP port (default: 587 for starttls, 465 for ssl, 25 for none)."),
        Rule(type_error="{value!r} is not a port number (1-65535)", example=587),
    ] = None
    security: Annotated[
        Security,
        Meta(
            description="How the connection is encrypted; none only for a server on this machine."
        ),
        Rule(
            type_error=f"{{value!r}} is not one of: {', '.join(EMAIL_SECURITY)}",
            check=_check_security,
        ),
    ] = "starttls"
    username: Annotated[str, Meta(description="The SMTP login name."), _EMAIL_TEXT] = ""
    sender: Annotated[
        str,
        Meta(
            description='The From address, like "Clinic name <clinic@example.org>" '
            "(default: the clinic's name and email)."
        ),
        Rule(type_error="must be a string, not {value!r}", check=_check_sender, strip=True),
    ] = msgspec.field(default="", name="from")
    max_attachments_size: Annotated[
        str | int,
        Meta(description='The most the attachments of one message may weigh, like "10 MB".'),
        Rule(check=_check_size, lenient=_always),
    ] = "10 MB"
    timeout: Annotated[
        float,
        Meta(gt=0, le=600, description="How many seconds to wait for the mail server (up to 600)."),
        Rule(type_error="{value!r} is not a number of seconds from 0 to 600"),
    ] = 30
    log: Annotated[
        str,
        Meta(
            description="A .jsonl file inside the workspace, apart from content, templates "
            "and outputs, where one JSON line per message sent is appended."
        ),
        Rule(type_error="must be a file path, not {value!r}", check=_check_log, strip=True),
    ] = ""
    log_recipients: Annotated[
        bool,
        Meta(description="Whether that log names the recipients."),
        Rule(type_error="must be true or false, not {value!r}"),
    ] = False
    max_recipients: Annotated[
        int,
        Meta(
            ge=1,
            le=50,
            description="The most addresses one `leaflets email` sends to; each gets "
            "a message of its own.",
        ),
        Rule(type_error="{value!r} is not a number of recipients from 1 to 50"),
    ] = 5


@dataclass(frozen=True)
class Key:
    """One declared key: its name in the file, type, default, help text and Rule."""

    name: str
    attribute: str
    type: Any
    default: Any
    help: str
    rule: Rule


@dataclass(frozen=True)
class Table:
    """One declared TOML table and the keys it may hold."""

    name: str
    schema: type[msgspec.Struct]
    #: Keys refused with their own message (never "unknown key").
    refused: dict[str, str] = field(default_factory=dict)

    @property
    def help(self) -> str:
        """Return the table's help text (its schema's docstring, on one line)."""
        return " ".join((self.schema.__doc__ or "").split())

    @property
    def keys(self) -> tuple[Key, ...]:
        """Return the table's keys in the order they are declared."""
        return _keys(self.schema)


# Cached, and never called at import: resolving the annotations costs a few
# milliseconds that `leaflets --version` should not pay.
@functools.cache
def _keys(schema: type[msgspec.Struct]) -> tuple[Key, ...]:
    hints = typing.get_type_hints(schema, include_extras=True)
    keys = []
    for info in msgspec.structs.fields(schema):
        annotated = hints[info.name]
        metadata = getattr(annotated, "__metadata__", ())
        meta = next((m for m in metadata if isinstance(m, Meta)), Meta())
        rule = next((m for m in metadata if isinstance(m, Rule)), Rule())
        default = info.default
        if default is msgspec.NODEFAULT:
            default = info.default_factory()
        keys.append(
            Key(info.encode_name, info.name, annotated, default, meta.description or "", rule)
        )
    return tuple(keys)


TABLES = (
    Table("clinic", ClinicTable),
    Table("build", BuildTable),
    Table("review", ReviewTable),
    Table(
        "email",
        EmailTable,
        refused={
            "password": "must not be in leaflets.toml, where anyone who can read the workspace "
            "would see it: set the environment variable LEAFLETS_SMTP_PASSWORD instead"
        },
    ),
)
TABLE_BY_NAME = {table.name: table for table in TABLES}


def defaults(table: str) -> dict[str, Any]:
    """Return the default of every key of *table*, by its name in the file.

    Read from the Struct's own record of its defaults, which needs no
    annotation resolved (see _keys).
    """
    schema = TABLE_BY_NAME[table].schema
    found = schema.__struct_defaults__
    names = schema.__struct_encode_fields__[-len(found) :] if found else ()
    return {
        # A default_factory is kept as an object with the factory function on it.
        name: default.factory() if hasattr(default, "factory") else default
        for name, default in zip(names, found, strict=True)
    }


#: One table of defaults for the CLI, the Python API and leaflets.toml.
DEFAULTS: dict[str, Any] = defaults("build")
#: The defaults of the [review] table.
REVIEW_DEFAULTS: dict[str, Any] = defaults("review")
#: The [email] table's keys and defaults (see mail.py).
EMAIL_DEFAULTS: dict[str, Any] = defaults("email")
