"""Record what a build wrote: one manifest entry per output, kept in the output folder.

``manifest.json`` lists every PDF the build wrote there, with its fingerprint,
size, page count and the condition's data version, for the next build and
for other tools. While a build runs, each finished output is also appended
to a journal, so that a build killed half-way still knows, next time, which
outputs it completed.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from .. import __version__

logger = logging.getLogger(__name__)

T = TypeVar("T")

MANIFEST_NAME = "manifest.json"
JOURNAL_NAME = ".manifest.json.journal"
#: Bumped when the layout changes; a manifest of another format is ignored.
FORMAT = 1


@dataclass(frozen=True)
class Entry:
    """One output file the build wrote, and what it was made from."""

    file: str
    condition: str
    lang: str
    template: str
    version: str
    fingerprint: str
    pages: int
    size: int
    sha256: str
    warnings: tuple[str, ...] = ()
    #: The files found by name that shaped it (data, catalog, templates).
    inputs: tuple[str, ...] = ()
    #: The files WeasyPrint loaded for it (stylesheets, fonts, images).
    resources: tuple[str, ...] = ()
    #: The condition's next_review date (ISO): once it has passed, the output
    #: is out of date whatever its inputs, since review.py must look at it.
    next_review: str = ""
    #: The print variant: "standard" or "large-print".
    variant: str = "standard"

    @property
    def name(self) -> str:
        """Return the job's name, such as ``hemifacial-spasm.it.leaflet.large-print``."""
        return job_name(self.condition, self.lang, self.template, self.variant)

    def as_json(self) -> dict[str, Any]:
        """Return the entry as the manifest stores it (without the file name, its key)."""
        data = asdict(self)
        del data["file"]
        for key in ("warnings", "inputs", "resources"):
            data[key] = list(data[key])
        return data

    @classmethod
    def from_json(cls, file: str, data: Any) -> Entry:
        """Read one stored entry; raise ValueError when it is not one."""
        if not isinstance(data, dict):
            raise ValueError(f"{file}: not an object")
        return cls(
            file=file,
            condition=_field(data, "condition", str),
            lang=_field(data, "lang", str),
            template=_field(data, "template", str),
            version=_field(data, "version", str),
            fingerprint=_field(data, "fingerprint", str),
            pages=_field(data, "pages", int),
            size=_field(data, "size", int),
            sha256=_field(data, "sha256", str),
            warnings=_strings(data, "warnings"),
            inputs=_strings(data, "inputs"),
            resources=_strings(data, "resources"),
            next_review=_field(data, "next_review", str) if "next_review" in data else "",
            # Manifests written before variants existed list standard outputs only.
            variant=_field({"variant": "standard", **data}, "variant", str),
        )


def job_name(condition: str, lang: str, template: str, variant: str = "standard") -> str:
    """Return the name of one output, the standard variant's without a suffix."""
    name = f"{condition}.{lang}.{template}"
    return name if variant == "standard" else f"{name}.{variant}"


def _field(data: dict[str, Any], key: str, kind: type[T]) -> T:
    value = data.get(key)
    if not isinstance(value, kind):
        raise ValueError(f"{key}: {value!r} is not a {kind.__name__}")
    return value


def _strings(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{key}: {value!r} is not a list of strings")
    return tuple(value)


class Manifest:
    """The outputs recorded in one output folder; use as a context manager to save it."""

    def __init__(self, folder: Path, entries: dict[str, Entry] | None = None) -> None:
        self.folder = folder
        self.entries: dict[str, Entry] = dict(entries or {})
        self.changed = False
        #: Why the manifest could not be saved when the build ended, if it could not.
        self.save_error: OSError | None = None
        self._journal: IO[str] | None = None
        self._journal_failed = False

    @property
    def path(self) -> Path:
        """Return the manifest file's path."""
        return self.folder / MANIFEST_NAME

    @property
    def journal_path(self) -> Path:
        """Return the journal file's path."""
        return self.folder / JOURNAL_NAME

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        """Read the manifest of *folder*, then replay what an interrupted build journaled.

        An unreadable manifest is ignored with a warning: every output it
        listed is then rebuilt, which is slow but never wrong.
        """
        manifest = cls(folder)
        try:
            text = _read_own(manifest.path)
        except FileNotFoundError:
            text = None
        except (OSError, UnicodeDecodeError) as error:
            logger.warning("%s: cannot be read (%s); rebuilding its outputs", manifest.path, error)
            text = None
        if text is not None:
            try:
                manifest.entries = _parse(text)
            except ValueError as error:
                logger.warning("%s: ignored, %s; rebuilding its outputs", manifest.path, error)
                manifest.changed = True
        for operation in _read_journal(manifest.journal_path):
            manifest._apply(operation)
            manifest.changed = True
        return manifest

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # A full disk or an unwritable file must not hide what was built: the
        # failure is kept in save_error for the build to report, and the file
        # is left as it was (written atomically), along with the journal.
        try:
            self.save()
        except OSError as error:
            logger.debug("%s: cannot be written", self.path, exc_info=True)
            self.save_error = error

    def by_name(self) -> dict[str, list[Entry]]:
        """Return the entries grouped by job name."""
        grouped: dict[str, list[Entry]] = {}
        for entry in self.entries.values():
            grouped.setdefault(entry.name, []).append(entry)
        return grouped

    def record(self, entry: Entry) -> None:
        """Add or replace the entry of one output the build has just written."""
        self._write_journal({"set": entry.file, "entry": entry.as_json()})
        self.entries[entry.file] = entry
        self.changed = True

    def forget(self, file: str) -> None:
        """Drop the entry of *file* (removed, or no longer there)."""
        if file in self.entries:
            self._write_journal({"forget": file})
            del self.entries[file]
            self.changed = True

    def save(self) -> None:
        """Write manifest.json atomically if anything changed, then drop the journal."""
        self._close_journal()
        if self.changed:
            document = {
                "format": FORMAT,
                "generator": f"leaflets {__version__}",
                "outputs": {file: self.entries[file].as_json() for file in sorted(self.entries)},
            }
            from ..output import atomic_write

            text = json.dumps(document, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
            atomic_write(self.path, text.encode("utf-8"))
            self.changed = False
        with contextlib.suppress(FileNotFoundError):
            self.journal_path.unlink()

    def _write_journal(self, operation: dict[str, Any]) -> None:
        # One line per finished output, flushed at once: a build killed
        # afterwards loses nothing it completed. (No fsync: losing the tail to
        # a power cut only costs rebuilding those outputs.) The journal only
        # insures against a kill: when it cannot be written (a full disk),
        # the build goes on and records its outputs when it saves.
        if self._journal_failed:
            return
        try:
            if self._journal is None:
                self.folder.mkdir(parents=True, exist_ok=True)
                # Never through a symlink: it could point anywhere.
                flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
                handle = os.open(self.journal_path, flags, 0o644)
                self._journal = os.fdopen(handle, "a", encoding="utf-8")
            self._journal.write(json.dumps(operation, ensure_ascii=False) + "\n")
            self._journal.flush()
        except OSError as error:
            logger.debug("%s: cannot be written (%s)", self.journal_path, error.strerror)
            self._journal_failed = True
            self._close_journal()

    def _close_journal(self) -> None:
        journal, self._journal = self._journal, None
        if journal is not None:
            with contextlib.suppress(OSError):  # What could not be flushed is lost.
                journal.close()

    def _apply(self, operation: dict[str, Any]) -> None:
        if "set" in operation:
            file = operation["set"]
            self.entries[file] = Entry.from_json(file, operation["entry"])
        elif "forget" in operation:
            self.entries.pop(operation["forget"], None)


def _parse(text: str) -> dict[str, Entry]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"not a format {FORMAT} leaflets manifest")
    outputs = document.get("outputs")
    if not isinstance(outputs, dict):
        raise ValueError("no outputs object")
    return {file: Entry.from_json(file, data) for file, data in outputs.items()}


def _read_journal(path: Path) -> Iterator[dict[str, Any]]:
    """Yield the journal's operations; stop at the first damaged line (a killed write)."""
    try:
        lines = _read_own(path).splitlines()
    except (OSError, UnicodeDecodeError):
        return
    for line in lines:
        try:
            operation = json.loads(line)
            if "set" in operation:
                Entry.from_json(operation["set"], operation["entry"])
        except (ValueError, TypeError, KeyError):
            return
        if isinstance(operation, dict):
            yield operation


def _read_own(path: Path) -> str:
    """Return the text of *path*, refusing a symlink (OSError) wherever it points.

    The manifest and the journal are the build's own files, never links: one
    linked to a file outside the workspace would be read, or appended to.
    """
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise OSError(errno.ELOOP, "it is a symbolic link; not followed") from None
        raise
    if stat.S_ISDIR(os.fstat(handle).st_mode):
        os.close(handle)
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    with os.fdopen(handle, "rb") as stream:
        try:
            data = stream.read()
        except OSError as error:  # A disk error: name the file, not the handle.
            raise OSError(error.errno, error.strerror, str(path)) from None
    return data.decode("utf-8")
