"""Counts and sizes in messages: "2 pages", "31 KB"."""

from __future__ import annotations


def format_size(size: int) -> str:
    """Return *size* bytes as a short human-readable text."""
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def plural(count: int, noun: str) -> str:
    """Return "1 page", "2 pages": a count with its (English) noun in the right number."""
    return f"{count} {noun if count == 1 else noun + 's'}"
