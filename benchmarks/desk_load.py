"""Load the desk like a busy reception: receptionists at once, for a minute, on 127.0.0.1.

Copies the demo workspace with extra conditions, builds it, starts
`leaflets serve` in its own process with a real SMTP server (aiosmtpd) for
its mail, then runs N simulated receptionists (threads, each its own
browser session) for S seconds. Each repeats, at random: search, open a
condition, print its current PDF, look at a thumbnail, email a leaflet, and
build a packet of several leaflets (print or download). It prints, from
this run on this machine:

1. requests of each kind, their p50/p95 latency, and how many failed;
2. the p50/p95/max latency of a current PDF while at least one packet was
   being built (the goal: p95 ≤ 100 ms), and while none was;
3. the messages the SMTP server received, and the emails the desk's limit
   (20 a minute) held back with 429, as it should: those are not failures.

Usage (from the repository root, in the project's virtualenv):

    python benchmarks/desk_load.py                    # 8 receptionists, 60 s
    python benchmarks/desk_load.py --users 4 --seconds 20
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

#: The conditions of the load workspace: the demo's one and copies under these ids.
EXTRA = [f"condition-{n:02d}" for n in range(1, 12)]


@dataclass
class Results:
    """What every receptionist measured, shared between threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: list[str] = field(default_factory=list)
    #: Emails the desk's limit (20 a minute) refused with 429, as designed.
    limited: int = 0
    #: Current-PDF latencies, split by whether a packet was being built meanwhile.
    pdf_during_packets: list[float] = field(default_factory=list)
    pdf_alone: list[float] = field(default_factory=list)
    packets_building: int = 0

    def record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.times[kind].append(seconds)


def make_workspace(folder: Path, smtp_port: int) -> Path:
    """Copy the demo with EXTRA conditions and a mail server; build every PDF."""
    from conftest import copy_demo
    from desk_support import add_condition

    from leaflets.engine.build import build
    from leaflets.workspace import open_workspace

    root = copy_demo(folder / "ws")
    for n, slug in enumerate(EXTRA):
        add_condition(
            root,
            slug,
            titles={"en": f"Condition {n}", "it": f"Patologia {n}", "es": f"Afección {n}"},
            icd10=f"G5{n % 10}.{n % 7}",
        )
    config = root / "leaflets.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + f'\n[email]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n',
        "utf-8",
    )
    started = time.perf_counter()
    assert build(open_workspace(root)).ok
    print(f"workspace: {1 + len(EXTRA)} conditions built in {time.perf_counter() - started:.1f} s")
    return root


def start_desk(root: Path) -> tuple[subprocess.Popen[str], str]:
    """Run `leaflets serve` on a free port; return the process and its address."""
    env = {key: value for key, value in os.environ.items() if key != "LEAFLETS_SERVE_PASSWORD"}
    process = subprocess.Popen(
        [sys.executable, "-m", "leaflets", "serve", "-C", str(root), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    match = re.search(r"http://\S+/", process.stdout.readline())
    if not match:
        process.kill()
        raise SystemExit(
            f"the desk did not start: {process.stderr.read() if process.stderr else ''}"
        )
    return process, match.group(0).rstrip("/")


class Receptionist:
    """One browser: its own cookies, doing what a receptionist does, at random."""

    def __init__(self, base: str, results: Results, seed: int) -> None:
        self.base = base
        self.results = results
        self.random = random.Random(seed)
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        self.slugs = ["hemifacial-spasm", *EXTRA]

    def request(self, kind: str, path: str, form: dict[str, str | list[str]] | None = None) -> str:
        """Make one request; record its latency, or a failure; return the body as text."""
        data = urllib.parse.urlencode(form, doseq=True).encode() if form is not None else None
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, data=data, timeout=120) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            with self.results.lock:
                if error.code == 429 and kind == "email":
                    self.results.limited += 1
                else:
                    self.results.failures.append(f"{kind} {path}: {error}")
            return ""
        except (urllib.error.URLError, OSError) as error:
            with self.results.lock:
                self.results.failures.append(f"{kind} {path}: {error}")
            return ""
        seconds = time.perf_counter() - started
        self.results.record(kind, seconds)
        return body.decode("utf-8", "replace") if not body.startswith(b"%PDF") else ""

    def token(self, html: str, name: str) -> str:
        match = re.search(rf'name="{name}" value="([^"]+)"', html)
        return match.group(1) if match else ""

    def current_pdf(self, slug: str, lang: str) -> None:
        with self.results.lock:
            during = self.results.packets_building > 0
        started = time.perf_counter()
        self.request("print (current PDF)", f"/pdf/{slug}/{lang}/leaflet")
        seconds = time.perf_counter() - started
        with self.results.lock:
            (self.results.pdf_during_packets if during else self.results.pdf_alone).append(seconds)

    def packet(self) -> None:
        page = self.request("basket", "/basket")
        csrf = self.token(page, "csrf")
        for slug in self.random.sample(self.slugs, self.random.randint(3, 6)):
            self.request("add to packet", "/basket/add", {"csrf": csrf, "slug": slug})
        with self.results.lock:
            self.results.packets_building += 1
        try:
            self.request(
                "packet",
                "/basket/packet",
                {"csrf": csrf, "lang": "en", "kind": ["leaflet"], "action": "download"},
            )
        finally:
            with self.results.lock:
                self.results.packets_building -= 1
        self.request("empty packet", "/basket/remove", {"csrf": csrf, "slug": ""})

    def email(self, slug: str) -> None:
        page = self.request("condition page", f"/conditions/{slug}?lang=it&kind=handout")
        form = {
            "csrf": self.token(page, "csrf"),
            "once": self.token(page, "once"),
            "slug": slug,
            "lang": "it",
            "kind": "handout",
            "to": "patient@example.org",
            "action": "send",
        }
        self.request("email", "/email", form)

    def step(self) -> None:
        slug = self.random.choice(self.slugs)
        lang = self.random.choice(["en", "it"])
        action = self.random.choices(
            ["search", "view", "print", "thumbnail", "email", "packet"], [4, 3, 4, 2, 1, 1]
        )[0]
        if action == "search":
            query = self.random.choice(["spasm", "g51", "patologia", "viso", "condition 3"])
            self.request("search", "/search?" + urllib.parse.urlencode({"q": query}))
        elif action == "view":
            self.request("condition page", f"/conditions/{slug}?lang={lang}")
        elif action == "print":
            self.current_pdf(slug, lang)
        elif action == "thumbnail":
            self.request("thumbnail", f"/thumbs/{slug}/{lang}/leaflet/1.png")
        elif action == "email":
            self.email(slug)
        else:
            self.packet()

    def run(self, until: float) -> None:
        self.request("home", "/")
        while time.monotonic() < until:
            self.step()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def ms(values: list[float]) -> str:
    if not values:
        return "none"
    return (
        f"n={len(values)}, p50 {statistics.median(values) * 1000:.0f} ms, "
        f"p95 {percentile(values, 0.95) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=8, help="receptionists at once")
    parser.add_argument("--seconds", type=float, default=60, help="how long they work")
    args = parser.parse_args()

    from fixtures_servers import running_smtp

    folder = Path(tempfile.mkdtemp(prefix="desk-load-"))
    try:
        with running_smtp() as smtp:
            root = make_workspace(folder, smtp.port)
            process, base = start_desk(root)
            try:
                results = Results()
                until = time.monotonic() + args.seconds
                threads = [
                    threading.Thread(target=Receptionist(base, results, seed).run, args=(until,))
                    for seed in range(args.users)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
            finally:
                process.terminate()
                process.wait(30)
            print(f"{args.users} receptionists for {args.seconds:.0f} s against {base}")
            for kind in sorted(results.times):
                print(f"  {kind:22} {ms(results.times[kind])}")
            print(f"current PDF while a packet was being built: {ms(results.pdf_during_packets)}")
            print(f"current PDF while none was:                 {ms(results.pdf_alone)}")
            print(f"emails received by the SMTP server: {len(smtp.mailbox.received)}")
            print(f"emails held back by the desk's limit of 20 a minute (429): {results.limited}")
            print(f"failed requests: {len(results.failures)}")
            for failure in results.failures[:10]:
                print(f"  {failure}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
