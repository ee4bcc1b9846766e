"""Check patients' email addresses: one rule for `leaflets email` and the desk."""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.headerregistry import Address
from email.policy import default as default_policy
from email.utils import getaddresses

from ..exceptions import MailError

_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}", re.I)


def check_addresses(addresses: Sequence[str]) -> list[str]:
    """Return *addresses* normalized; raise MailError naming the first that is not one address.

    Each must be one mailbox, ``name@example.org`` or ``Name <name@example.org>``,
    with a domain that has a dot: a typo must not send a patient's leaflets
    somewhere else, or nowhere.
    """
    checked = []
    for value in addresses:
        shown = repr(value[:80])
        if "\n" in value or "\r" in value:
            raise MailError(f"--to: {shown} is not an email address (it has a line break)")
        try:
            header = default_policy.header_factory("to", value)
            found = list(getattr(header, "addresses", ()))
            defects = list(getattr(header, "defects", ()))
        except (ValueError, IndexError, TypeError):
            found, defects = [], ["unparsable"]
        parsed = getaddresses([value])
        if len(found) != 1 or defects or len(parsed) != 1:
            raise MailError(
                f"--to: {shown} is not an email address like name@example.org; nothing was sent"
            )
        address: Address = found[0]
        domain = _ascii_domain(address.username, address.domain)
        if domain is None:
            raise MailError(
                f"--to: {shown} is not an email address like name@example.org; nothing was sent"
            )
        # An international domain is written in its ASCII (IDNA) form, which
        # every mail server and header understands.
        checked.append(str(Address(address.display_name, address.username, domain)))
    return checked


def _ascii_domain(local: str, domain: str) -> str | None:
    """Return *domain* in ASCII when *local*@*domain* is a plausible mailbox, else None."""
    if not local or not domain or len(local) > 64 or " " in local:
        return None
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return ascii_domain if _DOMAIN.fullmatch(ascii_domain) else None


def normalized_address(value: str) -> str | None:
    """Return *value* as check_addresses() writes it when it is one address, else None."""
    try:
        (checked,) = check_addresses([value])
    except MailError:
        return None
    return checked
