"""The server's log never holds a phone or ID number: every record is masked before a handler writes it.

uvicorn's access log writes each request line whole, so a number typed into a
search (``?q=138…``) or a path (``/sidebar/…``) would otherwise land in the
log in the clear; error records and their tracebacks can carry what a caller
sent too. The filter masks the message, its arguments and the formatted
traceback (``governance.masking.mask_personal_numbers``).
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from uvicorn.config import LOGGING_CONFIG

from wealthdesk.governance.masking import mask_personal_numbers


class PersonalNumberFilter(logging.Filter):
    """Masks phone and ID numbers in a record; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_personal_numbers(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask_personal_numbers(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: mask_personal_numbers(v) if isinstance(v, str) else v for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_personal_numbers(logging.Formatter().formatException(record.exc_info))
        return True


def server_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with the masking filter on every handler."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["personal_numbers"] = {"()": PersonalNumberFilter}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("personal_numbers")
    return config
