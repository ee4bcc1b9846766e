"""leaflets: turn condition content into localized, accessible PDF patient leaflets."""

__version__ = "0.1.0"
