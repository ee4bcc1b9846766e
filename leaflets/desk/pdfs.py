"""Name what the desk offers for a condition (a template in a variant), and draw PDF pages."""

from __future__ import annotations

import io
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from ..config import STANDARD, Config

logger = logging.getLogger(__name__)

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
