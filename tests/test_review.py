"""Review dates: warnings before next_review, an error after it, and the overdue mark."""

from __future__ import annotations

import datetime
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import pdf_pages, run_cli

from leaflets.config import load_config
from leaflets.content.review import status
from leaflets.engine.build import build, check
from leaflets.exceptions import ConfigError
from leaflets.workspace import open_workspace

META = "data/hemifacial-spasm/condition.yaml"
DUE = datetime.date(2026, 1, 10)
NEXT_REVIEW_LINE = 7  # of the demo's condition.yaml


def with_next_review(root: Path, when: datetime.date, slug: str = "hemifacial-spasm") -> None:
    """Set the next_review (and a last_reviewed before it) of condition *slug*."""
    path = root / "data" / slug / "condition.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith("next_review:"):
            lines[index] = f"next_review: {when.isoformat()}\n"
        elif line.startswith("last_reviewed:"):
            lines[index] = f"last_reviewed: {(when - datetime.timedelta(days=365)).isoformat()}\n"
    path.write_text("".join(lines), encoding="utf-8")


def add_condition(root: Path, slug: str) -> None:
    """Copy the demo condition to a second one named *slug*."""
    folder = root / "data" / slug
    shutil.copytree(root / "data" / "hemifacial-spasm", folder)
    meta = folder / "condition.yaml"
    meta.write_text(
        meta.read_text(encoding="utf-8").replace("id: hemifacial-spasm", f"id: {slug}"),
        encoding="utf-8",
    )


def review_problems(root: Path, today: datetime.date) -> list[str]:
    return [
        str(problem)
        for problem in check(open_workspace(root), today=today)
        if problem.field == "next_review"
    ]


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [(-1, "overdue"), (0, "due soon"), (1, "due soon"), (60, "due soon"), (61, "ok")],
)
def test_status_around_the_boundaries(days_left: int, expected: str) -> None:
    today = DUE - datetime.timedelta(days=days_left)
    assert status(DUE, today=today, warn_days=60) == expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (
            DUE + datetime.timedelta(days=1),
            f"{META}:{NEXT_REVIEW_LINE}: next_review: 2026-01-10 has passed; "
            "the content is overdue for review",
        ),
        (
            DUE,
            f"{META}:{NEXT_REVIEW_LINE}: warning: next_review: 2026-01-10 is today; "
            "review the content today",
        ),
        (
            DUE - datetime.timedelta(days=1),
            f"{META}:{NEXT_REVIEW_LINE}: warning: next_review: 2026-01-10 is tomorrow; "
            "review the content before then",
        ),
        (
            DUE - datetime.timedelta(days=60),
            f"{META}:{NEXT_REVIEW_LINE}: warning: next_review: 2026-01-10 is in 60 days; "
            "review the content before then",
        ),
    ],
)
def test_check_reports_review_dates(
    make_workspace: Callable[..., Path], today: datetime.date, expected: str
) -> None:
    root = make_workspace()
    with_next_review(root, DUE)
    assert review_problems(root, today) == [expected]


def test_check_is_quiet_beyond_warn_days(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    with_next_review(root, DUE)
    assert review_problems(root, DUE - datetime.timedelta(days=61)) == []


def test_overdue_is_an_error_for_check(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    with_next_review(root, DUE)
    problems = check(open_workspace(root), today=DUE + datetime.timedelta(days=1))
    assert [problem.severity for problem in problems if problem.field == "next_review"] == ["error"]


def test_warn_days_comes_from_leaflets_toml(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    with (root / "leaflets.toml").open("a", encoding="utf-8") as stream:
        stream.write("\n[review]\nwarn_days = 10\n")
    with_next_review(root, DUE)
    assert review_problems(root, DUE - datetime.timedelta(days=11)) == []
    assert len(review_problems(root, DUE - datetime.timedelta(days=10))) == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "-1 is not a number of days from 0 to 3660"),
        ('"60"', "'60' is not a number of days from 0 to 3660"),
        ("true", "True is not a number of days from 0 to 3660"),
    ],
)
def test_invalid_warn_days(make_workspace: Callable[..., Path], value: str, message: str) -> None:
    root = make_workspace()
    text = (root / "leaflets.toml").read_text(encoding="utf-8")
    line = text.count("\n") + 3
    (root / "leaflets.toml").write_text(f"{text}\n[review]\nwarn_days = {value}\n", "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    assert [str(problem) for problem in caught.value.problems] == [
        f"leaflets.toml:{line}: review.warn_days: {message}"
    ]


def test_build_skips_only_the_overdue_condition(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    add_condition(root, "other-condition")
    with_next_review(root, DUE)
    # Reviewed on DUE: a last review after "today" would be refused.
    with_next_review(root, DUE + datetime.timedelta(days=365), slug="other-condition")
    report = build(
        open_workspace(root),
        jobs=1,
        languages=["en", "it"],  # Two languages are enough to show it.
        today=DUE + datetime.timedelta(days=1),
    )
    reason = (
        f"{META}:{NEXT_REVIEW_LINE}: next_review: 2026-01-10 has passed; "
        "the content is overdue for review"
    )
    statuses = {outcome.job.name: (outcome.status, outcome.reason) for outcome in report.outcomes}
    assert statuses == {
        "hemifacial-spasm.en.leaflet": ("failed", reason),
        "hemifacial-spasm.en.handout": ("failed", reason),
        "hemifacial-spasm.it.leaflet": ("failed", reason),
        "hemifacial-spasm.it.handout": ("failed", reason),
        "other-condition.en.leaflet": ("built", ""),
        "other-condition.en.handout": ("built", ""),
        "other-condition.it.leaflet": ("built", ""),
        "other-condition.it.handout": ("built", ""),
    }
    assert not report.ok
    assert not (root / "build" / "hemifacial-spasm.en.leaflet.pdf").exists()


def test_allow_overdue_marks_every_page(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    with_next_review(root, DUE)
    report = build(
        open_workspace(root), jobs=1, today=DUE + datetime.timedelta(days=3), allow_overdue=True
    )
    assert report.ok, [str(outcome) for outcome in report.outcomes]
    assert [str(problem) for problem in report.problems] == [
        f"{META}:{NEXT_REVIEW_LINE}: warning: next_review: 2026-01-10 has passed; "
        "the content is overdue for review"
    ]
    marks = {
        "en": "Review overdue since 10 January 2026",
        "it": "Revisione scaduta dal 10 gennaio 2026",
    }
    for lang, mark in marks.items():
        for template in ("leaflet", "handout"):
            pages = pdf_pages(root / "build" / f"hemifacial-spasm.{lang}.{template}.pdf")
            assert pages and all(mark in page for page in pages), (lang, template)


def test_an_up_to_date_output_becomes_overdue(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    with_next_review(root, DUE)
    workspace = open_workspace(root)
    first = build(workspace, jobs=1, templates=["handout"], today=DUE)
    assert {outcome.status for outcome in first.outcomes} == {"built"}
    assert "Review overdue" not in pdf_pages(root / "build" / "hemifacial-spasm.en.handout.pdf")[0]
    same_day = build(workspace, jobs=1, templates=["handout"], today=DUE)
    assert {outcome.status for outcome in same_day.outcomes} == {"unchanged"}
    later = build(workspace, jobs=1, templates=["handout"], today=DUE + datetime.timedelta(days=1))
    assert {outcome.status for outcome in later.outcomes} == {"failed"}
    marked = build(
        workspace,
        jobs=1,
        templates=["handout"],
        today=DUE + datetime.timedelta(days=1),
        allow_overdue=True,
    )
    assert {outcome.status for outcome in marked.outcomes} == {"built"}
    page = pdf_pages(root / "build" / "hemifacial-spasm.en.handout.pdf")[0]
    assert "Review overdue since 10 January 2026" in page


def test_review_command_lists_by_date(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    add_condition(root, "a-later-one")
    add_condition(root, "z-overdue")
    today = datetime.date.today()
    with_next_review(root, today + datetime.timedelta(days=400), "a-later-one")
    with_next_review(root, today + datetime.timedelta(days=30), "hemifacial-spasm")
    with_next_review(root, today - datetime.timedelta(days=1), "z-overdue")
    result = run_cli("review", "-C", root)
    owner = "Demo Neurology Clinic, patient information team"
    assert result.output.splitlines() == [
        "next review  status    condition         owner",
        f"{today - datetime.timedelta(days=1)}   overdue   z-overdue         {owner}",
        f"{today + datetime.timedelta(days=30)}   due soon  hemifacial-spasm  {owner}",
        f"{today + datetime.timedelta(days=400)}   ok        a-later-one       {owner}",
        "1 ok, 1 due soon, 1 overdue",
    ]
    assert result.exit_code == 1

    result = run_cli("review", "-C", root, "--json")
    rows = json.loads(result.output)
    assert [(row["condition"], row["status"], row["days"]) for row in rows] == [
        ("z-overdue", "overdue", -1),
        ("hemifacial-spasm", "due soon", 30),
        ("a-later-one", "ok", 400),
    ]
    assert rows[0]["owner"] == owner
    assert rows[0]["next_review"] == (today - datetime.timedelta(days=1)).isoformat()


def test_review_command_on_the_demo(make_workspace: Callable[..., Path]) -> None:
    result = run_cli("review", "-C", make_workspace())
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == "1 ok, 0 due soon, 0 overdue"
