"""leaflets: turn condition content into localized, accessible PDF patient leaflets.

The public API, imported lazily so that ``import leaflets`` (and so the
command line's start-up) stays cheap::

    from leaflets import Library
    library = Library.open(Path("clinic"))
    report = library.build(languages=["it"])
    pdf = library.current_pdf("hemifacial-spasm", "it", "leaflet")
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_EXPORTS = {
    "open_workspace": "workspace",
    "init_workspace": "workspace",
    "Workspace": "workspace",
    "load_config": "config",
    "Config": "config",
    "Library": "engine.library",
    "build": "engine.build",
    "check": "engine.build",
    "BuildReport": "engine.build",
    "import_page": "importers",
    "review_table": "content.review",
    "mark_translated": "content.marking",
    "compose": "delivery.mail",
    "send": "delivery.smtp",
    "write_draft": "delivery.mail",
    "SendResult": "delivery.smtp",
    "build_packet": "delivery.packet",
    "PacketResult": "delivery.packet",
    "LeafletsError": "exceptions",
    "ConfigError": "exceptions",
    "DataError": "exceptions",
    "TemplateError": "exceptions",
    "CatalogError": "exceptions",
    "FontError": "exceptions",
    "RenderError": "exceptions",
    "ImportSourceError": "exceptions",
    "MailError": "exceptions",
    "PacketError": "exceptions",
    "Problem": "exceptions",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'leaflets' has no attribute {name!r}")
