"""Stale translations: translated_from, the sections whose source changed, and marking again."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_cli

from leaflets.content.marking import mark_translated
from leaflets.engine.build import check
from leaflets.exceptions import DataError
from leaflets.workspace import open_workspace

EN = "data/hemifacial-spasm/en.md"
IT = "data/hemifacial-spasm/it.md"
STALE = (
    f"{IT}: warning: stale: translated from en.md version 1.0; "
    "since then these sections changed in en.md: "
)


@pytest.fixture
def make_workspace(make_workspace: Callable[..., Path]) -> Callable[..., Path]:
    """Return demo workspaces with one source and one translation: en.md and it.md.

    The demo's Spanish and Arabic files are translated from en.md too, and
    would be reported stale beside it.md on every edit of the source.
    """

    def factory(**options: object) -> Path:
        root = make_workspace(**options)
        for lang in ("es", "ar"):
            (root / f"data/hemifacial-spasm/{lang}.md").unlink()
        config = root / "leaflets.toml"
        text = config.read_text(encoding="utf-8")
        config.write_text(
            re.sub(r"(?m)^languages = .*$", 'languages = ["en", "it"]', text), encoding="utf-8"
        )
        return root

    return factory


def warnings_of(root: Path) -> list[str]:
    return [str(problem) for problem in check(open_workspace(root))]


def edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def section_of(root: Path, name: str, key: str) -> str:
    """Return the first line of text of section *key* of a content file."""
    text = (root / name).read_text(encoding="utf-8")
    return text.split(f"## {key}\n", 1)[1].strip().splitlines()[0]


def mark(root: Path, lang: str = "it", source: str = "en") -> None:
    mark_translated(
        open_workspace(root), condition="hemifacial-spasm", lang=lang, source_lang=source
    )


def test_demo_translation_is_marked_and_current(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    assert "translated_from:\n  lang: en\n" in (root / IT).read_text(encoding="utf-8")
    assert warnings_of(root) == []


def test_stale_names_exactly_the_changed_sections(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    for key in ("treatment", "symptoms"):
        first = section_of(root, EN, key)
        edit(root, EN, first, first + " Changed.")
    assert warnings_of(root) == [STALE + "symptoms, treatment"]


def test_front_matter_changes_are_named_too(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    edit(root, EN, "title: Hemifacial spasm", "title: Hemifacial spasm (HFS)")
    edit(root, EN, "next_steps:\n", "next_steps:\n  - Bring a list of your medicines.\n")
    assert warnings_of(root) == [STALE + "title, next_steps"]


def test_removed_and_added_sections_count_as_changed(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    text = (root / EN).read_text(encoding="utf-8")
    start = text.index("## specialist")
    (root / EN).write_text(text[:start], encoding="utf-8")
    stale = [line for line in warnings_of(root) if "stale" in line]
    assert stale == [STALE + "specialist"]


def test_whitespace_and_line_endings_change_nothing(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    path = root / EN
    text = path.read_text(encoding="utf-8")
    path.write_bytes(
        "\n".join(line + "  " for line in text.split("\n")).replace("\n", "\r\n").encode()
    )
    assert warnings_of(root) == []


def test_a_change_in_the_translation_clears_nothing(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    first = section_of(root, EN, "causes")
    edit(root, EN, first, first + " Changed.")
    italian = section_of(root, IT, "causes")
    edit(root, IT, italian, italian + " Cambiato.")
    assert warnings_of(root) == [STALE + "causes"]


def test_marking_again_clears_and_keeps_the_rest_of_the_file(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    path = root / IT
    # A comment before and after the block, and a body, that marking must keep.
    edit(root, IT, "translated_from:", "# Translated by the clinic team.\ntranslated_from:")
    edit(root, IT, "\n---\n\n## what_it_is", "\n# Checked by a nurse.\n---\n\n## what_it_is")
    first = section_of(root, EN, "diagnosis")
    edit(root, EN, first, first + " Changed.")
    before = path.read_text(encoding="utf-8")
    mark(root)
    after = path.read_text(encoding="utf-8")
    assert warnings_of(root) == []

    def without_block(text: str) -> str:
        return re.sub(r"translated_from:\n(  .*\n)+", "", text)

    assert without_block(after) == without_block(before)
    assert "# Translated by the clinic team.\ntranslated_from:\n" in after
    assert "\n# Checked by a nurse.\n---\n" in after
    assert before != after
    assert list(root.joinpath("data/hemifacial-spasm").glob(".*tmp")) == []


def test_marking_adds_the_block_to_a_draft_and_keeps_crlf(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    # Italian text as a Portuguese draft: Portuguese has no reading-level formula.
    text = (root / IT).read_text(encoding="utf-8")
    draft = re.sub(r"translated_from:\n(  .*\n)+", "", text).replace("\n", "\r\n")
    (root / "data/hemifacial-spasm/pt.md").write_bytes(draft.encode())
    assert (
        "data/hemifacial-spasm/pt.md: warning: not marked as translated from another "
        "language: an unreviewed draft (once a translator has checked it, run `leaflets i18n "
        "mark-translated -c hemifacial-spasm -l pt --from en`)" in warnings_of(root)
    )
    mark(root, "pt")
    written = (root / "data/hemifacial-spasm/pt.md").read_bytes().decode()
    assert "\r\ntranslated_from:\r\n  lang: en\r\n" in written
    assert "\n" not in written.replace("\r\n", "")
    assert written.replace("translated_from", "").startswith(draft.split("---\r\n\r\n")[0][:-2])
    assert warnings_of(root) == []


def test_flow_style_block_is_replaced(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    text = (root / IT).read_text(encoding="utf-8")
    flow = 'translated_from: {lang: en, version: "0.9", sha256: ' + "f" * 64 + "}\n"
    (root / IT).write_text(re.sub(r"translated_from:\n(  .*\n)+", flow, text), encoding="utf-8")
    assert warnings_of(root) == [
        f"{IT}: warning: stale: translated from en.md version 0.9; since then en.md changed"
    ]
    mark(root)
    assert warnings_of(root) == []
    assert (root / IT).read_text(encoding="utf-8").count("translated_from") == 1


def test_the_source_language_is_no_draft(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    text = (root / IT).read_text(encoding="utf-8")
    (root / IT).write_text(re.sub(r"translated_from:\n(  .*\n)+", "", text), encoding="utf-8")
    drafts = [line for line in warnings_of(root) if "not marked" in line]
    assert [line.split(":")[0] for line in drafts] == [IT]
    config = (root / "leaflets.toml").read_text(encoding="utf-8")
    (root / "leaflets.toml").write_text(
        config.replace('data_dir = "data"', 'data_dir = "data"\nsource_language = "it"'),
        encoding="utf-8",
    )
    drafts = [line for line in warnings_of(root) if "not marked" in line]
    assert [line.split(":")[0] for line in drafts] == [EN]


def test_invalid_translated_from(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    text = (root / IT).read_text(encoding="utf-8")
    line = text[: text.index("  sha256:")].count("\n") + 1
    (root / IT).write_text(re.sub(r"sha256: [0-9a-f]+", "sha256: abc", text, count=1), "utf-8")
    assert warnings_of(root) == [
        f"{IT}:{line}: translated_from.sha256: 'abc' is not a SHA-256 (64 lowercase hex digits)"
    ]


def test_missing_source_file(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    edit(root, IT, "translated_from:\n  lang: en", "translated_from:\n  lang: de")
    text = (root / IT).read_text(encoding="utf-8")
    line = text[: text.index("  lang: de")].count("\n") + 1
    with pytest.raises(DataError, match=r"^data/hemifacial-spasm/de\.md: does not exist$"):
        mark(root, "it", "de")
    assert [line for line in warnings_of(root) if "de.md" in line] == [
        f"{IT}:{line}: warning: translated_from.lang: translated from de.md, which does not exist"
    ]


def test_cli_mark_translated_and_list(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    first = section_of(root, EN, "symptoms")
    edit(root, EN, first, first + " Changed.")
    listed = run_cli("list", "-C", root)
    assert f"hemifacial-spasm: {STALE}symptoms" in listed.output.splitlines()
    result = run_cli(
        "i18n", "mark-translated", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "--from", "en"
    )
    assert result.exit_code == 0
    assert result.output == (
        f"marked   {IT} as translated from en.md version 1.0 (12 parts hashed)\n"
    )
    assert "stale" not in run_cli("list", "-C", root).output
    result = run_cli(
        "i18n", "mark-translated", "-C", root, "-c", "nope", "-l", "it", "--from", "en"
    )
    assert result.exit_code == 1
    assert result.output == "Error: data/nope: no such condition\n"
    result = run_cli(
        "i18n", "mark-translated", "-C", root, "-c", "../../etc", "-l", "it", "--from", "en"
    )
    assert result.output == (
        "Error: '../../etc' is not a condition name (a lowercase slug like 'hemifacial-spasm')\n"
    )
    result = run_cli(
        "i18n", "mark-translated", "-C", root, "-c", "hemifacial-spasm", "-l", "it", "--from", "it"
    )
    assert result.output == "Error: a file cannot be translated from its own language ('it')\n"
