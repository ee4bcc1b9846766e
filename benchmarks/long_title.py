"""Measure how long a leaflet with a long title without spaces takes to build.

A title is limited to MAX_TITLE characters (leaflets/content/characters.py);
this script lifts the limit to time titles of each length, so that the
growth can be seen on both sides of it. Prints, per length, the seconds of
one `build` of the English leaflet and handout (``--jobs 1``, forced), and
the growth ratio: time ×T for title ×S. Linear growth keeps T close to S.

Usage (from the repository root, in the project's virtualenv):

    python benchmarks/long_title.py
    python benchmarks/long_title.py --lengths 60 120 300 600 1200
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EN = Path("data/hemifacial-spasm/en.md")


def time_build(root: Path, length: int) -> float:
    """Return the seconds one forced build of the English outputs takes with such a title."""
    from leaflets.content import characters
    from leaflets.engine.build import build
    from leaflets.workspace import open_workspace

    text = (REPO / EN).read_text(encoding="utf-8")
    title = "x" * length
    (root / EN).write_text(text.replace("title: Hemifacial spasm", f"title: {title}"), "utf-8")
    characters.MAX_TITLE = 10**6
    start = time.perf_counter()
    report = build(open_workspace(root), languages=("en",), force=True, jobs=1)
    elapsed = time.perf_counter() - start
    if not report.ok:
        sys.exit(f"build failed at {length}: {[str(outcome) for outcome in report.outcomes]}")
    return elapsed


def main() -> None:
    """Print the build time per title length."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[60, 120, 300, 600])
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        shutil.copy2(REPO / "leaflets.toml", root / "leaflets.toml")
        shutil.copytree(REPO / "data", root / "data")
        shutil.copytree(REPO / "assets", root / "assets")
        time_build(root, 20)  # warm up: fonts, imports
        print("title length  build (s)")
        results = []
        for length in options.lengths:
            seconds = time_build(root, length)
            results.append((length, seconds))
            print(f"{length:>12}  {seconds:>9.2f}", flush=True)
    (first_length, first), (last_length, last) = results[0], results[-1]
    print(f"growth: time ×{last / first:.1f} for title ×{last_length / first_length:.1f}")


if __name__ == "__main__":
    main()
