"""Shared test helpers: a temporary-workspace factory, PDF readers and CLI running."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pypdf import PdfReader

from leaflets.cli import cli
from leaflets.workspace import Workspace, open_workspace

#: The SMTP server and running-desk fixtures.
pytest_plugins = ["fixtures_servers", "fixtures_desk"]

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"


def copy_demo(destination: Path) -> Path:
    """Copy the demo workspace (configuration, data, assets) into *destination*."""
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "leaflets.toml", destination / "leaflets.toml")
    shutil.copytree(REPO / "data", destination / "data")
    shutil.copytree(REPO / "assets", destination / "assets")
    return destination


@pytest.fixture
def make_workspace(tmp_path: Path) -> Callable[..., Path]:
    """Return a factory of demo workspaces in a temporary folder.

    ``make_workspace(config=…)`` appends/overrides TOML text, and
    ``files={"data/x/en.md": "…"}`` writes extra or replacement files.
    """
    counter = 0

    def factory(*, config: str | None = None, files: dict[str, str] | None = None) -> Path:
        nonlocal counter
        counter += 1
        root = copy_demo(tmp_path / f"ws{counter}")
        if config is not None:
            (root / "leaflets.toml").write_text(config, encoding="utf-8")
        for name, text in (files or {}).items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return root

    return factory


@pytest.fixture
def demo_workspace(make_workspace: Callable[..., Path]) -> Workspace:
    """Return the demo workspace, copied to a temporary folder and opened."""
    return open_workspace(make_workspace())


@pytest.fixture(scope="session")
def built_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the demo once per test session; return its output folder."""
    from leaflets.engine.build import build

    root = copy_demo(tmp_path_factory.mktemp("demo"))
    report = build(open_workspace(root))
    assert report.ok, [str(outcome) for outcome in report.outcomes]
    return root / "build"


def pdf_pages(path: Path) -> list[str]:
    """Return the text of each page of a PDF in reading layout, whitespace folded."""
    reader = PdfReader(path)
    return [" ".join(page.extract_text(extraction_mode="layout").split()) for page in reader.pages]


def run_cli(*args: str | Path) -> Result:
    """Run the leaflets CLI in-process and return the Click result."""
    return CliRunner().invoke(cli, [str(arg) for arg in args], catch_exceptions=False)
