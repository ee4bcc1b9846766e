"""Turn a leaflet's HTML into PDF bytes with WeasyPrint, loading only workspace files."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import mimetypes
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from .. import images
from ..exceptions import RenderError
from .preflight import PageArea, page_areas

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
        self._refused: list[str] = []

    def start_document(self) -> None:
        """Start recording the files served for one document."""
        self._document = {}
        self._refused = []

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

    def refusals(self) -> list[str]:
        """Return what the current document was refused, in order.

        WeasyPrint swallows every exception raised while it draws an SVG
        image (even a FatalURLFetchingError), so a refusal inside an SVG
        would only leave the image out: the renderer checks this list.
        """
        return list(self._refused)

    def check(self, url: str) -> Path:
        """Return the file *url* names if the policy allows loading it; else raise."""
        parts = urlsplit(url)
        if parts.scheme != "file":
            raise RefusedResource(
                f"refused to load {_quote(url)}: leaflets only uses files inside the workspace"
            )
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.allowed_roots):
            raise RefusedResource(
                f"refused to load {_quote(url)}: the file is outside the workspace"
            )
        return path

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        try:
            if url[:5].lower() == "data:":
                return self._data_image(url)
            return self._fetch(url)
        except RefusedResource as error:
            self._refused.append(str(error))
            raise

    def _data_image(self, url: str) -> URLFetcherResponse:
        """Serve a PNG or JPEG embedded as a ``data:`` address, within images' limits.

        Only SVG files may hold one (check_svg allows it there); it is the
        same image wherever it appears, so serving it elsewhere loads nothing.
        """
        decoded = images.decode_data_image(url)
        why = decoded if isinstance(decoded, str) else images.data_image_problem(url)
        if why is not None or isinstance(decoded, str):
            raise RefusedResource(f"refused to load {_quote(url)}: {why}")
        kind, body = decoded
        return URLFetcherResponse(url, body, {"Content-Type": f"image/{kind.lower()}"})

    def _fetch(self, url: str) -> URLFetcherResponse:
        path = self.check(url)
        try:
            body = path.read_bytes()
        except OSError as error:
            raise RefusedResource(f"cannot load {_quote(url)}: {error.strerror}") from None
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type == "image/svg+xml" or (
            content_type != "text/css" and _looks_like_xml(body)
        ):
            # WeasyPrint parses any image Pillow cannot read as SVG, whatever its name.
            check_svg(body, url, name=self._display(path), check=self.check)
        digest = hashlib.sha256(body).hexdigest()
        self._document[path] = digest
        self._first_served.setdefault(path, digest)
        if content_type == "text/css":
            self._stylesheet_refs[path] = _stylesheet_refs(url, body)
        response = URLFetcherResponse(url, body, {"Content-Type": content_type})
        if content_type.startswith("text/"):
            response.headers.set_param("charset", "utf-8")
        return response

    def _display(self, path: Path) -> str:
        """Return *path* relative to the workspace (the first allowed root) when inside it."""
        root = self.allowed_roots[0]
        return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _quote(value: str, limit: int = 80) -> str:
    """Quote *value* for a message, cut in the middle to about *limit* characters.

    The middle goes: a URL's scheme and its file name both tell the reader something.
    """
    if len(value) > limit:
        value = value[: limit // 3] + "…" + value[-(limit - limit // 3 - 1) :]
    return repr(value)


def _looks_like_xml(body: bytes) -> bool:
    return body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def check_svg(body: bytes, url: str, *, name: str, check: Callable[[str], object]) -> None:
    """Refuse an SVG file as images.check_svg does; *check* raises RefusedResource to refuse.

    Raise RefusedResource naming *name* and the line.
    """

    def reason(address: str) -> str | None:
        try:
            check(address)
        except RefusedResource as error:
            return str(error)
        return None

    try:
        images.check_svg(body, url, name=name, check=reason)
    except images.SvgRefused as error:
        raise RefusedResource(str(error)) from None


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


#: How WeasyPrint starts the warning it gives for every font it subsets with fontTools.
_FONTTOOLS_WARNING = "Using fontTools instead of HarfBuzz-Subset"


class _Collector(logging.Handler):
    """Keep WeasyPrint's warnings about one leaflet, to re-log them with its name.

    The fontTools fallback is about the machine, not the leaflet, and comes
    once per font of every PDF: it is noted, and the build says it once.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.fonttools = False

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(_FONTTOOLS_WARNING):
            self.fonttools = True
        else:
            self.messages.append(message)


def harfbuzz_subset_problem() -> str:
    """Return why WeasyPrint cannot subset fonts with HarfBuzz here (it uses fontTools), or "".

    The same test as WeasyPrint's own (weasyprint/pdf/fonts.py): the library
    must load, and HarfBuzz must be 4.1.0 or newer.
    """
    from weasyprint.pdf import fonts

    if fonts.harfbuzz_subset is None:
        return "the HarfBuzz-Subset library (libharfbuzz-subset) is not installed"
    if not fonts.harfbuzz.hb_version_atleast(4, 1, 0):
        version = fonts.ffi.string(fonts.harfbuzz.hb_version_string()).decode()
        return f"HarfBuzz {version} is older than 4.1.0"
    return ""


@contextlib.contextmanager
def fixed_source_date(epoch: int) -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH to *epoch* for the duration, then restore the environment.

    fontTools stamps the current time into every font it subsets (the
    ``head`` table's modified date) unless this variable is set.
    """
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if saved is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


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
    #: Why fonts were subset with fontTools instead of HarfBuzz ("" when they were not).
    font_fallback: str = ""
    #: Each page's content area and what opens it, for the preflight.
    areas: tuple[PageArea, ...] = ()


class Renderer:
    """Render many leaflets in one process, sharing one font configuration."""

    def __init__(self, *, allowed_roots: list[Path], pdf_variant: str) -> None:
        self.fetcher = WorkspaceFetcher(allowed_roots)
        self.font_config = FontConfiguration()
        self.pdf_variant = pdf_variant

    def render(
        self,
        html: str,
        *,
        base_url: str,
        name: str,
        source_date_epoch: int = 0,
        extra_css: str = "",
    ) -> Rendered:
        """Render *html* into PDF bytes; *name* labels the leaflet in messages.

        *source_date_epoch* (seconds since 1970, from the data, never the
        clock) is the date fontTools writes into fonts it subsets.
        *extra_css* is layered over the document's stylesheets (a handout
        being fitted to its sheet, see fitting.py).
        """
        collector = _Collector()
        weasy_logger = logging.getLogger("weasyprint")
        weasy_logger.addHandler(collector)
        self.fetcher.start_document()
        try:
            with fixed_source_date(source_date_epoch):
                extra = [weasyprint.CSS(string=extra_css)] if extra_css else None
                document = weasyprint.HTML(
                    string=html, base_url=base_url, url_fetcher=self.fetcher
                ).render(
                    stylesheets=extra, font_config=self.font_config, pdf_variant=self.pdf_variant
                )
                pdf = document.write_pdf(pdf_variant=self.pdf_variant, pdf_identifier=True)
            refused = self.fetcher.refusals()
            if refused:
                # Refused inside an SVG image, where WeasyPrint swallowed it.
                raise RefusedResource(refused[0])
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
            font_fallback=harfbuzz_subset_problem() if collector.fonttools else "",
            areas=page_areas(document),
        )
