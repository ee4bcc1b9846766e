"""Watch a workspace's inputs and rebuild what each edit affects, until stopped."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..exceptions import LeafletsError
from ..workspace import Workspace

logger = logging.getLogger(__name__)

#: How long the files must stay quiet before a rebuild, in milliseconds: an
#: editor's save (write, rename, touch) then gives one rebuild, not three.
DEBOUNCE_MS = 300
#: How often the watcher wakes up with no change, to start the first build and
#: to notice a stop request.
TICK_MS = 200


def watch(
    open_workspace: Callable[[], Workspace],
    build_once: Callable[[Workspace], object],
    *,
    root: Path,
    on_changes: Callable[[list[Path]], None],
    on_error: Callable[[Exception], None],
    stop: threading.Event | None = None,
    debounce: int = DEBOUNCE_MS,
) -> None:
    """Build now, then again after every change to the workspace, until *stop* or Ctrl-C.

    Each build is incremental, so it redoes only what the change affects. A
    build that cannot even start (say, leaflets.toml was saved half-edited)
    is reported to *on_error*, and watching goes on.
    """
    import watchfiles

    workspace = _open(open_workspace, on_error)
    # Build only once the watcher runs, so that no edit made during a build
    # goes unseen: the watcher keeps the changes until the next round.
    pending = True
    try:
        while True:
            paths, ignored = _watched(root, workspace)
            logger.debug("watching %s, ignoring %s", paths, ignored)
            rounds = watchfiles.watch(
                *paths,
                watch_filter=watchfiles.DefaultFilter(ignore_paths=[str(p) for p in ignored]),
                debounce=debounce,
                stop_event=stop,
                yield_on_timeout=True,
                rust_timeout=TICK_MS,
            )
            for changes in rounds:
                changed = _changed_paths(changes, added=watchfiles.Change.added)
                if changed:
                    on_changes(changed)
                    pending = True
                if not pending:
                    continue
                pending = False
                opened = _open(open_workspace, on_error)
                if opened is not None:
                    workspace = opened
                    try:
                        build_once(workspace)
                    except (LeafletsError, OSError) as error:
                        on_error(error)
                if _watched(root, workspace) != (paths, ignored):
                    pending = True  # For what changes while the watcher restarts.
                    break  # Folders moved in leaflets.toml: watch the new ones.
            else:
                return  # Stopped.
    except KeyboardInterrupt:
        return


def _changed_paths(changes: set[tuple[Any, str]], *, added: Any) -> list[Path]:
    """Return the paths that changed, without files both created and deleted since.

    Editors and tools such as sed write a temporary file and rename it over
    the one they edit: that file is no change to the workspace.
    """
    kinds: dict[str, set[Any]] = {}
    for change, path in changes:
        kinds.setdefault(path, set()).add(change)
    return sorted(
        Path(path) for path, kind in kinds.items() if added not in kind or os.path.exists(path)
    )


def _open(
    open_workspace: Callable[[], Workspace], on_error: Callable[[Exception], None]
) -> Workspace | None:
    """Open the workspace; report an error instead of raising it."""
    try:
        return open_workspace()
    except (LeafletsError, OSError) as error:
        on_error(error)
        return None


def _watched(root: Path, workspace: Workspace | None) -> tuple[list[Path], list[Path]]:
    """Return the folders to watch and the ones to ignore (where outputs are written)."""
    folders = [root]
    ignored = [root / "build"]
    if workspace is not None:
        config = workspace.config
        candidates = [config.data_dir]
        for kind in ("templates", "styles", "locales"):
            candidates.extend(workspace.search_path(kind))
        for folder in candidates:
            if folder.is_dir() and not any(folder.is_relative_to(f) for f in folders):
                folders.append(folder)
        ignored = [config.output_dir]
    return folders, ignored
