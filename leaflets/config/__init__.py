"""Load and validate the workspace configuration, leaflets.toml, from its declared schema.

``schema`` declares every table and key once; ``loading`` reads the file
against it; ``reference`` writes the commented example and the reference
table from it; ``checks`` holds the value checks the data files share.
"""

from __future__ import annotations

from .checks import (
    CONTENT_LINK_SCHEMES,
    FILENAME_FIELDS,
    ONLINE_URL_FIELDS,
    WEB_SCHEMES,
    parse_size,
    unreadable_image,
    unsafe_name,
    unsafe_url,
    validate_language,
)
from .loading import CONFIG_NAME, MAX_CONFIG_SIZE, find_line, load_config
from .model import (
    EMAIL_SECURITY,
    LARGE_PRINT_SIZES,
    LOCAL_HOSTS,
    PAPER_SIZES,
    PDF_VARIANTS,
    STANDARD,
    TEMPLATES,
    VARIANTS,
    Clinic,
    Config,
    EmailSettings,
)
from .schema import DEFAULTS, EMAIL_DEFAULTS, REVIEW_DEFAULTS


def example_toml() -> str:
    """Return a commented leaflets.toml with every key, as `leaflets init` writes it."""
    from .reference import example_toml

    return example_toml()


def reference_markdown() -> str:
    """Return the Markdown reference of leaflets.toml and condition.yaml: one table per table."""
    from .reference import reference_markdown

    return reference_markdown()


__all__ = [
    "CONFIG_NAME",
    "CONTENT_LINK_SCHEMES",
    "DEFAULTS",
    "EMAIL_DEFAULTS",
    "EMAIL_SECURITY",
    "FILENAME_FIELDS",
    "LARGE_PRINT_SIZES",
    "LOCAL_HOSTS",
    "MAX_CONFIG_SIZE",
    "ONLINE_URL_FIELDS",
    "PAPER_SIZES",
    "PDF_VARIANTS",
    "REVIEW_DEFAULTS",
    "STANDARD",
    "TEMPLATES",
    "VARIANTS",
    "WEB_SCHEMES",
    "Clinic",
    "Config",
    "EmailSettings",
    "example_toml",
    "find_line",
    "load_config",
    "parse_size",
    "reference_markdown",
    "unreadable_image",
    "unsafe_name",
    "unsafe_url",
    "validate_language",
]
