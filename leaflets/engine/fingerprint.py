"""Fingerprint each output from the bytes of every input that shapes it, without parsing any.

A fingerprint is a SHA-256 over:

- the versions of leaflets and of the libraries that shape a PDF;
- the configuration a leaflet shows (the clinic, the paper, the PDF variant,
  the configured print variants);
- the stylesheet files the templates can link to, by name and path;
- the job's name, its ``condition.yaml`` and ``<lang>.md``, the language's
  catalog, and the template with every template it extends, includes or imports;
- its print variant (with the large-print size), and which configured
  languages its condition has content in (the "also available in" notice);
- every file WeasyPrint loaded for it (stylesheets, fonts, the logo, images),
  as recorded in the manifest when it was built.

Everything but the last part is found from file names and contents alone, so
that deciding a build has nothing to do costs no Jinja, YAML, Markdown or
WeasyPrint import.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from .. import __version__
from ..config import STANDARD, TEMPLATES
from ..workspace import Workspace, content_languages, is_inside

#: The libraries whose version can change what a PDF looks like.
RENDERING_PACKAGES = (
    "weasyprint",
    "pydyf",
    "tinycss2",
    "cssselect2",
    "fonttools",
    "jinja2",
    "markupsafe",
    "babel",
    "markdown-it-py",
)

# The same names as conditions.METADATA_NAME and i18n.catalog_path(): importing
# those modules costs Markdown, YAML and Babel's catalog machinery, more than a
# whole no-op build may take. tests/test_incremental.py keeps them in step.
METADATA_NAME = "condition.yaml"
CATALOG_PATH = "{lang}/LC_MESSAGES/messages.po"


_TEMPLATE_TAG = re.compile(r"\{%[-+]?\s*(?:extends|include|import|from)\b(.*?)[-+]?%\}", re.S)
# A tag names its templates statically when its argument is a string or a list
# of strings, followed only by the keywords Jinja allows there.
_STATIC_ARGUMENT = re.compile(
    r"""\s*(?P<names>"[^"]*"|'[^']*'|\[(?:\s*(?:"[^"]*"|'[^']*')\s*,?)*\s*\])"""
    r"""\s*(?:ignore\s+missing\s*)?(?:(?:with|without)\s+context\s*)?(?:(?:import|as)\b.*)?\Z""",
    re.S,
)
_STRING = re.compile(r""""([^"]*)"|'([^']*)'""")

#: The digest of a file that does not exist.
MISSING = "missing"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
#: The digest of a file whose real path is outside the workspace and the theme.
OUTSIDE = "outside the workspace"


def installed_versions(names: Iterable[str] = RENDERING_PACKAGES) -> dict[str, str]:
    """Return the installed version of each distribution in *names* ("" when not found).

    Read from the ``<name>-<version>.dist-info`` folder names: importing
    importlib.metadata alone costs about 30 ms, a no-op build's whole budget.
    """
    wanted = {_normalize(name): name for name in names}
    found = dict.fromkeys(names, "")
    for folder in sys.path:
        try:
            entries = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in entries:
            stem, dot, suffix = entry.rpartition(".")
            if not dot or suffix not in ("dist-info", "egg-info"):
                continue
            distribution, _, version = stem.partition("-")
            name = wanted.get(_normalize(distribution))
            if name is not None and not found[name]:
                found[name] = version
    return found


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def referenced_templates(source: str) -> tuple[list[str], bool]:
    """Return the templates *source* extends, includes or imports, and whether any is dynamic.

    A tag whose template name is an expression (``{% extends layout %}``)
    makes the result dynamic: the caller must then assume every template.
    """
    names: list[str] = []
    dynamic = False
    for match in _TEMPLATE_TAG.finditer(source):
        argument = _STATIC_ARGUMENT.match(match.group(1))
        if argument is None:
            dynamic = True
            continue
        names.extend(a or b for a, b in _STRING.findall(argument.group("names")))
    return names, dynamic


class JobInputs:
    """The files found by name that shape one job, and their part of its fingerprint."""

    __slots__ = ("part", "paths")

    def __init__(self, paths: tuple[str, ...], part: bytes) -> None:
        self.paths = paths
        #: Each file's name and SHA-256, as they enter the fingerprint.
        self.part = part


class Fingerprinter:
    """Compute fingerprints for one build, hashing each file at most once.

    Paths are plain strings here: this runs for every output of every
    build, and pathlib costs several times more than os.path.
    """

    def __init__(self, workspace: Workspace, *, stylesheets: Mapping[str, Path]) -> None:
        self.workspace = workspace
        self.root = str(workspace.root)
        self._prefix = os.path.join(self.root, "")
        self._digests: dict[str, str] = {}
        self._parts: dict[str, bytes] = {}
        self._data: dict[tuple[str, str], JobInputs] = {}
        self._theme: dict[tuple[str, str], JobInputs] = {}
        self._available: dict[str, bytes] = {}
        self._resources: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = {}
        self._resource_parts: dict[tuple[tuple[str, str], ...], bytes] = {}
        self._template_dirs = workspace.search_path("templates")
        self._trusted = workspace.trusted_roots()
        self._trusted_names = {str(root) for root in self._trusted}
        self._trusted_prefixes = tuple(os.path.join(str(root), "") for root in self._trusted)
        self._folders: dict[str, bool] = {}
        self._locale_dirs = workspace.search_path("locales")
        config = workspace.config
        # Paths as the manifest writes them, so that a workspace can move.
        clinic = {
            field: self.display(str(value)) if isinstance(value, Path) else value or ""
            for field, value in vars(config.clinic).items()
        }
        shared = {
            "tool": {"leaflets": __version__, **installed_versions()},
            "clinic": clinic,
            "paper": config.paper,
            "pdf_variant": config.pdf_variant,
            "locales": config.locales,
            "variants": list(config.variants),
            "stylesheets": {name: self.display(str(path)) for name, path in stylesheets.items()},
        }
        self._shared = json.dumps(shared, sort_keys=True).encode()
        self._languages = config.languages
        # Only large print shows the size: changing it rebuilds nothing else.
        self._large_print_size = config.large_print_size

    def display(self, path: str) -> str:
        """Return how *path* is written in the manifest: relative to the workspace if inside."""
        if path.startswith(self._prefix):
            return path[len(self._prefix) :].replace(os.sep, "/")
        return path

    def resolve(self, shown: str) -> str:
        """Return the path a manifest entry names (the inverse of display)."""
        return shown if os.path.isabs(shown) else os.path.join(self.root, shown)

    def digest(self, path: str) -> str:
        """Return the SHA-256 of *path*'s bytes, or a marker when it cannot be read.

        A file whose real path (symlinks resolved) is outside the workspace
        and the built-in theme is never read: a hostile manifest or symlink
        must not make a build read /etc/shadow, even only to hash it.
        """
        found = self._digests.get(path)
        if found is None:
            found = self._digests[path] = self._hash(path)
        return found

    def _hash(self, path: str) -> str:
        folder = path.rpartition(os.sep)[0] or os.sep
        trusted = self._folders.get(folder)
        if trusted is None:
            trusted = self._trusted_folder(folder)
        if not trusted:
            return MISSING if not os.path.lexists(path) else OUTSIDE
        try:
            # O_NOFOLLOW: a symlink is opened only once its target is known to be inside.
            descriptor = os.open(path, os.O_RDONLY | _NOFOLLOW)
        except FileNotFoundError:
            return MISSING
        except OSError as error:
            if not (os.path.islink(path) and is_inside(path, self._trusted)):
                return OUTSIDE if os.path.islink(path) else f"unreadable ({error.strerror})"
            try:
                descriptor = os.open(path, os.O_RDONLY)
            except OSError as error:
                return MISSING if isinstance(error, FileNotFoundError) else OUTSIDE
        with open(descriptor, "rb") as stream:
            try:
                return hashlib.sha256(stream.read()).hexdigest()
            except OSError as error:
                return f"unreadable ({error.strerror})"

    def _trusted_folder(self, folder: str) -> bool:
        """Tell whether *folder* really is inside the workspace or the theme.

        realpath() costs tens of microseconds a file, a no-op build's whole
        budget over hundreds of files: walk down from the (real) roots
        instead, one cached lstat per folder.
        """
        found = self._folders.get(folder)
        if found is None:
            parent = folder.rpartition(os.sep)[0] or os.sep
            if folder in self._trusted_names:
                found = True
            elif parent != folder and any(folder.startswith(p) for p in self._trusted_prefixes):
                found = self._trusted_folder(parent) and not os.path.islink(folder)
            else:
                found = is_inside(folder, self._trusted)
            self._folders[folder] = found
        return found

    def inputs(self, folder: str, lang: str, template: str, variant: str = STANDARD) -> JobInputs:
        """Return the files found by name that shape one job, in a fixed order.

        They are its ``condition.yaml`` and ``<lang>.md`` in *folder*, the
        catalog of *lang*, and the template with every template it uses;
        the part also holds the print *variant* and the languages *folder*
        has content in.
        """
        data = self._data.get((folder, lang))
        if data is None:
            paths = (os.path.join(folder, METADATA_NAME), os.path.join(folder, f"{lang}.md"))
            data = self._data[folder, lang] = self._join(paths)
        theme = self._theme.get((lang, template))
        if theme is None:
            found = (self._catalog(lang), *self._template_closure(TEMPLATES[template]["file"]))
            theme = self._theme[lang, template] = self._join(tuple(str(p) for p in found))
        available = self._available.get(folder)
        if available is None:
            languages = ",".join(content_languages(folder, self._languages))
            available = self._available[folder] = f"\0available\0{languages}".encode()
        part = data.part + theme.part + available
        if variant != STANDARD:
            part += f"\0variant\0{variant}\0{self._large_print_size!r}".encode()
        return JobInputs(data.paths + theme.paths, part)

    def fingerprint(
        self, name: str, inputs: JobInputs, resources: Iterable[tuple[str, str]]
    ) -> str:
        """Return the fingerprint of job *name* from its *inputs* and the *resources* it loaded.

        *resources* pairs each file WeasyPrint loaded, as display() writes it,
        with the SHA-256 of its bytes.
        """
        resources = tuple(sorted(resources))
        part = self._resource_parts.get(resources)
        if part is None:
            text = "".join(f"\0resource\0{shown}\0{digest}" for shown, digest in resources)
            part = self._resource_parts[resources] = text.encode()
        hasher = hashlib.sha256(self._shared)
        hasher.update(b"\0job\0" + name.encode() + inputs.part + part)
        return hasher.hexdigest()

    def current_resources(self, shown: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
        """Return each file a manifest entry recorded, sorted, with its SHA-256 now."""
        found = self._resources.get(shown)
        if found is None:
            found = tuple(sorted((name, self.digest(self.resolve(name))) for name in shown))
            self._resources[shown] = found
        return found

    def _join(self, paths: tuple[str, ...]) -> JobInputs:
        return JobInputs(paths, b"".join(self._part(path) for path in paths))

    def _part(self, path: str) -> bytes:
        part = self._parts.get(path)
        if part is None:
            part = self._parts[path] = f"\0{self.display(path)}\0{self.digest(path)}".encode()
        return part

    def _catalog(self, lang: str) -> Path:
        """Return the catalog the build will read for *lang* (as i18n.find_catalog)."""
        candidates = [folder / CATALOG_PATH.format(lang=lang) for folder in self._locale_dirs]
        found = next((path for path in candidates if path.is_file()), None)
        # A missing catalog still counts, by the path where it would go.
        return found or self.workspace.root / "locales" / CATALOG_PATH.format(lang=lang)

    def _find_template(self, name: str) -> Path | None:
        for folder in self._template_dirs:
            path = folder / name
            if path.is_file():
                return path
        return None

    def _template_closure(self, name: str) -> tuple[Path, ...]:
        """Return *name* and every template it uses, as Jinja will find them."""
        paths: list[Path] = []
        seen: set[str] = set()
        pending = [name]
        dynamic = False
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            path = self._find_template(current)
            if path is None:
                # Counted by name, so that creating it later changes the fingerprint.
                paths.append(
                    self._template_dirs[0] / current if self._template_dirs else Path(current)
                )
                continue
            paths.append(path)
            if self.digest(str(path)) in (MISSING, OUTSIDE):
                continue  # The build reports it; never read it.
            try:
                source = path.read_bytes().decode("utf-8", errors="replace")
            except OSError:
                continue
            names, is_dynamic = referenced_templates(source)
            dynamic = dynamic or is_dynamic
            pending.extend(names)
        if dynamic:
            paths = sorted(
                {
                    path
                    for folder in self._template_dirs
                    for path in folder.rglob("*")
                    if path.is_file()
                }
            )
        return tuple(sorted(set(paths)))
