"""Templates: autoescaping, strict variables, page-margin text and template error lines."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, run_cli

from leaflets.engine.build import build, check, load_project, plan, render_html, stylesheets
from leaflets.engine.fingerprint import MISSING, OUTSIDE, Fingerprinter
from leaflets.engine.templating import css_string, isolate, ltr
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
    text = (REPO / "templates/_leaflet.html").read_text("utf-8")
    line = text[: text.index("{{ content.title|bind_single_letters }}")].count("\n") + 1
    root = make_workspace(
        files={"templates/_leaflet.html": text.replace("{{ content.title|", "{{ content.titel|", 1)}
    )
    problems = [str(p) for p in check(open_workspace(root), templates=["leaflet"])]
    assert problems == [
        f"templates/_leaflet.html:{line}: template error: "
        "'leaflets.content.model.Content object' has no attribute 'titel'",
    ]


@pytest.mark.parametrize(
    "name",
    [
        "leaflet.html",
        "_leaflet.html",
        "handout.html",
        "_handout.html",
        "packet.html",
        "email/subject.txt",
        "email/message.txt",
        "email/message.html",
    ],
)
def test_every_template_text_is_translatable(name: str) -> None:
    """No English words outside gettext calls in the templates' visible text."""
    import re

    text = (REPO / "templates" / name).read_text("utf-8")
    text = re.sub(r"\{% trans .*?\{% endtrans %\}|<style>.*?</style>", " ", text, flags=re.S)
    text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}|<[^>]+>", " ", text, flags=re.S)
    assert re.findall(r"[A-Za-z]{3,}", text) == []


def test_text_kept_in_its_own_direction_inside_arabic() -> None:
    # The first letter decides, as dir="auto" would; digits and spaces do not.
    assert isolate("1 Example Street, Milan") == ('<bdi dir="ltr">1 Example Street, Milan</bdi>')
    assert isolate("١ شارع المثال") == '<bdi dir="rtl">١ شارع المثال</bdi>'
    assert isolate("<b>&") == '<bdi dir="ltr">&lt;b&gt;&amp;</bdi>'
    assert ltr("+39 02 0000 0000") == '<bdi dir="ltr">+39 02 0000 0000</bdi>'


def _with_handout_line(root_factory: Callable[..., Path], extra: str) -> tuple[Path, int]:
    """Return a workspace whose handout body has *extra* after <main>, and its line."""
    text = (REPO / "templates/_handout.html").read_text("utf-8")
    line = text[: text.index("<main>")].count("\n") + 1
    root = root_factory(files={"templates/_handout.html": text.replace("<main>", extra, 1)})
    return root, line


def test_a_template_cannot_run_a_shell_command(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    root, line = _with_handout_line(
        make_workspace,
        "<main>{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}".replace(
            "MARKER", str(marker)
        ),
    )
    message = (
        f"templates/_handout.html:{line}: sandbox violation: "
        "access to attribute '__init__' of 'type' object is unsafe."
    )
    assert [str(p) for p in check(open_workspace(root), templates=["handout"])] == [message]
    report = build(open_workspace(root), languages=["en"], templates=["handout"])
    (outcome,) = report.outcomes
    assert (outcome.status, outcome.reason) == ("failed", message)
    assert not marker.exists()
    result = run_cli("build", "-C", root, "-l", "en", "-t", "handout")
    assert result.exit_code == 1
    assert f"failed   hemifacial-spasm.en.handout: {message}" in result.output


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "{{ ''.__class__.__mro__ }}",
            "access to attribute '__class__' of 'str' object is unsafe.",
        ),
        (
            "{% set seen = [] %}{{ seen.append(1) }}",
            "access to attribute 'append' of 'list' object is unsafe.",
        ),
        (
            "{{ clinic.__dict__ }}",
            "access to attribute '__dict__' of 'Clinic' object is unsafe.",
        ),
    ],
)
def test_sandbox_violations_name_the_template_line(
    make_workspace: Callable[..., Path], code: str, message: str
) -> None:
    root, line = _with_handout_line(make_workspace, "<main>" + code)
    problems = [
        str(p) for p in check(open_workspace(root), languages=["en"], templates=["handout"])
    ]
    assert problems == [f"templates/_handout.html:{line}: sandbox violation: {message}"]


def test_an_include_cannot_leave_the_theme(make_workspace: Callable[..., Path]) -> None:
    root, line = _with_handout_line(make_workspace, '<main>{% include "../../etc/passwd" %}')
    problems = [
        str(p) for p in check(open_workspace(root), languages=["en"], templates=["handout"])
    ]
    assert problems == [
        f"templates/_handout.html:{line}: template '../../etc/passwd' is outside the workspace "
        "and the built-in theme"
    ]


def test_a_symlink_to_outside_is_not_a_template(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.html"
    secret.write_text("{{ _('SECRET') }} the secret", "utf-8")
    root, line = _with_handout_line(make_workspace, '<main>{% include "notes.html" %}')
    (root / "templates" / "notes.html").symlink_to(secret)
    (root / "templates" / "fine.html").symlink_to(root / "templates" / "_handout.html")
    problems = [
        str(p) for p in check(open_workspace(root), languages=["en"], templates=["handout"])
    ]
    assert problems == [
        f"templates/_handout.html:{line}: template 'notes.html' resolves to {str(secret)!r}, "
        "outside the workspace and the built-in theme"
    ]
    # A symlink to the top template itself is reported when the template is compiled.
    (root / "templates" / "leaflet.html").symlink_to(secret)
    problems = [
        str(p) for p in check(open_workspace(root), languages=["en"], templates=["leaflet"])
    ]
    assert problems == [
        f"templates/leaflet.html: template 'leaflet.html' resolves to {str(secret)!r}, "
        "outside the workspace and the built-in theme"
    ]


def test_symlinks_inside_the_workspace_are_followed(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    shared = root / "shared-templates"
    shared.mkdir()
    (shared / "_handout.html").write_text(
        (REPO / "templates/_handout.html").read_text("utf-8").replace("<main>", "<main>LINKED", 1),
        "utf-8",
    )
    (root / "templates").mkdir()
    (root / "templates" / "_handout.html").symlink_to(shared / "_handout.html")
    project = load_project(open_workspace(root), languages=["en"], templates=["handout"])
    (job,), _ = plan(project)
    assert "<main>LINKED" in render_html(project, job)


def test_the_fingerprinter_never_reads_outside(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_workspace()
    secret = tmp_path / "secret.txt"
    secret.write_text("secret", "utf-8")
    (root / "assets" / "link.txt").symlink_to(secret)
    (root / "outside").symlink_to(tmp_path, target_is_directory=True)
    (root / "assets" / "inside.txt").symlink_to(root / "leaflets.toml")
    workspace = open_workspace(root)
    fingerprints = Fingerprinter(workspace, stylesheets=stylesheets(workspace))
    for path in (secret, root / "assets/link.txt", root / "outside/secret.txt", Path("/etc/hosts")):
        assert fingerprints.digest(str(path)) == OUTSIDE, path
    assert fingerprints.digest(str(root / "assets/missing.png")) == MISSING
    digest = hashlib.sha256((root / "leaflets.toml").read_bytes()).hexdigest()
    assert fingerprints.digest(str(root / "assets/inside.txt")) == digest


def test_data_and_catalogs_linked_to_outside_are_not_read(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: SECRET\n---\n", "utf-8")
    root = make_workspace()
    content = root / "data/hemifacial-spasm/en.md"
    content.unlink()
    content.symlink_to(secret)
    catalog = root / "locales/it/LC_MESSAGES/messages.po"
    catalog.parent.mkdir(parents=True)
    catalog.symlink_to(secret)
    problems = [str(p) for p in check(open_workspace(root))]
    assert problems == [
        f"locales/it/LC_MESSAGES/messages.po: resolves to {str(secret)!r}, "
        "outside the workspace and the built-in theme; not read",
        f"data/hemifacial-spasm/en.md: resolves to {str(secret)!r}, outside the workspace",
    ]
