"""Measure how `leaflets import` time grows with a page's nesting depth and size.

Prints two tables, all measured in this run on this machine:

1. nesting depth: a page whose article sits inside N nested <div>s, from
   depths that are imported to depths far past the limit, which are refused;
2. size: a realistic article page (headings, paragraphs, lists, links, page
   chrome) repeated to each size;

with the time per KB and the growth ratio between the smallest and largest
input: time ×T for input ×S. Linear growth keeps T close to S.

Times are CPU seconds of this process (``time.process_time``), the best of a
few runs: on a shared machine wall-clock times measure the neighbours.
Each import is a dry run (nothing is written) into a scratch workspace.

Usage (from the repository root, in the project's virtualenv):

    python benchmarks/import_speed.py
    python benchmarks/import_speed.py --sizes 100 500 1000 5000 --repeat 1
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEPTHS = (50, 100, 150, 200, 250, 1_000, 5_000, 20_000)
SIZES_KB = (100, 200, 500, 1_000, 2_000)

_HEAD = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    "<title>Hemifacial spasm | Example Clinic</title></head><body>"
    '<nav class="site-nav"><a href="/">Home</a> <a href="/about">About us</a></nav>'
    '<p class="breadcrumb"><a href="/">Home</a> » <a href="/c">Conditions</a></p>'
    "<main><article><h1>Hemifacial spasm</h1>"
)
_SECTION = (
    "<h2>Symptoms</h2><p>The muscles on <b>one side</b> of the face tighten and twitch "
    "on their own, often starting around the eye. "
    '<a href="https://example.org/more">Read more about it</a>.</p>'
    "<ul><li>Twitching of the eyelid</li><li>Pulling of the corner of the mouth</li>"
    "<li>Spasms that get worse with stress or tiredness</li></ul>"
    '<div class="note"><p>Most people notice it first <em>when they are tired</em>.</p></div>'
)
_TAIL = '</article></main><footer class="site-footer">Example Clinic</footer></body></html>'


def nested_page(depth: int) -> str:
    """Return a page whose article text sits *depth* elements deep (html and body included)."""
    divs = depth - 3  # <html>, <body> and the <p> count too.
    return (
        '<html lang="en"><body><h1>Hemifacial spasm</h1>'
        + "<div>" * divs
        + "<p>What it is: the muscles on one side of the face twitch.</p>"
        + "</div>" * divs
        + "</body></html>"
    )


def sized_page(size: int) -> str:
    """Return an article page of about *size* bytes."""
    count = max(1, (size - len(_HEAD) - len(_TAIL)) // len(_SECTION))
    return _HEAD + _SECTION * count + _TAIL


def measure(workspace: object, source: Path, repeat: int) -> tuple[float, str]:
    """Import *source* (dry run) *repeat* times; return the best CPU time and the outcome."""
    from leaflets.exceptions import LeafletsError
    from leaflets.importers import import_page

    best = float("inf")
    outcome = ""
    for _ in range(repeat):
        started = time.process_time()
        try:
            import_page(workspace, source, slug="benchmark", dry_run=True)  # type: ignore[arg-type]
            outcome = "imported"
        except LeafletsError as error:
            outcome = "refused" if "nested more than" in str(error) else f"error: {error}"
        best = min(best, time.process_time() - started)
    return best, outcome


def table(
    title: str, rows: list[tuple[str, int, str, float]], key: str
) -> list[tuple[str, int, str, float]]:
    """Print one table of (label, bytes, outcome, seconds) rows."""
    print(f"\n{title}")
    print(f"{key:>12} {'bytes':>10} {'outcome':>9} {'CPU s':>8} {'ms/KB':>7}")
    for label, size, outcome, seconds in rows:
        per_kb = seconds * 1e3 / (size / 1024)
        print(f"{label:>12} {size:>10,} {outcome:>9} {seconds:>8.3f} {per_kb:>7.2f}")
    return rows


def growth(rows: list[tuple[str, int, str, float]], what: str) -> None:
    """Print time ×T for input ×S between the first and last of *rows*."""
    if len(rows) < 2:
        return
    (first, small, _, fast), (last, large, _, slow) = rows[0], rows[-1]
    print(
        f"  growth, {what} {first} -> {last}: input ×{large / small:.1f}, "
        f"time ×{slow / fast:.1f} (×{slow / fast / (large / small):.2f} per unit of input)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--depths", type=int, nargs="+", default=DEPTHS, metavar="N")
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES_KB, metavar="KB")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each input (default: 3)")
    args = parser.parse_args(argv)

    from leaflets.importers.limits import MAX_HTML_DEPTH
    from leaflets.workspace import init_workspace, open_workspace

    scratch = Path(tempfile.mkdtemp(prefix="leaflets-import-speed-"))
    try:
        init_workspace(scratch / "ws")
        workspace = open_workspace(scratch / "ws")
        source = scratch / "page.html"

        rows = []
        for depth in args.depths:
            source.write_text(nested_page(depth), encoding="utf-8")
            seconds, outcome = measure(workspace, source, args.repeat)
            rows.append((str(depth), source.stat().st_size, outcome, seconds))
        table(f"1. nesting depth (the limit is {MAX_HTML_DEPTH})", rows, "depth")
        growth([row for row in rows if row[2] == "imported"], "depth")
        growth([row for row in rows if row[2] == "refused"], "depth")

        rows = []
        for kilobytes in args.sizes:
            source.write_text(sized_page(kilobytes * 1024), encoding="utf-8")
            seconds, outcome = measure(workspace, source, args.repeat if kilobytes < 1000 else 1)
            rows.append((f"{kilobytes} KB", source.stat().st_size, outcome, seconds))
        table("2. size", rows, "size")
        growth(rows, "size")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
