"""Write output files atomically, and let one build at a time write into an output folder."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from .exceptions import LeafletsError

#: The file in an output folder that builds lock while they write there.
LOCK_NAME = ".leaflets.lock"


def atomic_write(path: Path, data: bytes) -> None:
    """Write *data* to *path* through a temporary file in the same folder.

    The temporary file is renamed over *path* only once it is complete and
    flushed to disk, so readers see the old file or the new one, never a part.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def locked_folder(folder: Path, *, on_wait: Callable[[], None], shown: str = "") -> Iterator[None]:
    """Hold an exclusive lock on *folder*, creating it; call *on_wait* once if it is taken.

    *shown* is how messages name the folder (default: its path).

    The lock is an ``flock`` on a file inside the folder, so it is released
    when the holder exits in any way, ``kill -9`` included. The lock file is
    deleted on the way out, and a folder this call created is removed again
    if nothing was put in it.
    """
    created = not folder.is_dir()
    path = folder / LOCK_NAME
    waited = False
    while True:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as error:
            reason = "it is a file" if folder.is_file() else error.strerror
            raise LeafletsError(
                f"{shown or folder}: cannot be used as the output folder ({reason})"
            ) from None
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not waited:
                    on_wait()
                    waited = True
                fcntl.flock(handle, fcntl.LOCK_EX)
            # The build before may have removed the lock file along with the
            # empty folder it had created: lock the file that is there now.
            try:
                current = os.path.samestat(os.fstat(handle), os.stat(path))
            except FileNotFoundError:
                current = False
        except BaseException:
            os.close(handle)
            raise
        if current:
            break
        os.close(handle)
    try:
        with _exit_on_sigterm():
            yield
    finally:
        # Deleted while still locked: a build waiting for it finds, once it
        # gets the lock, that the file is gone, and locks a new one (above).
        with contextlib.suppress(OSError):
            os.unlink(path)
        if created:
            with contextlib.suppress(OSError):
                os.rmdir(folder)  # Only when empty.
        os.close(handle)


@contextlib.contextmanager
def _exit_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into SystemExit meanwhile, so that cleanup runs (the lock file goes).

    Python's default for SIGTERM ends the process at once, skipping every
    ``finally``. Only the main thread can set a handler, and only the
    default one is replaced: a program embedding leaflets keeps its own.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
