"""Keep what is derived from an input file between builds, found again by the hash of its bytes.

Parsing a content file (YAML front matter, Markdown, readability) and
extracting the templates' messages cost far more than hashing their bytes,
and give the same result for the same bytes. The results are kept in
``<output folder>/.cache/``, one JSON file per input file, holding the hash
of the bytes it was derived from and a *salt*: the versions of leaflets and
of the libraries that shape the result, and a hash of the code that derives
it. A file whose hash or salt differs, or that cannot be read or decoded, is
ignored and derived again: the cache never changes a result, only its speed.

JSON, not pickle: unpickling runs code, and the cache is a file any program
that can write the output folder could replace.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .. import __version__

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: The folder of the cache, inside the output folder.
CACHE_FOLDER = ".cache"
#: Bumped whenever what an entry holds changes shape.
FORMAT = 1
#: Code whose changes make every entry stale (the content stage, the configuration
#: checks it calls, i18n, characters, this module).
_CODE = (
    "content",
    "config",
    "i18n.py",
    "characters.py",
    "engine/cache.py",
    "engine/loading.py",
)


def salt(libraries: dict[str, str]) -> str:
    """Return the salt of this leaflets: its version, *libraries*' versions, its code's hash."""
    package = Path(__file__).resolve().parent.parent
    hasher = hashlib.sha256(f"{FORMAT}\0{__version__}\0".encode())
    hasher.update(json.dumps(libraries, sort_keys=True).encode())
    for name in _CODE:
        path = package / name
        files = sorted(path.glob("*.py")) if path.is_dir() else [path]
        for file in files:
            with contextlib.suppress(OSError):
                hasher.update(file.name.encode() + b"\0" + file.read_bytes())
    return hasher.hexdigest()


def key_of(*parts: str | bytes) -> str:
    """Return the SHA-256 of *parts*, each separated from the next."""
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode() if isinstance(part, str) else part)
        hasher.update(b"\0")
    return hasher.hexdigest()


class DerivedCache:
    """Entries by kind and name, each valid for one key; writes wait for flush()."""

    def __init__(self, output_dir: Path, *, salt: str) -> None:
        self.folder = output_dir / CACHE_FOLDER
        self.salt = salt
        self._pending: dict[Path, bytes] = {}
        #: How many entries were found and how many were derived again, for tests and logs.
        self.hits = 0
        self.misses = 0

    def _path(self, kind: str, name: str) -> Path:
        # Names are hashed: a path or a condition name never becomes a file name.
        return self.folder / kind / f"{key_of(name)[:32]}.json"

    def get(self, kind: str, name: str, key: str, decode: Callable[[Any], T]) -> T | None:
        """Return *decode* of the value stored for *name*, if it was derived from *key*.

        None when there is none, or when *decode* finds it the wrong shape
        (raising KeyError, TypeError, ValueError, AttributeError or IndexError).
        """
        path = self._path(kind, name)
        try:
            with path.open("rb") as stream:
                entry = json.load(stream)
        except FileNotFoundError:
            entry = None
        except (OSError, ValueError) as error:
            logger.debug("%s: ignored, unreadable (%s)", path, error)
            entry = None
        if (
            isinstance(entry, dict)
            and entry.get("salt") == self.salt
            and entry.get("key") == key
            and "value" in entry
        ):
            try:
                value = decode(entry["value"])
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
                logger.debug("%s: ignored, not a valid entry (%s)", path, error)
            else:
                self.hits += 1
                return value
        self.misses += 1
        return None

    def put(self, kind: str, name: str, key: str, value: Any) -> None:
        """Keep *value* for *name*, derived from *key*, to be written by flush()."""
        entry = {"salt": self.salt, "key": key, "value": value}
        self._pending[self._path(kind, name)] = json.dumps(entry, ensure_ascii=False).encode()

    def flush(self) -> None:
        """Write the entries put since the last flush; a write that fails is only logged.

        The build calls this once outputs are being written: a build that
        fails in phase one leaves nothing behind, not even a cache.
        """
        pending, self._pending = self._pending, {}
        for path, data in pending.items():
            try:
                _replace(path, data)
            except OSError as error:
                logger.debug("%s: not written (%s)", path, error.strerror)


def _replace(path: Path, data: bytes) -> None:
    """Write *data* to *path* through a temporary file renamed over it.

    No fsync, unlike output.atomic_write: an entry cut short by a power cut
    is invalid JSON, which get() ignores; a build need not wait for the disk.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
