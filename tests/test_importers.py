"""`leaflets import`: each source shape, heading mapping, safety rules and exact messages."""

from __future__ import annotations

import datetime
import io
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import SEEDS, pdf_pages, run_cli
from pypdf import PdfReader

from leaflets.cli import cli, import_command
from leaflets.content.conditions import load_condition, load_content, load_metadata
from leaflets.engine.build import build
from leaflets.exceptions import ImportSourceError
from leaflets.importers import FORMATS, ImportReport, import_page
from leaflets.importers.sections import guess_language, match_heading
from leaflets.importers.to_markdown import escape_inline, escape_line_start
from leaflets.workspace import open_workspace

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
WORDPRESS_SEED = SEEDS / "003_2e1d26ee962999e5.txt"
TEXT_SEED = SEEDS / "000_bc3bd09a187d1375.txt"
DAY = datetime.date(2026, 11, 24)

needs_seeds = pytest.mark.skipif(
    not SEEDS.is_dir(), reason=f"the shared seed pages are not beside the repository ({SEEDS})"
)


def run_import(root: Path, source: Path | str, **options: object) -> ImportReport:
    """Import *source* into the workspace at *root* on a fixed day."""
    return import_page(open_workspace(root), source, today=DAY, **options)  # type: ignore[arg-type]


def section(text: str, key: str) -> str:
    """Return the Markdown of section *key* of a <lang>.md text."""
    body = text.split(f"\n## {key}\n\n", 1)[1]
    return body.split("\n## ", 1)[0].rstrip("\n")


def files_under(root: Path) -> dict[str, bytes]:
    """Return every file of the workspace's data folder with its bytes."""
    data = root / "data"
    return {
        str(path.relative_to(data)): path.read_bytes() for path in data.rglob("*") if path.is_file()
    }


#: What a reviewer puts in place of a draft's TODO placeholders.
REVIEWED = {
    "specialty": "neurology",
    "last_reviewed": "2026-11-25",
    "next_review": "2027-11-25",
    "owner": "Demo Neurology Clinic",
}
#: What every draft leaves to a person: real values, not comments, no dates made up.
TODO_VALUES = {
    "last_reviewed": "TODO",
    "next_review": "TODO",
    "owner": "TODO: who owns this content",
}
NO_SPECIALTY = "TODO: the specialty (the page names no specialist)"


def draft_values(folder: Path) -> dict[str, object]:
    """Return the values of a draft's condition.yaml, as YAML reads them."""
    data = yaml.safe_load((folder / "condition.yaml").read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def review(folder: Path) -> Path:
    """Replace a draft's TODO placeholders with real values, as its reviewer does; return it."""
    path = folder / "condition.yaml"
    lines = []
    for line in path.read_text("utf-8").splitlines(keepends=True):
        key, _, value = line.partition(": ")
        if key in REVIEWED and value.strip().strip("'\"").startswith("TODO"):
            line = f"{key}: {REVIEWED[key]}\n"
        lines.append(line)
    path.write_text("".join(lines), "utf-8")
    return path


def build_leaflet(root: Path, slug: str, lang: str) -> list[str]:
    """Build one leaflet and return the text of its pages."""
    report = build(open_workspace(root), conditions=[slug], languages=[lang], templates=["leaflet"])
    assert report.ok, [str(outcome) for outcome in report.outcomes] + [
        str(problem) for problem in report.problems
    ]
    return pdf_pages(root / "build" / f"{slug}.{lang}.leaflet.pdf")


# -- The two seed pages ------------------------------------------------------------------


@needs_seeds
def test_wordpress_seed_becomes_a_condition_that_builds(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    report = run_import(root, WORDPRESS_SEED)
    assert (report.slug, report.language, report.format) == (
        "facial-nerve-hemispasm",
        "en",
        "WordPress REST API JSON",
    )
    assert report.language_origin == "from yoast_head_json.og_locale 'en_US'"
    assert report.mapped == [
        ("Facial Nerve Hemispasm", "title"),
        ("(text before the first heading)", "what_it_is"),
        ("Symptoms", "symptoms"),
        ("Diagnosis", "diagnosis"),
        ("Treatment", "treatment"),
    ]
    assert report.unmapped == []
    assert [(removal.what, removal.text) for removal in report.removed] == [
        ("breadcrumb", "Home » Areas of expertise » Facial Nerve Hemispasm"),
        ("in-page navigation", "Definition and Etiology · Symptoms · Diagnosis · Treatment"),
        ("image", "chirurgia-robotica.jpg"),
        ("label above the title", "Treated conditions"),
        ("label above the title", "Treated conditions"),
    ]
    folder = root / "data" / "facial-nerve-hemispasm"
    text = (folder / "en.md").read_text("utf-8")
    assert section(text, "treatment") == (
        "### Conservative treatment\n\n"
        "Includes oral medication (carbamazepine, phenytoin, baclofen, clonazepam) with limited "
        "efficacy and side effects like mental confusion and sedation.\n\n"
        "### Botulinum Toxin Injections\n\n"
        "The most effective treatment involves injecting botulinum toxin into the affected "
        "muscles, providing relief for 3-6 months, with the procedure requiring repetition. "
        "Side effects are rare and temporary.\n\n"
        "### Surgical Treatment\n\n"
        "Microvascular decompression is a surgical method involving separation of the blood "
        "vessel from the facial nerve with a foam pad, achieving symptom resolution in over 85% "
        "of cases."
    )
    assert section(text, "diagnosis") == (
        "Brain MRI is indicated to exclude space-occupying lesions and document possible "
        "neurovascular conflict."
    )
    for chrome in ("Treated conditions", "Home", "»", "#sintomi", "<", "&nbsp;", "\\/"):
        assert chrome not in text.split("---\n", 2)[2]
    content, problems = load_content(folder / "en.md", root=root, lang="en")
    assert content is not None and problems == []
    assert [*content.sections] == ["what_it_is", "symptoms", "diagnosis", "treatment"]
    assert str(content.summary).startswith("Hemifacial spasm involves unilateral, involuntary")
    draft = draft_values(folder)
    assert draft | TODO_VALUES == draft  # The placeholders are values...
    assert (draft["specialty"], draft["version"]) == (NO_SPECIALTY, "0.1")
    assert "# TODO" not in (folder / "condition.yaml").read_text("utf-8")  # ...not comments.
    metadata, problems = load_metadata(review(folder), root=root, slug="facial-nerve-hemispasm")
    assert metadata is not None and problems == []
    (source,) = metadata.sources
    assert source.url == (
        "https://www.benech-neurochirurgia.it/en/areas-of-expertise/facial-nerve-hemispasm/"
    )
    assert (source.title, source.publisher, source.language) == (
        "Facial Nerve Hemispasm",
        "Benech Neurochirurgia",
        "en",
    )
    assert (source.modified, source.imported) == (datetime.date(2024, 9, 1), DAY)
    assert [name for name, _ in report.placeholders] == [
        "specialty",
        "version",
        "last_reviewed, next_review",
        "owner",
    ]
    pages = " ".join(build_leaflet(root, "facial-nerve-hemispasm", "en"))
    assert "Facial Nerve Hemispasm" in pages
    assert "Symptoms" in pages and "Botulinum Toxin Injections" in pages


@needs_seeds
def test_plain_text_seed_keeps_the_prognosis_and_builds(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    report = run_import(root, TEXT_SEED)
    assert (report.slug, report.language, report.format) == (
        "emispasmo-facciale",
        "it",
        "plain-text article",
    )
    assert report.language_origin.startswith("recognised from its section headings")
    assert [key for _, key in report.mapped] == [
        "what_it_is",
        "symptoms",
        "diagnosis",
        "causes",
        "treatment",
        "specialist",
    ]
    assert report.unmapped == [("Prognosi della malattia", "what_it_is")]
    assert [(removal.what, removal.text) for removal in report.removed] == [
        ("byline (kept as the source's publisher)", "Top Doctors · La redazione di Top Doctors"),
        ("image caption", "ragazza con emispasmo facciale"),
    ]
    folder = root / "data" / "emispasmo-facciale"
    text = (folder / "it.md").read_text("utf-8")
    assert section(text, "symptoms") == (
        "I principali sintomi dell’emispasmo facciale sono:\n\n"
        "- Spasmi e contrazioni muscolari involontarie\n"
        "- Piccole flessioni dei muscoli da un solo lato del viso\n"
        "- Piccole contrazioni a intervallo di una palpebra\n"
        "- Contrazioni continue sull’intero lato del viso"
    )
    assert section(text, "what_it_is").endswith(
        "### Prognosi della malattia\n\n"
        "La prognosi della malattia varia a seconda della gravità delle condizioni del paziente."
    )
    assert section(text, "specialist") == (
        "In caso di emispasmo facciale è opportuno rivolgersi a uno specialista in Neurologia."
    )
    assert "ragazza" not in text and "•" not in text
    # The sections are written in the leaflet's order, whatever the page's order.
    assert text.index("## causes") < text.index("## diagnosis")
    draft = draft_values(folder)
    assert draft | TODO_VALUES == draft
    assert draft["specialty"] == "neurology"  # Named by the page: not a placeholder.
    metadata, problems = load_metadata(review(folder), root=root, slug="emispasmo-facciale")
    assert metadata is not None and problems == []
    assert metadata.specialty == "neurology"
    assert metadata.sources[0].publisher == "Top Doctors (La redazione di Top Doctors)"
    assert (metadata.sources[0].url, metadata.sources[0].modified) == ("", None)
    pages = " ".join(build_leaflet(root, "emispasmo-facciale", "it"))
    assert "Emispasmo facciale" in pages
    assert "Prognosi della malattia" in pages and "Sintomi" in pages


@needs_seeds
def test_cli_imports_both_seeds_and_check_reports_only_their_placeholders(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    result = run_cli("import", "-C", root, WORDPRESS_SEED)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert (
        lines[0]
        == f"Imported {WORDPRESS_SEED} (WordPress REST API JSON) as data/facial-nerve-hemispasm"
    )
    assert "  Symptoms -> symptoms" in lines
    assert "  breadcrumb: Home » Areas of expertise » Facial Nerve Hemispasm" in lines
    assert lines[-3:] == [
        "created  data/facial-nerve-hemispasm/condition.yaml",
        "created  data/facial-nerve-hemispasm/en.md",
        "Next: edit the draft into plain language, then run "
        "`leaflets check -c facial-nerve-hemispasm`",
    ]
    result = run_cli("import", "-C", root, TEXT_SEED)
    assert result.exit_code == 0, result.output
    assert "Kept as ### sub-sections (no section key matches the heading):" in result.output
    assert "  Prognosi della malattia -> ### in what_it_is" in result.output
    # `check` reports what only a person can fill in, in condition.yaml, and nothing else.
    check = run_cli("check", "-C", root, "-c", "facial-nerve-hemispasm", "-c", "emispasmo-facciale")
    assert check.exit_code == 1
    problems = [line for line in check.stderr.splitlines() if "condition.yaml:" in line]
    # Every placeholder is an error (the loader's side of the drafts contract).
    assert [line.split(": ")[0].split("/")[1] for line in problems if "warning:" not in line] == [
        *["emispasmo-facciale"] * 3,
        *["facial-nerve-hemispasm"] * 4,
    ]
    fields = [re.sub(r".*condition\.yaml:\d+: (warning: )?(\w+): .*", r"\2", p) for p in problems]
    assert fields == [
        "last_reviewed",
        "next_review",
        "owner",
        "specialty",
        "last_reviewed",
        "next_review",
        "owner",
    ]
    for slug in ("facial-nerve-hemispasm", "emispasmo-facciale"):
        review(root / "data" / slug)
    check = run_cli("check", "-C", root, "-c", "facial-nerve-hemispasm", "-c", "emispasmo-facciale")
    assert check.exit_code == 0, check.output
    assert check.stdout.splitlines()[-1].startswith("0 errors, ")


# -- One fixture per shape, with headings in es / fr / de -------------------------------


def test_wordpress_post_in_spanish(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    config = root / "leaflets.toml"  # A clinic that does not build Spanish leaflets yet.
    config.write_text(
        re.sub(r"(?m)^languages = .*$", 'languages = ["en", "it"]', config.read_text("utf-8")),
        "utf-8",
    )
    report = run_import(root, FIXTURES / "wordpress-es.json")
    assert (report.slug, report.language, report.title) == ("migrana", "es", "Migraña")
    assert report.mapped[1:] == [
        ("¿Qué es la migraña?", "what_it_is"),
        ("Síntomas", "symptoms"),
        ("Causas", "causes"),
        ("Diagnóstico", "diagnosis"),
        ("Tratamiento", "treatment"),
        ("¿A qué especialista acudir?", "specialist"),
    ]
    assert report.unmapped == [("Pronóstico", "treatment")]
    assert [removal.what for removal in report.removed] == [
        "scripts, styles, embeds and forms",
        "breadcrumb",
        "image",
        "image caption",
        "label above the title",
    ]
    assert report.notes == [
        "'es' is not in the [build] languages of leaflets.toml (en, it); "
        "add it there to build this leaflet"
    ]
    text = (root / "data/migrana/es.md").read_text("utf-8")
    assert section(text, "symptoms") == (
        "Los síntomas más frecuentes son:\n\n"
        "- dolor en *un lado* de la cabeza\n"
        "- náuseas y vómitos\n"
        "  - a veces, solo náuseas\n"
        "- molestia con la luz"
    )
    # A relative link cannot be followed from paper: its text stays, the link goes.
    assert section(text, "diagnosis") == (
        "El médico le pregunta por sus síntomas. Más información en "
        "[la guía](https://www.example.org/migrana) y en nuestra consulta."
    )
    assert "summary: >-\n  La migraña es un dolor de cabeza **intenso** que vuelve" in text
    assert "72\u00a0horas" in text
    assert draft_values(root / "data/migrana") | TODO_VALUES == draft_values(root / "data/migrana")
    metadata, problems = load_metadata(review(root / "data/migrana"), root=root, slug="migrana")
    assert metadata is not None and problems == []
    assert (metadata.sources[0].publisher, metadata.sources[0].modified) == (
        "Clínica Ejemplo",
        datetime.date(2025, 3, 5),
    )


def test_html_page_in_french_drops_the_chrome(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    report = run_import(root, FIXTURES / "page-fr.html")
    assert (report.slug, report.language, report.title) == ("sciatique", "fr", "Sciatique")
    assert report.language_origin == "from <html lang> 'fr-FR'"
    assert [key for _, key in report.mapped] == [
        "title",
        "what_it_is",
        "symptoms",
        "causes",
        "diagnosis",
        "treatment",
        "get_help",
        "specialist",
    ]
    assert [(removal.what, removal.text) for removal in report.removed] == [
        ("scripts, styles, embeds and forms", "1 <button>, 1 <iframe>, 2 <script>, 1 <style>"),
        ("navigation", "Aller au contenu"),
        ("page header", "Clinique Exemple Accueil Maladies"),
        ("cookie banner", "Nous utilisons des cookies pour mesurer l’audience."),
        ("footer", "Publié dans Maladies du dos"),
        ("sidebar", "À lire aussi Lumbago"),
        ("footer", "© 2025 Clinique Exemple · Mentions légales"),
        ("image", "Schéma du nerf sciatique"),
        ("image caption", "Le trajet du nerf sciatique"),
    ]
    text = (root / "data/sciatique/fr.md").read_text("utf-8")
    assert section(text, "symptoms") == "1. douleur dans une jambe\n2. fourmillements"
    assert section(text, "causes") == (
        "Le plus souvent, une *hernie discale* appuie sur le nerf. Cliquez ici"
    )
    assert (
        section(text, "treatment") == "Rester actif aide à guérir.\\\nLes antidouleurs soulagent."
    )
    assert section(text, "get_help") == (
        "Appelez le [01 00 00 00 00](tel:+33100000000) si vous perdez le contrôle de la vessie."
    )
    for unsafe in ("javascript", "onclick", "steal", "dataLayer", "iframe", "cookies"):
        assert unsafe not in text
    metadata, _ = load_metadata(review(root / "data/sciatique"), root=root, slug="sciatique")
    assert metadata is not None
    assert metadata.specialty == "rheumatology"
    assert (metadata.sources[0].url, metadata.sources[0].publisher) == (
        "https://clinique.example/maladies/sciatique/",
        "Clinique Exemple",
    )
    assert metadata.sources[0].modified == datetime.date(2025, 2, 14)


def test_plain_text_in_german_with_bullets_and_numbers(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    report = run_import(root, FIXTURES / "article-de.txt")
    assert (report.slug, report.language) == ("migrane", "de")
    assert report.mapped == [
        ("Was ist Migräne?", "what_it_is"),
        ("Symptome", "symptoms"),
        ("Ursachen", "causes"),
        ("Behandlung", "treatment"),
        ("Welcher Arzt hilft?", "specialist"),
    ]
    text = (root / "data/migrane/de.md").read_text("utf-8")
    assert section(text, "symptoms") == (
        "Typische Anzeichen sind:\n\n"
        "- pochender Schmerz auf einer Seite\n"
        "- Übelkeit, manchmal mit Erbrechen\n"
        "- Empfindlichkeit für Licht"
    )
    assert section(text, "treatment") == (
        "So gehen Sie bei einem Anfall vor:\n\n"
        "1. Ruhe in einem dunklen Raum\n"
        "2. Schmerzmittel früh nehmen"
    )
    assert "summary: Migräne ist ein starker Kopfschmerz, der immer wieder kommt.\n" in text
    metadata, _ = load_metadata(review(root / "data/migrane"), root=root, slug="migrane")
    assert metadata is not None
    assert metadata.sources[0].publisher == "Gesundheitsportal Beispiel (Von der Redaktion)"


@pytest.mark.parametrize(
    ("heading", "key"),
    [
        ("Definition and Etiology", "what_it_is"),
        ("What is hemifacial spasm?", "what_it_is"),
        ("Che cos’è l’emispasmo facciale?", "what_it_is"),
        ("¿Qué es la migraña?", "what_it_is"),
        ("Qu'est-ce que la sciatique ?", "what_it_is"),
        ("Was ist Migräne?", "what_it_is"),
        ("What is the treatment?", "treatment"),
        ("Signs and symptoms", "symptoms"),
        ("Sintomi", "symptoms"),
        ("Síntomas", "symptoms"),
        ("Symptômes", "symptoms"),
        ("Symptome", "symptoms"),
        ("Causes", "causes"),
        ("Quali sono le cause", "causes"),
        ("Causas", "causes"),
        ("Ursachen", "causes"),
        ("Diagnosis", "diagnosis"),
        ("Diagnosi", "diagnosis"),
        ("Diagnóstico", "diagnosis"),
        ("Diagnostic", "diagnosis"),
        ("Diagnose", "diagnosis"),
        ("Treatment", "treatment"),
        ("Trattamenti per l’emispasmo", "treatment"),
        ("Tratamiento", "treatment"),
        ("Traitement", "treatment"),
        ("Behandlung", "treatment"),
        ("Living with migraine", "living_with"),
        ("When to see a doctor", "get_help"),
        ("Quand consulter ?", "get_help"),
        ("A quale specialista rivolgersi?", "specialist"),
        ("¿A qué especialista acudir?", "specialist"),
        ("Quel spécialiste consulter ?", "specialist"),
        ("Welcher Arzt hilft?", "specialist"),
        ("Prognosi della malattia", None),
        ("Pronóstico", None),
    ],
)
def test_headings_map_to_section_keys(heading: str, key: str | None) -> None:
    assert match_heading(heading) == key


def test_language_is_guessed_only_when_the_headings_agree() -> None:
    assert guess_language(["Sintomi", "Diagnosi", "Trattamento"]) == "it"
    assert guess_language(["Symptome", "Ursachen"]) == "de"
    # One recognised heading, or words several languages share, are not enough.
    assert guess_language(["Sintomi"]) is None
    assert guess_language(["Definition", "Diagnose"]) is None
    assert guess_language(["Symptoms", "Behandlung"]) is None


def test_markdown_escapes_keep_text_as_text() -> None:
    assert escape_inline("5 * 3 <b> [x] a_b &amp;") == "5 \\* 3 \\<b> \\[x\\] a\\_b \\&amp;"
    assert escape_line_start("1. Januar") == "1\\. Januar"
    assert escape_line_start("- not a list") == "\\- not a list"
    assert escape_line_start("# not a heading") == "\\# not a heading"
    assert escape_line_start("plain") == "plain"


def test_html_that_looks_like_markup_stays_text(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    page = FIXTURES / "tricky.html"
    report = run_import(root, page, lang="en")
    text = (root / f"data/{report.slug}/en.md").read_text("utf-8")
    assert section(text, "what_it_is") == (
        "1\\. A dose of \\<5 mg \\*twice\\* a day.\n\n"
        "\\# is a number sign, and **bold** stays bold.\n\n"
        "!\\[not an image\\](x.png)"
    )


def test_bold_paragraphs_are_headings_when_a_page_has_no_others(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    page = tmp_path / "bold.html"
    page.write_text(
        "<article><h1>Gout</h1><p>Gout is a painful swelling of a joint.</p>"
        "<p><strong>Symptoms:</strong></p><p>A hot, red, swollen big toe.</p>"
        "<p><b>Treatment</b></p><p>Rest and medicines.</p><p><b>Causes</b></p></article>",
        "utf-8",
    )
    root = make_workspace()
    report = run_import(root, page, lang="en")
    assert report.mapped == [
        ("Gout", "title"),
        ("(text before the first heading)", "what_it_is"),
        ("Symptoms", "symptoms"),
        ("Treatment", "treatment"),
    ]
    assert [(removal.what, removal.text) for removal in report.removed] == [
        ("heading with no text under it", "Causes")
    ]
    text = (root / "data/gout/en.md").read_text("utf-8")
    assert section(text, "symptoms") == "A hot, red, swollen big toe."
    assert "## causes" not in text


# -- Safety: --force, backups, --dry-run, existing conditions ---------------------------


@needs_seeds
def test_existing_file_is_refused_and_nothing_is_written(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    before = files_under(root)
    result = run_cli("import", "-C", root, "--slug", "hemifacial-spasm", TEXT_SEED)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: data/hemifacial-spasm/it.md: already exists; pass --force to replace it "
        "(the old file is then kept as it.md.bak)\n"
    )
    assert files_under(root) == before


@needs_seeds
def test_force_keeps_a_backup_and_prints_the_diff_first(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    old = (root / "data/hemifacial-spasm/it.md").read_bytes()
    old_yaml = (root / "data/hemifacial-spasm/condition.yaml").read_bytes()
    result = run_cli("import", "-C", root, "--slug", "hemifacial-spasm", "--force", TEXT_SEED)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    start = lines.index("--- data/hemifacial-spasm/it.md (now)")
    assert lines[start + 1] == "+++ data/hemifacial-spasm/it.md (imported)"
    assert "-title: Emispasmo facciale" not in lines  # the title is the same in both
    assert "+## specialist" not in lines and "+### Prognosi della malattia" in lines
    done = lines.index("replaced data/hemifacial-spasm/it.md (old file kept as it.md.bak)")
    assert done > start
    # The demo condition already lists this source, so its metadata is left alone.
    assert (
        "kept     data/hemifacial-spasm/condition.yaml: not changed: it already lists this source"
        in lines
    )
    assert (root / "data/hemifacial-spasm/it.md.bak").read_bytes() == old
    assert (root / "data/hemifacial-spasm/condition.yaml").read_bytes() == old_yaml
    assert "### Prognosi della malattia" in (root / "data/hemifacial-spasm/it.md").read_text(
        "utf-8"
    )


def test_force_adds_the_new_source_to_an_existing_condition(
    make_workspace: Callable[..., Path],
) -> None:
    root = make_workspace()
    meta = root / "data/hemifacial-spasm/condition.yaml"
    old = meta.read_text("utf-8")
    (root / "data/hemifacial-spasm/es.md").unlink()  # No Spanish content yet.
    report = run_import(root, FIXTURES / "wordpress-es.json", slug="hemifacial-spasm", force=True)
    assert [(change.shown, change.status) for change in report.changes] == [
        ("data/hemifacial-spasm/condition.yaml", "replace"),
        ("data/hemifacial-spasm/es.md", "create"),
    ]
    assert (root / "data/hemifacial-spasm/condition.yaml.bak").read_text("utf-8") == old
    new = meta.read_text("utf-8")
    assert new.startswith(old)
    assert new[len(old) :] == (
        "  - title: Migraña\n"
        "    url: https://clinica.example/temas/migrana/\n"
        "    publisher: Clínica Ejemplo\n"
        "    language: es\n"
        "    modified: 2025-03-05\n"
        "    imported: 2026-11-24\n"
    )
    condition = load_condition(root / "data/hemifacial-spasm", root=root, languages=("en", "it"))
    assert condition.errors == []
    assert condition.metadata is not None and len(condition.metadata.sources) == 3


def test_new_language_leaves_existing_metadata_alone(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    meta = root / "data/hemifacial-spasm/condition.yaml"
    old = meta.read_bytes()
    result = run_cli("import", "-C", root, "--slug", "hemifacial-spasm", FIXTURES / "page-fr.html")
    assert result.exit_code == 0, result.output
    assert meta.read_bytes() == old
    assert not (root / "data/hemifacial-spasm/condition.yaml.bak").exists()
    assert (
        "kept     data/hemifacial-spasm/condition.yaml: exists and is not changed; pass --force "
        "to add this source to it (with a backup), or add it by hand:\n"
        "    sources:\n"
        "      - title: Sciatique\n"
        "        url: https://clinique.example/maladies/sciatique/\n"
    ) in result.stdout
    assert "created  data/hemifacial-spasm/fr.md" in result.stdout


def test_dry_run_prints_the_files_and_writes_nothing(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    before = files_under(root)
    result = run_cli("import", "-C", root, "--dry-run", FIXTURES / "article-de.txt")
    assert result.exit_code == 0, result.output
    assert files_under(root) == before
    lines = result.stdout.splitlines()
    assert "--- data/migrane/de.md (new file)" in lines
    assert "## symptoms" in lines
    assert lines[-5:-2] == [
        "## specialist",
        "",
        "Eine Fachärztin oder ein Facharzt für Neurologie.",
    ]
    assert lines[-2:] == ["would create data/migrane/de.md", "Dry run: nothing was written."]


def test_stdin_and_forced_format(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    page = (FIXTURES / "article-de.txt").read_bytes()
    report = import_page(open_workspace(root), "-", stdin=io.BytesIO(page), today=DAY)
    assert (report.source, report.slug) == ("<stdin>", "migrane")
    # Forced to "text", an HTML file is read line by line: its tags stay visible text.
    report = run_import(
        root, FIXTURES / "page-fr.html", source_format="text", lang="fr", dry_run=True
    )
    assert report.format == "plain-text article"
    result = CliRunner().invoke(
        cli, ["import", "-C", str(root), "--format", "html", "-"], input="<p>Only <b>text</b>.</p>"
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: <stdin>: no title found: the page has no <h1>, og:title or <title>\n"
    )


def test_cli_format_choices_match_the_engine() -> None:
    option = next(param for param in import_command.params if param.name == "source_format")
    assert tuple(option.type.choices) == FORMATS  # type: ignore[attr-defined]


# -- Bad input: exact messages, exit code 1, nothing written ----------------------------


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("broken.json", [], "broken.json:4: invalid JSON: Expecting ',' delimiter (column 2)"),
        (
            "not-wordpress.json",
            [],
            "not-wordpress.json: not a WordPress page or post: no content.rendered (expected "
            "the JSON of /wp-json/wp/v2/pages/ID or /wp-json/wp/v2/posts/ID)",
        ),
        (
            "no-article.html",
            [],
            "no-article.html: no article found: no text is left once navigation, headers, "
            "footers, banners and scripts are left out",
        ),
        ("empty.txt", [], "empty.txt: is empty: there is no text to import"),
        (
            "latin1.txt",
            [],
            "latin1.txt:3: cannot be decoded as UTF-8 (invalid continuation byte at byte 19); "
            "pass --encoding with the page's encoding, like --encoding cp1252",
        ),
        (
            "unknown-charset.html",
            [],
            "unknown-charset.html: declares an unknown encoding 'x-klingon'; pass --encoding "
            "with the page's real encoding",
        ),
        (
            "no-language.txt",
            [],
            "no-language.txt: cannot tell the page's language: it declares none and its "
            "headings are not clearly in one of en, it, es, fr, de; pass --lang, like --lang it",
        ),
        ("missing.txt", [], "missing.txt: cannot be read (No such file or directory)"),
        ("article-de.txt", ["--encoding", "klingon"], "--encoding: unknown encoding 'klingon'"),
        ("article-de.txt", ["--lang", "xx"], "--lang: unknown language code 'xx'"),
        (
            "article-de.txt",
            ["--slug", "Bad_Slug"],
            "--slug: 'Bad_Slug' is not a lowercase folder name like 'hemifacial-spasm'",
        ),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(
    make_workspace: Callable[..., Path], name: str, options: list[str], message: str
) -> None:
    root = make_workspace()
    before = files_under(root)
    source = FIXTURES / name
    result = run_cli("import", "-C", root, *options, source)
    assert result.exit_code == 1
    prefix = "" if message.startswith("--") else f"{FIXTURES}/"
    assert result.stderr == f"Error: {prefix}{message}\n"
    assert "Traceback" not in result.output
    assert files_under(root) == before


def test_a_url_is_refused_without_touching_the_network(make_workspace: Callable[..., Path]) -> None:
    result = run_cli("import", "-C", make_workspace(), "https://example.org/conditions/migraine/")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: https://example.org/conditions/migraine/: leaflets import reads saved files and "
        "never downloads pages; save the page (or its /wp-json/wp/v2/pages/ID JSON) to a file "
        "and import that\n"
    )


def test_encoding_option_reads_a_legacy_file(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    report = run_import(root, FIXTURES / "latin1.txt", encoding="latin-1", lang="it")
    text = (root / f"data/{report.slug}/it.md").read_text("utf-8")
    assert "summary: Un mal di testa forte.\n" in text
    assert report.mapped == [("Che cos'è l'emicrania?", "what_it_is")]


def test_engine_raises_import_source_error(make_workspace: Callable[..., Path]) -> None:
    with pytest.raises(ImportSourceError) as caught:
        run_import(make_workspace(), FIXTURES / "no-article.html")
    assert caught.value.exit_code == 1


# -- Source provenance dates in condition.yaml ------------------------------------------


def test_source_dates_are_validated_like_other_dates(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    meta = root / "data/hemifacial-spasm/condition.yaml"
    meta.write_text(
        meta.read_text("utf-8") + "    modified: 2024-09-01\n    imported: last week\n", "utf-8"
    )
    metadata, problems = load_metadata(meta, root=root, slug="hemifacial-spasm")
    assert metadata is None
    assert [str(problem) for problem in problems] == [
        "data/hemifacial-spasm/condition.yaml:19: sources[1].imported: last week is not a date "
        "in YYYY-MM-DD format (like 2026-11-22)"
    ]


# -- Import, add the language, build -------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "lang", "slug", "title", "headings"),
    [
        (
            "page-es.html",
            "es",
            "cefalea-tensional",
            "Cefalea tensional",
            ["¿Qué es?", "Síntomas", "Causas", "Opciones de tratamiento", "Cuándo pedir ayuda"],
        ),
        (
            "page-fr.html",
            "fr",
            "sciatique",
            "Sciatique",
            ["Qu’est-ce que c’est ?", "Symptômes", "Le diagnostic", "Quel spécialiste consulter"],
        ),
        (
            "article-de.txt",
            "de",
            "migrane",
            "Migräne",
            ["Was ist das?", "Beschwerden", "Ursachen", "Behandlungsmöglichkeiten", "Quellen"],
        ),
    ],
)
def test_an_imported_page_builds_in_its_own_language(
    make_workspace: Callable[..., Path],
    fixture: str,
    lang: str,
    slug: str,
    title: str,
    headings: list[str],
) -> None:
    root = make_workspace()
    config = root / "leaflets.toml"
    config.write_text(  # A clinic that prints English leaflets only, so far.
        re.sub(r"(?m)^languages = .*$", 'languages = ["en"]', config.read_text("utf-8")), "utf-8"
    )
    imported = run_cli("import", "-C", root, FIXTURES / fixture)
    assert imported.exit_code == 0, imported.output
    assert (
        f"'{lang}' is not in the [build] languages of leaflets.toml (en); "
        "add it there to build this leaflet"
    ) in imported.stdout
    review(root / "data" / slug)  # A person fills in the review dates and the owner.
    config.write_text(
        config.read_text("utf-8").replace('languages = ["en"]', f'languages = ["en", "{lang}"]'),
        "utf-8",
    )
    result = run_cli("build", "-C", root, "--condition", slug)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"built    build/{slug}.{lang}.leaflet.pdf  (")
    assert lines[1].startswith(f"built    build/{slug}.{lang}.handout.pdf  (1 page, ")
    # Every template message is translated: nothing falls back to English.
    assert "not translated" not in result.stderr and "fuzzy" not in result.stderr
    reader = PdfReader(root / "build" / f"{slug}.{lang}.leaflet.pdf")
    assert reader.trailer["/Root"]["/Lang"] == lang
    text = " ".join(pdf_pages(root / "build" / f"{slug}.{lang}.leaflet.pdf"))
    assert title in text
    for heading in headings:
        assert heading in text
    for english in ("What is it?", "Symptoms", "Treatment options", "Page 1 of"):
        assert english not in text


# -- Hostile sizes and nesting -------------------------------------------------------------

#: The time limit of each case below (it takes well under a second alone; the
#: machine running the tests may be busy).
TIME_LIMIT = 5.0


def nested(depth: int, tag: str = "div") -> str:
    """Return an HTML page whose article is *depth* elements deep."""
    return (
        '<html lang="en"><body><h1>Deep page</h1>'
        + f"<{tag}>" * depth
        + "<p>What it is: a page nested very deep.</p>"
        + f"</{tag}>" * depth
        + "</body></html>"
    )


def import_timed(root: Path, source: Path, *options: str) -> tuple[Result, float]:
    started = time.perf_counter()
    result = run_cli("import", "-C", root, *options, source)
    return result, time.perf_counter() - started


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "deep-3000.html",
            nested(3_000),
            "deep-3000.html:1: HTML elements nested more than 256 deep; "
            "a saved web page is never that deep",
        ),
        (
            "deep-20000.html",
            nested(20_000),
            "deep-20000.html:1: HTML elements nested more than 256 deep; "
            "a saved web page is never that deep",
        ),
        (
            "deep-100000.json",
            "[" * 100_000 + "]" * 100_000,
            "deep-100000.json:1: JSON nested more than 64 levels deep; "
            "a saved WordPress page is never that deep",
        ),
        (
            "deep-content.json",
            json.dumps(
                {
                    "title": {"rendered": "Deep"},
                    "content": {"rendered": "\n<p>Text.</p>\n" + "<span>" * 5_000 + "x"},
                }
            ),
            "deep-content.json: content.rendered: HTML elements nested more than 256 deep; "
            "a saved web page is never that deep",
        ),
    ],
)
def test_deep_nesting_is_refused_in_one_line_at_once(
    make_workspace: Callable[..., Path], tmp_path: Path, name: str, text: str, message: str
) -> None:
    root = make_workspace()
    before = files_under(root)
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    result, elapsed = import_timed(root, source)
    assert elapsed < TIME_LIMIT
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path}/{message}\n"
    assert files_under(root) == before


def test_nesting_up_to_the_limit_is_imported(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    # 256 levels in all: <html>, <body> and <p> count.
    root = make_workspace()
    source = tmp_path / "deep.html"
    for tag in ("div", "span", "blockquote", "section"):
        source.write_text(nested(253, tag), encoding="utf-8")
        result, elapsed = import_timed(root, source, "--slug", f"deep-{tag}")
        assert elapsed < TIME_LIMIT
        assert result.exit_code == 0, result.output
        text = (root / f"data/deep-{tag}/en.md").read_text("utf-8")
        assert "a page nested very deep." in text
    source.write_text(nested(254), encoding="utf-8")
    assert run_cli("import", "-C", root, "--slug", "too-deep", source).exit_code == 1


def test_unclosed_paragraphs_items_and_cells_are_not_nesting(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    # Browsers close a <p>, <li> or cell when the next one starts; so does the depth count.
    root = make_workspace()
    paragraphs = "".join(f"<p>Paragraph {n}, not closed." for n in range(600))
    items = "<ul>" + "".join(f"<li>Item {n}" for n in range(600)) + "</ul>"
    cells = "<table>" + "".join(f"<tr><td>Cell {n}<td>more" for n in range(600)) + "</table>"
    source = tmp_path / "sloppy.html"
    source.write_text(
        f'<html lang="en"><body><h1>Sloppy</h1>{paragraphs}{items}{cells}</body></html>',
        encoding="utf-8",
    )
    result = run_cli("import", "-C", root, source)
    assert result.exit_code == 0, result.output
    text = (root / "data/sloppy/en.md").read_text("utf-8")
    assert "Paragraph 599, not closed." in text
    assert "- Item 599" in text
    assert "- Cell 599 — more" in text


def test_a_source_over_10_mb_is_refused(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_workspace()
    source = tmp_path / "huge.txt"
    source.write_bytes(b"Huge\n\n" + b"word " * (2 * 1024 * 1024))
    message = (
        "is larger than 10 MB; leaflets import reads one saved page, and pages are far smaller"
    )
    result, elapsed = import_timed(root, source)
    assert elapsed < TIME_LIMIT
    assert result.exit_code == 1
    assert result.stderr == f"Error: {source}: {message}\n"
    result = CliRunner().invoke(
        cli, ["import", "-C", str(root), "--lang", "en", "-"], input=source.read_bytes()
    )
    assert result.exit_code == 1
    assert result.stderr == f"Error: <stdin>: {message}\n"


@pytest.mark.parametrize(
    "pattern",
    [
        "<div/>",  # HTML5 opens a <div> here: the slash means nothing.
        "<!--><div><!-- x -->",  # An HTML5 comment ends at once; Python's at "-->".
        "<![CDATA[><div>]]>",  # HTML5 ends this at the first ">"; Python at "]]>".
        "<div><script><!--<script></script></div><script>--></script>",  # Escaped scripts.
        "<div><textarea></div></textarea>",  # Raw text to HTML5, markup to Python.
    ],
)
def test_markup_parsers_read_differently_cannot_nest_deep_unseen(
    make_workspace: Callable[..., Path], tmp_path: Path, pattern: str
) -> None:
    # The sanitizer's HTML5 parser gets the tree the depth was measured on,
    # written out again, so such tricks cannot nest 5,000 deep behind the count.
    root = make_workspace()
    source = tmp_path / "tricky.html"
    source.write_text(nested(1).replace("</body>", pattern * 5_000 + "</body>"), "utf-8")
    result, elapsed = import_timed(root, source)
    assert elapsed < TIME_LIMIT
    assert result.exit_code == 0, result.output
    assert "a page nested very deep." in (root / "data/deep-page/en.md").read_text("utf-8")
