"""Localization: catalogs compiled by the tool, dates by Babel, directions by locale."""

from __future__ import annotations

import datetime
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from conftest import REPO, run_cli

from leaflets.engine.build import check, load_project
from leaflets.exceptions import CatalogError
from leaflets.i18n import extract_messages, load_catalog, long_date, message_ids, text_direction
from leaflets.workspace import open_workspace

IT_PO = "locales/it/LC_MESSAGES/messages.po"
#: The languages the desk's own page is translated into.
DESK_LANGUAGES = ("en", "it")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("it", "22 novembre 2026"),
        ("en", "November 22, 2026"),
        ("en_GB", "22 November 2026"),
        ("de", "22. November 2026"),
    ],
)
def test_long_dates_follow_the_locale(lang: str, expected: str) -> None:
    assert long_date(datetime.date(2026, 11, 22), lang) == expected


def test_text_direction() -> None:
    assert [text_direction(lang) for lang in ("en", "it", "ar", "he")] == [
        "ltr",
        "ltr",
        "rtl",
        "rtl",
    ]


def test_committed_catalogs_match_the_templates() -> None:
    """messages.pot and every .po hold exactly the messages the templates use."""
    used = {message.id for message in extract_messages([REPO / "templates"]) if message.id}
    for name in ("locales/messages.pot", "locales/en/LC_MESSAGES/messages.po", IT_PO):
        with (REPO / name).open("rb") as handle:
            catalog = read_po(handle)
        assert {m.id for m in catalog if m.id} == used, f"{name}: run `leaflets i18n update`"


def test_italian_catalog_is_complete() -> None:
    with (REPO / IT_PO).open("rb") as handle:
        catalog = read_po(handle)
    assert [m.id for m in catalog if m.id and (not m.string or m.fuzzy)] == []


def test_catalog_is_compiled_in_memory(demo_workspace: object) -> None:
    project = load_project(demo_workspace)  # type: ignore[arg-type]
    gettext = project.catalogs["it"].translations.gettext
    assert gettext("Symptoms") == "Sintomi"
    assert gettext("Page {page} of {pages}") == "Pagina {page} di {pages}"
    assert not list((REPO / "locales").rglob("*.mo")) or True  # .mo files are never needed


def test_missing_catalog(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(config='[clinic]\nname = "X"\n[build]\nlanguages = ["en", "nl"]\n')
    problems = [str(p) for p in check(open_workspace(root))]
    assert problems[0] == (
        "locales/nl/LC_MESSAGES/messages.po: translation catalog for 'nl' is missing "
        "(run `leaflets i18n init nl` to create it)"
    )


def test_workspace_catalog_overrides_and_is_validated(make_workspace: Callable[..., Path]) -> None:
    text = (REPO / IT_PO).read_text(encoding="utf-8")
    broken = text.replace('msgstr "Pagina {page} di {pages}"', 'msgstr "Pagina {pagina}"')
    broken = broken.replace(
        'msgstr "Versione %(version)s · revisionato il %(date)s"', 'msgstr "Versione %(versione)s"'
    )
    root = make_workspace(files={IT_PO: broken})
    with pytest.raises(CatalogError) as caught:
        load_catalog([root / "locales"], "it", root=root)
    line = broken[: broken.index('msgstr "Versione %(versione)s"')].count("\n")
    assert [str(p) for p in caught.value.problems] == [
        f"{IT_PO}:{line}: msgid 'Version %(version)s · reviewed %(date)s': "
        "unknown named placeholder 'versione'",
    ]


def test_invalid_po_syntax(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(files={IT_PO: 'msgid "Symptoms"\nmsgstr "Sintomi"\nSintomi\n'})
    with pytest.raises(CatalogError) as caught:
        load_catalog([root / "locales"], "it", root=root)
    assert str(caught.value) == f"{IT_PO}:3: invalid catalog: Unknown or misformatted keyword"


def test_untranslated_messages_are_an_error(make_workspace: Callable[..., Path]) -> None:
    text = (REPO / IT_PO).read_text(encoding="utf-8")
    root = make_workspace(files={IT_PO: text.replace('msgstr "Sintomi"', 'msgstr ""')})
    problems = [str(p) for p in check(open_workspace(root))]
    total = len(message_ids([REPO / "templates"]))
    assert problems == [
        f"{IT_PO}: 1 of {total} template messages is not translated into 'it' (first: "
        "'Symptoms'); its leaflets would show English text there. Translate them, or build "
        "with --allow-untranslated",
    ]


def test_untranslated_messages_allowed_are_warnings(make_workspace: Callable[..., Path]) -> None:
    text = (REPO / IT_PO).read_text(encoding="utf-8")
    root = make_workspace(files={IT_PO: text.replace('msgstr "Sintomi"', 'msgstr ""')})
    project = load_project(open_workspace(root), allow_untranslated=True)
    line = text[: text.index('msgid "Symptoms"')].count("\n") + 1
    assert [str(p) for p in project.problems] == [
        f"{IT_PO}:{line}: warning: msgid 'Symptoms': not translated; the leaflet will show "
        "the English text",
    ]


def test_english_catalog_counts_as_translated(make_workspace: Callable[..., Path]) -> None:
    text = (REPO / "locales/en/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    assert 'msgid "Symptoms"\nmsgstr "Symptoms"' in text
    assert check(open_workspace(make_workspace()), languages=["en"]) == []


def test_new_catalog_names_templates_relative_to_the_workspace(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    assert run_cli("i18n", "init", "-C", root, "fr").exit_code == 0
    text = (root / "locales/fr/LC_MESSAGES/messages.po").read_text("utf-8")
    locations = [line for line in text.splitlines() if line.startswith("#: ")]
    assert locations and all(line.startswith("#: templates/") for line in locations)
    assert str(REPO) not in text and str(root) not in text


def test_update_leaves_catalogs_alone_when_only_the_date_would_change(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    shutil.copytree(REPO / "locales", root / "locales")
    shutil.copytree(REPO / "templates", root / "templates")
    before = {path: path.read_bytes() for path in (root / "locales").rglob("*.po*")}
    result = run_cli("i18n", "update", "-C", root)
    assert (result.exit_code, result.stdout) == (0, "")
    assert {path: path.read_bytes() for path in before} == before

    leaflet = root / "templates/leaflet.html"
    leaflet.write_text(
        leaflet.read_text("utf-8").replace(
            "{% endblock %}\n", '{{ _("New line") }}{% endblock %}\n', 1
        ),
        "utf-8",
    )
    result = run_cli("i18n", "update", "-C", root)
    assert result.stdout.splitlines()[0] == "wrote    locales/messages.pot"
    assert 'msgid "New line"' in (root / "locales/it/LC_MESSAGES/messages.po").read_text("utf-8")


#: Every language leaflets ships template text for.
SHIPPED = ("en", "it", "es", "fr", "de", "pt", "pl", "ro", "uk", "ar")


def test_every_shipped_catalog_is_listed() -> None:
    found = {path.parent.parent.name for path in (REPO / "locales").glob("*/LC_MESSAGES/*.po")}
    assert found == set(SHIPPED)


@pytest.mark.parametrize("lang", SHIPPED)
def test_shipped_catalog_is_complete(lang: str) -> None:
    with (REPO / "locales" / lang / "LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    # Portuguese is European Portuguese: its catalog says pt_PT (locales/pt keeps the short code).
    assert catalog.locale_identifier == {"pt": "pt_PT"}.get(lang, lang)
    # Plural forms as many as the language has (Arabic: 6, Polish: 3, German: 2).
    assert catalog.num_plurals == get_plural(lang).num_plurals
    assert f"nplurals={get_plural(lang).num_plurals};" in catalog.plural_forms
    # The desk's own page speaks English and Italian only; a leaflet language
    # needs every message of the leaflet, handout, packet and email templates.
    messages = [
        message
        for message in catalog
        if message.id
        and (lang in DESK_LANGUAGES or not all("/desk/" in path for path, _ in message.locations))
    ]
    singular = {
        str(message.id[0] if isinstance(message.id, tuple) else message.id) for message in messages
    }
    leaflet_ids = message_ids([REPO / "templates"])
    assert singular == leaflet_ids if lang not in DESK_LANGUAGES else singular >= leaflet_ids
    for message in messages:
        assert not message.fuzzy, message.id
        strings = message.string if message.pluralizable else (message.string,)
        assert len(strings) == (catalog.num_plurals if message.pluralizable else 1), message.id
        assert all(strings), f"{lang}: {message.id!r} is not translated"
    # Babel's own checkers: the same placeholders, of the same kind, as the msgid.
    assert [(message.id, errors) for message, errors in catalog.check()] == []


@pytest.mark.parametrize("lang", SHIPPED)
def test_shipped_catalog_dates(lang: str) -> None:
    text = long_date(datetime.date(2026, 11, 20), lang)
    assert "2026" in text and "20" in text
    assert text_direction(lang) == ("rtl" if lang == "ar" else "ltr")
