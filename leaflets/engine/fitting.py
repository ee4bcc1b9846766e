"""Fit a handout to its sheet: less room between blocks, then a smaller size, down to a floor.

A handout is one sheet: one page, and in large print both sides of it. When
the first rendering takes more, the worker renders it again with each step
below in turn, each a few CSS custom properties layered over the
stylesheets (``styles/handout.css`` and ``styles/large-print.css`` use them),
and keeps the first that fits. A handout that does not fit at the last step
is an error naming how much is over.
"""

from __future__ import annotations

from ..config import LARGE_PRINT_SIZES, STANDARD

#: Pages of a handout: one sheet, one side in standard print, both in large print.
HANDOUT_PAGES = {STANDARD: 1, "large-print": 2}
#: The room between blocks and the height of the ruled lines, as fractions, and
#: large print's line height: each step tighter than the one before.
SPACING_STEPS = ((0.75, 0.75, 1.5), (0.5, 0.5, 1.4), (0.25, 0.25, 1.3))
#: The smallest body size fitting goes to: standard print, in points.
STANDARD_FLOOR = 11.0
#: Standard print's body size (styles/base.css), in points.
STANDARD_SIZE = 12.0
#: Large print never goes below this, whatever its configured size.
LARGE_PRINT_FLOOR = float(LARGE_PRINT_SIZES[0])


def handout_pages(variant: str) -> int:
    """Return how many pages a handout in *variant* may take."""
    return HANDOUT_PAGES.get(variant, HANDOUT_PAGES["large-print"])


def fitting_steps(variant: str, large_print_size: float) -> tuple[str, ...]:
    """Return the CSS of each fitting step, in the order they are tried.

    First less room (between blocks, in the notes' ruled lines, and in large
    print between lines: 1.5 down to 1.3), then a body size
    smaller by half a point (standard print) or a point (large print) at a
    time, down to the floor: 11 pt in standard print, 16 pt in large print.
    """
    steps = [_css(space, notes, leading) for space, notes, leading in SPACING_STEPS]
    space, notes, leading = SPACING_STEPS[-1]
    if variant == STANDARD:
        size, floor, step = STANDARD_SIZE, STANDARD_FLOOR, 0.5
    else:
        size, floor, step = float(large_print_size), LARGE_PRINT_FLOOR, 1.0
    while size - step >= floor:
        size -= step
        steps.append(_css(space, notes, leading, size))
    return tuple(steps)


def _css(space: float, notes: float, leading: float, size: float | None = None) -> str:
    # !important: a user stylesheet comes before the document's own ones,
    # and large print sets the body size in the document (base.html).
    css = f"html {{ --fit-space: {space:g}; --fit-notes: {notes:g}; --fit-leading: {leading:g}; }}"
    if size is not None:
        css += f"\nhtml {{ font-size: {size:g}pt !important; }}"
    return css
