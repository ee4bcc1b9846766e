"""The desk's test workspace for its HTTP tests: built once per module, copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import copy_demo
from desk_support import add_condition
from starlette.testclient import TestClient

from leaflets.desk.app import create_app
from leaflets.engine.build import build
from leaflets.workspace import open_workspace


@pytest.fixture(scope="module")
def built_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo workspace with a second condition whose Italian title has an accent, built."""
    root = copy_demo(tmp_path_factory.mktemp("desk") / "ws")
    add_condition(
        root,
        "trigeminal-neuralgia",
        titles={"en": "Trigeminal neuralgia", "it": "Nevralgia del trigemino, cos’è"},
        icd10="G50.0",
    )
    assert build(open_workspace(root), jobs=1).ok
    return root


@pytest.fixture
def root(built_root: Path, tmp_path: Path) -> Path:
    """A fresh copy of the built workspace (build/ included: it stays up to date)."""
    return Path(shutil.copytree(built_root, tmp_path / "ws"))


@pytest.fixture
def client(root: Path) -> TestClient:
    return TestClient(create_app(root))
