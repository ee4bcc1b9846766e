"""Compile the translation catalogs into the wheel, so an installed leaflets has .mo files."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileCatalogsHook(BuildHookInterface):  # type: ignore[misc]
    """Write each locales/<lang>/LC_MESSAGES/messages.mo into the wheel's theme."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        self._tmp = tempfile.TemporaryDirectory()
        root = Path(self.root)
        for po_path in sorted(root.glob("locales/*/LC_MESSAGES/messages.po")):
            lang = po_path.parent.parent.name
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=lang)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            mo_path = Path(self._tmp.name) / lang / "messages.mo"
            mo_path.parent.mkdir(parents=True)
            mo_path.write_bytes(buffer.getvalue())
            target = f"leaflets/theme/locales/{lang}/LC_MESSAGES/messages.mo"
            build_data["force_include"][str(mo_path)] = target
