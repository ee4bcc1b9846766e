"""The desk in a real browser: Playwright driving Debian's Chromium, a real SMTP server, axe-core.

Chromium comes from the Debian package (browser downloads are impossible
here), pointed at with executable_path; Playwright gives every launch a
fresh, temporary profile. axe-core comes from npm into .node/ (dev.sh).
Without Chromium, Playwright or axe-core these tests skip, and fail when
CI=true.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, copy_demo, pdf_pages
from desk_support import add_condition
from fixtures_servers import MailServer, missing, running_desk, running_smtp
from pypdf import PdfReader

from leaflets.desk.app import create_app
from leaflets.engine.build import build
from leaflets.workspace import open_workspace

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - the test extra installs it
    Page = Any  # type: ignore[assignment,misc]
    expect = None

if expect is not None:
    # Packets and first builds render PDFs; give them time on a busy machine.
    expect.set_options(timeout=30_000)

CHROMIUM = Path(os.environ.get("LEAFLETS_CHROMIUM", "/usr/bin/chromium"))
AXE = REPO / ".node" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT = REPO / "docs" / "desk.png"
SLUG = "hemifacial-spasm"
OTHER = "trigeminal-neuralgia"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium, quietly: no sandbox (root in CI), no GPU, no network chatter."""
    if expect is None:
        missing("playwright")
    if not CHROMIUM.is_file():
        missing(f"Chromium ({CHROMIUM})")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "en-US", "viewport": {"width": 1200, "height": 900}}


@pytest.fixture(scope="module")
def mail_server() -> Iterator[MailServer]:
    """One SMTP server for the module's desk (it refuses nobody@...)."""
    with running_smtp() as server:
        yield server


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, mail_server: MailServer) -> Iterator[str]:
    """Serve a demo workspace with a second condition, sending mail to the test's server."""
    root = copy_demo(tmp_path_factory.mktemp("desk"))
    add_condition(
        root,
        OTHER,
        titles={"en": "Trigeminal neuralgia", "it": "Nevralgia del trigemino"},
        icd10="G50.0",
    )
    config = root / "leaflets.toml"
    config.write_text(config.read_text(encoding="utf-8") + mail_server.settings(), "utf-8")
    # Build once now, so that the first page shown does not wait for WeasyPrint to start.
    assert build(open_workspace(root), jobs=1).ok
    with running_desk(create_app(root)) as base:
        yield base


THUMBNAILS_LOADED = "() => [...document.querySelectorAll('.thumbs img')].every(i => i.complete)"


def find_in_italian(page: Page, desk: str, query: str) -> None:
    page.goto(desk + "/")
    page.get_by_label("Patient's language").select_option("it")
    page.get_by_label("Condition, ICD-10 code, id or words in the leaflet").press_sequentially(
        query, delay=30
    )
    expect(page.locator(".results h2 a")).to_have_count(1)


def test_search_pick_italian_preview_and_download(page: Page, desk: str, tmp_path: Path) -> None:
    page.goto(desk + "/")
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Condition, ICD-10 code, id or words in the leaflet").press_sequentially(
        "g51.3", delay=30
    )
    expect(page.locator("#results")).to_contain_text("1 condition found")
    expect(page.locator(".results h2 a")).to_have_text(["Hemifacial spasm"])
    page.get_by_label("Patient's language").select_option("it")
    link = page.locator(".results h2 a")
    expect(link).to_have_text(["Emispasmo facciale"])
    assert page.evaluate("window.notReloaded") is True  # results came as we typed
    link.click()
    expect(page.locator("h1")).to_have_text("Emispasmo facciale")
    expect(page.locator("h1")).to_have_attribute("lang", "it")
    expect(page.get_by_label("Italiano")).to_be_checked()
    thumbs = page.locator(".thumbs img")
    expect(thumbs).to_have_count(3)
    page.wait_for_function(THUMBNAILS_LOADED)
    assert thumbs.evaluate_all("images => images.map(i => i.naturalWidth)") == [300, 300, 300]
    expect(page.locator("iframe.viewer")).to_have_attribute("src", f"/pdf/{SLUG}/it/leaflet")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF").click()
    download = info.value
    assert download.suggested_filename == (
        "Emispasmo facciale - Opuscolo per il paziente - Italiano.pdf"
    )
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert PdfReader(saved).trailer["/Root"]["/Lang"] == "it"
    assert "Emispasmo facciale" in pdf_pages(saved)[0]


def test_print_opens_the_pdf(page: Page, desk: str) -> None:
    page.goto(f"{desk}/conditions/{SLUG}?lang=it&kind=handout")
    with page.context.expect_page() as info:
        page.get_by_role("link", name="Print").click()
    opened = info.value
    assert opened.url == f"{desk}/pdf/{SLUG}/it/handout"
    response = page.request.get(opened.url)
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline;")


def test_choose_the_kind(page: Page, desk: str) -> None:
    find_in_italian(page, desk, "trigemino")
    page.locator(".results h2 a").click()
    page.get_by_label("Clinic handout").check()
    # Shown at once, without pressing Show (issue 17, item 1).
    expect(page.locator("h2#preview-title")).to_have_text("Preview: 1 page")
    expect(page).to_have_url(re.compile(rf"/conditions/{OTHER}\?lang=it&kind=handout$"))


def test_email_form_sends_through_a_real_smtp_server(
    page: Page, desk: str, mail_server: MailServer
) -> None:
    box = mail_server.mailbox
    box.received.clear()
    page.goto(f"{desk}/conditions/{SLUG}?lang=it&kind=handout")
    page.get_by_label("Patient's email address").fill("patient@example.org")
    page.get_by_role("button", name="Send by email").click()
    expect(page.locator("#notice")).to_have_text(
        "Sent to patient@example.org: Emispasmo facciale (Italiano, Clinic handout, 1 page)."
    )
    # Post/Redirect/Get: the field is empty for the next patient.
    expect(page.get_by_label("Patient's email address")).to_have_value("")
    (received,) = box.received
    recipients, message = received.rcpt_tos, received.message
    assert recipients == ["patient@example.org"]
    assert message["To"] == "patient@example.org"
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF-")


def test_email_refused_shows_the_servers_reason(
    page: Page, desk: str, mail_server: MailServer
) -> None:
    box = mail_server.mailbox
    box.received.clear()
    page.goto(f"{desk}/conditions/{SLUG}?lang=en&kind=leaflet")
    page.get_by_label("Patient's email address").fill("nobody@example.org")
    page.get_by_role("button", name="Send by email").click()
    notice = page.locator("#notice")
    expect(notice).to_contain_text("Not sent:")
    expect(notice).to_contain_text("nobody@example.org")
    expect(notice).to_contain_text("550 5.1.1 No such user here")
    assert box.received == []


def test_email_draft_downloads_an_eml(page: Page, desk: str, tmp_path: Path) -> None:
    page.goto(f"{desk}/conditions/{SLUG}?lang=it&kind=handout")
    page.get_by_label("Patient's email address").fill("patient@example.org")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the email (.eml)").click()
    download = info.value
    assert download.suggested_filename == (
        "Emispasmo facciale - Scheda dell’ambulatorio - Italiano.eml"
    )
    saved = tmp_path / "draft.eml"
    download.save_as(saved)
    from email import message_from_bytes
    from email.policy import default

    message = message_from_bytes(saved.read_bytes(), policy=default)
    assert message["To"] == "patient@example.org"
    assert [part.get_content_type() for part in message.iter_attachments()] == ["application/pdf"]


# -- issue 17: what a reception found ---------------------------------------------


def test_print_and_send_use_the_choice_shown_at_once(
    page: Page, desk: str, mail_server: MailServer
) -> None:
    # Item 1: Arabic shown, Italiano and Clinic handout chosen, Show not pressed.
    box = mail_server.mailbox
    box.received.clear()
    page.goto(f"{desk}/conditions/{SLUG}?lang=ar&kind=leaflet")
    page.get_by_label("Italiano").check()
    page.get_by_label("Clinic handout").check()
    expect(page.locator("#shown")).to_have_text(
        "Emispasmo facciale · Italiano · Clinic handout · 1 page"
    )
    with page.context.expect_page() as info:
        page.get_by_role("link", name="Print").click()
    assert info.value.url == f"{desk}/pdf/{SLUG}/it/handout"
    info.value.close()
    page.get_by_label("Patient's email address").fill("patient@example.org")
    page.get_by_role("button", name="Send by email").click()
    expect(page.locator("#notice")).to_have_text(
        "Sent to patient@example.org: Emispasmo facciale (Italiano, Clinic handout, 1 page)."
    )
    (received,) = box.received
    (attachment,) = received.message.iter_attachments()
    assert attachment.get_filename().startswith("Emispasmo facciale")


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_without_script_the_actions_wait_for_show(page: Page, desk: str) -> None:
    # Item 1, no script: a choice not shown yet hides Print and Send until Show.
    page.goto(f"{desk}/conditions/{SLUG}?lang=ar&kind=leaflet")
    expect(page.get_by_role("link", name="Print")).to_be_visible()
    page.get_by_label("Italiano").check()
    expect(page.get_by_role("link", name="Print")).to_be_hidden()
    expect(page.get_by_role("button", name="Send by email")).to_be_hidden()
    expect(page.locator("#stale")).to_be_visible()
    page.get_by_role("button", name="Show").click()
    expect(page.locator("h1")).to_have_text("Emispasmo facciale")
    expect(page.get_by_role("link", name="Print")).to_be_visible()
    expect(page.locator("#stale")).to_be_hidden()


def test_a_refused_address_is_shown_as_typed(page: Page, desk: str) -> None:
    # Item 6: escaped once, not twice ("o&#39;brien" shown literally).
    page.goto(f"{desk}/conditions/{SLUG}?lang=en&kind=handout")
    page.get_by_label("Patient's email address").fill("o'brien@example")
    page.get_by_role("button", name="Send by email").click()
    expect(page.locator("#notice")).to_have_text("Not an email address: o'brien@example")
    expect(page.get_by_label("Patient's email address")).to_have_value("o'brien@example")


def test_a_bad_address_does_not_block_printing_the_packet(
    page: Page, desk: str, tmp_path: Path
) -> None:
    # Item 9: the optional address field does not stop Print or Download packet.
    add_to_packet(page, desk, SLUG)
    page.goto(desk + "/basket")
    page.get_by_label("Patient's email address").fill("not an address")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download packet").click()
    assert info.value.suggested_filename == "Packet of 1 leaflet - English.pdf"
    with page.context.expect_page() as opened:
        page.get_by_role("button", name="Print packet").click()
    expect(opened.value).to_have_url(re.compile(r"^blob:"))  # the packet, once made
    page.get_by_role("button", name="Empty the packet").click()


def test_the_sign_in_page_focuses_the_password(
    page: Page, tmp_path: Path, start_desk: Callable[..., str]
) -> None:
    base = start_desk(copy_demo(tmp_path / "ws"), password="correct horse battery")
    page.goto(base + "/")
    expect(page.get_by_label("Access password")).to_be_focused()
    page.keyboard.type("correct horse battery")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Find a leaflet")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("h1")).to_have_text("Sign in")


def add_to_packet(page: Page, desk: str, slug: str) -> None:
    page.goto(f"{desk}/conditions/{slug}")
    page.get_by_role("button", name="Add to packet").click()
    expect(page.get_by_text("In the packet.")).to_be_visible()


def test_packet_from_the_basket(page: Page, desk: str, tmp_path: Path) -> None:
    add_to_packet(page, desk, SLUG)
    add_to_packet(page, desk, OTHER)
    expect(page.locator("#basket-link")).to_have_text("Packet (2)")
    page.locator("#basket-link").click()
    expect(page.locator("ol.basket li")).to_have_count(2)
    page.get_by_label("Italiano").check()
    page.get_by_label("Clinic handout").check()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download packet").click()
    download = info.value
    assert download.suggested_filename == "Pacchetto di 2 opuscoli - Italiano.pdf"
    saved = tmp_path / "packet.pdf"
    download.save_as(saved)
    reader = PdfReader(saved)
    assert reader.trailer["/Root"]["/Lang"] == "it"
    text = " ".join(pdf_pages(saved))
    assert "Emispasmo facciale" in text and "Nevralgia del trigemino" in text
    # Two leaflets of 3 pages and two one-page handouts, plus what the packet adds.
    assert len(reader.pages) >= 8
    page.get_by_role("button", name="Remove Hemifacial spasm").click()
    expect(page.locator("ol.basket li")).to_have_count(1)
    page.get_by_role("button", name="Empty the packet").click()
    expect(page.get_by_text("The packet is empty.")).to_be_visible()


def test_packet_by_email(page: Page, desk: str, mail_server: MailServer) -> None:
    box = mail_server.mailbox
    box.received.clear()
    add_to_packet(page, desk, SLUG)
    add_to_packet(page, desk, OTHER)
    page.goto(desk + "/basket")
    page.get_by_label("English").check()
    page.get_by_label("Patient's email address").fill("family@example.org")
    page.get_by_role("button", name="Send packet by email").click()
    expect(page.locator("#notice")).to_contain_text(
        "Sent to family@example.org: Packet of 2 leaflets (English, Patient leaflet, "
    )
    (received,) = box.received
    recipients, message = received.rcpt_tos, received.message
    assert recipients == ["family@example.org"]
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"


def focus_is_visible(page: Page) -> bool:
    return bool(
        page.evaluate(
            """() => {
                const style = getComputedStyle(document.activeElement);
                return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
            }"""
        )
    )


def test_keyboard_only(page: Page, desk: str) -> None:
    page.goto(desk + "/")
    # Issue 17, item 15: the search field has the focus on arrival.
    search = page.get_by_label("Condition, ICD-10 code, id or words in the leaflet")
    expect(search).to_be_focused()
    assert focus_is_visible(page)
    for _ in range(6):  # the header's six stops lie before it
        page.keyboard.press("Shift+Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert focus_is_visible(page)
    assert skip.bounding_box()["y"] >= 0  # shown when focused
    search.focus()
    page.keyboard.type("g51.3", delay=30)
    expect(page.locator("#results")).to_contain_text("1 condition found")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Patient's language")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Search")).to_be_focused()
    page.keyboard.press("Tab")
    result = page.get_by_role("link", name="Hemifacial spasm")
    expect(result).to_be_focused()
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Hemifacial spasm")
    assert tab_order(page, 6) == [
        "a: Skip to content",
        "a: Leaflets desk",
        "a: Find",
        "a: Packet (0)",
        "select: English",
        "button: Change",
    ]
    # Then the content: back, language, kind, Show.
    assert tab_order(page, 4) == [
        "a: Back to the search",
        "input: English",
        "input: Patient leaflet",
        "button: Show",
    ]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_label("English")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_label("Italiano")).to_be_checked()
    # The page shows the choice at once, and the focus stays on it.
    expect(page.locator("h1")).to_have_text("Emispasmo facciale")
    expect(page.get_by_label("Italiano")).to_be_focused()
    assert tab_order(page, 7) == [
        "input: Patient leaflet",
        "button: Show",
        "a: Print",
        "a: Download PDF",
        "button: Add to packet",
        "input: Patient's email address",
        "button: Send by email",
    ]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    add = page.get_by_role("button", name="Add to packet")
    expect(add).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#basket-link")).to_have_text("Packet (1)")
    # Issue 17, item 15: the focus stays where the button was.
    expect(page.locator("#in-packet")).to_be_focused()
    assert focus_is_visible(page)


def tab_order(page: Page, count: int) -> list[str]:
    """Press Tab *count* times; return what got the focus, checking each shows it."""
    order = []
    for _ in range(count):
        page.keyboard.press("Tab")
        assert focus_is_visible(page), page.evaluate("document.activeElement.outerHTML")
        order.append(
            page.evaluate(
                """() => {
                    const e = document.activeElement;
                    const text = e.tagName === "SELECT" ? e.selectedOptions[0].textContent
                        : e.tagName === "INPUT" ? (e.labels[0] ? e.labels[0].textContent : "")
                        : e.textContent;
                    return e.tagName.toLowerCase() + ": " + text.trim();
                }"""
            )
        )
    return order


def axe_serious(page: Page) -> list[str]:
    """Run axe-core on the page; return its serious and critical findings."""
    if not AXE.is_file():
        missing(f"axe-core ({AXE})")
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document)")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}: "
        + "; ".join(node["target"][0] for node in violation["nodes"])
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


@pytest.mark.browser_context_args(bypass_csp=True)  # to inject axe-core's script
def test_accessibility_with_axe_core(page: Page, desk: str) -> None:
    page.set_content(
        '<html lang="en"><head><title>Broken</title></head>'
        '<body><main><img src="x.png"><input type="text"></main></body></html>'
    )
    found = axe_serious(page)  # axe runs and finds what is wrong
    assert [finding.split(" ")[0] for finding in found] == ["image-alt", "label"], found
    add_to_packet(page, desk, SLUG)
    findings = {}
    for path in (
        "/?q=spasm",
        f"/conditions/{SLUG}?lang=it",
        f"/conditions/{OTHER}?kind=handout",
        "/basket",
        "/conditions/no-such-thing",
    ):
        page.goto(desk + path)
        findings[path] = axe_serious(page)
    page.goto(desk + "/")
    page.get_by_label("Language of this page").select_option("it")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("h1")).to_have_text("Trova un opuscolo")
    findings["/ (it)"] = axe_serious(page)
    page.get_by_label("Lingua di questa pagina").select_option("ar")
    page.get_by_role("button", name="Cambia").click()
    expect(page.locator("h1")).to_have_text("ابحث عن نشرة")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    for path in ("/?q=spasm", f"/conditions/{SLUG}?lang=ar", "/basket"):
        page.goto(desk + path)
        findings[f"{path} (ar)"] = axe_serious(page)
    assert findings == {path: [] for path in findings}


@pytest.mark.browser_context_args(bypass_csp=True)
def test_sign_in_page_is_accessible(
    page: Page, tmp_path: Path, start_desk: Callable[..., str]
) -> None:
    base = start_desk(copy_demo(tmp_path / "ws"), password="correct horse battery")
    response = page.goto(base + "/")
    assert response is not None and response.status == 401
    assert axe_serious(page) == []
    page.get_by_label("Access password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Find a leaflet")


def test_readme_screenshot(page: Page, desk: str, tmp_path: Path) -> None:
    """Take the README's picture of the desk; LEAFLETS_UPDATE_SCREENSHOTS=1 saves it."""
    page.goto(desk + "/")
    find_in_italian(page, desk, "g51.3")
    page.locator(".results h2 a").click()
    expect(page.locator(".thumbs img").nth(2)).to_be_visible()
    page.wait_for_function(THUMBNAILS_LOADED)
    shot = tmp_path / "desk.png"
    page.screenshot(path=str(shot), clip={"x": 0, "y": 0, "width": 1200, "height": 900})
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and int.from_bytes(data[16:20], "big") == 1200
    if os.environ.get("LEAFLETS_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)
    assert SCREENSHOT.is_file(), "run LEAFLETS_UPDATE_SCREENSHOTS=1 pytest -k screenshot"
