"""The schema behind leaflets.toml and condition.yaml: its example, reference and choices."""

from __future__ import annotations

import importlib.util
import typing
from collections.abc import Callable
from pathlib import Path

import pytest

from leaflets.config import (
    DEFAULTS,
    EMAIL_SECURITY,
    PDF_VARIANTS,
    TEMPLATES,
    VARIANTS,
    Config,
    example_toml,
    load_config,
    reference_markdown,
)
from leaflets.config.metadata import ConditionMetadata, Source, yaml_keys
from leaflets.config.schema import TABLES, PdfVariant, Security, TemplateName, VariantName
from leaflets.exceptions import ConfigError
from leaflets.workspace import init_workspace

REPO = Path(__file__).resolve().parent.parent


def test_init_writes_the_example_and_it_loads(tmp_path: Path) -> None:
    init_workspace(tmp_path / "clinic")
    text = (tmp_path / "clinic" / "leaflets.toml").read_text("utf-8")
    assert text == example_toml()
    config = load_config(tmp_path / "clinic")
    assert config.clinic.name == "Demo Neurology Clinic"
    assert config.clinic.logo == tmp_path / "clinic" / "assets" / "clinic-logo.svg"
    assert config.languages == ("en", "it", "es", "ar")
    assert config.locale_for("en") == "en_GB"


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.name)
def test_the_example_shows_every_key_with_its_help(table: object) -> None:
    text = example_toml()
    flat = " ".join(line.lstrip("# ") for line in text.splitlines())
    section = text.split(f"[{table.name}]\n", 1)[1]  # type: ignore[attr-defined]
    for key in table.keys:  # type: ignore[attr-defined]
        assert f"\n{key.name} = " in section or f"\n# {key.name} = " in section, key.name
        assert key.help and " ".join(key.help.split()) in flat, key.name


def test_the_reference_names_every_key() -> None:
    page = reference_markdown()
    for table in TABLES:
        assert f"### [{table.name}]" in page
        for key in table.keys:
            assert f"| `{key.name}` |" in page.split(f"### [{table.name}]")[1]
    condition_part = page.split("## condition.yaml")[1]
    for yaml_key in (*yaml_keys(ConditionMetadata), *yaml_keys(Source)):
        assert f"| `{yaml_key.name}` |" in condition_part
    assert '| `pdf_variant` | one of "pdf/a-2a"' in page
    assert '| `languages` | list of text | `["en"]` |' in page


def test_the_docs_hook_adds_the_generated_page() -> None:
    spec = importlib.util.spec_from_file_location("hook", REPO / "docs/hooks/reference.py")
    assert spec and spec.loader
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    assert hook.PAGE == "reference/configuration.md"
    assert hook.reference_markdown() == reference_markdown()


def test_choices_match_the_tables_they_mirror() -> None:
    assert set(typing.get_args(TemplateName)) == set(TEMPLATES)
    assert set(typing.get_args(VariantName)) == set(VARIANTS)
    assert typing.get_args(PdfVariant) == PDF_VARIANTS
    assert set(typing.get_args(Security)) == set(EMAIL_SECURITY)
    assert DEFAULTS["templates"] == list(TEMPLATES)


def test_config_default_warn_days_is_the_schemas() -> None:
    field = Config.__dataclass_fields__["review_warn_days"]
    review = next(table for table in TABLES if table.name == "review")
    assert field.default == review.keys[0].default == 60


def test_a_value_outside_the_choices_is_reported_with_the_checks(
    make_workspace: Callable[..., Path],
) -> None:
    # An unknown key comes first; then, in file order, a bad choice and a failed check.
    root = make_workspace(
        config='[clinic]\nname = "C"\n[email]\nlog = "../x"\nsecurity = "tls"\ncolour = 1\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    assert [str(problem) for problem in caught.value.problems] == [
        "leaflets.toml:6: email.colour: unknown key (expected one of: host, port, security, "
        "username, from, max_attachments_size, timeout, log, log_recipients, max_recipients)",
        "leaflets.toml:4: email.log: '../x' is outside the workspace",
        "leaflets.toml:5: email.security: 'tls' is not one of: starttls, ssl, none",
    ]


def test_an_override_without_a_line_is_named_last(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(config='[clinic]\nname = "C"\n[build]\nvariants = ["braille"]\n')
    with pytest.raises(ConfigError) as caught:
        load_config(root, paper="A3")
    assert [str(problem) for problem in caught.value.problems] == [
        "leaflets.toml:4: build.variants: unknown variant 'braille' "
        "(expected one of: standard, large-print)",
        "leaflets.toml: build.paper: 'A3' is not one of: A4, Letter",
    ]
