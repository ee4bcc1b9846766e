"""Check the machine and the workspace: libraries, fonts, catalogs, and where things are."""

from __future__ import annotations

import platform
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..exceptions import LeafletsError
from ..workspace import Workspace, builtin_theme_dir

#: What to run when a library WeasyPrint needs is missing.
INSTALL_LIBRARIES = (
    "apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fontconfig (or ./dev.sh setup)"
)
INSTALL_SUBSET = "apt-get install libharfbuzz-subset0 (or ./dev.sh setup)"
INSTALL_PYTHON = "./dev.sh setup (or pip install -e . in a virtualenv)"
#: The names WeasyPrint tries for each library (weasyprint/text/ffi.py).
HARFBUZZ_NAMES = (
    "libharfbuzz-0",
    "harfbuzz",
    "harfbuzz-0.0",
    "libharfbuzz.so.0",
    "libharfbuzz.0.dylib",
    "libharfbuzz-0.dll",
)
FONTCONFIG_NAMES = (
    "libfontconfig-1",
    "fontconfig-1",
    "fontconfig",
    "libfontconfig.so.1",
    "libfontconfig.1.dylib",
    "libfontconfig-1.dll",
)
_GENERIC_FAMILIES = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"}
_FONT_FAMILY = re.compile(r"font-family\s*:\s*([^;}]+)", re.I)
_FONT_FILES = ("*.ttf", "*.otf", "*.woff", "*.woff2")


@dataclass(frozen=True)
class Line:
    """One finding: a label, what was found, and how to fix it when it is a problem."""

    label: str
    value: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        """Tell whether nothing needs fixing."""
        return not self.fix


@dataclass
class Diagnosis:
    """Everything `leaflets doctor` found, in sections."""

    sections: dict[str, list[Line]] = field(default_factory=dict)

    def add(self, section: str, line: Line) -> None:
        """Add *line* to *section*."""
        self.sections.setdefault(section, []).append(line)

    @property
    def problems(self) -> list[Line]:
        """Return the findings that need fixing."""
        return [line for lines in self.sections.values() for line in lines if not line.ok]

    def format(self) -> str:
        """Return the diagnosis as the text `leaflets doctor` prints."""
        width = max(len(line.label) for lines in self.sections.values() for line in lines)
        out = []
        for title, lines in self.sections.items():
            out.append(f"{title}:")
            for line in lines:
                mark = "" if line.ok else "MISSING "
                out.append(f"  {line.label:<{width}}  {mark}{line.value}")
        problems = self.problems
        if problems:
            out.append("")
            for line in problems:
                out.append(f"error: {line.label}: {line.value}; fix: {line.fix}")
        return "\n".join(out)


def diagnose(workspace: Workspace | None, *, workspace_error: str = "") -> Diagnosis:
    """Check the libraries WeasyPrint renders with, the fonts, the catalogs and the folders.

    *workspace* is None when there is none here (*workspace_error* says why):
    the libraries and the built-in theme are still checked.
    """
    diagnosis = Diagnosis()
    libraries = "Libraries"
    diagnosis.add(libraries, Line("Python", f"{platform.python_version()} ({sys.executable})"))
    weasyprint = _import_weasyprint()
    if isinstance(weasyprint, Line):
        diagnosis.add(libraries, weasyprint)
    else:
        _check_libraries(diagnosis, libraries, weasyprint)

    theme = builtin_theme_dir()
    places = "Folders"
    if workspace is None:
        diagnosis.add(places, Line("workspace", f"none ({workspace_error})"))
    else:
        diagnosis.add(places, Line("workspace", str(workspace.root)))
    diagnosis.add(places, Line("built-in theme", str(theme)))

    style_dirs = (
        workspace.search_path("styles")
        if workspace
        else [theme / "styles"]
        if (theme / "styles").is_dir()
        else []
    )
    _check_fonts(diagnosis, style_dirs, workspace, fontconfig=not isinstance(weasyprint, Line))
    _check_catalogs(diagnosis, workspace, theme)
    return diagnosis


def _import_weasyprint() -> Any:
    """Return the weasyprint module, or a Line saying why it cannot be imported."""
    try:
        import weasyprint
    except OSError as error:  # A native library is missing: WeasyPrint dlopens them.
        return Line("WeasyPrint", f"cannot load its libraries: {error}", INSTALL_LIBRARIES)
    except ImportError as error:
        return Line("WeasyPrint", f"not installed: {error}", INSTALL_PYTHON)
    return weasyprint


def _check_libraries(diagnosis: Diagnosis, section: str, weasyprint: Any) -> None:
    from weasyprint.text import ffi

    from .rendering import harfbuzz_subset_problem

    diagnosis.add(section, Line("WeasyPrint", weasyprint.__version__))
    number = ffi.pango.pango_version()
    diagnosis.add(section, Line("Pango", f"{number // 10000}.{number // 100 % 100}.{number % 100}"))
    harfbuzz = library_version(HARFBUZZ_NAMES, "const char *hb_version_string (void);")
    diagnosis.add(section, Line("HarfBuzz", harfbuzz or "found (version unknown)"))
    problem = harfbuzz_subset_problem()
    if problem:
        diagnosis.add(
            section,
            Line("HarfBuzz-Subset", f"{problem}; fonts are subset with fontTools", INSTALL_SUBSET),
        )
    else:
        # libharfbuzz-subset comes from the same source as libharfbuzz, in step.
        diagnosis.add(section, Line("HarfBuzz-Subset", f"{harfbuzz} (fonts are subset with it)"))
    fontconfig = library_version(FONTCONFIG_NAMES, "int FcGetVersion (void);")
    diagnosis.add(section, Line("Fontconfig", fontconfig or "found (version unknown)"))


def library_version(names: tuple[str, ...], declaration: str) -> str:
    """Return the version a shared library reports about itself, or "" when unknown."""
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(declaration)
    function = re.search(r"(\w+)\s*\(", declaration)
    assert function is not None
    for name in names:
        try:
            library: Any = ffi.dlopen(name)
            value = getattr(library, function.group(1))()
        except (OSError, AttributeError):
            continue
        if isinstance(value, int):  # Fontconfig: 21400 is 2.14.0.
            return f"{value // 10000}.{value // 100 % 100}.{value % 100}"
        return str(ffi.string(value).decode())
    return ""


def _check_fonts(
    diagnosis: Diagnosis, style_dirs: list[Path], workspace: Workspace | None, *, fontconfig: bool
) -> None:
    section = "Fonts"
    root = workspace.root if workspace else None
    families: dict[str, None] = {}
    for folder in style_dirs:
        for css in sorted(folder.glob("*.css")):
            for value in _FONT_FAMILY.findall(css.read_text("utf-8", errors="replace")):
                for name in value.split(","):
                    families.setdefault(name.strip().strip("\"'"), None)
        for font in sorted(
            path for pattern in _FONT_FILES for path in folder.glob(f"fonts/{pattern}")
        ):
            diagnosis.add(section, Line("bundled", f"{font_name(font)} ({_where(font, root)})"))
    if not fontconfig:
        return
    for family in families:
        if family:
            diagnosis.add(section, Line(f"fontconfig {family!r}", fontconfig_match(family)))


def _where(path: Path, root: Path | None) -> str:
    """Return *path* relative to the workspace, or to the built-in theme, or as it is."""
    for base, prefix in ((root, ""), (builtin_theme_dir(), "built-in theme: ")):
        if base is not None and path.resolve().is_relative_to(base.resolve()):
            return prefix + path.resolve().relative_to(base.resolve()).as_posix()
    return str(path)


def font_name(path: Path) -> str:
    """Return the full name a font file gives itself, or its file name if unreadable."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(path, lazy=True) as font:
            return str(font["name"].getBestFullName() or path.name)
    except (OSError, TTLibError, KeyError):
        return path.name


def fontconfig_match(family: str) -> str:
    """Return which installed font fontconfig gives for *family*, and its file."""
    from weasyprint.text.ffi import ffi, fontconfig

    config = fontconfig.FcInitLoadConfigAndFonts()
    pattern = fontconfig.FcPatternCreate()
    try:
        fontconfig.FcPatternAddString(pattern, b"family", family.encode())
        fontconfig.FcConfigSubstitute(config, pattern, fontconfig.FcMatchPattern)
        fontconfig.FcDefaultSubstitute(pattern)
        result = ffi.new("FcResult *")
        match = fontconfig.FcFontMatch(config, pattern, result)
        if match == ffi.NULL:
            return "no font at all"
        found: list[str] = []
        for key in (b"family", b"file"):
            string = ffi.new("FcChar8 **")
            fontconfig.FcPatternGetString(match, key, 0, string)
            found.append(ffi.string(string[0]).decode() if string[0] != ffi.NULL else "?")
        fontconfig.FcPatternDestroy(match)
    finally:
        fontconfig.FcPatternDestroy(pattern)
    name, file = found
    if family.lower() in _GENERIC_FAMILIES or name.lower() == family.lower():
        return f"{name} ({file})"
    return (
        f"not installed system-wide (the bundled files are used); fontconfig gives {name} ({file})"
    )


def _check_catalogs(diagnosis: Diagnosis, workspace: Workspace | None, theme: Path) -> None:
    from ..i18n import find_catalog, load_catalog, message_ids

    section = "Catalogs"
    if workspace is not None:
        template_dirs = workspace.search_path("templates")
        locale_dirs = workspace.search_path("locales")
        trusted = workspace.trusted_roots()
        root = workspace.root
        languages = list(workspace.config.languages)
    else:
        template_dirs = [theme / "templates"]
        locale_dirs = [theme / "locales"]
        trusted = (theme.resolve(),)
        root = theme
        languages = []
    for folder in locale_dirs:
        for po in sorted(folder.glob("*/LC_MESSAGES/messages.po")):
            lang = po.parent.parent.name
            if lang not in languages:
                languages.append(lang)
    expected = message_ids(template_dirs, trusted=trusted)
    shown_root = workspace.root if workspace else None
    for lang in languages:
        path = find_catalog(locale_dirs, lang)
        if path is None:
            diagnosis.add(
                section,
                Line(lang, "no catalog", f"leaflets i18n init {lang}"),
            )
            continue
        try:
            # Counted here, not refused: doctor reports how complete each catalog is.
            catalog = load_catalog(
                locale_dirs, lang, root=root, expected=expected, allow_untranslated=True
            )
        except LeafletsError as error:
            first = str(error).splitlines()[0]
            diagnosis.add(section, Line(lang, first, "correct the catalog (see `leaflets check`)"))
            continue
        missing = {problem.field for problem in catalog.warnings}
        done = len(expected) - len(missing)
        diagnosis.add(
            section,
            Line(
                lang,
                f"{done}/{len(expected)} translated ({_where(path, shown_root)})",
            ),
        )


def run(workspace_path: Path | None) -> Diagnosis:
    """Diagnose the workspace at *workspace_path* (or around here), even if there is none."""
    from ..workspace import open_workspace

    try:
        workspace = open_workspace(workspace_path)
    except LeafletsError as error:
        return diagnose(None, workspace_error=str(error))
    return diagnose(workspace)
