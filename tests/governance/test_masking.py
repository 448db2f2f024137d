"""Masking of phone and ID numbers inside text a caller sent: log lines, error messages, quarantine reasons."""

from __future__ import annotations

import logging
import sys

import pytest

from wealthdesk.api.log_masking import PersonalNumberFilter
from wealthdesk.governance.masking import mask_personal_numbers


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ('"GET /api/v1/clients?q=18693409046 HTTP/1.1" 200', '"GET /api/v1/clients?q=186****9046 HTTP/1.1" 200'),
        ("/sidebar/110105199001011234", "/sidebar/110105********1234"),
        ("id 11010519900101123X.", "id 110105********123X."),
        ("old id 110105900101123", "old id 110105*****1123"),
        ("no client '13912345678' among", "no client '139****5678' among"),
        ("+8613812345678", "+861******5678"),
        ("call 138-1234-5678 or 139 1234 5678", "call 138-****-5678 or 139 **** 5678"),
    ],
)
def test_phone_and_id_numbers_are_masked_wherever_they_stand(text: str, masked: str) -> None:
    assert mask_personal_numbers(text) == masked


@pytest.mark.parametrize(
    "text", ["client 310000000063", "account A00012345678", "amount 1234567890123.45", "2022-06-30 09:30:00", "E100032"]
)
def test_client_numbers_amounts_and_dates_are_left_alone(text: str) -> None:
    assert mask_personal_numbers(text) == text


def test_the_log_filter_masks_arguments_messages_and_tracebacks() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/?q=13912345678", "1.1", 200),
        None,
    )
    assert PersonalNumberFilter().filter(record)
    assert "13912345678" not in record.getMessage() and "139****5678" in record.getMessage()
    try:
        raise ValueError("bad id 110105199001011234")
    except ValueError:
        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed for 13912345678", (), sys.exc_info())
    PersonalNumberFilter().filter(failed)
    line = logging.Formatter().format(failed)
    assert "110105199001011234" not in line and "13912345678" not in line and "ValueError" in line
