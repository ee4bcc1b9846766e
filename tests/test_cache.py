"""The cache of parsed inputs in build/.cache: it changes how fast a build is, not what it makes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from leaflets.engine.build import build, load_project
from leaflets.engine.cache import CACHE_FOLDER
from leaflets.engine.loading import expected_messages, open_cache
from leaflets.i18n import message_ids
from leaflets.workspace import open_workspace

EN = "data/hemifacial-spasm/en.md"
CONTENT_FILES = 4  # The demo's en, it, es and ar files.


def checksums(output: Path) -> dict[str, str]:
    """Return the SHA-256 of every PDF in *output*."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in output.glob("*.pdf")}


def entries(root: Path) -> list[Path]:
    """Return the cache's entry files."""
    return sorted((root / "build" / CACHE_FOLDER).rglob("*.json"))


def test_a_second_load_reads_every_content_file_from_the_cache(
    make_workspace: Callable[..., Path],
) -> None:
    workspace = open_workspace(make_workspace())
    first = open_cache(workspace)
    parsed = load_project(workspace, cache=first)
    assert (first.hits, first.misses) == (0, CONTENT_FILES + 1)  # + the templates' messages
    first.flush()

    second = open_cache(workspace)
    cached = load_project(workspace, cache=second)
    assert (second.hits, second.misses) == (CONTENT_FILES + 1, 0)
    # The same contents, problems and catalogs as parsing the files again.
    assert cached.conditions == parsed.conditions
    assert cached.all_problems() == parsed.all_problems()
    assert cached.conditions == load_project(workspace).conditions


def test_an_edit_parses_only_the_edited_file_again(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    workspace = open_workspace(root)
    assert build(workspace, jobs=1).ok
    path = root / EN
    path.write_text(path.read_text("utf-8").replace("You may notice:", "You may see:"), "utf-8")
    cache = open_cache(workspace)
    project = load_project(workspace, cache=cache)
    assert (cache.hits, cache.misses) == (CONTENT_FILES, 1)
    assert "You may see:" in project.conditions[0].contents["en"].sections["symptoms"].html


@pytest.mark.parametrize(
    "damage",
    [
        b"",  # Cut short before anything was written.
        b'{"salt": "',  # Cut short in the middle.
        b"\x00\xff not JSON at all",
        b"[1, 2, 3]",  # JSON, but not an entry.
    ],
)
def test_a_broken_cache_file_is_ignored_and_rebuilt(
    make_workspace: Callable[..., Path], damage: bytes
) -> None:
    root = make_workspace()
    workspace = open_workspace(root)
    assert build(workspace, jobs=1).ok
    before = checksums(root / "build")
    good = {path: path.read_bytes() for path in entries(root)}
    assert len(good) == CONTENT_FILES + 1
    for path in good:
        path.write_bytes(damage)

    report = build(workspace, jobs=1, force=True)
    assert report.ok
    assert report.count("built") == len(before)
    assert checksums(root / "build") == before
    # Every entry was derived again and written back whole.
    assert {path: path.read_bytes() for path in entries(root)} == good


def test_an_entry_with_the_right_key_but_a_wrong_shape_is_rebuilt(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    workspace = open_workspace(root)
    assert build(workspace, jobs=1).ok
    for path in entries(root):
        entry = json.loads(path.read_bytes())
        if isinstance(entry["value"], dict):
            entry["value"]["content"] = {"title": 12}  # Valid JSON, key and salt; no content.
            path.write_text(json.dumps(entry), "utf-8")
    cache = open_cache(workspace)
    project = load_project(workspace, cache=cache)
    assert project.conditions == load_project(workspace).conditions
    assert cache.hits == 1  # Only the templates' messages were usable.


def test_another_version_of_leaflets_ignores_the_cache(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    workspace = open_workspace(root)
    assert build(workspace, jobs=1).ok
    cache = open_cache(workspace)
    cache.salt = "another version"
    load_project(workspace, cache=cache)
    assert (cache.hits, cache.misses) == (0, CONTENT_FILES + 1)


def test_content_with_an_image_is_parsed_every_time(make_workspace: Callable[..., Path]) -> None:
    """The image is another input: adding the missing file must fix the build."""
    text = (Path(__file__).parent.parent / EN).read_text("utf-8")
    text = text.replace("You may notice:", "![A face](../../assets/face.svg)\n\nYou may notice:")
    root = make_workspace(files={EN: text})
    workspace = open_workspace(root)
    report = build(workspace, jobs=1, languages=["en"])
    assert report.count("failed") == 2
    assert "image '../../assets/face.svg' does not exist" in report.outcomes[0].reason
    logo = (root / "assets/clinic-logo.svg").read_bytes()
    (root / "assets/face.svg").write_bytes(logo)

    report = build(workspace, jobs=1, languages=["en"])
    assert report.ok
    assert report.count("built") == 2


def test_a_build_that_fails_in_phase_one_writes_no_cache(
    make_workspace: Callable[..., Path],
) -> None:
    text = (Path(__file__).parent.parent / "data/hemifacial-spasm/condition.yaml").read_text()
    root = make_workspace(
        files={"data/hemifacial-spasm/condition.yaml": text.replace("owner:", "owners:")}
    )
    report = build(open_workspace(root), jobs=1)
    assert not report.ok
    assert not (root / "build").exists()


def test_the_templates_messages_come_from_the_cache_until_a_template_changes(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    workspace = open_workspace(root)
    template_dirs = workspace.search_path("templates")
    cache = open_cache(workspace)
    expected = expected_messages(workspace, cache)
    assert expected == message_ids(template_dirs, trusted=workspace.trusted_roots())
    cache.flush()
    assert expected_messages(workspace, cache) == expected
    assert cache.hits == 1

    # A workspace template of its own with one more message.
    source = (template_dirs[-1] / "handout.html").read_text("utf-8")
    (root / "templates").mkdir()
    (root / "templates/handout.html").write_text(
        source + "{% trans %}A brand new sentence{% endtrans %}\n", "utf-8"
    )
    workspace = open_workspace(root)
    again = expected_messages(workspace, open_cache(workspace))
    assert again == expected | {"A brand new sentence"}
