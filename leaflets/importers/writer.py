"""Plan, check and write an import's files: never overwrite without --force, keep backups."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import ImportSourceError, Problem, display_path
from ..output import atomic_write_all

#: What happens to each file: written new, replaced (with a backup), left as it is.
CREATE, REPLACE, UNCHANGED, KEEP = "create", "replace", "unchanged", "keep"


@dataclass(frozen=True)
class FileChange:
    """One file an import writes, replaces or leaves alone."""

    path: Path
    shown: str
    text: str
    status: str
    old: str | None = None
    diff: str = ""
    note: str = ""

    @property
    def backup(self) -> Path:
        """Return where the old file is kept when this change replaces it."""
        return self.path.with_name(self.path.name + ".bak")


def plan(files: list[tuple[Path, str]], *, root: Path, force: bool) -> list[FileChange]:
    """Compare *files* with the disk; refuse, naming each, to replace any without *force*."""
    changes = []
    for path, text in files:
        shown = display_path(path, root)
        if not path.exists():
            changes.append(FileChange(path, shown, text, CREATE))
            continue
        try:
            old = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ImportSourceError(f"{shown}: exists and cannot be read ({error})") from None
        if old == text:
            changes.append(FileChange(path, shown, text, UNCHANGED, old))
            continue
        diff = "".join(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"{shown} (now)",
                tofile=f"{shown} (imported)",
            )
        )
        changes.append(FileChange(path, shown, text, REPLACE, old, diff))
    refused = [change for change in changes if change.status == REPLACE]
    if refused and not force:
        raise ImportSourceError(
            problems=[
                Problem(
                    change.shown,
                    None,
                    None,
                    "already exists; pass --force to replace it "
                    f"(the old file is then kept as {change.backup.name})",
                )
                for change in refused
            ]
        )
    return changes


def write(changes: list[FileChange], *, root: Path | None = None) -> None:
    """Back up every file about to be replaced and write the new files, all or nothing.

    On a full disk nothing changes: no backup, no new file, no empty
    ``data/<slug>/`` folder (WriteError names the file that did not fit).
    """
    files = [
        (change.backup, change.path.read_bytes()) for change in changes if change.status == REPLACE
    ]
    files += [
        (change.path, change.text.encode("utf-8"))
        for change in changes
        if change.status in (CREATE, REPLACE)
    ]
    if files:
        atomic_write_all(files, root=root)
