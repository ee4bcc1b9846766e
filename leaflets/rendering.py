"""Turn a leaflet's HTML into PDF bytes with WeasyPrint, loading only workspace files."""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from .exceptions import RenderError

logger = logging.getLogger(__name__)


class RefusedResource(FatalURLFetchingError):  # type: ignore[misc]
    """A leaflet asked for a resource outside the workspace; rendering stops."""


class WorkspaceFetcher(URLFetcher):  # type: ignore[misc]
    """Serve ``file:`` URLs inside the allowed folders, and refuse everything else.

    Raising a FatalURLFetchingError (not a plain exception) matters:
    WeasyPrint turns other fetch errors into a warning and prints the leaflet
    without the image, which is not acceptable for a patient leaflet.
    """

    def __init__(self, allowed_roots: list[Path]) -> None:
        super().__init__()
        self.allowed_roots = [root.resolve() for root in allowed_roots]
        #: The SHA-256 of the first bytes served for each file, and the files
        #: each stylesheet refers to, over the fetcher's whole life.
        self._first_served: dict[Path, str] = {}
        self._stylesheet_refs: dict[Path, tuple[Path, ...]] = {}
        self._document: dict[Path, str] = {}

    def start_document(self) -> None:
        """Start recording the files served for one document."""
        self._document = {}

    def document_files(self) -> dict[Path, str]:
        """Return every file the current document used, with the SHA-256 of its bytes.

        WeasyPrint loads a font into the shared FontConfiguration once and
        never fetches it again, so the fonts a document's stylesheets name
        are counted too, with the hash of the bytes that were loaded.
        """
        used = dict(self._document)
        for stylesheet in [path for path in used if path in self._stylesheet_refs]:
            for path in self._stylesheet_refs[stylesheet]:
                if path not in used and path in self._first_served:
                    used[path] = self._first_served[path]
        return used

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file":
            raise RefusedResource(
                f"refused to load {url!r}: leaflets only uses files inside the workspace"
            )
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.allowed_roots):
            raise RefusedResource(f"refused to load {url!r}: the file is outside the workspace")
        try:
            body = path.read_bytes()
        except OSError as error:
            raise RefusedResource(f"cannot load {url!r}: {error.strerror}") from None
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        digest = hashlib.sha256(body).hexdigest()
        self._document[path] = digest
        self._first_served.setdefault(path, digest)
        if content_type == "text/css":
            self._stylesheet_refs[path] = _stylesheet_refs(url, body)
        response = URLFetcherResponse(url, body, {"Content-Type": content_type})
        if content_type.startswith("text/"):
            response.headers.set_param("charset", "utf-8")
        return response


_CSS_URL = re.compile(
    rb"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')"""
)


def _stylesheet_refs(url: str, css: bytes) -> tuple[Path, ...]:
    """Return the local files a stylesheet refers to with url() or @import."""
    paths = []
    for groups in _CSS_URL.findall(css):
        reference = next((group for group in groups if group), b"").decode("utf-8", "replace")
        parts = urlsplit(urljoin(url, reference))
        if parts.scheme == "file":
            paths.append(Path(unquote(parts.path)).resolve())
    return tuple(paths)


class _Collector(logging.Handler):
    """Keep WeasyPrint's warnings about one leaflet, to re-log them with its name."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@dataclass(frozen=True)
class Rendered:
    """A rendered PDF and what is worth knowing about it."""

    pdf: bytes
    pages: int
    warnings: tuple[str, ...]
    #: Every file the leaflet used (stylesheets, fonts, images), with its SHA-256.
    files: dict[Path, str]
    #: The page (from 1) each element id first appears on.
    anchors: dict[str, int] = field(default_factory=dict)


class Renderer:
    """Render many leaflets in one process, sharing one font configuration."""

    def __init__(self, *, allowed_roots: list[Path], pdf_variant: str) -> None:
        self.fetcher = WorkspaceFetcher(allowed_roots)
        self.font_config = FontConfiguration()
        self.pdf_variant = pdf_variant

    def render(self, html: str, *, base_url: str, name: str) -> Rendered:
        """Render *html* into PDF bytes; *name* labels the leaflet in messages."""
        collector = _Collector()
        weasy_logger = logging.getLogger("weasyprint")
        weasy_logger.addHandler(collector)
        self.fetcher.start_document()
        try:
            document = weasyprint.HTML(
                string=html, base_url=base_url, url_fetcher=self.fetcher
            ).render(font_config=self.font_config, pdf_variant=self.pdf_variant)
            pdf = document.write_pdf(pdf_variant=self.pdf_variant, pdf_identifier=True)
        except RefusedResource as error:
            raise RenderError(f"{name}: {error}") from None
        except Exception as error:  # WeasyPrint bugs must not stop the batch.
            raise RenderError(
                f"{name}: WeasyPrint failed: {type(error).__name__}: {error}"
            ) from error
        finally:
            weasy_logger.removeHandler(collector)
        for message in collector.messages:
            logger.warning("%s: %s", name, message)
        anchors: dict[str, int] = {}
        for number, page in enumerate(document.pages, start=1):
            for anchor in page.anchors:
                anchors.setdefault(anchor, number)
        return Rendered(
            pdf=pdf,
            pages=len(document.pages),
            warnings=tuple(collector.messages),
            files=self.fetcher.document_files(),
            anchors=anchors,
        )
