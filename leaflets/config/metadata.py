"""Declare condition.yaml once: its keys, their types, help text and checks.

It lives beside leaflets.toml's schema, in the base package, so that the
reference page (reference.py) can describe both while imports still run one
way; content/conditions.py reads condition.yaml through these declarations.
"""

from __future__ import annotations

import datetime
import functools
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from ..exceptions import quote
from .checks import unsafe_name, unsafe_url, validate_language

#: What `leaflets import` writes for what it cannot know: a value starting with TODO.
PLACEHOLDER_PREFIX = "TODO"
_ICD10_RE = re.compile(r"[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?")


def is_placeholder(value: Any) -> bool:
    """Tell whether *value* is a TODO placeholder left for a person to fill in."""
    return isinstance(value, str) and value.strip().startswith(PLACEHOLDER_PREFIX)


#: A check of one well-typed value: (value, the values read so far, the folder's slug).
FieldCheck = Callable[[Any, dict[str, Any], str], str | None]


@dataclass(frozen=True)
class Field:
    """What a condition.yaml key needs besides its type and help text."""

    required: bool = False
    #: Said after "is required" (formatted with slug=), to show how to write the value.
    hint: str = ""
    check: FieldCheck | None = None


def _check_id(value: str, values: dict[str, Any], slug: str) -> str | None:
    if value != slug:
        return f"{quote(value)} does not match the folder name {quote(slug)}"
    return None


def _check_icd10(value: str, values: dict[str, Any], slug: str) -> str | None:
    if not is_placeholder(value) and not _ICD10_RE.fullmatch(value):
        return f"{quote(value)} is not an ICD-10 code like 'G51.3'"
    return None


def _check_version(value: str, values: dict[str, Any], slug: str) -> str | None:
    # The version can go into output file names ({version}).
    if why := unsafe_name(value):
        return f"{quote(value)} cannot be part of a file name: it {why}"
    return None


def _check_next_review(value: datetime.date, values: dict[str, Any], slug: str) -> str | None:
    last_reviewed = values.get("last_reviewed")
    if last_reviewed and value <= last_reviewed:
        return f"{value} must come after last_reviewed ({last_reviewed})"
    return None


def _check_url(value: str, values: dict[str, Any], slug: str) -> str | None:
    return None if is_placeholder(value) else unsafe_url(value)


def _check_language(value: str, values: dict[str, Any], slug: str) -> str | None:
    return None if is_placeholder(value) else validate_language(value)


Date = datetime.date | None


class Source(msgspec.Struct, kw_only=True):
    """One page the content was written from, under ``sources:``."""

    title: Annotated[str, Meta(description="The page's title."), Field(required=True)] = ""
    url: Annotated[str, Meta(description="The page's web address."), Field(check=_check_url)] = ""
    publisher: Annotated[str, Meta(description="Who published the page."), Field()] = ""
    language: Annotated[
        str, Meta(description="The page's language code."), Field(check=_check_language)
    ] = ""
    modified: Annotated[Date, Meta(description="When the page last changed."), Field()] = None
    imported: Annotated[
        Date, Meta(description="When `leaflets import` read the page."), Field()
    ] = None


class ConditionMetadata(msgspec.Struct, kw_only=True):
    """A condition's shared metadata: ``data/<condition>/condition.yaml``."""

    id: Annotated[
        str,
        Meta(description="The condition's slug: its folder name."),
        Field(required=True, hint="the folder name, {slug!r}", check=_check_id),
    ] = ""
    specialty: Annotated[
        str, Meta(description="The medical specialty, like neurology."), Field(required=True)
    ] = ""
    icd10: Annotated[
        str, Meta(description="The ICD-10 code, like G51.3."), Field(check=_check_icd10)
    ] = ""
    version: Annotated[
        str,
        Meta(description='The content\'s version, quoted: "1.0"; may go into file names.'),
        Field(required=True, hint='quote it, like version: "1.0"', check=_check_version),
    ] = ""
    last_reviewed: Annotated[
        Date,
        Meta(description="When the content was last reviewed (YYYY-MM-DD)."),
        Field(required=True),
    ] = None
    next_review: Annotated[
        Date,
        Meta(description="When it is due for review; `check` warns ahead of it."),
        Field(required=True, check=_check_next_review),
    ] = None
    owner: Annotated[
        str, Meta(description="Who is responsible for the content."), Field(required=True)
    ] = ""
    reviewer: Annotated[str, Meta(description="Who reviewed it last."), Field()] = ""
    sources: Annotated[
        list[Source],
        Meta(min_length=1, description="The pages this content was written from."),
        Field(required=True),
    ] = msgspec.field(default_factory=list)


@dataclass(frozen=True)
class YamlKey:
    """One declared condition.yaml key."""

    name: str
    type: Any
    help: str
    field: Field

    @property
    def kind(self) -> str:
        """Return how the key is read: 'text', 'date' or 'list'."""
        base = typing.get_args(self.type)[0]
        if base is str:
            return "text"
        return "list" if typing.get_origin(base) is list else "date"


@functools.cache
def yaml_keys(schema: type[msgspec.Struct]) -> tuple[YamlKey, ...]:
    """Return the declared keys of a condition.yaml mapping, in order."""
    hints = typing.get_type_hints(schema, include_extras=True)
    keys = []
    for name in schema.__struct_fields__:
        metadata = hints[name].__metadata__
        meta = next(m for m in metadata if isinstance(m, Meta))
        field = next(m for m in metadata if isinstance(m, Field))
        keys.append(YamlKey(name, hints[name], meta.description or "", field))
    return tuple(keys)
