"""Describe what an import did: headings mapped and kept, text removed, files written."""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Removal
from .writer import CREATE, KEEP, REPLACE, UNCHANGED, FileChange


@dataclass
class ImportReport:
    """Everything `leaflets import` tells its user about one page."""

    source: str
    format: str
    slug: str
    folder: str
    title: str
    language: str
    language_origin: str
    mapped: list[tuple[str, str]] = field(default_factory=list)
    unmapped: list[tuple[str, str]] = field(default_factory=list)
    removed: list[Removal] = field(default_factory=list)
    placeholders: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changes: list[FileChange] = field(default_factory=list)
    dry_run: bool = False

    def lines(self) -> list[str]:
        """Return the report as the lines the command prints."""
        out = [
            f"Imported {self.source} ({self.format}) as {self.folder}",
            f"  title:    {self.title}",
            f"  language: {self.language} ({self.language_origin})",
            "Sections (heading -> key):",
            *(f"  {heading} -> {key}" for heading, key in self.mapped),
        ]
        if self.unmapped:
            out.append("Kept as ### sub-sections (no section key matches the heading):")
            out += [f"  {heading} -> ### in {key}" for heading, key in self.unmapped]
        if self.removed:
            out.append("Removed:")
            out += [f"  {removal.what}: {removal.text}" for removal in self.removed]
        if self.placeholders:
            out.append("Placeholders to replace:")
            out += [f"  {name}: {value}" for name, value in self.placeholders]
        if self.notes:
            out.append("Notes:")
            for note in self.notes:
                first, *rest = note.splitlines()
                out.append(f"  {first}")
                out += [f"    {line}" for line in rest]
        return out

    def file_lines(self) -> list[str]:
        """Return, per file, its diff or (dry run) its text, then what was done to it."""
        out: list[str] = []
        verbs = {
            CREATE: ("would create", "created "),
            REPLACE: ("would replace", "replaced"),
            UNCHANGED: ("unchanged", "unchanged"),
            KEEP: ("would keep", "kept    "),
        }
        for change in self.changes:
            if change.status == REPLACE:
                out += change.diff.rstrip("\n").splitlines()
            elif change.status == CREATE and self.dry_run:
                out += [f"--- {change.shown} (new file)", *change.text.rstrip("\n").splitlines()]
            verb = verbs[change.status][0 if self.dry_run else 1]
            line = f"{verb} {change.shown}"
            if change.status == REPLACE and not self.dry_run:
                line += f" (old file kept as {change.backup.name})"
            if change.note:
                first, *rest = change.note.splitlines()
                line += f": {first}"
                out += [line, *(f"    {more}" for more in rest)]
            else:
                out.append(line)
        if self.dry_run:
            out.append("Dry run: nothing was written.")
        return out
