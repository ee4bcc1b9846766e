"""Counts and sizes in messages: "2 pages", "31 KB"."""

from __future__ import annotations


def format_size(size: int) -> str:
    """Return *size* bytes as a short text: "50 KB", "1.2 MB".

    Decimal units, as every limit in the documentation and leaflets.toml is
    written ("max_attachments_size = 10 MB" is 10,000,000 bytes): 50,000
    bytes is "50 KB", never "49 KB".
    """
    if round(size / 1000) < 1000:
        return f"{size / 1000:.0f} KB"
    return f"{size / 1_000_000:.1f} MB"


def plural(count: int, noun: str) -> str:
    """Return "1 page", "2 pages": a count with its (English) noun in the right number."""
    return f"{count} {noun if count == 1 else noun + 's'}"
