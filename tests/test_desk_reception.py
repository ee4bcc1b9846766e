"""The desk at a real reception (issue 17), over HTTP: one test per defect found there."""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import pdf_pages, run_cli
from desk_support import add_condition, csrf_of, once_of
from fixtures_servers import MailServer
from starlette.testclient import TestClient

from leaflets.desk import allowed_hosts_for
from leaflets.desk.app import create_app
from leaflets.desk.state import MAX_PACKET
from leaflets.exceptions import LeafletsError

SLUG = "hemifacial-spasm"
OTHER = "trigeminal-neuralgia"
PASSWORD = "correct horse battery"


def sign_in(client: TestClient, password: str = PASSWORD) -> int:
    token = csrf_of(client, "/login")
    response = client.post(
        "/login", data={"csrf": token, "password": password}, follow_redirects=False
    )
    return response.status_code


def with_mail(root: Path, server: MailServer) -> Path:
    config = root / "leaflets.toml"
    config.write_text(config.read_text(encoding="utf-8") + server.settings(), "utf-8")
    return root


# -- item 2: sign-in limits per client and per failure ----------------------------


def test_wrong_passwords_from_one_computer_do_not_lock_out_another(root: Path) -> None:
    app = create_app(root, password=PASSWORD)
    attacker = TestClient(app, client=("192.0.2.66", 5000))
    statuses = [sign_in(attacker, f"guess {n}") for n in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    receptionist = TestClient(app, client=("192.0.2.10", 5000))
    assert sign_in(receptionist) == 303
    assert receptionist.get("/").status_code == 200


def test_correct_passwords_are_not_counted(root: Path) -> None:
    app = create_app(root, password=PASSWORD)
    statuses = [sign_in(TestClient(app, client=("192.0.2.10", 5000))) for _ in range(15)]
    assert statuses == [303] * 15


# -- item 3: no session for static files or outsiders; nothing to evict -------------


def test_static_files_and_outsiders_cannot_sign_anyone_out(root: Path) -> None:
    app = create_app(root, password=PASSWORD)
    receptionist = TestClient(app)
    assert sign_in(receptionist) == 303
    token = csrf_of(receptionist, f"/conditions/{SLUG}")
    receptionist.post("/basket/add", data={"csrf": token, "slug": SLUG})
    outsider = TestClient(app)
    for _ in range(2001):
        response = outsider.get("/static/favicon.svg", headers={"Cookie": ""})
        assert "set-cookie" not in response.headers
    for _ in range(50):
        TestClient(app).get("/")
    assert receptionist.get("/").status_code == 200
    assert "Packet (1)" in receptionist.get("/basket").text


def test_a_forged_session_cookie_is_not_signed_in(root: Path) -> None:
    app = create_app(root, password=PASSWORD)
    client = TestClient(app)
    client.cookies.set("leaflets_desk", '{"signed_in": true}')
    assert client.get("/").status_code == 401


# -- item 4: sign-out, idle timeout, Secure behind a trusted proxy, PRG ---------------


def test_sign_out_ends_the_session(root: Path) -> None:
    client = TestClient(create_app(root, password=PASSWORD))
    assert sign_in(client) == 303
    page = client.get("/").text
    assert 'action="/logout"' in page and "Sign out" in page
    token = csrf_of(client)
    response = client.post("/logout", data={"csrf": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert client.get("/").status_code == 401


def test_the_login_page_while_signed_in_goes_to_the_desk(root: Path) -> None:
    client = TestClient(create_app(root, password=PASSWORD))
    assert sign_in(client) == 303
    response = client.get("/login", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_an_idle_session_ends(root: Path) -> None:
    client = TestClient(create_app(root, password=PASSWORD, idle_minutes=1 / 60))
    assert sign_in(client) == 303
    assert client.get("/").status_code == 200
    time.sleep(2.2)
    assert client.get("/").status_code == 401


def test_the_cookie_is_secure_only_behind_a_trusted_https_proxy(root: Path) -> None:
    app = create_app(root, trusted_proxies=["127.0.0.1"])
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.10"}
    proxied = TestClient(app, client=("127.0.0.1", 5000)).get("/", headers=https)
    assert "secure" in proxied.headers["set-cookie"].lower()
    direct = TestClient(app, client=("192.0.2.99", 5000)).get("/", headers=https)
    assert "secure" not in direct.headers["set-cookie"].lower()
    with pytest.raises(LeafletsError, match=r"--trusted-proxy '\*' is not an IP address"):
        create_app(root, trusted_proxies=["*"])


def test_a_send_redirects_and_a_reload_does_not_send_again(
    root: Path, smtp_server: MailServer
) -> None:
    client = TestClient(create_app(with_mail(root, smtp_server)))
    form = {
        "csrf": csrf_of(client),
        "once": once_of(client, f"/conditions/{SLUG}?lang=it&kind=handout"),
        "slug": SLUG,
        "lang": "it",
        "kind": "handout",
        "to": "patient@example.org",
        "action": "send",
    }
    response = client.post("/email", data=form, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/conditions/{SLUG}?lang=it&kind=handout"
    page = client.get(response.headers["location"]).text
    # Item 1: the notice names what was sent.
    assert (
        "Sent to patient@example.org: Emispasmo facciale (Italiano, Clinic handout, 1 page)."
    ) in page
    assert 'value="patient@example.org"' not in page  # the field is empty for the next patient
    assert "Sent to" not in client.get(response.headers["location"]).text  # shown once
    again = client.post("/email", data=form)
    assert again.status_code == 409
    assert "This form was sent already; nothing was sent again." in again.text
    assert len(smtp_server.mailbox.received) == 1


# -- item 5: drafts in memory, nothing left on disk -------------------------------


def test_a_draft_leaves_no_address_on_disk(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    response = client.post(
        "/email",
        data={
            "csrf": csrf_of(client),
            "slug": SLUG,
            "lang": "en",
            "kind": "handout",
            "to": "patient@example.org",
            "action": "draft",
        },
    )
    assert response.status_code == 200
    assert b"To: patient@example.org" in response.content
    assert b"X-Unsent: 1" in response.content
    assert list(scratch.iterdir()) == []


def test_sigterm_leaves_no_folder_behind(root: Path, tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "LEAFLETS_SERVE_PASSWORD"}
    env["TMPDIR"] = str(scratch)
    process = subprocess.Popen(
        [sys.executable, "-m", "leaflets", "serve", "-C", str(root), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        url = re.search(r"http://\S+/", process.stdout.readline())
        assert url
        with urllib.request.urlopen(url.group(0), timeout=30) as response:
            assert response.status == 200
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert list(scratch.glob("leaflets-desk-*")) == []


# -- item 8: every error page carries the security headers -----------------------


def test_an_unexpected_failure_is_a_desk_page_with_the_headers(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    desk = client.app.state.desk  # type: ignore[attr-defined]

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(desk.catalogue, "search", broken)
    with caplog.at_level(logging.ERROR):
        response = client.get("/")
    assert response.status_code == 500
    assert "<h1>Error 500</h1>" in response.text
    assert "Something went wrong. The details are in the desk's log." in response.text
    assert "RuntimeError" not in response.text and "a bug" in caplog.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_a_wrong_host_answer_carries_the_headers(root: Path) -> None:
    client = TestClient(create_app(root, allowed_hosts=["127.0.0.1"]))
    response = client.get("/", headers={"Host": "attacker.example"})
    assert response.status_code == 400
    assert response.headers["x-frame-options"] == "SAMEORIGIN"


# -- items 10 and search: the language filter, words of the content ----------------


def test_the_language_filter_lists_only_conditions_in_that_language(
    client: TestClient,
) -> None:
    text = client.get("/search", params={"q": "", "lang": "ar"}).text
    assert re.findall(r'href="/conditions/([a-z-]+)', text) == [SLUG]
    assert "1 condition found" in text


def test_search_finds_words_of_the_content(client: TestClient, root: Path) -> None:
    add_condition(root, "vertigo", titles={"it": "Vertigine"}, icd10="H81.1")
    path = root / "data" / "vertigo" / "it.md"
    text = path.read_text(encoding="utf-8")
    text = text.replace("Ci sono cure", "Si sente nell’ORECCHIO. Ci sono cure", 1)
    path.write_text(text, "utf-8")
    found = client.get("/search", params={"q": "orécchio"}).text
    assert re.findall(r'href="/conditions/([a-z-]+)', found) == ["vertigo"]


# -- item 11 is in test_desk.py; item 12: one bad item, the basket count --------


def fill_basket(client: TestClient, *slugs: str) -> str:
    token = csrf_of(client)
    for slug in slugs:
        client.post("/basket/add", data={"csrf": token, "slug": slug})
    return token


def test_one_revised_item_leaves_the_rest_of_the_packet(
    client: TestClient, root: Path, tmp_path: Path
) -> None:
    token = fill_basket(client, SLUG, OTHER)
    meta = root / "data" / OTHER / "condition.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace('version: "1.0"', "version: ["))
    page = client.get("/basket").text
    assert "This leaflet cannot be printed now: it is being revised." in page
    assert "Packet (2)" in page  # the count is the list: one ready, one being revised
    response = client.post(
        "/basket/packet",
        data={"csrf": token, "lang": "en", "kind": "leaflet", "action": "download"},
    )
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    path = tmp_path / "packet.pdf"
    path.write_bytes(response.content)
    text = "\n".join(pdf_pages(path))
    assert "Hemifacial spasm" in text and "Trigeminal neuralgia" not in text


def test_the_basket_count_matches_its_list(client: TestClient, root: Path) -> None:
    fill_basket(client, SLUG, OTHER)
    shutil.rmtree(root / "data" / OTHER)
    page = client.get("/basket").text
    assert "Packet (1)" in page
    assert len(re.findall(r"<li>\s*<span lang=", page)) == 1


def test_a_packet_has_a_size_limit(client: TestClient, root: Path) -> None:
    slugs = [f"extra-{n}" for n in range(MAX_PACKET + 1)]
    for slug in slugs:
        add_condition(root, slug, titles={"en": slug}, icd10="G51.8")
    fill_basket(client, *slugs[:MAX_PACKET])
    token = csrf_of(client)
    response = client.post(
        "/basket/add", data={"csrf": token, "slug": slugs[-1], "next": "/basket"}
    )
    assert (
        f"The packet is full: at most {MAX_PACKET} leaflets. Print or send it, then start another."
    ) in response.text
    assert f"Packet ({MAX_PACKET})" in response.text


def test_large_print_packets_from_the_desk(client: TestClient, root: Path, tmp_path: Path) -> None:
    config = root / "leaflets.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            'variants = ["standard"]', 'variants = ["standard", "large-print"]'
        ),
        "utf-8",
    )
    token = fill_basket(client, SLUG)
    assert "Print size" in client.get("/basket").text
    form = {"csrf": token, "lang": "it", "kind": "leaflet", "action": "download"}
    standard = client.post("/basket/packet", data={**form, "variant": "standard"})
    large = client.post("/basket/packet", data={**form, "variant": "large-print"})
    assert large.status_code == 200
    assert "caratteri%20grandi" in large.headers["content-disposition"]
    (tmp_path / "s.pdf").write_bytes(standard.content)
    (tmp_path / "l.pdf").write_bytes(large.content)
    assert len(pdf_pages(tmp_path / "l.pdf")) > len(pdf_pages(tmp_path / "s.pdf"))


# -- item 13: Host check on ::1, no Host in redirects, a real password ---------------


def test_ipv6_loopback_keeps_the_host_check(root: Path) -> None:
    hosts = allowed_hosts_for("::1")
    assert hosts == ["127.0.0.1", "localhost", "::1"]
    client = TestClient(create_app(root, allowed_hosts=hosts))
    assert client.get("/", headers={"Host": "[::1]:8000"}).status_code == 200
    assert client.get("/", headers={"Host": "rebound.example:8000"}).status_code == 400
    assert allowed_hosts_for("0.0.0.0") is None


def test_no_redirect_is_built_from_the_host_header(client: TestClient) -> None:
    response = client.get("/basket/", headers={"Host": "attacker.example"}, follow_redirects=False)
    assert response.status_code == 404
    assert "location" not in response.headers


@pytest.mark.parametrize("password", [" ", "a", "short pass1"])
def test_a_short_password_is_refused(
    root: Path, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAFLETS_SERVE_PASSWORD", password)
    result = run_cli("serve", "-C", root, "--host", "0.0.0.0")
    assert result.exit_code == 1
    assert result.output == (
        "Error: LEAFLETS_SERVE_PASSWORD is too short: use at least 12 characters "
        "(a few words a person can type are best)\n"
    )


# -- item 14: dates and file names in the patient's language ------------------------


def test_packet_file_names_are_in_the_patients_language(client: TestClient) -> None:
    token = fill_basket(client, SLUG)
    response = client.post(
        "/basket/packet",
        data={"csrf": token, "lang": "ar", "kind": "leaflet", "action": "download"},
    )
    name = response.headers["content-disposition"]
    assert "Packet" not in name and "%D8%A7%D9%84%D8%B9%D8%B1%D8%A8%D9%8A%D8%A9" in name  # العربية


def test_dates_follow_the_build_locales_and_lists_have_no_stray_space(
    client: TestClient, root: Path
) -> None:
    # Item 14: the demo writes en as en_GB; "English, Italiano", not "English , Italiano".
    text = client.get("/search", params={"q": "g51.3"}).text
    assert "Next review 20 November 2027" in text
    plain = re.sub(r"<[^>]+>", "", text)
    assert "English, Italiano, Español, العربية" in plain and " ," not in plain
