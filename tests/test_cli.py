"""The command line: help, exit codes and messages exactly as a user reads them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, run_cli

from leaflets import __version__
from leaflets.config import example_toml
from leaflets.i18n import message_ids


def test_help_lists_the_commands() -> None:
    result = run_cli("--help")
    assert result.exit_code == 0
    for command in ("build", "check", "list", "init", "i18n"):
        assert f"  {command} " in result.output


@pytest.mark.parametrize("command", [["build"], ["check"], ["list"], ["init"], ["i18n", "update"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: cli {' '.join(command)}")


def test_version() -> None:
    assert run_cli("--version").output == f"leaflets, version {__version__}\n"


def test_build_prints_a_line_per_output_and_a_summary(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    result = run_cli("build", "-C", root, "--lang", "it")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("built    build/hemifacial-spasm.it.leaflet.pdf  (")
    assert lines[1].startswith("built    build/hemifacial-spasm.it.handout.pdf  (1 page, ")
    assert lines[2].startswith("2 built, 0 unchanged, 0 failed, 0 skipped, 0 removed, 0 warnings; ")


def test_build_failure_exit_code_and_no_traceback(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    meta = root / "data/hemifacial-spasm/condition.yaml"
    meta.write_text(meta.read_text("utf-8").replace("owner:", "owners:"), "utf-8")
    result = run_cli("build", "-C", root)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[:2] == [
        "data/hemifacial-spasm/condition.yaml:8: owners: unknown key (expected one of: id, "
        "specialty, icd10, version, last_reviewed, next_review, owner, reviewer, sources)",
        "data/hemifacial-spasm/condition.yaml:2: owner: is required",
    ]
    assert (
        "failed   hemifacial-spasm.en.leaflet: invalid data: data/hemifacial-spasm/"
        "condition.yaml:8: owners: unknown key" in result.stderr
    )
    assert not (root / "build").exists()


def test_unknown_selection(make_workspace: Callable[..., Path]) -> None:
    result = run_cli("build", "-C", make_workspace(), "--lang", "fr")
    assert result.exit_code == 1
    assert result.stderr == "Error: unknown language 'fr' (expected one of: en, it, es, ar)\n"


def test_missing_workspace(tmp_path: Path) -> None:
    result = run_cli("check", "-C", tmp_path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: leaflets.toml: not found in {tmp_path} "
        "(run `leaflets init` to create a workspace)\n"
    )


def test_check_exit_codes(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    ok = run_cli("check", "-C", root)
    assert (ok.exit_code, ok.output) == (0, "0 errors, 0 warnings\n")
    (root / "data/hemifacial-spasm/it.md").unlink()
    warned = run_cli("check", "-C", root)
    assert warned.exit_code == 0
    assert warned.stderr == (
        "data/hemifacial-spasm/it.md: warning: is missing: "
        "hemifacial-spasm has no content in 'it'\n"
    )
    assert run_cli("check", "-C", root, "--strict").exit_code == 1
    en = root / "data/hemifacial-spasm/en.md"
    en.write_text(en.read_text("utf-8").replace("## causes", "## cause"), "utf-8")
    failed = run_cli("check", "-C", root)
    assert failed.exit_code == 1
    assert failed.stdout == "1 error, 1 warning\n"


def test_list_shows_what_is_missing(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    it = root / "data/hemifacial-spasm/it.md"
    text = it.read_text("utf-8")
    it.write_text(text[: text.index("## specialist")], "utf-8")
    result = run_cli("list", "-C", root)
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "hemifacial-spasm.ar.handout  ready    hemifacial-spasm.ar.handout.pdf",
        "hemifacial-spasm.ar.leaflet  ready    hemifacial-spasm.ar.leaflet.pdf",
        "hemifacial-spasm.en.handout  ready    hemifacial-spasm.en.handout.pdf",
        "hemifacial-spasm.en.leaflet  ready    hemifacial-spasm.en.leaflet.pdf",
        "hemifacial-spasm.es.handout  ready    hemifacial-spasm.es.handout.pdf",
        "hemifacial-spasm.es.leaflet  ready    hemifacial-spasm.es.leaflet.pdf",
        "hemifacial-spasm.it.handout  ready    hemifacial-spasm.it.handout.pdf",
        "hemifacial-spasm.it.leaflet  ready    hemifacial-spasm.it.leaflet.pdf",
        "hemifacial-spasm: data/hemifacial-spasm/it.md: warning: sections.specialist: "
        "section is missing (present in: ar, en, es)",
        "hemifacial-spasm.ar: reading level: not measured",
        "hemifacial-spasm.en: reading level: Flesch-Kincaid grade 4.7 (target: 8 or below)",
        "hemifacial-spasm.es: reading level: Fernández Huerta reading ease 81.5 "
        "(target: 60 or above)",
        "hemifacial-spasm.it: reading level: Gulpease index 74.4 (target: 60 or above)",
        "8 of 8 outputs can be built",
    ]
    it.unlink()
    lines = run_cli("list", "-C", root).output.splitlines()
    assert lines[6] == (
        "hemifacial-spasm.it.handout  missing  no content in 'it' (data/hemifacial-spasm/it.md)"
    )
    assert lines[-1] == "6 of 8 outputs can be built"


def test_init_creates_a_buildable_workspace(tmp_path: Path) -> None:
    target = tmp_path / "clinic"
    result = run_cli("init", target)
    assert result.exit_code == 0
    # The commented example written from the schema (tests/test_config_schema.py).
    assert (target / "leaflets.toml").read_text("utf-8") == example_toml()
    assert run_cli("check", "-C", target).exit_code == 0
    again = run_cli("init", target)
    assert again.exit_code == 2
    assert (
        again.stderr == f"Error: {target / 'leaflets.toml'}: already exists; not overwriting it\n"
    )


def test_i18n_init_update_compile(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    result = run_cli("i18n", "init", "-C", root, "fr")
    assert result.output == "wrote    locales/fr/LC_MESSAGES/messages.po\n"
    # The new catalog is already in step with the templates: only the .pot is new.
    assert run_cli("i18n", "update", "-C", root).output.splitlines() == [
        "wrote    locales/messages.pot",
    ]
    assert (
        run_cli("i18n", "compile", "-C", root).output
        == "wrote    locales/fr/LC_MESSAGES/messages.mo\n"
    )
    bad = run_cli("i18n", "init", "-C", root, "klingon")
    assert (bad.exit_code, bad.stderr) == (
        1,
        "Error: 'klingon' is not a language code like 'en' or 'pt_BR'\n",
    )


def test_new_language_needs_no_code_change(make_workspace: Callable[..., Path]) -> None:
    """A new .po plus content files is all it takes to add a language."""
    root = make_workspace()
    config = root / "leaflets.toml"
    # Dutch: a language leaflets does not ship.
    config.write_text(
        config.read_text("utf-8").replace("languages = [", 'languages = ["nl", ', 1), "utf-8"
    )
    assert run_cli("i18n", "init", "-C", root, "nl").exit_code == 0
    po = root / "locales/nl/LC_MESSAGES/messages.po"
    po.write_text(
        po.read_text("utf-8").replace(
            'msgid "Symptoms"\nmsgstr ""', 'msgid "Symptoms"\nmsgstr "Klachten"'
        ),
        "utf-8",
    )
    en = (root / "data/hemifacial-spasm/en.md").read_text("utf-8")
    (root / "data/hemifacial-spasm/nl.md").write_text(
        en.replace("Hemifacial spasm\n", "Hemifaciale spasme\n", 1)
    )
    result = run_cli(
        "build", "-C", root, "--lang", "de", "--template", "leaflet", "--allow-untranslated"
    )

    result = run_cli(
        "build", "-C", root, "--lang", "nl", "--template", "leaflet", "--allow-untranslated"
    )
    assert result.exit_code == 0, result.output
    assert "not translated; the leaflet will show the English text" in result.stderr
    from conftest import pdf_pages

    text = " ".join(pdf_pages(root / "build/hemifacial-spasm.nl.leaflet.pdf"))
    assert "Hemifaciale spasme" in text and "Klachten" in text
    assert "20 november 2026" in text


def test_untranslated_language_fails_only_its_outputs(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    config = root / "leaflets.toml"
    config.write_text(
        re.sub(
            r"(?m)^languages = .*$", 'languages = ["en", "it", "nl"]', config.read_text("utf-8")
        ),
        "utf-8",
    )
    assert run_cli("i18n", "init", "-C", root, "nl").exit_code == 0
    en = (root / "data/hemifacial-spasm/en.md").read_text("utf-8")
    (root / "data/hemifacial-spasm/nl.md").write_text(en, "utf-8")
    total = len(message_ids([REPO / "templates"]))

    check = run_cli("check", "-C", root)
    message = (
        f"locales/nl/LC_MESSAGES/messages.po: {total} of {total} template messages are not "
        "translated into 'nl' (first: '%(name)s logo', 'Address', 'Phone'); its leaflets "
        "would show English text there. Translate them, or build with --allow-untranslated"
    )
    assert check.exit_code == 1
    assert [line for line in check.stderr.splitlines() if ": warning: " not in line] == [message]

    result = run_cli("build", "-C", root, "-t", "handout", "-j", "1")
    assert result.exit_code == 1
    assert f"failed   hemifacial-spasm.nl.handout: {message}" in result.stderr.splitlines()
    assert sorted(path.name for path in (root / "build").glob("*.pdf")) == [
        "hemifacial-spasm.en.handout.pdf",
        "hemifacial-spasm.it.handout.pdf",
    ]

    allowed = run_cli("build", "-C", root, "-t", "handout", "-l", "nl", "--allow-untranslated")
    assert allowed.exit_code == 0, allowed.output
    po = (root / "locales/nl/LC_MESSAGES/messages.po").read_text("utf-8")
    line = po[: po.index('msgid "Key points"')].count("\n") + 1
    assert (
        f"locales/nl/LC_MESSAGES/messages.po:{line}: warning: msgid 'Key points': not "
        "translated; the leaflet will show the English text" in allowed.stderr
    )
    assert (root / "build/hemifacial-spasm.nl.handout.pdf").is_file()


def test_workspace_option_before_the_command(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    result = run_cli("-C", root, "build", "--lang", "it", "--template", "handout")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "built    build/hemifacial-spasm.it.handout.pdf  ("
        + result.stdout.split("handout.pdf  (")[1].split(")")[0]
        + ")",
        result.stdout.splitlines()[-1],
    ]
    summary = result.stdout.splitlines()[-1]
    assert summary.startswith("1 built, 0 unchanged, 0 failed, 0 skipped, 0 removed, 0 warnings; ")
    assert "; 1 page, " in summary
    assert run_cli("-C", root, "check").stdout == "0 errors, 0 warnings\n"
    # After the command, -C still wins over the one before it.
    other = make_workspace()
    run_cli("-C", root, "build", "-C", other, "-l", "en", "-t", "handout")
    assert (other / "build/hemifacial-spasm.en.handout.pdf").exists()
    assert not (root / "build/hemifacial-spasm.en.handout.pdf").exists()


def test_workspace_option_before_init_and_i18n(tmp_path: Path) -> None:
    created = run_cli("-C", tmp_path / "clinic", "init")
    assert created.exit_code == 0, created.output
    assert (tmp_path / "clinic/leaflets.toml").is_file()
    inside = run_cli("-C", tmp_path, "init", "second")
    assert inside.exit_code == 0, inside.output
    assert (tmp_path / "second/leaflets.toml").is_file()
    assert run_cli("init").exit_code == 2
    result = run_cli("-C", tmp_path / "clinic", "i18n", "init", "fr")
    assert (result.exit_code, result.stdout) == (0, "wrote    locales/fr/LC_MESSAGES/messages.po\n")


def test_plurals_in_messages(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    meta = root / "data/hemifacial-spasm/condition.yaml"
    meta.write_text(meta.read_text("utf-8").replace("owner:", "owners:"), "utf-8")
    assert run_cli("check", "-C", root).stdout == "2 errors, 0 warnings\n"
    listing = run_cli("list", "-C", make_workspace(), "-l", "en", "-t", "handout")
    assert listing.stdout.splitlines()[-1] == "1 of 1 output can be built"


def test_a_condition_name_is_never_resolved_as_a_path(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    result = run_cli("build", "-C", root, "-c", "../../etc")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "data/../../etc: no such condition"
    assert not (root / "build").exists()
