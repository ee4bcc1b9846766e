"""`leaflets doctor`: libraries, fonts, catalogs and folders, and what to install when missing."""

from __future__ import annotations

import platform
import re
import sys
from collections.abc import Callable
from importlib.abc import MetaPathFinder
from pathlib import Path
from typing import Any

import pytest
import weasyprint
from conftest import REPO, run_cli

from leaflets.engine.doctor import INSTALL_LIBRARIES, INSTALL_PYTHON, INSTALL_SUBSET
from leaflets.i18n import message_ids
from leaflets.workspace import open_workspace

MISSING_SUBSET = "the HarfBuzz-Subset library (libharfbuzz-subset) is not installed"


def rows(output: str) -> dict[str, str]:
    """Return the report's indented lines as label -> value (the last one of each label)."""
    found = {}
    for line in output.splitlines():
        if line.startswith("  "):
            label, _, value = line.strip().partition("  ")
            found[label] = value.strip()
    return found


def test_doctor_reports_a_healthy_setup(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    result = run_cli("doctor", "-C", root)
    assert result.exit_code == 0, result.output
    assert run_cli("-C", root, "doctor").output == result.output
    found = rows(result.output)
    assert found["Python"] == f"{platform.python_version()} ({sys.executable})"
    assert found["WeasyPrint"] == weasyprint.__version__
    for library in ("Pango", "HarfBuzz", "Fontconfig"):
        assert found[library][0].isdigit(), found[library]
    assert found["HarfBuzz-Subset"] == f"{found['HarfBuzz']} (fonts are subset with it)"
    assert found["workspace"] == str(root)
    assert found["built-in theme"] == str(REPO)
    bundled = [
        line.split("  ")[-1].strip()
        for line in result.output.splitlines()
        if line.strip().startswith("bundled")
    ]
    # The demo workspace has no styles of its own: the theme's fonts are used.
    assert "Open Sans (built-in theme: styles/fonts/OpenSans-Regular.ttf)" in bundled
    assert "Open Sans Bold Italic (built-in theme: styles/fonts/OpenSans-BoldItalic.ttf)" in bundled
    assert "fontconfig 'Open Sans'" in found
    total = len(message_ids([REPO / "templates"]))
    assert found["en"] == (
        f"{total}/{total} translated (built-in theme: locales/en/LC_MESSAGES/messages.po)"
    )
    assert found["it"] == (
        f"{total}/{total} translated (built-in theme: locales/it/LC_MESSAGES/messages.po)"
    )
    assert "error:" not in result.output


def test_doctor_counts_untranslated_messages(make_workspace: Callable[..., Path]) -> None:
    po = (REPO / "locales/it/LC_MESSAGES/messages.po").read_text("utf-8")
    po = po.replace('msgstr "Sintomi"', 'msgstr ""', 1).replace('msgstr "Cause"', 'msgstr ""', 1)
    root = make_workspace(files={"locales/it/LC_MESSAGES/messages.po": po})
    result = run_cli("doctor", "-C", root)
    total = len(message_ids(open_workspace(root).search_path("templates")))
    assert rows(result.output)["it"] == (
        f"{total - 2}/{total} translated (locales/it/LC_MESSAGES/messages.po)"
    )
    assert result.exit_code == 0


def test_doctor_names_a_missing_catalog(make_workspace: Callable[..., Path]) -> None:
    config = (REPO / "leaflets.toml").read_text("utf-8")
    # Dutch: a language leaflets ships no catalog for.
    root = make_workspace(
        config=re.sub(r"(?m)^languages = .*$", 'languages = ["en", "it", "nl"]', config)
    )
    result = run_cli("doctor", "-C", root)
    assert result.exit_code == 1
    assert rows(result.output)["nl"] == "MISSING no catalog"
    assert result.output.splitlines()[-1] == "error: nl: no catalog; fix: leaflets i18n init nl"


def test_doctor_fails_without_harfbuzz_subset(
    make_workspace: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import weasyprint.pdf.fonts

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    result = run_cli("doctor", "-C", make_workspace())
    assert result.exit_code == 1
    assert rows(result.output)["HarfBuzz-Subset"] == (
        f"MISSING {MISSING_SUBSET}; fonts are subset with fontTools"
    )
    assert result.output.splitlines()[-1] == (
        f"error: HarfBuzz-Subset: {MISSING_SUBSET}; fonts are subset with fontTools; "
        f"fix: {INSTALL_SUBSET}"
    )


class _NoPango(MetaPathFinder):
    """Make `import weasyprint` fail as it does when Pango cannot be loaded."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> None:
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0': No such file or directory")


def test_doctor_fails_when_weasyprint_cannot_load_its_libraries(
    make_workspace: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "weasyprint")
    monkeypatch.setattr(sys, "meta_path", [_NoPango(), *sys.meta_path])
    result = run_cli("doctor", "-C", make_workspace())
    assert result.exit_code == 1
    reason = (
        "cannot load its libraries: cannot load library 'libpango-1.0-0': No such file or directory"
    )
    assert rows(result.output)["WeasyPrint"] == f"MISSING {reason}"
    assert (
        result.output.splitlines()[-1] == f"error: WeasyPrint: {reason}; fix: {INSTALL_LIBRARIES}"
    )
    assert "fontconfig 'Open Sans'" not in result.output  # Needs WeasyPrint's fontconfig.
    assert "bundled" in result.output


def test_doctor_fails_when_weasyprint_is_not_installed(
    make_workspace: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    result = run_cli("doctor", "-C", make_workspace())
    assert result.exit_code == 1
    assert result.output.splitlines()[-1].endswith(f"; fix: {INSTALL_PYTHON}")


def test_doctor_works_outside_a_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli("doctor")
    assert result.exit_code == 0, result.output
    found = rows(result.output)
    assert found["workspace"].startswith(f"none (leaflets.toml: not found in {tmp_path}")
    total = len(message_ids([REPO / "templates"]))
    assert found["it"] == (
        f"{total}/{total} translated (built-in theme: locales/it/LC_MESSAGES/messages.po)"
    )
