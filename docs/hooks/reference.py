"""MkDocs hook: generate the page reference/configuration.md from the configuration schema.

Register it in mkdocs.yml with ``hooks: [docs/hooks/reference.py]`` and list
``reference/configuration.md`` in ``nav``; the page exists only in the built
site, so it can never drift from what leaflets accepts.
"""

from __future__ import annotations

from typing import Any

from leaflets.config import reference_markdown

PAGE = "reference/configuration.md"


def on_files(files: Any, config: Any) -> Any:
    """Add the generated reference page to the site's files."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, PAGE, content=reference_markdown()))
    return files
