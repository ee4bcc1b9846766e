"""Templates: autoescaping, strict variables, page-margin text and template error lines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO

from leaflets.build import check, load_project, plan, render_html
from leaflets.templating import css_string, isolate, ltr
from leaflets.workspace import open_workspace


def test_css_string_quotes_and_places_counters() -> None:
    assert css_string(
        "Pagina {page} di {pages}", {"page": "counter(page)", "pages": "counter(pages)"}
    ) == ('"Pagina " counter(page) " di " counter(pages)')
    # Quotes, backslashes and angle brackets can never end the string or the <style>.
    assert css_string('A "b" \\ </style>') == '"A \\22 b\\22  \\5c  \\3c \\2f style\\3e "'
    assert css_string("Clinica Sant’Anna") == '"Clinica Sant\\2019 Anna"'


def test_html_is_escaped_and_marked_with_language(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    config = root / "leaflets.toml"
    config.write_text(
        config.read_text("utf-8").replace(
            'name = "Demo Neurology Clinic"', 'name = "Demo <b>Clinic</b> & Co"'
        ),
        "utf-8",
    )
    project = load_project(open_workspace(root), languages=["it"], templates=["leaflet"])
    (job,), _ = plan(project)
    html = render_html(project, job)
    assert '<html lang="it" dir="ltr">' in html
    assert "Demo &lt;b&gt;Clinic&lt;/b&gt; &amp; Co" in html
    assert "<b>Clinic</b>" not in html


def test_undefined_variable_names_the_template_line(make_workspace: Callable[..., Path]) -> None:
    text = (REPO / "templates/leaflet.html").read_text("utf-8")
    line = text[: text.index("{{ content.title }}")].count("\n") + 1
    root = make_workspace(
        files={
            "templates/leaflet.html": text.replace("{{ content.title }}", "{{ content.titel }}", 1)
        }
    )
    problems = [str(p) for p in check(open_workspace(root), templates=["leaflet"])]
    assert problems == [
        f"templates/leaflet.html:{line}: template error: 'leaflets.conditions.Content object' "
        "has no attribute 'titel'",
    ]


@pytest.mark.parametrize("name", ["leaflet.html", "handout.html"])
def test_every_template_text_is_translatable(name: str) -> None:
    """No English words outside gettext calls in the templates' visible text."""
    import re

    text = (REPO / "templates" / name).read_text("utf-8")
    text = re.sub(r"\{% trans .*?\{% endtrans %\}", " ", text, flags=re.S)
    text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}|<[^>]+>", " ", text, flags=re.S)
    assert re.findall(r"[A-Za-z]{3,}", text) == []


def test_text_kept_in_its_own_direction_inside_arabic() -> None:
    # The first letter decides, as dir="auto" would; digits and spaces do not.
    assert isolate("1 Example Street, Milan") == ('<bdi dir="ltr">1 Example Street, Milan</bdi>')
    assert isolate("١ شارع المثال") == '<bdi dir="rtl">١ شارع المثال</bdi>'
    assert isolate("<b>&") == '<bdi dir="ltr">&lt;b&gt;&amp;</bdi>'
    assert ltr("+39 02 0000 0000") == '<bdi dir="ltr">+39 02 0000 0000</bdi>'
