"""Draw the QR code of a leaflet's online address as inline SVG (vector, never a bitmap)."""

from __future__ import annotations

from markupsafe import Markup, escape


def qr_svg(url: str, title: str = "") -> Markup:
    """Return an inline ``<svg>`` QR code that encodes exactly *url*, titled *title*.

    The code has a quiet zone of four modules (part of the image, so no
    margin can eat it) and error correction level M or better; its size is
    set by the stylesheet. The title becomes the alternative text of the
    tagged PDF's figure.
    """
    import segno

    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(border=4, omitsize=True, dark="#000", svgclass="qr")
    if title:
        # After the opening tag, as segno itself places a title.
        head, _, rest = svg.partition(">")
        svg = f"{head}><title>{escape(title)}</title>{rest}"
    return Markup(svg)
