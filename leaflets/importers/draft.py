"""Write an arranged page as our data format: a <lang>.md and a condition.yaml draft."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import yaml

from ..content.yaml_loader import LineDict, LineList, load_yaml
from .sections import Arrangement

#: The version a new draft starts at; "1.0" is for the first reviewed text.
DRAFT_VERSION = "0.1"
#: What a draft says where the page cannot tell. A placeholder is a text
#: value starting with "TODO", which `leaflets check` reports until a person
#: replaces it and `leaflets build` does not print; never a YAML comment, and
#: never an invented date.
PLACEHOLDER_PREFIX = "TODO"
OWNER_PLACEHOLDER = "TODO: who owns this content"
SPECIALTY_PLACEHOLDER = "TODO: the specialty (the page names no specialist)"
DATE_PLACEHOLDER = "TODO"
#: The condition.yaml fields every draft leaves to a person.
PLACEHOLDER_FIELDS = ("last_reviewed", "next_review", "owner")


@dataclass(frozen=True)
class SourceEntry:
    """One item of condition.yaml's sources list: where the draft came from."""

    title: str
    url: str
    publisher: str
    language: str
    modified: datetime.date | None
    imported: datetime.date

    def fields(self) -> dict[str, Any]:
        """Return the entry as condition.yaml keys, leaving out unknown ones."""
        values: dict[str, Any] = {
            "title": self.title,
            "url": self.url,
            "publisher": self.publisher,
            "language": self.language,
            "modified": self.modified,
            "imported": self.imported,
        }
        return {key: value for key, value in values.items() if value}


class _Dumper(yaml.SafeDumper):
    """Write long text as a folded block (``>-``), which a person edits easily."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Only prose is folded: a URL or code folded onto its own line reads as broken.
    style = ">" if len(value) > 70 and " " in value and "\n" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: dict[str, Any], *, indent: str = "") -> str:
    """Return *data* as block YAML, every line prefixed with *indent*."""
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=88)
    return "".join(indent + line if line.strip() else line for line in text.splitlines(True))


def source_item(entry: SourceEntry, *, indent: str = "  ") -> str:
    """Return *entry* as one ``- title: …`` item of a sources list."""
    body = dump_yaml(entry.fields(), indent=indent + "  ")
    return indent + "- " + body[len(indent) + 2 :]


def content_text(
    *, title: str, arrangement: Arrangement, source_name: str, today: datetime.date
) -> str:
    """Return the <lang>.md text: front matter, then one ``## key`` per section."""
    front = dump_yaml({"title": title, "summary": arrangement.summary})
    parts = [
        "---\n",
        f"# Draft imported from {source_name} on {today.isoformat()} by `leaflets import`.\n",
        "# Rewrite it in plain language, then add key_points and next_steps.\n",
        front,
        "---\n",
    ]
    for key, chunks in arrangement.sections.items():
        parts.append(f"\n## {key}\n\n" + "\n\n".join(chunks) + "\n")
    return "".join(parts)


def metadata_text(*, slug: str, specialty: str | None, source: SourceEntry) -> str:
    """Return the condition.yaml text, with a TODO value for everything the page cannot tell."""
    specialty_line = dump_yaml({"specialty": specialty or SPECIALTY_PLACEHOLDER}).rstrip("\n")
    if specialty:
        specialty_line += "  # read from the page's 'which specialist' section: check it"
    lines = [
        f"# Draft imported by `leaflets import` on {source.imported.isoformat()}: "
        "replace every TODO before publishing.",
        dump_yaml({"id": slug}).rstrip("\n"),
        specialty_line,
        f'version: "{DRAFT_VERSION}"  # a draft; make it "1.0" once reviewed',
        dump_yaml({"last_reviewed": DATE_PLACEHOLDER}).rstrip("\n"),
        dump_yaml({"next_review": DATE_PLACEHOLDER}).rstrip("\n"),
        dump_yaml({"owner": OWNER_PLACEHOLDER}).rstrip("\n"),
        "sources:",
        source_item(source).rstrip("\n"),
    ]
    return "\n".join(lines) + "\n"


def add_source(metadata: str, entry: SourceEntry, *, shown: str) -> tuple[str | None, str]:
    """Return *metadata* with *entry* appended to its sources, or None and the reason why not.

    The text is appended rather than the YAML rewritten, so the file's comments,
    order and quoting stay as its authors wrote them.
    """
    data, problems = load_yaml(metadata, shown)
    if problems or not isinstance(data, LineDict):
        return None, "it is not valid YAML"
    sources = data.get("sources")
    if not isinstance(sources, LineList) or not sources:
        return None, "it has no list of sources"
    for item in sources:
        if isinstance(item, dict) and (
            (entry.url and item.get("url") == entry.url)
            or (item.get("title") == entry.title and item.get("language") == entry.language)
        ):
            return None, "it already lists this source"
    if data.line_of("sources") != max(data.lines.values()):
        return None, "sources is not its last key"
    first = metadata.splitlines()[sources.line_of(0) - 1]
    indent = first[: len(first) - len(first.lstrip())]
    if not first.lstrip().startswith("- "):
        return None, "its sources are not written one per line"
    updated = metadata.rstrip("\n") + "\n" + source_item(entry, indent=indent)
    reloaded = yaml.safe_load(updated)
    if not isinstance(reloaded, dict) or len(reloaded.get("sources") or ()) != len(sources) + 1:
        return None, "its sources list could not be extended safely"
    return updated, ""
