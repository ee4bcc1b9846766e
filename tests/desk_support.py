"""Helpers shared by the desk's tests: extra conditions (servers: fixtures_servers.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any


def add_condition(
    root: Path,
    slug: str,
    *,
    titles: dict[str, str],
    icd10: str,
    next_review: str = "2030-01-01",
    last_reviewed: str = "2025-01-01",
) -> Path:
    """Copy the demo condition as *slug* with other titles, ICD-10 code and review dates."""
    source = root / "data" / "hemifacial-spasm"
    folder = root / "data" / slug
    shutil.copytree(source, folder)
    for lang in titles:
        if not (folder / f"{lang}.md").exists():  # a new language: the English text
            shutil.copyfile(folder / "en.md", folder / f"{lang}.md")
    for path in folder.glob("*.md"):
        lang = path.stem
        if lang not in titles:
            path.unlink()
            continue
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"^title: .*$", f"title: {titles[lang]}", text, count=1, flags=re.M)
        path.write_text(text, encoding="utf-8")
    meta = folder / "condition.yaml"
    text = meta.read_text(encoding="utf-8")
    text = re.sub(r"^id: .*$", f"id: {slug}", text, flags=re.M)
    text = re.sub(r"^icd10: .*$", f"icd10: {icd10}", text, flags=re.M)
    text = re.sub(r"^next_review: .*$", f"next_review: {next_review}", text, flags=re.M)
    text = re.sub(r"^last_reviewed: .*$", f"last_reviewed: {last_reviewed}", text, flags=re.M)
    meta.write_text(text, encoding="utf-8")
    return folder


def csrf_of(client: Any, path: str = "/") -> str:
    """Return the CSRF token of the desk page at *path* (a Starlette TestClient)."""
    match = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert match, "no CSRF token on the page"
    return match.group(1)


def once_of(client: Any, path: str = "/conditions/hemifacial-spasm") -> str:
    """Return a fresh one-time token of a send form on the desk page at *path*."""
    match = re.search(r'name="once" value="([^"]+)"', client.get(path).text)
    assert match, "no one-time token on the page"
    return match.group(1)
