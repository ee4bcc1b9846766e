"""Packaging: the wheel alone carries everything an installed leaflets needs for the demo."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, pdf_pages


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the project's wheel once, without network or build isolation."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("leaflets-*.whl")
    return path


def test_wheel_contents(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "leaflets/cli/__init__.py",
        "leaflets/content/conditions.py",
        "leaflets/engine/build.py",
        "leaflets/delivery/mail.py",
        "leaflets/theme/templates/base.html",
        "leaflets/theme/templates/leaflet.html",
        "leaflets/theme/templates/handout.html",
        "leaflets/theme/styles/base.css",
        "leaflets/theme/styles/fonts/OpenSans-Regular.ttf",
        "leaflets/theme/styles/fonts/LICENSE-2.0.txt",
        "leaflets/theme/locales/it/LC_MESSAGES/messages.po",
        "leaflets/theme/locales/it/LC_MESSAGES/messages.mo",
        "leaflets/theme/locales/en/LC_MESSAGES/messages.mo",
        "leaflets/demo/leaflets.toml",
        "leaflets/demo/data/hemifacial-spasm/condition.yaml",
        "leaflets/demo/data/hemifacial-spasm/it.md",
        "leaflets/demo/assets/clinic-logo.svg",
        "leaflets/desk/app.py",
        "leaflets/desk/static/desk.js",
        "leaflets/desk/static/desk.css",
        "leaflets/desk/static/favicon.svg",
        "leaflets/theme/templates/desk/base.html",
        "leaflets/theme/templates/desk/condition.html",
    }
    assert expected <= names, sorted(expected - names)
    assert not [name for name in names if "tests/" in name or name.endswith(".pyc")]


def test_installed_wheel_builds_the_demo(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    workspace = tmp_path / "clinic"
    run = [sys.executable, "-m", "leaflets"]
    where = subprocess.run(
        [sys.executable, "-c", "import leaflets.workspace as w; print(w.builtin_theme_dir())"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert where.stdout.strip() == str(site / "leaflets" / "theme")
    subprocess.run(
        [*run, "init", str(workspace)], env=env, check=True, cwd=tmp_path, capture_output=True
    )
    result = subprocess.run(
        [*run, "build", "--lang", "it"], env=env, cwd=workspace, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "Sintomi" in " ".join(pdf_pages(workspace / "build/hemifacial-spasm.it.leaflet.pdf"))
