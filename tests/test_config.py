"""The workspace configuration: defaults, overrides and word-for-word errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from leaflets.config import DEFAULTS, load_config
from leaflets.exceptions import ConfigError

MINIMAL = '[clinic]\nname = "Test Clinic"\n'


def errors(root: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    return [str(problem) for problem in caught.value.problems] or [str(caught.value)]


def test_demo_configuration(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    config = load_config(root)
    assert config.clinic.name == "Demo Neurology Clinic"
    assert config.clinic.logo == root / "assets" / "clinic-logo.svg"
    assert config.languages == ("en", "it", "es", "ar")
    assert config.output_dir == root / "build"


def test_defaults_fill_a_minimal_file(make_workspace: Callable[..., Path]) -> None:
    config = load_config(make_workspace(config=MINIMAL))
    assert config.languages == tuple(DEFAULTS["languages"])
    assert config.paper == "A4"
    assert config.pdf_variant == "pdf/ua-1"
    assert (
        config.output_name(condition="x", lang="it", template="leaflet", version="1")
        == "x.it.leaflet.pdf"
    )


def test_overrides_win_and_paper_is_case_insensitive(make_workspace: Callable[..., Path]) -> None:
    config = load_config(make_workspace(config=MINIMAL), paper="letter", pdf_variant="pdf/a-3a")
    assert (config.paper, config.pdf_variant) == ("Letter", "pdf/a-3a")


def test_missing_file(tmp_path: Path) -> None:
    assert errors(tmp_path) == [
        f"leaflets.toml: not found in {tmp_path} (run `leaflets init` to create a workspace)"
    ]


def test_invalid_toml_names_the_line(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(config=MINIMAL + "[build]\nlanguages = [en]\n")
    assert errors(root) == ["leaflets.toml:4: invalid TOML: Invalid value"]


def test_every_problem_is_reported(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(
        config="""\
[clinic]
phone = 12345
fax = "none"

[build]
languages = ["en", "xx", "english"]
paper = "A3"
pdf_variant = "pdf/x-4"
templates = ["leaflet", "poster"]
filename = "{condition}-{lang}.pdf"
colour = "blue"
"""
    )
    assert errors(root) == [
        "leaflets.toml:2: clinic.phone: must be a string, not 12345",
        "leaflets.toml:3: clinic.fax: unknown key (expected one of: name, department, "
        "address, phone, email, website, logo, online_url, feedback)",
        "leaflets.toml:1: clinic.name: is required: the clinic's name is printed on every leaflet",
        "leaflets.toml:11: build.colour: unknown key (expected one of: languages, paper, "
        "output_dir, filename, pdf_variant, templates, data_dir, source_language, locales, "
        "variants, large_print_size)",
        "leaflets.toml:6: build.languages: unknown language code 'xx'",
        "leaflets.toml:6: build.languages: 'english' is not a language code like 'en' or 'pt_BR'",
        "leaflets.toml:7: build.paper: 'A3' is not one of: A4, Letter",
        "leaflets.toml:8: build.pdf_variant: 'pdf/x-4' is not one of: pdf/ua-1, pdf/ua-2, "
        "pdf/a-2a, pdf/a-3a, pdf/a-2u, pdf/a-3u",
        "leaflets.toml:9: build.templates: unknown template 'poster' (expected one of: "
        "leaflet, handout)",
        "leaflets.toml:10: build.filename: '{condition}-{lang}.pdf' must contain {condition}, "
        "{lang} and {template} so that every leaflet gets its own file",
    ]


def test_logo_must_be_inside_the_workspace(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(config=MINIMAL + 'logo = "../../etc/passwd"\n')
    assert errors(root) == [
        "leaflets.toml:3: clinic.logo: '../../etc/passwd' is outside the workspace"
    ]


def test_clinic_name_and_department_have_a_length_limit(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace(config=f'[clinic]\nname = "{"N" * 101}"\ndepartment = "{"D" * 150}"\n')
    why = "(it prints large in the masthead of every leaflet and names the sender of every email)"
    assert errors(root) == [
        f"leaflets.toml:2: clinic.name: is 101 characters long; it may be at most 100 {why}",
        f"leaflets.toml:3: clinic.department: is 150 characters long; it may be at most 100 {why}",
    ]
    root = make_workspace(config=f'[clinic]\nname = "{"N" * 100}"\n')
    assert load_config(root).clinic.name == "N" * 100


def test_missing_logo(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(config=MINIMAL + 'logo = "assets/missing.png"\n')
    assert errors(root) == [
        "leaflets.toml:3: clinic.logo: file 'assets/missing.png' does not exist"
    ]


def test_filename_placeholders(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(
        config=MINIMAL + '[build]\nfilename = "out/{condition}.{lang}.{template}.{size}.txt"\n'
    )
    assert errors(root) == [
        "leaflets.toml:4: build.filename: unknown placeholder {size} in "
        "'out/{condition}.{lang}.{template}.{size}.txt' (expected: {condition}, {lang}, "
        "{template}, {variant}, {version})",
        "leaflets.toml:4: build.filename: 'out/{condition}.{lang}.{template}.{size}.txt' "
        "must end with .pdf",
        "leaflets.toml:4: build.filename: 'out/{condition}.{lang}.{template}.{size}.txt' "
        "must be a file name, not a path",
    ]


def test_date_locales(make_workspace: Callable[..., Path]) -> None:
    config = load_config(make_workspace())
    assert config.locales == {"en": "en_GB"}
    assert config.locale_for("en") == "en_GB"
    assert config.locale_for("it") == "it"
    bad = MINIMAL + "[build]\n" + 'locales = { en = "it_IT", english = "", it = "xx" }\n'
    assert errors(make_workspace(config=bad)) == [
        "leaflets.toml:4: build.locales: en: 'it_IT' is not a locale of the language 'en'",
        "leaflets.toml:4: build.locales: 'english' is not a language code like 'en' or 'pt_BR'",
        "leaflets.toml:4: build.locales: it: unknown language code 'xx'",
    ]
    assert errors(make_workspace(config=MINIMAL + '[build]\nlocales = "en_GB"\n')) == [
        'leaflets.toml:4: build.locales: must be a table like { en = "en_GB" }'
    ]


# Hardening (issue 8): what leaflets.toml may not do.


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (".{condition}.{lang}.{template}.pdf", "starts with a dot"),
        ("{condition}..{lang}.{template}.pdf", "contains '..'"),
        # A zero-width space: a line break or a tab is refused in every text (see below).
        ("{condition}.{lang}\u200b{template}.pdf", "contains a control character"),
    ],
)
def test_filename_pattern_must_be_a_plain_name(
    make_workspace: Callable[..., Path], pattern: str, why: str
) -> None:
    escaped = pattern.replace("\u200b", "\\u200b")
    root = make_workspace(config=MINIMAL + f'[build]\nfilename = "{escaped}"\n')
    assert errors(root) == [
        f"leaflets.toml:4: build.filename: {pattern!r} must be a plain file name: it {why}"
    ]


def test_filename_pattern_without_format_specs(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(
        config=MINIMAL + '[build]\nfilename = "{condition}.{lang:>999999999}.{template}.pdf"\n'
    )
    assert errors(root) == [
        "leaflets.toml:4: build.filename: '{condition}.{lang:>999999999}.{template}.pdf': "
        "write placeholders plainly, like {lang}"
    ]


@pytest.mark.parametrize("key", ["output_dir", "data_dir"])
def test_folders_must_stay_inside_the_workspace(
    make_workspace: Callable[..., Path], key: str
) -> None:
    root = make_workspace(config=MINIMAL + f'[build]\n{key} = "../elsewhere"\n')
    assert errors(root) == [
        f"leaflets.toml:4: build.{key}: '../elsewhere' is outside the workspace"
    ]


def test_output_option_may_point_anywhere(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_workspace()
    config = load_config(root, output_dir=str(tmp_path / "out"))
    assert config.output_dir == tmp_path / "out"


def test_output_path_never_leaves_the_output_folder(make_workspace: Callable[..., Path]) -> None:
    config = load_config(
        make_workspace(
            config=MINIMAL + '[build]\nfilename = "{condition}.{lang}.{template}.{version}.pdf"\n'
        )
    )
    assert config.output_path(condition="c", lang="en", template="leaflet", version="1") == (
        config.output_dir / "c.en.leaflet.1.pdf"
    )
    with pytest.raises(ConfigError) as caught:
        config.output_path(condition="c", lang="en", template="leaflet", version="1/../../../x")
    assert str(caught.value) == (
        "output file name 'c.en.leaflet.1/../../../x.pdf' leaves the output folder"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            'website = "javascript:alert(1)"',
            "clinic.website: 'javascript:alert(1)' must start with one of: http://, https://",
        ),
        (
            'website = "https:/example.org"',
            "clinic.website: 'https:/example.org' must be a web address like "
            "https://example.org/page",
        ),
        (
            'website = "https://example.org/a b"',
            "clinic.website: 'https://example.org/a b' is not a URL: it contains spaces or "
            "control characters",
        ),
        (
            'email = "x@example.org?subject=hi"',
            "clinic.email: 'x@example.org?subject=hi' must be a plain address like "
            "name@example.org",
        ),
        (
            'email = "javascript:alert(1)//@example.org"',
            "clinic.email: 'javascript:alert(1)//@example.org' must be a plain address like "
            "name@example.org",
        ),
        (
            'phone = "javascript:alert(1)"',
            "clinic.phone: 'javascript:alert(1)' must be a phone number like +39 02 0000 0000 "
            "(digits, spaces, + ( ) . - /)",
        ),
    ],
)
def test_clinic_links_are_only_web_mail_and_phone(
    make_workspace: Callable[..., Path], line: str, message: str
) -> None:
    root = make_workspace(config=MINIMAL + line + "\n")
    assert errors(root) == [f"leaflets.toml:3: {message}"]


def test_byte_order_mark_is_accepted(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    path = root / "leaflets.toml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_config(root).clinic.name == "Demo Neurology Clinic"


def test_long_values_are_quoted_short(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(config=MINIMAL + f'website = "javascript:{"a" * 5000}"\n')
    (message,) = errors(root)
    assert message == (
        f"leaflets.toml:3: clinic.website: 'javascript:{'a' * 69}'… (5011 characters) must "
        "start with one of: http://, https://"
    )


def test_logo_must_be_an_image(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(
        config=MINIMAL + 'logo = "assets/logo.png"\n', files={"assets/logo.png": "not an image"}
    )
    assert errors(root) == [
        "leaflets.toml:3: clinic.logo: file 'assets/logo.png' is not a PNG, JPEG, GIF, WebP "
        "or SVG image"
    ]


def test_huge_configuration_is_refused(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(config=MINIMAL + "# padding\n" * 20_000)
    assert errors(root) == [
        "leaflets.toml: is larger than 100 KB; this is not a configuration file"
    ]
