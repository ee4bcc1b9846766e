"""Check patients' email addresses: one rule for `leaflets email` and the desk.

The address itself (the part in ``<…>``, or the whole value) is checked by
email-validator, which follows the RFCs and writes international domains
with IDNA 2008 and UTS 46, as browsers do; the optional display name around
it is parsed by the standard library. Whatever a reader could mistake for
something else is refused rather than repaired: a value that Unicode
normalization would change (full-width letters, look-alikes), invisible
characters, and a display name that is itself another address.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from email.headerregistry import Address
from email.policy import default as default_policy

from ..exceptions import MailError

#: The most characters of a bad address a message repeats.
_SHOWN = 80
#: Something in a display name that looks like an email address.
_ADDRESS_LIKE = re.compile(r"[^\s<>\"@]+@[^\s<>\"@]+")


def address_problem(value: str) -> str | None:
    """Return why *value* is not one email address, for a receptionist to read, or None.

    The reason is a short clause, like "the part after @ is not a valid
    domain"; describe_problem() makes the whole sentence.
    """
    return _parse(value)[1]


def describe_problem(value: str, reason: str) -> str:
    """Return the sentence the CLI and the desk show: "Not an email address: a@b..org (…)"."""
    shown = _printable(value)
    if len(shown) > _SHOWN:
        shown = shown[: _SHOWN - 1] + "…"
    return f"Not an email address: {shown} ({reason})"


def check_addresses(addresses: Sequence[str]) -> list[str]:
    """Return *addresses* normalized and without repeats; raise MailError at the first bad one.

    Each must be one mailbox, ``name@example.org`` or ``Name <name@example.org>``.
    An international domain is written in its ASCII (IDNA) form, which every
    mail server and header understands. The same address given twice (the
    domain's case aside) is kept once, at its first place.
    """
    checked: dict[str, str] = {}
    for value in addresses:
        address, reason = _parse(value)
        if address is None:
            raise MailError(f"--to: {describe_problem(value, reason or '')}; nothing was sent")
        checked.setdefault(address.addr_spec, str(address))
    return list(checked.values())


def normalized_address(value: str) -> str | None:
    """Return *value* as check_addresses() writes it when it is one address, else None."""
    address, _ = _parse(value)
    return None if address is None else str(address)


def _parse(value: str) -> tuple[Address, None] | tuple[None, str]:
    """Return the address *value* names, normalized, or why it names none."""
    if not value.strip():
        return None, "it is empty"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        # Line breaks could add headers; invisible characters hide a different address.
        return None, "it contains a line break or an invisible character"
    if unicodedata.normalize("NFKC", value) != value:
        # Full-width letters, ligatures and other look-alikes: what a patient
        # reads would not be where the message goes.
        return None, "it contains look-alike characters, such as full-width letters"
    if "<" not in value and "," not in value and ";" not in value:
        # A bare address: email-validator says best what is wrong with it.
        bare = value.strip()
        if bare.count("@") > 1 and len(bare.split()) > 1:
            return None, "write one address at a time"
        local, at, domain = bare.rpartition("@")
        if not at:
            return None, "it has no @, as in name@example.org"
        if not local:
            return None, "there is nothing before @"
        return _validate(local, domain, "")
    try:
        header = default_policy.header_factory("to", value)
        found = list(getattr(header, "addresses", ()))
        defects = list(getattr(header, "defects", ()))
    except (ValueError, IndexError, TypeError):
        found, defects = [], ["unparsable"]
    if len(found) > 1:
        return None, "write one address at a time"
    if len(found) != 1 or defects or "@" not in found[0].addr_spec:
        return None, "it should look like name@example.org or Name <name@example.org>"
    parsed: Address = found[0]
    local, domain = parsed.username, parsed.domain
    name = parsed.display_name
    if name and _ADDRESS_LIKE.search(name) and name.strip().lower() != parsed.addr_spec.lower():
        return None, "the name before <…> looks like another email address"
    return _validate(local, domain, name)


def _validate(local: str, domain: str, name: str) -> tuple[Address, None] | tuple[None, str]:
    """Check *local*@*domain* with email-validator; return it with its ASCII domain."""
    from email_validator import EmailNotValidError, validate_email

    def valid(candidate: str) -> object | None:
        try:
            return validate_email(candidate, check_deliverability=False, allow_smtputf8=False)
        except EmailNotValidError:
            return None

    result = valid(f"{local}@{domain}")
    if result is None:
        if valid(f"a@{domain}") is None:
            if "." not in domain:
                return None, "the part after @ needs a dot, as in example.org"
            return None, "the part after @ is not a valid domain"
        if any(ord(ch) > 127 for ch in local):
            return None, "the part before @ has letters many mail servers cannot deliver to"
        return None, "the part before @ is not valid"
    ascii_domain = str(getattr(result, "ascii_domain", ""))
    unicode_domain = str(getattr(result, "domain", ""))
    # Refuse what IDNA would map to another name (not case, which DNS ignores).
    typed = domain.lower()
    if typed not in (ascii_domain.lower(), unicode_domain.lower()):
        return None, "the part after @ would change into another domain"
    if len(ascii_domain.rsplit(".", 1)[-1]) < 2:
        return None, "the part after @ is not a valid domain"
    return Address(name, local, ascii_domain), None


def _printable(value: str) -> str:
    """Return *value* with its invisible and control characters shown as \\uXXXX."""
    return "".join(
        f"\\u{ord(ch):04x}" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
        for ch in value
    )
