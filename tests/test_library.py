"""The Library: one way in to an open workspace; current PDFs never wait behind a build."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from leaflets import Library
from leaflets.exceptions import LeafletsError
from leaflets.output import locked_folder

SLUG = "hemifacial-spasm"


@pytest.fixture
def root(built_demo: Path, tmp_path: Path) -> Path:
    """A copy of the built demo workspace: every output is current."""
    return Path(shutil.copytree(built_demo.parent, tmp_path / "ws"))


def test_a_current_pdf_is_handed_back_while_another_build_holds_the_lock(root: Path) -> None:
    library = Library.open(root)
    held, release = threading.Event(), threading.Event()

    def other_build() -> None:
        with locked_folder(library.config.output_dir, on_wait=lambda: None):
            held.set()
            release.wait(60)

    holder = threading.Thread(target=other_build)
    holder.start()
    try:
        assert held.wait(10)
        started = time.perf_counter()
        path = library.current_pdf(SLUG, "it", "leaflet")
        waited = time.perf_counter() - started
        assert holder.is_alive() and not release.is_set()  # The lock is still held.
    finally:
        release.set()
        holder.join(10)
    assert path == root / "build" / "hemifacial-spasm.it.leaflet.pdf"
    assert path.read_bytes().startswith(b"%PDF-")
    assert waited < 2, f"waited {waited:.2f} s for a PDF that was current"


def test_an_out_of_date_pdf_waits_for_the_lock_then_is_built(root: Path) -> None:
    library = Library.open(root)
    content = root / "data" / SLUG / "en.md"
    content.write_text(content.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    released = threading.Event()

    def other_build() -> None:
        with locked_folder(library.config.output_dir, on_wait=lambda: None):
            time.sleep(1)
            released.set()

    holder = threading.Thread(target=other_build)
    holder.start()
    time.sleep(0.2)
    path = library.current_pdf(SLUG, "en", "handout")
    holder.join(10)
    assert released.is_set()  # It built only once the other build was done.
    # Just that one was built: the English leaflet, from the same file, is still out of date.
    found = [(s.job.name, s.current) for s in library.status(conditions=[SLUG], languages=["en"])]
    assert found == [("hemifacial-spasm.en.leaflet", False), ("hemifacial-spasm.en.handout", True)]
    assert path.read_bytes().startswith(b"%PDF-")


def test_status_tells_what_is_out_of_date_and_why(root: Path) -> None:
    library = Library.open(root)
    assert library.conditions() == [SLUG]
    assert all(status.current for status in library.status())
    content = root / "data" / SLUG / "it.md"
    content.write_text(content.read_text("utf-8") + "\nAncora.\n", "utf-8")
    (root / "build" / "hemifacial-spasm.en.handout.pdf").unlink()
    found = {
        status.job.name: (status.current, status.reason)
        for status in library.status(languages=["en", "it"], templates=["leaflet", "handout"])
    }
    assert found == {
        "hemifacial-spasm.en.leaflet": (True, ""),
        "hemifacial-spasm.en.handout": (False, "hemifacial-spasm.en.handout.pdf is missing"),
        "hemifacial-spasm.it.leaflet": (False, "an input changed"),
        "hemifacial-spasm.it.handout": (False, "an input changed"),
    }
    (missing,) = library.status(
        conditions=["no-such-thing"], languages=["en"], templates=["leaflet"]
    )
    assert (missing.current, missing.reason) == (False, "no such condition")


def test_a_pdf_that_cannot_be_built_says_why(root: Path) -> None:
    library = Library.open(root)
    path = root / "data" / SLUG / "condition.yaml"
    path.write_text(path.read_text("utf-8").replace('version: "1.0"', "version: 1.0"), "utf-8")
    with pytest.raises(LeafletsError, match=r"^hemifacial-spasm\.en\.leaflet: invalid data: "):
        library.current_pdf(SLUG, "en", "leaflet")
