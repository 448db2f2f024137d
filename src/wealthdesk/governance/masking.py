"""Masking of personal data for every view: 张*, 138****5678, 110105********1234, and in free text.

Views (CLI, API, pages) show only masked values; the raw values stay in the
store. The quarantine uses the same rules in SQL (``ingest.validate.mask_sql``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from wealthdesk.schema.model import Pii


def mask_name(name: str | None) -> str | None:
    """Keep the family name (the first character): 张三丰 → 张**."""
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


def _keep_ends(value: str, head: int) -> str:
    if len(value) < head + 8:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - 4) + value[-4:]


def mask_phone(phone: str | None) -> str | None:
    """Keep the first three and last four digits: 13812345678 → 138****5678."""
    return phone if not phone else _keep_ends(phone, 3)


def mask_id_number(id_number: str | None) -> str | None:
    """Keep the region code (six digits) and the last four: 110105********1234."""
    return id_number if not id_number else _keep_ends(id_number, 6)


MASKS = {Pii.NAME: mask_name, Pii.PHONE: mask_phone, Pii.ID_NUMBER: mask_id_number}


# Free text (a chat message) can hold anything a client typed. Any run of seven or more digits — ASCII or
# full-width, with spaces or dashes between them, so +86 138-1234-5678 and 15-digit ID numbers too — has every
# digit starred, and the client's own name is masked like a name. Lengths are kept, so character positions into
# the text stay valid.
_LONG_NUMBER = re.compile(r"[0-9０-９](?:[\s\-－]?[0-9０-９]){6,}")
_DIGIT = re.compile(r"[0-9０-９]")


def mask_free_text(text: str, names: Iterable[str | None] = ()) -> str:
    """``text`` with long numbers starred and the given personal names masked; same length."""
    masked = _LONG_NUMBER.sub(lambda m: _DIGIT.sub("*", m.group(0)), text)
    for name in names:
        if not name:
            continue
        # the whole name, then the given name after a one- or two-character surname (张三丰 → 三丰, 欧阳小明 → 小明)
        forms = {name} | ({name[1:]} if len(name) >= 3 else set()) | ({name[2:]} if len(name) >= 4 else set())
        for form in sorted(forms, key=len, reverse=True):
            masked = masked.replace(form, form[0] + "*" * (len(form) - 1) if len(form) > 1 else "*")
    return masked


# Phone and ID numbers inside text a caller sent (a request path, an error message, a reason): a mainland mobile
# number (11 digits from 13…19, optionally after 86, written whole or as 3-4-4 with spaces or dashes) or an ID
# number (18 characters, the last may be X; or the old 15 digits), standing alone. Client, account and advisor
# numbers (12 digits here) do not match, so logs and error messages stay useful.
_PERSONAL_NUMBER = re.compile(
    r"(?<![0-9０-９])(?:(?:86)?1[3-9][0-9](?:[\s\-]?[0-9]{4}){2}|[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9０-９Xx])"
)


def mask_personal_numbers(text: str) -> str:
    """``text`` with every phone or ID number in it masked like the views mask them (138****5678)."""

    def masked(match: re.Match[str]) -> str:
        value = match.group(0)
        digits = [i for i, ch in enumerate(value) if ch not in " -"]
        head = 6 if len(digits) >= 15 and not value.startswith("86") else 3
        hidden = set(digits[head:-4])
        return "".join("*" if i in hidden else ch for i, ch in enumerate(value))

    return _PERSONAL_NUMBER.sub(masked, text)
