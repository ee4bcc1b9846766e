"""Write output files atomically, and let one build at a time write into an output folder."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from .exceptions import LeafletsError, WriteError, display_path

#: The file in an output folder that builds lock while they write there.
LOCK_NAME = ".leaflets.lock"


def _write_fd(handle: int, data: bytes) -> None:
    """Write all of *data* to the open file *handle* (os.write may write only a part)."""
    view = memoryview(data)
    while view:
        written = os.write(handle, view)
        view = view[written:]


def _missing_folders(folder: Path) -> list[Path]:
    """Return *folder* and those of its parents that do not exist yet, outermost first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing[::-1]


def _remove_folders(folders: list[Path]) -> None:
    """Remove the *folders* this write created, innermost first, when they are still empty."""
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _temporary(path: Path, data: bytes) -> str:
    """Write *data* to a new temporary file beside *path*, flushed to disk; return its name."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        try:
            _write_fd(handle, data)
            os.fsync(handle)
        finally:
            os.close(handle)
        os.chmod(temporary, 0o644)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return temporary


def _write_error(shown: str, error: OSError) -> WriteError:
    return WriteError(f"{shown}: cannot be written ({error.strerror}); nothing was changed", error)


def atomic_write(path: Path, data: bytes, *, overwrite: bool = True, shown: str = "") -> None:
    """Write *data* to *path* through a temporary file in the same folder.

    The temporary file is renamed over *path* only once it is complete and
    flushed to disk, so readers see the old file or the new one, never a part.
    Without *overwrite*, an existing *path* is left alone and refused, even
    one that appears while writing. Raises WriteError (an OSError too), whose
    message names the file as *shown* (default: its path), when the disk is
    full or the folder cannot be written; folders this call created are
    removed again.
    """
    atomic_write_all([(path, data)], overwrite=overwrite, shown=shown)


def atomic_write_all(
    files: Sequence[tuple[Path, bytes]],
    *,
    overwrite: bool = True,
    shown: str = "",
    root: Path | None = None,
) -> None:
    """Write several files so that either all of them change or none does.

    Every file is written to a temporary one first; only when all are
    complete are they renamed into place (a rename needs no disk space).
    Messages name a file relative to *root* when given.
    """
    created: list[Path] = []
    temporaries: list[tuple[str, Path]] = []
    current = files[0][0] if files else Path()
    try:
        for path, data in files:
            current = path
            missing = _missing_folders(path.parent)
            path.parent.mkdir(parents=True, exist_ok=True)
            created.extend(missing)
            temporaries.append((_temporary(path, data), path))
        for temporary, path in temporaries:
            current = path
            if overwrite:
                os.replace(temporary, path)
            else:
                # link() fails when the name exists, which a rename would not.
                os.link(temporary, path)
                os.unlink(temporary)
    except OSError as error:
        _clean(temporaries, created)
        name = shown or display_path(current, root)
        if isinstance(error, FileExistsError) and not overwrite:
            raise WriteError(f"{name}: already exists; not overwriting it", error) from None
        raise _write_error(name, error) from None
    except BaseException:
        _clean(temporaries, created)
        raise


def _clean(temporaries: list[tuple[str, Path]], created: list[Path]) -> None:
    for temporary, _ in temporaries:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    _remove_folders(created)


def append_line(path: Path, line: bytes, *, shown: str = "") -> None:
    """Append *line* to *path* whole, or leave the file as it was and raise WriteError.

    On a full disk a part of the line may reach the file before the error:
    it is cut off again, so a log never holds half a record.
    """
    try:
        handle = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as error:
        raise _write_error(shown or str(path), error) from None
    try:
        size = os.fstat(handle).st_size
        try:
            _write_fd(handle, line)
            os.fsync(handle)
        except OSError as error:
            with contextlib.suppress(OSError):
                os.ftruncate(handle, size)
            raise _write_error(shown or str(path), error) from None
    finally:
        os.close(handle)


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
