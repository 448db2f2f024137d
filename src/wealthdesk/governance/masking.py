"""Masking of personal data for every view: 张*, 138****5678, 110105********1234.

Views (CLI, API, pages) show only masked values; the raw values stay in the
store. The quarantine uses the same rules in SQL (``ingest.validate.mask_sql``).
"""

from __future__ import annotations

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


# Numbers typed into free text (a chat message): an ID number keeps its region code and last four, a
# mobile number its first three and last four; lengths are kept, so character positions stay valid.
# RE2 has no look-behind, so the character before the number is captured and put back.
_ID_IN_TEXT = (r"(^|\D)(\d{6})\d{8}(\d{3}[\dXx])", r"\1\2********\3")
_MOBILE_IN_TEXT = (r"(^|\D)(1[3-9]\d)\d{4}(\d{4})", r"\1\2****\3")


def mask_numbers_sql(text: str) -> str:
    """SQL (DuckDB) masking the ID and mobile numbers inside the free text ``text``."""
    for pattern, replacement in (_ID_IN_TEXT, _MOBILE_IN_TEXT):
        text = f"regexp_replace({text}, '{pattern}', '{replacement}', 'g')"
    return text
