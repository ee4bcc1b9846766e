"""Give the desk current PDFs: build through the incremental build under a lock; draw thumbnails."""

from __future__ import annotations

import contextlib
import io
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..config import STANDARD, Config
from ..exceptions import LeafletsError
from ..workspace import Workspace

logger = logging.getLogger(__name__)

LOCK_NAME = ".leaflets-desk.lock"
#: Thumbnails kept in memory at most.
MAX_THUMBNAILS = 256


@dataclass(frozen=True)
class Kind:
    """What the desk offers for a condition: a template in a print variant."""

    id: str
    template: str
    variant: str = STANDARD


def kinds(config: Config) -> dict[str, Kind]:
    """Return the kinds the workspace builds, by id ("leaflet", "leaflet-large-print")."""
    found = {}
    for variant in config.variants:
        for template in config.templates:
            name = template if variant == STANDARD else f"{template}-{variant}"
            found[name] = Kind(name, template, variant)
    return found


class Builder:
    """Build one output at a time, so that concurrent requests never corrupt the output folder.

    A thread lock serialises this process's requests; a lock file in the
    output folder (where the platform has flock) serialises several desks
    serving the same workspace.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def locked(self, workspace: Workspace) -> Iterator[None]:
        """Hold the build lock of *workspace* (for building, composing emails and packets)."""
        with self._lock:
            folder = workspace.config.output_dir
            folder.mkdir(parents=True, exist_ok=True)
            try:
                import fcntl
            except ImportError:  # pragma: no cover - not POSIX
                yield
                return
            with (folder / LOCK_NAME).open("a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def pdf(self, workspace: Workspace, slug: str, lang: str, kind: Kind) -> Path:
        """Bring one output up to date and return its path; raise LeafletsError when it fails.

        *slug*, *lang* and *kind* must already have been looked up in the
        workspace: they name a job, and the build makes the path from them.
        """
        from ..engine.build import build

        with self.locked(workspace):
            report = build(
                workspace,
                conditions=[slug],
                languages=[lang],
                templates=[kind.template],
                variants=[kind.variant],
                jobs=1,
            )
        wanted = (slug, lang, kind.template, kind.variant)
        for outcome in report.outcomes:
            job = outcome.job
            if (job.condition, job.lang, job.template, job.variant) != wanted:
                continue
            if outcome.status in ("built", "unchanged"):
                output = job.output.resolve()
                if not output.is_relative_to(workspace.config.output_dir) or not output.is_file():
                    break
                return output
            raise LeafletsError(f"{job.name}: {outcome.reason or outcome.status}")
        raise LeafletsError(f"{slug}.{lang}.{kind.id}: the build did not produce it")


class Thumbnails:
    """Draw PDF pages as PNG images with pdfium, keeping recent ones in memory."""

    def __init__(self) -> None:
        # pdfium is not thread-safe: one page at a time.
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[bytes, int, int], bytes] = OrderedDict()

    def count(self, path: Path) -> int:
        """Return how many pages the PDF at *path* has."""
        import pypdfium2

        with self._lock:
            document = pypdfium2.PdfDocument(path.read_bytes())
            try:
                return len(document)
            finally:
                document.close()

    def png(self, path: Path, page: int, *, width: int = 300) -> bytes | None:
        """Return page *page* (0-based) of the PDF at *path* as a PNG *width* pixels wide.

        Return None when the PDF has no such page.
        """
        import hashlib

        import pypdfium2

        data = path.read_bytes()
        key = (hashlib.sha256(data).digest(), page, width)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            document = pypdfium2.PdfDocument(data)
            try:
                if not 0 <= page < len(document):
                    return None
                pdf_page = document[page]
                scale = width / pdf_page.get_width()
                image = pdf_page.render(scale=scale).to_pil()
                buffer = io.BytesIO()
                image.save(buffer, format="PNG", optimize=True)
                pdf_page.close()
            finally:
                document.close()
            self._cache[key] = buffer.getvalue()
            while len(self._cache) > MAX_THUMBNAILS:
                self._cache.popitem(last=False)
            return buffer.getvalue()
