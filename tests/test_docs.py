"""Check the guide in docs/: a strict build, the README links into it, every command in it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner
from conftest import REPO

from leaflets.cli import cli

DOCS = REPO / "docs"

#: A Markdown link or image target: ](target) or ](target "title").
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def nav_pages(nav: object) -> set[str]:
    """Return every page file the mkdocs.yml nav lists, at any depth."""
    if isinstance(nav, str):
        return {nav}
    if isinstance(nav, list):
        return set().union(*(nav_pages(item) for item in nav))
    if isinstance(nav, dict):
        return set().union(*(nav_pages(value) for value in nav.values()))
    return set()


def docs_text() -> str:
    """Return the text of every page of the guide, joined."""
    return "\n".join(path.read_text("utf-8") for path in sorted(DOCS.rglob("*.md")))


def mentions(text: str, name: str) -> bool:
    """Return whether *text* names *name* as a whole (``--enc`` is not ``--encoding``)."""
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


def commands(group: click.Group, prefix: str = "leaflets") -> list[tuple[str, click.Command]]:
    """Return every command (and subcommand) of *group* as (full name, command)."""
    context = click.Context(group)
    found = []
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None
        full = f"{prefix} {name}"
        found.append((full, command))
        if isinstance(command, click.Group):
            found.extend(commands(command, full))
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the guide once with mkdocs --strict into a temporary folder."""
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return out


def test_site_builds_strict_with_every_page(site: Path) -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text("utf-8"))
    pages = nav_pages(config["nav"])
    # Every page of docs/ is in the nav, and every nav page became an HTML page.
    assert pages == {str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md")}
    built = {page: site / page.replace(".md", ".html") for page in pages}
    assert [page for page, html in built.items() if not html.is_file()] == []
    assert "<h1" in (site / "index.html").read_text("utf-8")


def test_readme_links_into_the_docs_exist(site: Path) -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    targets = [t for t in LINK.findall(readme) if t.startswith("docs/")]
    assert len(targets) >= 10, targets
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text("utf-8"))
    pages = nav_pages(config["nav"])
    broken = []
    for target in targets:
        path, _, anchor = target.partition("#")
        relative = path.removeprefix("docs/")
        if not (DOCS / relative).is_file():
            broken.append(f"{target}: no such file")
        elif relative.endswith(".md") and relative not in pages:
            broken.append(f"{target}: not a page of the guide (missing from the nav)")
        elif anchor:
            html = (site / relative.replace(".md", ".html")).read_text("utf-8")
            if f'id="{anchor}"' not in html:
                broken.append(f"{target}: no such heading")
    assert broken == []


def test_every_command_is_documented() -> None:
    listed = CliRunner().invoke(cli, ["--help"]).output
    text = docs_text()
    found = commands(cli)
    # The commands --help lists are the ones checked here.
    assert {full.split()[1] for full, _ in found} == {
        line.split()[0]
        for line in listed.split("Commands:")[1].splitlines()
        if line.startswith("  ") and not line.startswith("   ")
    }
    undocumented = [full for full, _ in found if not mentions(text, full)]
    assert undocumented == []


def test_every_option_is_documented() -> None:
    text = docs_text()
    missing = []
    for full, command in [("leaflets", cli), *commands(cli)]:
        for param in command.params:
            if not isinstance(param, click.Option):
                continue
            longest = max(param.opts, key=len)
            if longest != "--help" and not mentions(text, longest):
                missing.append(f"{full} {longest}")
    assert missing == []
