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
#: The room between blocks and the height of the ruled lines, as fractions.
SPACING_STEPS = ((0.75, 0.75), (0.5, 0.5))
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

    First less room (spacing, then the notes' ruled lines), then a body size
    smaller by half a point (standard print) or a point (large print) at a
    time, down to the floor: 11 pt in standard print, 16 pt in large print.
    """
    steps = [_css(space, notes) for space, notes in SPACING_STEPS]
    space, notes = SPACING_STEPS[-1]
    if variant == STANDARD:
        size, floor, step = STANDARD_SIZE, STANDARD_FLOOR, 0.5
    else:
        size, floor, step = float(large_print_size), LARGE_PRINT_FLOOR, 1.0
    while size - step >= floor:
        size -= step
        steps.append(_css(space, notes, size))
    return tuple(steps)


def _css(space: float, notes: float, size: float | None = None) -> str:
    # !important: a user stylesheet comes before the document's own ones,
    # and large print sets the body size in the document (base.html).
    css = f"html {{ --fit-space: {space:g}; --fit-notes: {notes:g}; }}"
    if size is not None:
        css += f"\nhtml {{ font-size: {size:g}pt !important; }}"
    return css
