"""Define the exception tree and the problem records that errors carry."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The most characters of a bad value a message quotes: a hostile file must not
#: turn one message into megabytes of output.
QUOTE_LIMIT = 80


#: The longest message a Problem prints, whatever went into it.
MAX_MESSAGE = 1000


def quote(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """Return ``repr(value)`` cut to about *limit* characters, saying how long it was.

    Containers are summarized without being expanded, so a value built by
    YAML aliases cannot be turned into a huge string here.
    """
    if isinstance(value, dict):
        return f"a mapping of {len(value)} keys"
    if isinstance(value, list | tuple | set):
        return f"a list of {len(value)} items"
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}… ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= limit + 2 else f"{text[:limit]}…"


@dataclass(frozen=True, order=True)
class Problem:
    """Describe one thing wrong with one input file, where the parser knows it."""

    path: str
    line: int | None
    field: str | None
    message: str
    severity: str = "error"
    #: A placeholder (a value starting with TODO) left for a person to fill in:
    #: an error for `check`, a reason to skip the output for `build`, and
    #: allowed by `build --allow-drafts`.
    draft: bool = dataclasses.field(default=False, compare=False)

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        what = f"{self.field}: {self.message}" if self.field else self.message
        if len(what) > MAX_MESSAGE:
            # A backstop: values are quoted short where they are reported.
            what = what[:MAX_MESSAGE] + "…"
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{what}"

    @property
    def is_error(self) -> bool:
        """Tell whether this problem stops the output it belongs to."""
        return self.severity == "error"


def display_path(path: Path, root: Path | None) -> str:
    """Return *path* relative to *root* when it lies inside it, for messages."""
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


class LeafletsError(Exception):
    """Base class of every error that leaflets reports to a user."""

    exit_code = 1

    def __init__(self, message: str = "", problems: Iterable[Problem] = ()) -> None:
        self.problems = tuple(problems)
        if not message:
            message = "\n".join(str(problem) for problem in self.problems)
        super().__init__(message)


class ConfigError(LeafletsError):
    """The workspace configuration (leaflets.toml) is missing or invalid."""

    exit_code = 2


class DataError(LeafletsError):
    """A condition's metadata or content file is invalid."""


class TemplateError(LeafletsError):
    """A template cannot be loaded, compiled or rendered."""


class CatalogError(LeafletsError):
    """A translation catalog is missing or invalid."""


class FontError(LeafletsError):
    """A leaflet has characters that none of the bundled fonts can print."""


class RenderError(LeafletsError):
    """WeasyPrint could not turn a leaflet into a PDF, or refused a resource."""


class ImportSourceError(LeafletsError):
    """A page given to `leaflets import` cannot be read or understood."""


class MailError(LeafletsError):
    """A message cannot be composed, saved or sent (bad address, SMTP failure, …)."""


class PacketError(LeafletsError):
    """A patient packet cannot be made from the chosen leaflets."""


class WriteError(LeafletsError, OSError):
    """A file could not be written (a full disk, a read-only folder); nothing was half-written.

    Also an OSError, with its ``errno`` and ``strerror``, so that code which
    handles a failed write as an OSError keeps working.
    """

    def __init__(self, message: str, error: OSError) -> None:
        super().__init__(message)
        self.errno = error.errno
        self.strerror = error.strerror

    def __str__(self) -> str:
        # OSError would print "[Errno 28] …" once errno is set.
        return str(self.args[0])
