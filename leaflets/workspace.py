"""Find the workspace, its theme folders (templates, styles, locales) and create new ones."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .config import CONFIG_NAME, Config, example_toml, load_config
from .exceptions import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
#: The folders of a theme, which a workspace may override file by file.
THEME_FOLDERS = ("templates", "styles", "locales")


def builtin_theme_dir() -> Path:
    """Return the folder holding the shipped templates/, styles/ and locales/.

    An installed wheel carries them inside the package (``leaflets/theme``);
    a source checkout keeps them at the repository root, next to the package.
    """
    packaged = PACKAGE_DIR / "theme"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent


def demo_dir() -> Path:
    """Return the folder holding the demo workspace (configuration, data, assets)."""
    packaged = PACKAGE_DIR / "demo"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent


@dataclass(frozen=True)
class Workspace:
    """A loaded configuration and the folders searched for theme files, in order."""

    config: Config

    @property
    def root(self) -> Path:
        """Return the workspace folder."""
        return self.config.root

    def search_path(self, kind: str) -> list[Path]:
        """Return the folders for *kind* ('templates', 'styles', 'locales'), workspace first."""
        folders = []
        for base in (self.root, builtin_theme_dir()):
            folder = (base / kind).resolve()
            if folder.is_dir() and folder not in folders:
                folders.append(folder)
        return folders

    def allowed_roots(self) -> list[Path]:
        """Return the folders a leaflet may load files (images, CSS, fonts) from.

        The workspace comes first (messages name files relative to it). A
        theme folder of the workspace that is a symlink to somewhere else
        does not widen this: only the real workspace and built-in theme count.
        """
        theme = builtin_theme_dir()
        return [
            self.root.resolve(),
            *((theme / kind).resolve() for kind in ("templates", "styles")),
        ]

    def trusted_roots(self) -> tuple[Path, ...]:
        """Return the real folders any input may be read from: the workspace and the theme."""
        theme = builtin_theme_dir()
        return (self.root.resolve(), *((theme / kind).resolve() for kind in THEME_FOLDERS))

    def is_trusted(self, path: str | Path) -> bool:
        """Tell whether *path*, symlinks resolved, lies in the workspace or the built-in theme."""
        return is_inside(path, self.trusted_roots())


def is_inside(path: str | Path, roots: tuple[Path, ...]) -> bool:
    """Tell whether *path*, symlinks resolved, lies in one of the real folders *roots*."""
    real = os.path.realpath(path)
    return any(real.startswith(os.path.join(str(root), "")) for root in roots)


def content_languages(folder: Path | str, languages: Iterable[str]) -> tuple[str, ...]:
    """Return those of *languages* that condition *folder* has a ``<lang>.md`` content file in.

    The fingerprints and the "also available in" notice both use this, so
    that a language file appearing or vanishing rebuilds every output that
    names the languages.
    """
    return tuple(lang for lang in languages if os.path.isfile(os.path.join(folder, f"{lang}.md")))


def find_root(start: Path) -> Path:
    """Return the nearest folder at or above *start* that holds leaflets.toml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise ConfigError(
        f"{CONFIG_NAME}: not found in {start} or any folder above it "
        "(run `leaflets init DIR` to create a workspace, or pass --workspace)"
    )


def open_workspace(root: Path | None = None, **overrides: object) -> Workspace:
    """Load the workspace at *root* (or the one around the current folder)."""
    folder = find_root(root or Path.cwd()) if root is None else root
    return Workspace(load_config(folder, **overrides))


def init_workspace(destination: Path) -> list[Path]:
    """Create a workspace at *destination*; return the files created.

    leaflets.toml is the commented example written from the schema; the
    condition data and assets are copied from the demo. Refuses to touch a
    folder that already has any of them. Everything is made in a hidden
    folder inside *destination* first, then moved into place, so a full disk
    leaves nothing behind (WriteError) and `init` can simply be run again.
    """
    import tempfile

    from .exceptions import WriteError

    source = demo_dir()
    names = (CONFIG_NAME, "data", "assets")
    for name in names:
        if (destination / name).exists():
            raise ConfigError(f"{destination / name}: already exists; not overwriting it")
    missing = [folder for folder in (destination, *destination.parents) if not folder.exists()]
    moved: list[Path] = []
    staging: Path | None = None
    try:
        destination.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".leaflets-init-", dir=destination))
        for name in names:
            src, dst = source / name, staging / name
            if name == CONFIG_NAME:
                dst.write_text(example_toml(), encoding="utf-8")
            elif src.is_dir():
                _copy_folder(src, dst)
            else:
                shutil.copy2(src, dst)
        for name in names:
            # A rename within one folder needs no space and never leaves half a file.
            os.rename(staging / name, destination / name)
            moved.append(destination / name)
    except OSError as error:
        for path in moved:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        for folder in missing:  # innermost first
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise WriteError(
            f"{destination}: cannot create the workspace ({error.strerror}); nothing was created",
            error,
        ) from None
    staging.rmdir()
    return moved


def _copy_folder(source: Path, destination: Path) -> None:
    """Copy the folder *source* to *destination*; raise the first OSError as it is.

    (shutil.copytree gathers errors into one shutil.Error without a reason to show.)
    """
    destination.mkdir()
    for path in sorted(source.rglob("*")):
        target = destination / path.relative_to(source)
        if path.is_dir():
            target.mkdir()
        else:
            shutil.copy2(path, target)
