"""Read leaflets.toml, check it against the schema, and turn it into a Config.

Every problem is collected, named with the file, the line and the key path.
Within a table, what does not fit the schema (an unknown key, a value of the
wrong type) comes first, then what fails a check, each in the order of the
file; a missing required key is named at its table's header.
"""

from __future__ import annotations

import re
import tomllib
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from ..characters import control_character
from ..exceptions import ConfigError, Problem, quote
from .checks import ascii_host_name, parse_size
from .model import EMAIL_SECURITY, PAPER_SIZES, Clinic, Config, EmailSettings
from .schema import TABLE_BY_NAME, TABLES, Context, Key, Table, log_folder_problem

CONFIG_NAME = "leaflets.toml"
#: The largest leaflets.toml read, in bytes (a real one is well under 1 KB).
MAX_CONFIG_SIZE = 100_000


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


def load_config(root: Path, **overrides: Any) -> Config:
    """Read ``leaflets.toml`` in *root*, apply *overrides*, and validate it all.

    Every problem is collected and raised together in one ConfigError.
    """
    root = root.resolve()
    path = root / CONFIG_NAME
    text = _read(path, root)
    data = _parse(text)
    problems = [
        Problem(
            CONFIG_NAME,
            find_line(text, name, ""),
            name,
            "unknown table (expected [clinic], [build], [review] and [email])",
        )
        for name in data
        if name not in TABLE_BY_NAME
    ]
    values: dict[str, dict[str, Any]] = {}
    for table in TABLES:
        given = overrides if table.name == "build" else {}
        values[table.name], found = _load_table(table, data.get(table.name, {}), text, root, given)
        problems.extend(found)
    problems.extend(_log_folder(values, text, root, problems))
    if problems:
        raise ConfigError(problems=problems)
    return _config(root, text, values)


def _log_folder(
    values: dict[str, dict[str, Any]], text: str, root: Path, problems: list[Problem]
) -> list[Problem]:
    """Refuse a send log inside the data or output folder (a check across two tables)."""
    log = values["email"].get("log")
    if not log or any(
        p.field in ("email.log", "build.data_dir", "build.output_dir") for p in problems
    ):
        return []
    build = values["build"]
    folders = {"build.data_dir": build["data_dir"], "build.output_dir": build["output_dir"]}
    why = log_folder_problem(log, root, folders)
    line = find_line(text, "email", "log")
    return [Problem(CONFIG_NAME, line, "email.log", why)] if why else []


def _read(path: Path, root: Path) -> str:
    """Return the text of leaflets.toml; raise ConfigError when it cannot be one."""
    try:
        if path.stat().st_size > MAX_CONFIG_SIZE:
            raise ConfigError(
                f"{CONFIG_NAME}: is larger than {MAX_CONFIG_SIZE // 1000} KB; this is not a "
                "configuration file"
            )
        # utf-8-sig: Windows editors may start the file with a byte order mark.
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(
            f"{CONFIG_NAME}: not found in {root} (run `leaflets init` to create a workspace)"
        ) from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{CONFIG_NAME}: not UTF-8 text ({error.reason})") from None


def _parse(text: str) -> dict[str, Any]:
    """Return the TOML document *text*; raise ConfigError naming the line when it is not TOML."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"\(at line (\d+), column \d+\)", str(error))
        line = int(match.group(1)) if match else None
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        raise ConfigError(
            problems=[Problem(CONFIG_NAME, line, None, f"invalid TOML: {reason}")]
        ) from None


def _load_table(
    table: Table, raw: Any, text: str, root: Path, overrides: dict[str, Any]
) -> tuple[dict[str, Any], list[Problem]]:
    """Check one table against its schema; return its values (defaults filled in) and problems."""
    if not isinstance(raw, dict):
        line = find_line(text, table.name, "")
        return {}, [Problem(CONFIG_NAME, line, table.name, "must be a table")]
    keys = {key.name: key for key in table.keys}
    shape: list[tuple[str, str]] = []
    given: dict[str, Any] = {}
    for name, value in raw.items():
        if name in table.refused:
            shape.append((name, table.refused[name]))
        elif name not in keys:
            shape.append((name, f"unknown key (expected one of: {', '.join(keys)})"))
        else:
            given[name] = _clean(keys[name], value)
    overridden = {name: value for name, value in overrides.items() if value is not None}
    given.update((name, value) for name, value in overridden.items() if name in keys)
    values = {**{key.name: key.default for key in table.keys}, **given}
    checked: list[Problem] = []
    for name, value in given.items():
        context = Context(root, values, frozenset(overridden), name)
        wrong_kind, found = _check(keys[name], value, context)
        if wrong_kind:
            shape.extend((name, message) for message in found)
        else:
            line = find_line(text, table.name, name)
            checked.extend(Problem(CONFIG_NAME, line, f"{table.name}.{name}", m) for m in found)
    header = find_line(text, table.name, "")
    checked.extend(
        Problem(CONFIG_NAME, header, f"{table.name}.{key.name}", key.rule.required)
        for key in table.keys
        if key.rule.required and not values.get(key.name)
    )
    located = [
        Problem(CONFIG_NAME, find_line(text, table.name, name), f"{table.name}.{name}", message)
        for name, message in shape
    ]
    return values, _in_file_order(located) + _in_file_order(checked)


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    """Sort *problems* by line, keeping the order of each line's own problems.

    A key given only on the command line has no line: its problems come last.
    """
    return sorted(problems, key=lambda problem: (problem.line is None, problem.line or 0))


def _clean(key: Key, value: Any) -> Any:
    """Return *value* without surrounding spaces when its key's rule says so."""
    return value.strip() if key.rule.strip and isinstance(value, str) else value


def _check(key: Key, value: Any, context: Context) -> tuple[bool, list[str]]:
    """Check *value* against *key*'s type, then its rule.

    Tell whether the value is of the wrong kind (text for a number, a number for
    a list), which is reported with unknown keys; a value outside a key's choices
    is reported with the checks.
    """
    rule = key.rule
    try:
        # strict: a string is never read as a number, nor a number as true or false.
        msgspec.convert(value, key.type, strict=True)
    except msgspec.ValidationError:
        if not (rule.lenient and rule.lenient(value)):
            message = rule.type_error.format(value=value, quoted=quote(value))
            return not _is_choice(key.type), [message]
    for text in _texts(value):
        if found := control_character(text):
            # Checked for every key: any text may reach a header or a PDF's metadata.
            return False, [
                f"{quote(text)} contains a control character ({found}): "
                "write it on one line, without control characters"
            ]
    return False, list(rule.check(value, context)) if rule.check else []


def _texts(value: Any) -> list[str]:
    """Return the strings in *value*: itself, or those in a list or table (one level deep)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    if isinstance(value, dict):
        return [text for pair in value.items() for text in pair if isinstance(text, str)]
    return []


def _is_choice(annotated: Any) -> bool:
    """Tell whether a declared type is a choice among fixed values (a Literal)."""
    base = typing.get_args(annotated)[0] if typing.get_origin(annotated) is Annotated else annotated
    return typing.get_origin(base) is Literal


def _config(root: Path, text: str, values: dict[str, dict[str, Any]]) -> Config:
    """Build the Config from checked values."""
    build = values["build"]
    paper_names = {name.lower(): name for name in PAPER_SIZES}
    return Config(
        root=root,
        path=root / CONFIG_NAME,
        clinic=_clinic(values["clinic"], root),
        languages=tuple(build["languages"]),
        paper=paper_names[build["paper"].lower()],
        output_dir=(root / build["output_dir"]).resolve(),
        filename=build["filename"],
        pdf_variant=build["pdf_variant"],
        templates=tuple(build["templates"]),
        data_dir=(root / build["data_dir"]).resolve(),
        source_language=build["source_language"] or build["languages"][0],
        review_warn_days=values["review"]["warn_days"],
        locales=dict(build["locales"]),
        variants=tuple(dict.fromkeys(build["variants"])),
        large_print_size=build["large_print_size"],
        raw_text=text,
        email=_email(values["email"], root),
    )


def _clinic(values: dict[str, Any], root: Path) -> Clinic:
    """Build the Clinic from the checked [clinic] values; the logo becomes a path."""
    logo = (root / values["logo"]).resolve() if values["logo"] else None
    return Clinic(**{**values, "logo": logo})


def _email(values: dict[str, Any], root: Path) -> EmailSettings:
    """Build the EmailSettings from the checked [email] values."""
    port = values["port"]
    size = parse_size(values["max_attachments_size"])
    assert size is not None  # checked by the schema
    return EmailSettings(
        # Connect by the ASCII name, never through the standard library's IDNA 2003.
        host=ascii_host_name(values["host"]),
        port=EMAIL_SECURITY[values["security"]] if port is None else port,
        security=values["security"],
        username=values["username"],
        sender=values["from"],
        max_attachments_size=size,
        timeout=float(values["timeout"]),
        log=(root / values["log"]).resolve() if values["log"] else None,
        log_recipients=values["log_recipients"],
        max_recipients=values["max_recipients"],
    )
