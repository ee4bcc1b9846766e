"""Review dates: which conditions are due for review, which are overdue, and the overdue mark.

A condition is *overdue* from the day after its ``next_review`` date, and
*due soon* from ``[review] warn_days`` days before that date up to and
including the date itself. "Today" is always passed in, so that tests and
scripts can ask about any day; only the CLI and the engine defaults read the
clock.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import Problem, display_path

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .model import Condition, Metadata

#: What a condition's review status can be, in the order `leaflets review` explains them.
STATUSES = ("ok", "due soon", "overdue")

#: The end of the message of an overdue condition's problem, to recognize it.
OVERDUE_MESSAGE = "has passed; the content is overdue for review"


def resolve_today(today: datetime.date | None) -> datetime.date:
    """Return *today*, or the local calendar date when it is None."""
    return today if today is not None else datetime.date.today()


def status(next_review: datetime.date, *, today: datetime.date, warn_days: int) -> str:
    """Return "ok", "due soon" or "overdue" for a condition due on *next_review*."""
    if next_review < today:
        return "overdue"
    if (next_review - today).days <= warn_days:
        return "due soon"
    return "ok"


def review_problem(
    metadata: Metadata,
    *,
    path: str,
    today: datetime.date,
    warn_days: int,
    allow_overdue: bool = False,
) -> Problem | None:
    """Return the problem a condition's review date is, if any.

    Overdue is an error, unless *allow_overdue* (a build that prints the
    overdue mark instead); due soon is a warning.
    """
    if metadata.next_review is None:
        return None  # A draft's placeholder date: reported as a placeholder.
    found = status(metadata.next_review, today=today, warn_days=warn_days)
    line = metadata.next_review_line
    when = metadata.next_review.isoformat()
    if found == "overdue":
        return Problem(
            path,
            line,
            "next_review",
            f"{when} {OVERDUE_MESSAGE}",
            severity="warning" if allow_overdue else "error",
        )
    if found == "due soon":
        days = (metadata.next_review - today).days
        left = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
        advice = "review the content today" if days == 0 else "review the content before then"
        return Problem(
            path,
            line,
            "next_review",
            f"{when} is {left}; {advice}",
            severity="warning",
        )
    return None


#: The longest time between two reviews: a next_review further away than this
#: after last_reviewed (9999-12-31) would never make content due.
MAX_REVIEW_YEARS = 5


def date_problems(metadata: Metadata, *, path: str, today: datetime.date) -> list[Problem]:
    """Return what is wrong with a condition's review dates as of *today*.

    A last review in the future has not happened yet; a next review more
    than MAX_REVIEW_YEARS after the last one never comes.
    """
    problems = []
    last, next_review = metadata.last_reviewed, metadata.next_review
    if last is not None and last > today:
        problems.append(
            Problem(
                path,
                metadata.last_reviewed_line,
                "last_reviewed",
                f"{last.isoformat()} is in the future (today is {today.isoformat()}): "
                "write the day the content was last reviewed",
            )
        )
    if last is not None and next_review is not None:
        limit = _add_years(last, MAX_REVIEW_YEARS)
        if next_review > limit:
            problems.append(
                Problem(
                    path,
                    metadata.next_review_line,
                    "next_review",
                    f"{next_review.isoformat()} is more than {MAX_REVIEW_YEARS} years after "
                    f"last_reviewed ({last.isoformat()}); review content at least every "
                    f"{MAX_REVIEW_YEARS} years (at the latest {limit.isoformat()})",
                )
            )
    return problems


def _add_years(day: datetime.date, years: int) -> datetime.date:
    """Return *day* *years* later (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def add_review_problems(
    conditions: list[Condition],
    *,
    root: Path,
    today: datetime.date,
    warn_days: int,
    allow_overdue: bool = False,
) -> None:
    """Record each condition's review problem on it, and mark the overdue ones."""
    from .model import METADATA_NAME

    for condition in conditions:
        if condition.metadata is None:
            continue
        shown = display_path(condition.folder / METADATA_NAME, root)
        condition.problems.extend(date_problems(condition.metadata, path=shown, today=today))
        if condition.metadata.next_review is None:
            continue  # No date yet: a draft's placeholder, reported as such.
        problem = review_problem(
            condition.metadata,
            path=display_path(condition.folder / METADATA_NAME, root),
            today=today,
            warn_days=warn_days,
            allow_overdue=allow_overdue,
        )
        if problem is None:
            continue
        condition.problems.append(problem)
        if problem.message.endswith(OVERDUE_MESSAGE):
            condition.overdue = problem


@dataclass(frozen=True)
class ReviewRow:
    """One condition's review dates and status, as `leaflets review` lists it."""

    condition: str
    next_review: datetime.date
    last_reviewed: datetime.date
    owner: str
    status: str
    #: Days from today to next_review: negative once it has passed.
    days: int

    def as_json(self) -> dict[str, Any]:
        """Return the row as `leaflets review --json` prints it."""
        return {
            "condition": self.condition,
            "next_review": self.next_review.isoformat(),
            "last_reviewed": self.last_reviewed.isoformat(),
            "owner": self.owner,
            "status": self.status,
            "days": self.days,
        }


def review_table(
    workspace: Workspace, *, today: datetime.date | None = None
) -> tuple[list[ReviewRow], list[Problem]]:
    """List every condition by next review date (then name), with the problems found.

    Only ``condition.yaml`` is read; a condition whose metadata is invalid is
    left out of the rows and its problems returned.
    """
    from .conditions import load_metadata
    from .model import METADATA_NAME

    config = workspace.config
    day = resolve_today(today)
    rows: list[ReviewRow] = []
    problems: list[Problem] = []
    if not config.data_dir.is_dir():
        shown = display_path(config.data_dir, config.root)
        return [], [Problem(shown, None, None, "data folder does not exist")]
    for folder in sorted(config.data_dir.iterdir()):
        if not folder.is_dir() or folder.name.startswith((".", "_")):
            continue
        path = folder / METADATA_NAME
        if not path.is_file():
            shown = display_path(path, config.root)
            problems.append(
                Problem(shown, None, None, "is missing: every condition needs its metadata file")
            )
            continue
        metadata, found = load_metadata(path, root=config.root, slug=folder.name)
        problems.extend(problem for problem in found if problem.is_error)
        if metadata is None or metadata.next_review is None or metadata.last_reviewed is None:
            continue  # A draft whose dates are TODO placeholders: reported above.
        rows.append(
            ReviewRow(
                condition=metadata.slug,
                next_review=metadata.next_review,
                last_reviewed=metadata.last_reviewed,
                owner=metadata.owner,
                status=status(metadata.next_review, today=day, warn_days=config.review_warn_days),
                days=(metadata.next_review - day).days,
            )
        )
    rows.sort(key=lambda row: (row.next_review, row.condition))
    return rows, problems
