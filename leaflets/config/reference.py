"""Write, from the declared schemas, the commented leaflets.toml example and the reference page."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import msgspec.inspect as inspect

from .metadata import ConditionMetadata, Source, YamlKey, yaml_keys
from .schema import TABLES, Key, Table

_EXAMPLE_INTRO = """\
# The workspace configuration: who the clinic is and how leaflets are built.
# Written by `leaflets init` from the schema (see the configuration reference).
# Every key is shown with what it does; a line starting with "# key =" shows an
# optional key left unset.
"""


def toml_value(value: Any) -> str:
    """Return *value* written as TOML (text, numbers, true/false, lists, inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # A JSON string is a valid TOML basic string.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{key} = {toml_value(item)}" for key, item in value.items())
        return "{ " + items + " }" if items else "{}"
    return repr(value)


def _comment(text: str) -> list[str]:
    return textwrap.wrap(text, width=78, initial_indent="# ", subsequent_indent="# ")


def _example_key(key: Key) -> list[str]:
    """Return the lines of one key in the example: its help, then the key."""
    help = key.help
    if key.rule.required:
        help += " Required."
    example = key.default if key.rule.example is None else key.rule.example
    if key.rule.example is not None and key.default not in (None, "", [], {}):
        help += f" Default: {toml_value(key.default)}."
    if key.default is None:
        # TOML has no "none": an unset key is shown commented out, with a value to use.
        return [*_comment(help), f"# {key.name} = {toml_value(example)}"]
    return [*_comment(help), f"{key.name} = {toml_value(example)}"]


def example_toml() -> str:
    """Return a commented leaflets.toml with every key of every table."""
    lines = [_EXAMPLE_INTRO.rstrip("\n")]
    for table in TABLES:
        lines += ["", *_comment(table.help), f"[{table.name}]"]
        for key in table.keys:
            lines += ["", *_example_key(key)]
    return "\n".join(lines) + "\n"


def type_name(declared: Any) -> str:
    """Return a reader's name for a declared type, like "list of text"."""
    return _describe(inspect.type_info(declared))


def _describe(info: Any) -> str:
    if isinstance(info, inspect.Metadata):
        return _describe(info.type)
    names: dict[type, str] = {
        inspect.StrType: "text",
        inspect.BoolType: "true or false",
        inspect.IntType: "whole number",
        inspect.FloatType: "number",
        inspect.DateType: "date (YYYY-MM-DD)",
    }
    if type(info) in names:
        return names[type(info)]
    if isinstance(info, inspect.LiteralType):
        return "one of " + ", ".join(f'"{value}"' for value in info.values)
    if isinstance(info, inspect.ListType):
        return f"list of {_describe(info.item_type)}"
    if isinstance(info, inspect.DictType):
        return f"table of {_describe(info.key_type)} to {_describe(info.value_type)}"
    if isinstance(info, inspect.StructType):
        return "list of mappings"
    if isinstance(info, inspect.UnionType):
        kinds = [_describe(kind) for kind in info.types if not isinstance(kind, inspect.NoneType)]
        return " or ".join(kinds)
    return type(info).__name__


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _toml_table(table: Table) -> list[str]:
    rows = [
        f"### [{table.name}]",
        "",
        table.help,
        "",
        "| Key | Type | Default | What it does |",
        "| --- | --- | --- | --- |",
    ]
    for key in table.keys:
        if key.rule.required:
            default = "required"
        elif key.default is None:
            default = "not set"
        else:
            default = f"`{toml_value(key.default)}`"
        rows.append(
            f"| `{key.name}` | {_cell(type_name(key.type))} | {_cell(default)} "
            f"| {_cell(key.help)} |"
        )
    return [*rows, ""]


def _yaml_table(title: str, help: str, keys: tuple[YamlKey, ...]) -> list[str]:
    rows = [
        title,
        "",
        help,
        "",
        "| Key | Type | Required | What it does |",
        "| --- | --- | --- | --- |",
    ]
    for key in keys:
        required = "yes" if key.field.required else "no"
        rows.append(
            f"| `{key.name}` | {_cell(type_name(key.type))} | {required} | {_cell(key.help)} |"
        )
    return [*rows, ""]


def reference_markdown() -> str:
    """Return the configuration reference: a table per leaflets.toml table, then condition.yaml."""
    lines = [
        "# Configuration reference",
        "",
        "This page is generated from the schemas in `leaflets/config/` "
        "(`schema.py` and `metadata.py`); the same declarations check the files.",
        "",
        "## leaflets.toml",
        "",
        "The workspace configuration, at the top of the workspace. "
        "`leaflets init` writes it with every key and what it does.",
        "",
    ]
    for table in TABLES:
        lines += _toml_table(table)
    lines += ["## condition.yaml", ""]
    lines += _yaml_table(
        "### Keys",
        " ".join((ConditionMetadata.__doc__ or "").split()),
        yaml_keys(ConditionMetadata),
    )
    lines += _yaml_table("### sources", " ".join((Source.__doc__ or "").split()), yaml_keys(Source))
    return "\n".join(lines)
