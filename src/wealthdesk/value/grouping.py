"""What the customer-value report groups clients by.

Its own module, free of heavy imports, so the CLI can name the choices in
its option type without loading Ibis and PyArrow at start-up, and there is
one enum for the CLI and the Python API alike.
"""

from __future__ import annotations

from enum import StrEnum


class GroupBy(StrEnum):
    """What the report groups clients by."""

    channel = "channel"
    advisor = "advisor"
    segment = "segment"
