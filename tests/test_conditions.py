"""Condition data: every bad input is reported with its file, line and field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from leaflets.content.conditions import load_condition
from leaflets.content.model import SECTION_KEYS
from leaflets.engine.build import check, load_project
from leaflets.workspace import open_workspace

EN = "data/hemifacial-spasm/en.md"
IT = "data/hemifacial-spasm/it.md"
META = "data/hemifacial-spasm/condition.yaml"


def problems_of(root: Path) -> list[str]:
    """Return check's problems as the strings a user reads."""
    return [str(problem) for problem in check(open_workspace(root))]


def replaced(root_file: str, old: str, new: str) -> dict[str, str]:
    """Return a files= mapping with *old* replaced by *new* in a demo file."""
    text = (Path(__file__).parent.parent / root_file).read_text(encoding="utf-8")
    assert old in text, old
    return {root_file: text.replace(old, new, 1)}


def line_of(root_file: str, needle: str) -> int:
    """Return the 1-based line of *needle* in a demo file."""
    text = (Path(__file__).parent.parent / root_file).read_text(encoding="utf-8")
    return text[: text.index(needle)].count("\n") + 1


def test_demo_data_is_clean(demo_workspace: object) -> None:
    assert check(demo_workspace) == []  # type: ignore[arg-type]


def test_demo_has_every_section_in_every_language(demo_workspace: object) -> None:
    project = load_project(demo_workspace)  # type: ignore[arg-type]
    (condition,) = project.conditions
    assert set(condition.contents) == {"en", "it", "es", "ar"}
    for content in condition.contents.values():
        assert tuple(content.sections) == SECTION_KEYS


def test_unknown_section_key(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(files=replaced(EN, "## symptoms", "## symptomz"))
    line = line_of(EN, "## symptoms")
    assert problems_of(root) == [
        f"{EN}:{line}: sections.symptomz: unknown section key 'symptomz' (expected one of: "
        "what_it_is, symptoms, causes, diagnosis, treatment, living_with, get_help, specialist)",
    ]


def test_invalid_yaml_front_matter_names_the_line(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(files=replaced(IT, "title: Emispasmo facciale", "title: [Emispasmo"))
    (problem, *_) = problems_of(root)
    # PyYAML notices the unclosed list on the next line, and says so.
    assert problem == f"{IT}:3: invalid YAML: expected ',' or ']', but got ':'"


def test_wrong_type_and_missing_field(make_workspace: Callable[..., Path]) -> None:
    files = replaced(EN, "title: Hemifacial spasm\n", "")
    files.update(replaced(META, 'version: "1.0"', "version: 1.0"))
    root = make_workspace(files=files)
    assert problems_of(root) == [
        f'{META}:5: version: must be text, not the number 1.0; quote it, like version: "1.0"',
        f"{EN}:2: title: is required",
    ]


def test_date_in_wrong_format(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(
        files=replaced(META, "next_review: 2027-11-20", "next_review: 20/11/2027")
    )
    assert problems_of(root) == [
        f"{META}:7: next_review: 20/11/2027 is not a date in YYYY-MM-DD format (like 2026-11-22)",
    ]


def test_next_review_must_follow_last_review(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(
        files=replaced(META, "next_review: 2027-11-20", "next_review: 2025-01-01")
    )
    assert problems_of(root) == [
        f"{META}:7: next_review: 2025-01-01 must come after last_reviewed (2026-11-20)",
    ]


def test_unknown_language_code_in_file_name(make_workspace: Callable[..., Path]) -> None:
    text = (Path(__file__).parent.parent / EN).read_text(encoding="utf-8")
    root = make_workspace(files={"data/hemifacial-spasm/xx.md": text})
    assert problems_of(root) == [
        "data/hemifacial-spasm/xx.md: file name must be a language code plus .md: "
        "unknown language code 'xx'",
    ]


def test_unknown_metadata_key_and_bad_icd10(make_workspace: Callable[..., Path]) -> None:
    files = replaced(META, "icd10: G51.3", "icd10: G513x\ncolour: blue")
    root = make_workspace(files=files)
    assert problems_of(root) == [
        f"{META}:5: colour: unknown key (expected one of: id, specialty, icd10, version, "
        "last_reviewed, next_review, owner, reviewer, sources)",
        f"{META}:4: icd10: 'G513x' is not an ICD-10 code like 'G51.3'",
    ]


def test_every_problem_is_collected(make_workspace: Callable[..., Path]) -> None:
    files = replaced(META, "specialty: neurology\n", "")
    files.update(replaced(EN, "## causes", "## reasons"))
    files.update(replaced(IT, "## diagnosis", "# diagnosis"))
    root = make_workspace(files=files)
    problems = problems_of(root)
    assert problems[0] == f"{META}:2: specialty: is required"
    assert any(p.startswith(f"{EN}:") and "sections.reasons" in p for p in problems)
    assert any(p.startswith(f"{IT}:") and "use ### for a heading" in p for p in problems)


def test_remote_and_outside_images_are_refused(make_workspace: Callable[..., Path]) -> None:
    files = replaced(
        EN,
        "You may notice:",
        "![A face](http://example.org/face.png)\n\n"
        "![Secrets](file:///etc/passwd)\n\n![Up](../../../outside.png)\n\nYou may notice:",
    )
    root = make_workspace(files=files)
    line = line_of(EN, "You may notice:")
    assert problems_of(root) == [
        f"{EN}:{line}: sections.symptoms: image 'http://example.org/face.png' must be a "
        "relative path to a file in the workspace",
        f"{EN}:{line + 2}: sections.symptoms: image 'file:///etc/passwd' must be a relative "
        "path to a file in the workspace",
        f"{EN}:{line + 4}: sections.symptoms: image '../../../outside.png' is outside the "
        "workspace",
    ]


def test_raw_html_and_bad_links_are_refused(make_workspace: Callable[..., Path]) -> None:
    files = replaced(
        IT,
        "Potresti notare:",
        "<script>alert(1)</script>\n\n[clicca](javascript:alert(1))\n\nPotresti notare:",
    )
    root = make_workspace(files=files)
    line = line_of(IT, "Potresti notare:")
    problems = problems_of(root)
    assert (
        f"{IT}:{line}: sections.symptoms: raw HTML '<script>alert(1)</script>' is not "
        "allowed; write it in Markdown" in problems
    )
    assert (
        f"{IT}:{line + 2}: sections.symptoms: link 'javascript:alert(1)' must start with "
        "one of: http://, https://, mailto:, tel:" in problems
    )


def test_local_image_is_accepted(make_workspace: Callable[..., Path]) -> None:
    files = replaced(
        EN, "You may notice:", "![The clinic logo](../../assets/clinic-logo.svg)\n\nYou may notice:"
    )
    root = make_workspace(files=files)
    # Only it.md's translation goes stale: en.md changed.
    assert [problem for problem in problems_of(root) if "stale:" not in problem] == []


def test_missing_section_is_a_warning(make_workspace: Callable[..., Path]) -> None:
    text = (Path(__file__).parent.parent / IT).read_text(encoding="utf-8")
    start = text.index("## living_with")
    end = text.index("## get_help")
    root = make_workspace(files={IT: text[:start] + text[end:]})
    assert problems_of(root) == [
        f"{IT}: warning: sections.living_with: section is missing (present in: ar, en, es)",
    ]


def test_missing_language_file_is_a_warning(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    (root / IT).unlink()
    assert problems_of(root) == [
        f"{IT}: warning: is missing: hemifacial-spasm has no content in 'it'",
    ]


def test_not_utf8(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    (root / EN).write_bytes("---\ntitle: caf\xe9\n---\n".encode("latin-1"))
    assert problems_of(root)[0] == f"{EN}: not UTF-8 text (invalid continuation byte at byte 14)"


def test_duplicate_key_and_text_before_first_section(make_workspace: Callable[..., Path]) -> None:
    files = replaced(EN, "summary: >-", "title: Again\nsummary: >-")
    files[EN] = files[EN].replace("\n## what_it_is", "\nStray text.\n\n## what_it_is", 1)
    root = make_workspace(files=files)
    problems = problems_of(root)
    assert problems[0] == f"{EN}:3: title: this key is given twice"
    assert problems[1].endswith(
        "text before the first section; start each section with a line like '## symptoms'"
    )


@pytest.mark.parametrize("name", ["Bad_Name", "x y"])
def test_folder_names_must_be_slugs(make_workspace: Callable[..., Path], name: str) -> None:
    root = make_workspace()
    (root / "data" / name).mkdir()
    condition = load_condition(root / "data" / name, root=root, languages=("en",))
    assert [str(p) for p in condition.problems] == [
        f"data/{name}: folder name must be a lowercase slug like 'hemifacial-spasm'"
    ]


def test_todo_placeholders_are_errors(make_workspace: Callable[..., Path]) -> None:
    files = replaced(
        META,
        "owner: Demo Neurology Clinic, patient information team",
        "owner: 'TODO: who owns this content'",
    )
    files[META] = files[META].replace("next_review: 2027-11-20", "next_review: TODO")
    # In it.md: a changed en.md would also make it.md a stale translation.
    files.update(replaced(IT, "title: Emispasmo facciale", "title: TODO titolo"))
    root = make_workspace(files=files)
    assert problems_of(root) == [
        f"{META}:7: next_review: 'TODO' is a placeholder; replace it before printing",
        f"{META}:8: owner: 'TODO: who owns this content' is a placeholder; "
        "replace it before printing",
        f"{IT}:2: title: 'TODO titolo' is a placeholder; replace it before printing",
    ]
    (condition,) = load_project(open_workspace(root)).conditions
    assert condition.metadata is not None and condition.metadata.next_review is None
    assert all(problem.draft for problem in condition.problems)


def test_todo_inside_a_value_is_not_a_placeholder(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(
        files=replaced(META, "reviewer: Movement Disorders Service", "reviewer: TODOS team")
    )
    assert problems_of(root) == [
        f"{META}:9: reviewer: 'TODOS team' is a placeholder; replace it before printing"
    ]


@pytest.mark.parametrize(
    ("version", "why"),
    [
        ('"1/../../../x"', "contains a slash"),
        (r"'1\\x'", "contains a slash"),
        ('"1..2"', "contains '..'"),
        ('".hidden"', "starts with a dot"),
        (r'"1\u200b"', "contains a control character"),  # \x01 is refused before (test_hardening)
    ],
)
def test_version_must_be_a_file_name_component(
    make_workspace: Callable[..., Path], version: str, why: str
) -> None:
    import yaml

    root = make_workspace(files=replaced(META, 'version: "1.0"', f"version: {version}"))
    value = yaml.safe_load(version)
    assert problems_of(root) == [
        f"{META}:5: version: {value!r} cannot be part of a file name: it {why}"
    ]


def test_version_cannot_write_outside_the_output_folder(
    make_workspace: Callable[..., Path],
) -> None:
    from leaflets.engine.build import build

    config = (Path(__file__).parent.parent / "leaflets.toml").read_text(encoding="utf-8")
    config = config.replace(
        'filename = "{condition}.{lang}.{template}.pdf"',
        'filename = "{condition}.{lang}.{template}.{version}.pdf"',
    )
    assert "{version}" in config
    root = make_workspace(
        config=config, files=replaced(META, 'version: "1.0"', 'version: "1/../../../x"')
    )
    report = build(open_workspace(root), jobs=1)
    assert not report.ok
    assert {outcome.status for outcome in report.outcomes} == {"failed"}
    assert list(root.parent.rglob("x.pdf")) == []
    assert not (root / "build").exists() or list((root / "build").glob("*.pdf")) == []


@pytest.mark.parametrize("where", [META, IT])
def test_impossible_date_is_one_line(make_workspace: Callable[..., Path], where: str) -> None:
    if where == META:
        files = replaced(META, "next_review: 2027-11-20", "next_review: 2027-02-30")
        expected = (
            f"{META}:7: next_review: '2027-02-30' is not a real date (day is out of range "
            "for month)"
        )
    else:
        # In it.md: a changed en.md would also make it.md a stale translation.
        files = replaced(IT, "title: Emispasmo facciale", "title: Emispasmo\ndate: 2027-02-30")
        expected = (
            f"{IT}:3: date: unknown key (expected one of: title, summary, key_points, next_steps, "
            "translated_from)"
        )
    root = make_workspace(files=files)
    assert problems_of(root) == [expected]


def test_source_dates_are_checked_too(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(
        files=replaced(META, "    language: it\n", "    language: it\n    modified: 2026-13-01\n")
    )
    assert problems_of(root) == [
        f"{META}:14: sources[0].modified: '2026-13-01' is not a real date (month must be in 1..12)"
    ]


def bomb(levels: int) -> str:
    """Return YAML whose aliases expand to 9**levels items (the "billion laughs")."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + f"\nnext_review: *a{levels}\n"


def test_alias_bomb_is_refused_quickly(make_workspace: Callable[..., Path]) -> None:
    import time

    text = (Path(__file__).parent.parent / META).read_text(encoding="utf-8")
    text = text.replace("next_review: 2027-11-20\n", "") + bomb(9)
    root = make_workspace(files={META: text})
    started = time.monotonic()
    problems = problems_of(root)
    assert time.monotonic() - started < 2
    line = text[: text.index("a0:")].count("\n") + 1
    assert problems == [
        f"{META}:{line}: anchors and aliases (&name, *name) are not allowed in data files; "
        "write the value out"
    ]


def test_alias_in_front_matter_is_refused(make_workspace: Callable[..., Path]) -> None:
    files = replaced(EN, "title: Hemifacial spasm", "title: &t Hemifacial spasm")
    root = make_workspace(files=files)
    assert problems_of(root) == [
        f"{EN}:2: anchors and aliases (&name, *name) are not allowed in data files; "
        "write the value out"
    ]


def test_huge_data_file_is_refused(make_workspace: Callable[..., Path]) -> None:
    text = (Path(__file__).parent.parent / EN).read_text(encoding="utf-8")
    root = make_workspace(files={EN: text + ("Padding words here.\n" * 60_000)})
    assert problems_of(root) == [f"{EN}: is 1.2 MB; a data file may be at most 1 MB"]


def test_bad_value_is_quoted_short(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(
        files=replaced(META, "next_review: 2027-11-20", f"next_review: {'9' * 5000}")
    )
    assert problems_of(root) == [
        f"{META}:7: next_review: {'9' * 80!r}… (5000 characters) is not a date in YYYY-MM-DD "
        "format (like 2026-11-22)"
    ]


def test_byte_order_mark_is_accepted(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    for name in (EN, META):
        path = root / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert problems_of(root) == []


def test_long_word_is_a_warning(make_workspace: Callable[..., Path]) -> None:
    word = "x" * 20_000
    root = make_workspace(files=replaced(IT, "Potresti notare:", f"{word}\n\nPotresti notare:"))
    line = line_of(IT, "Potresti notare:")
    # (A 20,000-letter word also makes the reading level drop: a second warning.)
    assert problems_of(root)[0] == (
        f"{IT}:{line}: warning: sections.symptoms: the word {'x' * 30!r}… is 20000 characters "
        "long; it will be broken at the page edge (a missing space?)"
    )
    (condition,) = load_project(open_workspace(root)).conditions
    assert word in condition.contents["it"].sections["symptoms"].html


def test_unreadable_image_is_an_error(make_workspace: Callable[..., Path]) -> None:
    files = replaced(EN, "You may notice:", "![A face](../../assets/face.png)\n\nYou may notice:")
    files["assets/face.png"] = "this is not an image"
    root = make_workspace(files=files)
    line = line_of(EN, "You may notice:")
    assert problems_of(root) == [
        f"{EN}:{line}: sections.symptoms: image '../../assets/face.png' is not a PNG, JPEG, "
        "GIF, WebP or SVG image"
    ]


@pytest.mark.parametrize(
    ("link", "why"),
    [
        ("JavaScript:alert(1)", "must start with one of: http://, https://, mailto:, tel:"),
        ("https:evil", "must be a web address like https://example.org/page"),
        ("mailto:x", "must be an email address like mailto:name@example.org"),
        ("tel:call-me", "must be a phone number like tel:+390200000000"),
    ],
)
def test_content_links_are_only_web_mail_and_phone(
    make_workspace: Callable[..., Path], link: str, why: str
) -> None:
    files = replaced(EN, "You may notice:", f"[here]({link})\n\nYou may notice:")
    root = make_workspace(files=files)
    line = line_of(EN, "You may notice:")
    assert problems_of(root) == [f"{EN}:{line}: sections.symptoms: link {link!r} {why}"]


def test_source_url_must_be_a_web_address(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(
        files=replaced(
            META,
            "url: https://www.benech-neurochirurgia.it/en/areas-of-expertise/facial-nerve-hemispasm/",
            "url: javascript:alert(1)",
        )
    )
    assert problems_of(root) == [
        f"{META}:16: sources[1].url: 'javascript:alert(1)' must start with one of: http://, "
        "https://"
    ]


def test_placeholders_in_lists_and_checked_fields(make_workspace: Callable[..., Path]) -> None:
    files = replaced(
        META,
        "url: https://www.benech-neurochirurgia.it/en/areas-of-expertise/facial-nerve-hemispasm/",
        "url: TODO",
    )
    files[META] = files[META].replace("icd10: G51.3", "icd10: TODO")
    files.update(
        replaced(
            IT,
            "  - Farmaci, iniezioni e un intervento chirurgico possono aiutare.",
            "  - 'TODO: one more key point'",
        )
    )
    root = make_workspace(files=files)
    assert problems_of(root) == [
        f"{META}:4: icd10: 'TODO' is a placeholder; replace it before printing",
        f"{META}:16: sources[1].url: 'TODO' is a placeholder; replace it before printing",
        f"{IT}:{line_of(IT, '  - Farmaci, iniezioni')}: key_points[3]: "
        "'TODO: one more key point' is a placeholder; replace it before printing",
    ]


def loaded_with_lines(data: object) -> object:
    """Return *data* with the line of every mapping, key, sequence and item, for comparing."""
    from leaflets.content.yaml_loader import LineDict, LineList

    if isinstance(data, LineDict):
        return (
            "map",
            data.line,
            {k: (data.line_of(k), loaded_with_lines(v)) for k, v in data.items()},
        )
    if isinstance(data, LineList):
        return (
            "seq",
            data.line,
            [(data.line_of(i), loaded_with_lines(v)) for i, v in enumerate(data)],
        )
    return (type(data).__name__, data)


def yaml_samples() -> list[str]:
    """Return the YAML of every shipped data file, and a few with duplicate keys and odd values."""
    root = Path(__file__).parent.parent
    samples = [path.read_text("utf-8") for path in sorted(root.glob("data/*/condition.yaml"))]
    samples += [
        path.read_text("utf-8").split("---\n")[1] for path in sorted(root.glob("data/*/*.md"))
    ]
    samples.append("a: 1\nb:\n  - x\n  - y: 2\n    y: 3\na: 2027-02-30\nc: " + "9" * 5000 + "\n")
    return samples


@pytest.mark.parametrize("text", yaml_samples())
def test_libyaml_and_the_reference_loader_agree(text: str) -> None:
    """Valid files take libyaml's fast path: same values, same lines, same duplicate keys."""
    from leaflets.content import yaml_loader

    fast = yaml_loader._fast_load(text, "x.yaml", 3)
    assert fast is not None, "a valid file must take the fast path"
    loader = yaml_loader._Loader(text, "x.yaml", 3)
    reference = loader.get_single_data()
    loader.dispose()
    assert loaded_with_lines(fast[0]) == loaded_with_lines(reference)
    assert fast[1] == loader.duplicates


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # Anchors and aliases.
        "a: \x01\n",  # A character YAML refuses.
        "a: [1, 2\n",  # Invalid.
        "a: 1\n---\nb: 2\n",  # Two documents.
    ],
)
def test_what_libyaml_would_word_differently_goes_to_the_reference_loader(text: str) -> None:
    from leaflets.content import yaml_loader

    assert yaml_loader._fast_load(text, "x.yaml", 0) is None


def test_without_libyaml_the_reference_loader_does_it_all(
    make_workspace: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from leaflets.content import yaml_loader

    root = make_workspace(files=replaced(META, "owner:", "owner: x\nowner:"))
    expected = problems_of(root)
    assert expected == [f"{META}:9: owner: this key is given twice"]
    monkeypatch.setattr(yaml_loader, "_CSafeLoader", None)
    assert yaml_loader._fast_load("a: 1\n", "x.yaml", 0) is None
    assert problems_of(root) == expected
    (condition,) = load_project(open_workspace(root)).conditions
    assert condition.contents["en"].title == "Hemifacial spasm"
