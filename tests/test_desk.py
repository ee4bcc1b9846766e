"""The desk over HTTP (Starlette's test client): search, languages, PDFs, security rules."""

from __future__ import annotations

import datetime
import email
import email.policy
import json
import os
import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import pdf_pages, run_cli
from desk_support import add_condition, csrf_of, once_of
from fixtures_servers import free_port
from pypdf import PdfReader
from starlette.testclient import TestClient

from leaflets.desk.app import create_app
from leaflets.desk.catalogue import fold
from leaflets.desk.pages import preferred_languages
from leaflets.desk.security import RateLimit, check_listen, is_loopback

SLUG = "hemifacial-spasm"


def found(client: TestClient, query: str, **params: str) -> list[str]:
    """Return the condition ids the search lists for *query*."""
    response = client.get("/search", params={"q": query, **params})
    assert response.status_code == 200
    return re.findall(r'href="/conditions/([a-z0-9-]+)', response.text)


# -- search ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # The second condition is a copy of the first's text: found by its words, after.
        ("emispasmo", [SLUG, "trigeminal-neuralgia"]),
        ("SPASM", [SLUG, "trigeminal-neuralgia"]),
        ("g51.3", [SLUG]),
        ("G513", [SLUG]),
        ("hemifacial-spasm", [SLUG]),
        ("ÉMISPASMO Facciale", [SLUG, "trigeminal-neuralgia"]),  # accents and case
        ("cos'e", ["trigeminal-neuralgia"]),  # the title has a typographic apostrophe
        ("cose trigemino", ["trigeminal-neuralgia"]),  # "cose" is in the text
        ("nevralgia COSʼÈ", ["trigeminal-neuralgia"]),
        ("nevralgia", ["trigeminal-neuralgia"]),
        ("cos’e", ["trigeminal-neuralgia"]),  # no accent in the query, one in the title
        ("g50", ["trigeminal-neuralgia"]),
        ("G5", [SLUG, "trigeminal-neuralgia"]),
        ("nothing like this", []),
    ],
)
def test_search_matches_titles_codes_and_ids(
    client: TestClient, query: str, expected: list[str]
) -> None:
    assert found(client, query) == expected


def test_search_ranks_an_exact_code_first(client: TestClient, root: Path) -> None:
    add_condition(root, "a-first-by-name", titles={"en": "Facial palsy G51.3x"}, icd10="G51.0")
    assert found(client, "g51.3")[0] == SLUG


def test_results_show_the_title_in_the_chosen_language(client: TestClient) -> None:
    text = client.get("/search", params={"q": "emispasmo facciale", "lang": "it"}).text
    assert '<a href="/conditions/hemifacial-spasm?lang=it" lang="it">Emispasmo facciale</a>' in text
    assert "2 conditions found" in text  # the second by the words of its text
    text = client.get("/search", params={"q": "spasm"}).text
    assert '<a href="/conditions/hemifacial-spasm" lang="en">Hemifacial spasm</a>' in text


def test_results_show_languages_formats_and_review_status(client: TestClient, root: Path) -> None:
    today = datetime.date.today()
    add_condition(
        root,
        "late",
        titles={"en": "Late review"},
        icd10="G51.8",
        last_reviewed=str(today - datetime.timedelta(days=400)),
        next_review=str(today - datetime.timedelta(days=1)),
    )
    soon = today + datetime.timedelta(days=10)
    add_condition(
        root,
        "soon",
        titles={"it": "Revisione vicina"},
        icd10="G51.9",
        last_reviewed=str(today - datetime.timedelta(days=300)),
        next_review=str(soon),
    )
    late = client.get("/search", params={"q": "late review"}).text
    assert '<span class="review overdue">Review overdue since' in late
    assert '<span lang="en">English</span>' in late and "Italiano" not in late
    assert "Formats:\nPatient leaflet, Clinic handout" in late
    near = client.get("/search", params={"q": "vicina"}, headers={"Accept-Language": "it"}).text
    assert '<span class="review due-soon">Revisione in scadenza:' in near
    assert '<span lang="it">Italiano</span>' in near and "English" not in near
    assert "Formati:\nOpuscolo per il paziente, Scheda dell’ambulatorio" in near
    current = client.get("/search", params={"q": "emispasmo"}).text
    # The demo's [build] locales writes English dates for en_GB (issue 17, item 14).
    assert '<span class="review current">Next review 20 November 2027</span>' in current


def test_a_condition_without_a_configured_language_is_listed_without_a_link(
    client: TestClient, root: Path
) -> None:
    add_condition(root, "only-german", titles={"de": "Nur Deutsch"}, icd10="G51.1")
    text = client.get("/search", params={"q": "deutsch"}).text
    assert '<h2 lang="en">Nur Deutsch</h2>' in text
    assert "Languages:\nnone" in text
    assert client.get("/conditions/only-german").status_code == 404


def test_the_search_sees_new_and_edited_conditions(client: TestClient, root: Path) -> None:
    assert found(client, "bell") == []
    add_condition(root, "bell-palsy", titles={"en": "Bell’s palsy"}, icd10="G51.0")
    assert found(client, "bell’s palsy") == ["bell-palsy"]
    en = root / "data" / "bell-palsy" / "en.md"
    en.write_text(en.read_text(encoding="utf-8").replace("Bell’s palsy", "Facial palsy"), "utf-8")
    assert found(client, "bell") == ["bell-palsy"]  # the id still says bell
    assert found(client, "facial palsy")[0] == "bell-palsy"


def test_fold_ignores_case_and_accents() -> None:
    assert fold("ÉmiSpasmo Perché, cos’è") == "emispasmo perche, cos'e"


# -- the page's language ------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "heading", "lang"),
    [
        ("it-IT,it;q=0.9,en;q=0.8", "Trova un opuscolo", "it"),
        ("fr, it-CH;q=0.8, en;q=0.5", "Trouver une brochure", "fr"),
        ("ja, it-CH;q=0.8, en;q=0.5", "Trova un opuscolo", "it"),
        ("en-GB", "Find a leaflet", "en"),
        ("de", "Eine Broschüre finden", "de"),
        ("ar-EG", "ابحث عن نشرة", "ar"),
        ("ja", "Find a leaflet", "en"),
        ("", "Find a leaflet", "en"),
    ],
)
def test_the_page_speaks_the_browsers_language(
    client: TestClient, header: str, heading: str, lang: str
) -> None:
    # Issue 17: the desk in every shipped language, right to left in Arabic.
    text = client.get("/", headers={"Accept-Language": header}).text
    direction = "rtl" if lang == "ar" else "ltr"
    assert f'<html lang="{lang}" dir="{direction}">' in text
    assert f"<h1>{heading}</h1>" in text


def test_the_language_switch_overrides_the_browser(client: TestClient) -> None:
    italian = {"Accept-Language": "it"}
    token = csrf_of(client)
    response = client.post(
        "/ui-language",
        data={"csrf": token, "ui": "en", "next": "/?q=spasm"},
        headers=italian,
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/?q=spasm"
    assert "<h1>Find a leaflet</h1>" in client.get("/", headers=italian).text
    # Never a redirect off the site.
    response = client.post(
        "/ui-language",
        data={"csrf": token, "ui": "it", "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"
    assert "<h1>Trova un opuscolo</h1>" in client.get("/").text


def test_language_names_are_in_their_own_language(client: TestClient) -> None:
    text = client.get(f"/conditions/{SLUG}", headers={"Accept-Language": "it"}).text
    assert '<span lang="en">English</span>' in text
    assert '<span lang="it">Italiano</span>' in text


def test_accept_language_parsing() -> None:
    assert preferred_languages("fr;q=0.5, it-CH, en;q=0.8, *;q=0.1, x;q=0") == [
        "it_CH",
        "en",
        "fr",
    ]


# -- choose, preview, print, download --------------------------------------------


def test_condition_page_chooses_language_and_kind(client: TestClient) -> None:
    text = client.get(f"/conditions/{SLUG}", params={"lang": "it", "kind": "handout"}).text
    assert '<h1 lang="it" id="title">Emispasmo facciale</h1>' in text
    assert '<input type="radio" name="lang" value="it" checked data-shown>' in text
    assert '<input type="radio" name="kind" value="handout" checked data-shown>' in text
    # What the actions use is named above them (issue 17, item 1).
    assert (
        '<p class="shown" id="shown">Emispasmo facciale · Italiano · Clinic handout · 1 page</p>'
    ) in text
    assert 'href="/pdf/hemifacial-spasm/it/handout" target="_blank"' in text  # Print
    assert 'href="/pdf/hemifacial-spasm/it/handout?download=1" download' in text
    assert "Preview: 1 page" in text
    assert 'src="/thumbs/hemifacial-spasm/it/handout/1.png"' in text
    assert 'alt="Page 1 of 1"' in text
    assert '<iframe class="viewer" src="/pdf/hemifacial-spasm/it/handout"' in text


def test_the_last_patient_language_is_remembered(client: TestClient) -> None:
    client.get(f"/conditions/{SLUG}", params={"lang": "it"})
    text = client.get("/conditions/trigeminal-neuralgia").text
    assert '<h1 lang="it" id="title">Nevralgia del trigemino, cos’è</h1>' in text


def test_download_has_a_friendly_name_and_the_right_language(
    client: TestClient, tmp_path: Path
) -> None:
    response = client.get(f"/pdf/{SLUG}/it/leaflet", params={"download": "1"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        'attachment; filename="Emispasmo facciale - Opuscolo per il paziente - Italiano.pdf"; '
        "filename*=UTF-8''Emispasmo%20facciale%20-%20Opuscolo%20per%20il%20paziente"
        "%20-%20Italiano.pdf"
    )
    path = tmp_path / "x.pdf"
    path.write_bytes(response.content)
    assert PdfReader(path).trailer["/Root"]["/Lang"] == "it"
    assert "Emispasmo facciale" in pdf_pages(path)[0]
    inline = client.get(f"/pdf/{SLUG}/it/leaflet")
    assert inline.headers["content-disposition"].startswith("inline; ")
    assert inline.content == response.content


def test_non_ascii_file_names(client: TestClient) -> None:
    response = client.get("/pdf/trigeminal-neuralgia/it/handout", params={"download": "1"})
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"Nevralgia del trigemino, cos'e - Scheda dell'ambulatorio - "
        'Italiano.pdf"; '
        "filename*=UTF-8''Nevralgia%20del%20trigemino%2C%20cos%E2%80%99%C3%A8%20-%20Scheda%20dell"
        "%E2%80%99ambulatorio%20-%20Italiano.pdf"
    )


def test_thumbnails_are_the_pages(client: TestClient) -> None:
    first = client.get(f"/thumbs/{SLUG}/en/leaflet/1.png")
    assert first.status_code == 200
    assert first.headers["content-type"] == "image/png"
    assert first.content.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(first.content[16:20], "big")
    height = int.from_bytes(first.content[20:24], "big")
    assert width == 300 and 420 <= height <= 430  # A4 is 1:1.414
    assert client.get(f"/thumbs/{SLUG}/en/leaflet/2.png").content != first.content
    assert client.get(f"/thumbs/{SLUG}/en/leaflet/9.png").status_code == 404


def test_pdfs_are_always_current(client: TestClient, root: Path, tmp_path: Path) -> None:
    before = client.get(f"/pdf/{SLUG}/it/handout").content
    path = root / "data" / SLUG / "it.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "title: Emispasmo facciale", "title: Spasmo emifacciale"
        ),
        encoding="utf-8",
    )
    after = client.get(f"/pdf/{SLUG}/it/handout").content
    assert after != before
    (tmp_path / "after.pdf").write_bytes(after)
    assert "Spasmo emifacciale" in pdf_pages(tmp_path / "after.pdf")[0]
    assert found(client, "spasmo emifacciale") == [SLUG]


def test_a_broken_condition_is_being_revised_in_the_staffs_language(
    client: TestClient, root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Issue 17, item 11: not a 404, no raw YAML error in English on an Italian page.
    path = root / "data" / "trigeminal-neuralgia" / "condition.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('version: "1.0"', "version: [1.0"), "utf-8"
    )
    response = client.get("/conditions/trigeminal-neuralgia", headers={"Accept-Language": "it"})
    assert response.status_code == 503
    assert "Questo opuscolo non si può stampare ora: è in revisione" in response.text
    assert "condition.yaml" not in response.text and "version" not in response.text
    assert "condition.yaml" in caplog.text  # the reason goes to the log
    assert "Being revised: it cannot be printed now." in (
        client.get("/search", params={"q": "trigemin"}).text
    )


def test_a_draft_condition_is_being_revised_not_a_500(
    client: TestClient, root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = root / "data" / "trigeminal-neuralgia" / "condition.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"next_review: .*", "next_review: TODO", text), "utf-8")
    response = client.get("/conditions/trigeminal-neuralgia")
    assert response.status_code == 503
    assert (
        "This leaflet cannot be printed now: it is being revised "
        "(ask Demo Neurology Clinic, patient information team)."
    ) in response.text
    assert "allow-drafts" not in response.text
    assert 'id="print"' not in response.text and 'action="/email"' not in response.text


# -- concurrent requests -------------------------------------------------------


def test_concurrent_requests_build_one_at_a_time(
    root: Path, monkeypatch: pytest.MonkeyPatch, start_desk: Callable[..., str]
) -> None:
    import leaflets.engine.build

    shutil.rmtree(root / "build")  # so that every request has something to build
    real_build = leaflets.engine.build.build
    running = 0
    most = 0
    lock = threading.Lock()

    def counting_build(*args: object, **kwargs: object) -> object:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            return real_build(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(leaflets.engine.build, "build", counting_build)
    wanted = [
        f"/pdf/{SLUG}/it/leaflet",
        f"/pdf/{SLUG}/it/leaflet",
        f"/pdf/{SLUG}/en/handout",
        "/pdf/trigeminal-neuralgia/en/leaflet",
        f"/thumbs/{SLUG}/it/leaflet/1.png",
        f"/pdf/{SLUG}/en/leaflet?download=1",
    ]
    import urllib.request

    results: dict[int, tuple[int, bytes]] = {}
    barrier = threading.Barrier(len(wanted))
    base = start_desk(root)

    def fetch(index: int, path: str) -> None:
        barrier.wait()
        with urllib.request.urlopen(base + path, timeout=120) as response:
            results[index] = (response.status, response.read())

    threads = [
        threading.Thread(target=fetch, args=(index, path)) for index, path in enumerate(wanted)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert sorted(results) == list(range(len(wanted)))
    assert all(status == 200 for status, _ in results.values())
    assert most == 1, "two builds ran at once"
    assert results[0][1] == results[1][1]
    output = root / "build"
    for index, path in enumerate(wanted):
        if "/pdf/" in path:
            assert results[index][1].startswith(b"%PDF-") and b"%%EOF" in results[index][1][-32:]
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    names = sorted(Path(name).name for name in manifest["outputs"])
    assert names == [
        "hemifacial-spasm.en.handout.pdf",
        "hemifacial-spasm.en.leaflet.pdf",
        "hemifacial-spasm.it.leaflet.pdf",
        "trigeminal-neuralgia.en.leaflet.pdf",
    ]
    assert not list(output.glob(".*.tmp")), "a temporary file was left behind"
    assert not (output / ".manifest.json.journal").exists()


# -- security ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/conditions/..%2F..%2Fleaflets.toml",
        "/conditions/../leaflets.toml",
        "/conditions/%2e%2e",
        "/conditions/unknown-condition",
        "/conditions/HEMIFACIAL-SPASM",
        "/conditions/hemifacial-spasm?lang=..%2F..%2Fetc",
        "/conditions/hemifacial-spasm?lang=fr",
        "/conditions/hemifacial-spasm?kind=..%2Fleaflets.toml",
        "/pdf/hemifacial-spasm/it/..%2F..%2F..%2Fleaflets.toml",
        "/pdf/hemifacial-spasm/..%2Fit/leaflet",
        "/pdf/..%2Fbuild%2Fhemifacial-spasm/it/leaflet",
        "/pdf/hemifacial-spasm/fr/leaflet",
        "/pdf/hemifacial-spasm/it/manifest",
        "/pdf/hemifacial-spasm/it/leaflet.html",
        "/pdf/%2Fetc%2Fpasswd/it/leaflet",
        "/thumbs/hemifacial-spasm/it/leaflet/0.png",
        "/thumbs/hemifacial-spasm/it/..%2F..%2Fleaflets.toml/1.png",
        "/static/../leaflets.toml",
        "/static/%2e%2e/%2e%2e/leaflets.toml",
        "/static/..%2F..%2Fapp.py",
        "/build/manifest.json",
        "/data/hemifacial-spasm/it.md",
    ],
)
def test_traversal_and_unknown_ids_give_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    # Static files get no session, hence no desk page: a plain "Not Found".
    assert "<h1>Not found</h1>" in response.text or path.startswith("/static/")
    assert "[clinic]" not in response.text and "%PDF" not in response.text


def test_forms_without_the_right_csrf_token_are_refused(client: TestClient) -> None:
    other = TestClient(client.app)
    stolen = csrf_of(other)
    token = csrf_of(client)
    posts = [
        ("/basket/add", {"slug": SLUG}),
        ("/basket/remove", {"slug": SLUG}),
        ("/basket/packet", {"lang": "en", "kind": "leaflet", "action": "download"}),
        (
            "/basket/email",
            {"lang": "en", "kind": "leaflet", "to": "a@example.org", "action": "send"},
        ),
        (
            "/email",
            {
                "slug": SLUG,
                "lang": "en",
                "kind": "leaflet",
                "to": "a@example.org",
                "action": "send",
            },
        ),
        ("/ui-language", {"ui": "it"}),
    ]
    for path, data in posts:
        for csrf in (None, "", "wrong", stolen):
            form = dict(data) if csrf is None else {**data, "csrf": csrf}
            response = client.post(path, data=form, follow_redirects=False)
            assert response.status_code == 400, (path, csrf)
            assert "<h1>Request refused</h1>" in response.text
    assert "Packet (0)" in client.get("/").text
    response = client.post(
        "/basket/add", data={"slug": SLUG, "csrf": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert "Packet (1)" in client.get("/").text


def test_headers_forbid_inline_scripts_sniffing_and_referrers(client: TestClient) -> None:
    for path in (
        "/",
        "/search?q=x",
        f"/conditions/{SLUG}",
        "/basket",
        "/nowhere",
        "/static/desk.js",
    ):
        response = client.get(path)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        assert "default-src 'self'" in policy and "object-src 'none'" in policy
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    pdf = client.get(f"/pdf/{SLUG}/en/handout")
    assert pdf.headers["x-content-type-options"] == "nosniff"
    assert pdf.headers["referrer-policy"] == "no-referrer"


def test_pages_have_no_inline_script_or_style(client: TestClient) -> None:
    client.post("/basket/add", data={"slug": SLUG, "csrf": csrf_of(client)})
    for path in ("/", f"/conditions/{SLUG}", "/basket", "/nowhere"):
        html = client.get(path).text
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts == ['<script src="/static/desk.js" defer>'], path
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert not re.search(r"\sstyle\s*=", html), path
        assert "http://" not in html and "https://" not in html, path  # no CDN


def test_session_cookie_is_http_only_and_same_site_strict(client: TestClient) -> None:
    response = TestClient(client.app).get("/")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("leaflets_desk=")
    assert "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert "Path=/" in cookie


@pytest.fixture
def locked(root: Path) -> TestClient:
    return TestClient(create_app(root, password="correct horse battery"))


def test_every_page_asks_for_the_password(locked: TestClient) -> None:
    for path in ("/", f"/conditions/{SLUG}", f"/pdf/{SLUG}/en/leaflet", "/basket", "/search?q=a"):
        response = locked.get(path)
        assert response.status_code == 401, path
        assert '<input type="password" id="password" name="password"' in response.text
        assert "%PDF" not in response.text and "Hemifacial" not in response.text
    assert locked.get("/static/desk.css").status_code == 200


def test_signing_in(locked: TestClient) -> None:
    token = csrf_of(locked, "/login")
    wrong = locked.post("/login", data={"csrf": token, "password": "wrong", "next": "/basket"})
    assert wrong.status_code == 401
    assert "Wrong password." in wrong.text
    before = locked.cookies["leaflets_desk"]
    response = locked.post(
        "/login",
        data={"csrf": token, "password": "correct horse battery", "next": "/basket"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/basket"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    assert locked.cookies["leaflets_desk"] != before  # a new session id once signed in
    assert locked.get("/").status_code == 200
    assert locked.get(f"/pdf/{SLUG}/en/handout").content.startswith(b"%PDF-")
    assert TestClient(locked.app).get("/").status_code == 401  # another browser


def test_the_sign_in_page_can_change_language(locked: TestClient) -> None:
    token = csrf_of(locked, "/login")
    response = locked.post("/ui-language", data={"csrf": token, "ui": "it", "next": "/"})
    assert response.status_code == 401
    assert "<h1>Accedi</h1>" in response.text
    assert "Demo Neurology Clinic" in response.text and "Emispasmo" not in response.text


def test_password_guesses_are_limited(locked: TestClient) -> None:
    token = csrf_of(locked, "/login")
    statuses = [
        locked.post("/login", data={"csrf": token, "password": f"guess {n}"}).status_code
        for n in range(11)
    ]
    # Five wrong passwords are free; then this client waits, longer each time.
    assert statuses == [401] * 5 + [429] * 6
    response = locked.post("/login", data={"csrf": token, "password": "correct horse battery"})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert (
        "Too many wrong passwords from this computer. Wait 2 seconds and try again."
        in response.text
    )


def test_sign_in_needs_the_csrf_token(locked: TestClient) -> None:
    response = locked.post("/login", data={"password": "correct horse battery"})
    assert response.status_code == 400
    assert locked.get("/").status_code == 401


def test_emails_are_rate_limited(root: Path) -> None:
    # Nothing listens on the port: each attempt fails, and counts.
    (root / "leaflets.toml").write_text(
        (root / "leaflets.toml").read_text(encoding="utf-8")
        + f'\n[email]\nhost = "127.0.0.1"\nport = {free_port()}\nsecurity = "none"\ntimeout = 5\n',
        encoding="utf-8",
    )
    client = TestClient(create_app(root, emails_per_minute=2))
    token = csrf_of(client)
    form = {"csrf": token, "slug": SLUG, "lang": "en", "kind": "handout", "action": "send"}
    statuses = [
        client.post("/email", data={**form, "once": once_of(client), "to": "a@example.org"})
        for _ in range(3)
    ]
    assert [response.status_code for response in statuses] == [502, 502, 429]
    assert "Not sent:" in statuses[0].text
    assert "Too many emails: at most 2 a minute. Wait a moment and try again." in statuses[2].text


def test_bad_email_addresses_are_refused(client: TestClient) -> None:
    token = csrf_of(client)
    for address in ("", "not-an-address", "a@b.org\r\nBcc: c@d.org", "a@b.org, c@d.org"):
        response = client.post(
            "/email",
            data={
                "csrf": token,
                "slug": SLUG,
                "lang": "en",
                "kind": "handout",
                "to": address,
                "action": "send",
            },
        )
        assert response.status_code == 400
        assert "Not an email address:" in response.text


def test_rate_limit_counts_a_sliding_minute() -> None:
    limit = RateLimit(3, period=60)
    assert [limit.allow() for _ in range(5)] == [True, True, True, False, False]


def test_other_hosts_need_a_password() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1")
    check_listen("127.0.0.1", None)
    check_listen("0.0.0.0", "correct horse battery")


def test_serve_refuses_other_hosts_without_a_password(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEAFLETS_SERVE_PASSWORD", raising=False)
    result = run_cli("serve", "-C", root, "--host", "0.0.0.0")
    assert result.exit_code == 1
    assert result.output == (
        "Error: --host 0.0.0.0 lets other computers reach the desk: set an access password "
        "in the environment variable LEAFLETS_SERVE_PASSWORD first\n"
    )


def test_unknown_host_names_are_refused_on_loopback(root: Path) -> None:
    client = TestClient(create_app(root, allowed_hosts=["127.0.0.1", "localhost"]))
    assert client.get("/", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/", headers={"Host": "attacker.example"}).status_code == 400


# -- leaflets serve --------------------------------------------------------------


def test_serve_prints_the_address_and_stops_on_ctrl_c(root: Path) -> None:
    import signal
    import subprocess
    import sys
    import urllib.request

    env = {key: value for key, value in os.environ.items() if key != "LEAFLETS_SERVE_PASSWORD"}
    process = subprocess.Popen(
        [sys.executable, "-m", "leaflets", "serve", "-C", str(root), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.fullmatch(
            rf"Serving the leaflets desk for {re.escape(str(root))} at "
            r"(http://127\.0\.0\.1:\d+/)\n",
            first,
        )
        assert match, first
        assert process.stdout.readline() == (
            "Open that address in a browser; press Ctrl-C to stop.\n"
        )
        with urllib.request.urlopen(match.group(1), timeout=30) as response:
            assert response.status == 200
            assert "<h1>Find a leaflet</h1>" in response.read().decode("utf-8")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert out == "Stopped.\n"
    assert "Traceback" not in err


def test_serve_reports_a_busy_port(root: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run_cli("serve", "-C", root, "--port", str(port))
    assert result.exit_code == 1
    assert result.output == f"Error: cannot listen on 127.0.0.1:{port}: Address already in use\n"


def test_large_print_when_the_workspace_makes_it(root: Path, tmp_path: Path) -> None:
    client = TestClient(create_app(root))
    assert client.get(f"/pdf/{SLUG}/it/leaflet-large-print").status_code == 404
    config = root / "leaflets.toml"
    text = config.read_text(encoding="utf-8")
    assert 'variants = ["standard"]' in text
    config.write_text(
        text.replace('variants = ["standard"]', 'variants = ["standard", "large-print"]'), "utf-8"
    )
    page = client.get(f"/conditions/{SLUG}", params={"lang": "it", "kind": "leaflet-large-print"})
    assert page.status_code == 200
    assert (
        '<input type="radio" name="kind" value="leaflet-large-print" checked data-shown> '
        "Patient leaflet (large print)</label>"
    ) in page.text
    assert 'value="handout-large-print"> Clinic handout (large print)</label>' in page.text
    response = client.get(f"/pdf/{SLUG}/it/leaflet-large-print", params={"download": "1"})
    assert (
        "Emispasmo%20facciale%20-%20Opuscolo%20per%20il%20paziente%20%28caratteri%20grandi%29"
        "%20-%20Italiano.pdf" in (response.headers["content-disposition"])
    )
    large = tmp_path / "large.pdf"
    large.write_bytes(response.content)
    standard = tmp_path / "standard.pdf"
    standard.write_bytes(client.get(f"/pdf/{SLUG}/it/leaflet").content)
    assert len(PdfReader(large).pages) > len(PdfReader(standard).pages)
    assert "Emispasmo facciale" in pdf_pages(large)[0]
    assert (root / "build" / "hemifacial-spasm.it.leaflet.large-print.pdf").is_file()
    # Large print goes by email too: the .eml draft carries the large-print PDF.
    assert 'action="/email"' in page.text
    token = csrf_of(client)
    draft = client.post(
        "/email",
        data={
            "csrf": token,
            "slug": SLUG,
            "lang": "it",
            "kind": "leaflet-large-print",
            "to": "a@example.org",
            "action": "draft",
        },
    )
    assert draft.status_code == 200, draft.text
    message = email.message_from_bytes(draft.content, policy=email.policy.default)
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "Emispasmo facciale (caratteri grandi).pdf"
    assert attachment.get_content() == large.read_bytes()
    results = client.get("/search", params={"q": "spasm"}).text
    assert (
        "Patient leaflet, Clinic handout, Patient leaflet (large print), "
        "Clinic handout (large print)"
    ) in results
