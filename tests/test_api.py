"""The public Python API: every name in __all__ resolves, and importing it is cheap."""

from __future__ import annotations

import subprocess
import sys

import leaflets


def test_every_public_name_resolves() -> None:
    for name in leaflets.__all__:
        assert getattr(leaflets, name) is not None


def test_import_has_no_heavy_side_effects() -> None:
    code = (
        "import sys, leaflets; "
        "print(sorted(m for m in ('weasyprint', 'jinja2', 'babel') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
