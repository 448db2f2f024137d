"""Where and how each table is written, and which defects are planted in it.

The layout is the contract with ingest: ``DIR/<table>.<ext>`` for small
tables, ``DIR/<table>/part-NNNN.<ext>`` for big ones; file names are schema
table names; ``wecom_messages`` uses the archive key ``from`` for ``sender``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from wealthdesk.demo import writer
from wealthdesk.demo.defects import Defect, Row, negate, plant, set_, short_phone, wrong_check_digit
from wealthdesk.progress import Reporter


@dataclass(frozen=True)
class Output:
    fmt: str  # csv | parquet | jsonl
    encoding: str = "utf-8"  # csv only; gb18030 files use YYYYMMDD dates
    partitioned: bool = False


OUTPUTS: dict[str, Output] = {
    "branches": Output("csv", "gb18030"),
    "advisors": Output("csv", "gb18030"),
    "customers": Output("csv", "gb18030"),
    "accounts": Output("csv", "gb18030"),
    "funds": Output("csv", "gb18030"),
    "securities": Output("csv"),
    "campaigns": Output("csv"),
    "security_prices": Output("parquet", partitioned=True),
    "fund_navs": Output("parquet"),
    "fund_top_holdings": Output("parquet"),
    "trades": Output("parquet", partitioned=True),
    "holdings": Output("parquet", partitioned=True),
    "cash_flows": Output("parquet", partitioned=True),
    "app_events": Output("parquet", partitioned=True),
    "campaign_touches": Output("parquet", partitioned=True),
    "wecom_contacts": Output("jsonl"),
    "wecom_messages": Output("jsonl", partitioned=True),
    "contents": Output("jsonl"),
    "news": Output("jsonl"),
}
JSON_KEYS = {"wecom_messages": {"sender": "from"}}


def _fresh(column: str, prefix: str) -> Callable[[Row, int], Row]:
    def fresh(row: Row, j: int) -> Row:
        return {**row, column: f"{prefix}{j:07d}"}

    return fresh


def _fresh_holding(row: Row, j: int) -> Row:
    day = date(2020, 6, 1) + timedelta(days=j % 180)  # no snapshot falls on these days
    return {**row, "snapshot_date": day, "instrument_code": row["instrument_code"]}


_UNKNOWN_ACCOUNT = "600000000001"
_UNKNOWN_CUSTOMER = "390000000001"

DEFECTS: dict[str, tuple[list[Defect], Callable[[Row, int], Row]]] = {
    "customers": (
        [
            Defect("bad_type", set_("birth_date", "20211345")),
            Defect("missing_required", set_("name", "")),
            Defect("bad_enum", set_("risk_level", "C7")),
            Defect("bad_pattern", short_phone("phone")),
            Defect("bad_checksum", wrong_check_digit("id_number")),
            Defect("unknown_fk", set_("advisor_id", "E999999")),
        ],
        _fresh("customer_id", "39"),
    ),
    "accounts": (
        [
            Defect("bad_type", set_("opened_date", "20211345")),
            Defect("missing_required", set_("status", "")),
            Defect("bad_enum", set_("account_type", "credit")),
            Defect("unknown_fk", set_("customer_id", _UNKNOWN_CUSTOMER)),
        ],
        _fresh("account_id", "69"),
    ),
    "funds": (
        [
            Defect("bad_type", set_("management_fee", "12,3x")),
            Defect("missing_required", set_("name", "")),
            Defect("bad_enum", set_("risk_level", "R7")),
            Defect("bad_pattern", lambda row, j: {**row, "fund_code": f"{10000 + j:05d}"}),
            Defect("below_minimum", negate("subscription_fee")),
        ],
        _fresh("fund_code", "9"),
    ),
    "trades": (
        [
            Defect("missing_required", set_("channel", None)),
            Defect("bad_enum", set_("trade_type", "stock_bye")),
            Defect("below_minimum", negate("amount")),
            Defect("unknown_fk", set_("account_id", _UNKNOWN_ACCOUNT)),
        ],
        _fresh("trade_id", "TX"),
    ),
    "holdings": (
        [
            Defect("below_minimum", negate("quantity")),
            Defect("bad_enum", set_("asset_type", "bond")),
            Defect("unknown_fk", set_("account_id", _UNKNOWN_ACCOUNT)),
            Defect("missing_required", set_("market_value", None)),
        ],
        _fresh_holding,
    ),
    "cash_flows": (
        [
            Defect("below_minimum", negate("amount")),
            Defect("bad_enum", set_("flow_type", "transfer")),
            Defect("unknown_fk", set_("account_id", _UNKNOWN_ACCOUNT)),
            Defect("missing_required", set_("flow_time", None)),
        ],
        _fresh("flow_id", "FX"),
    ),
    "app_events": (
        [
            Defect("missing_required", set_("event_time", None)),
            Defect("bad_enum", set_("event_type", "tap")),
            Defect("unknown_fk", set_("customer_id", _UNKNOWN_CUSTOMER)),
        ],
        _fresh("event_id", "EX"),
    ),
    "wecom_messages": (
        [
            Defect("missing_required", set_("sender", None)),
            Defect("bad_enum", set_("action", "delete")),
            Defect("below_minimum", set_("msgtime", -1)),
        ],
        _fresh("msgid", "9_"),
    ),
}


def _fund_code_fresh(row: Row, j: int) -> Row:
    return {**row, "fund_code": f"{900000 + j:06d}"}


DEFECTS["funds"] = (DEFECTS["funds"][0], _fund_code_fresh)


@dataclass(frozen=True)
class Written:
    rows: dict[str, int]
    bad: list[tuple[str, str, int, str]]  # table, file, line, defect
    bad_counts: dict[str, int]


def _write(table: pa.Table, path: Path, name: str, spec: Output) -> None:
    if spec.fmt == "csv":
        writer.write_csv(table, path, spec.encoding)
    elif spec.fmt == "parquet":
        writer.write_parquet(table, path)
    else:
        writer.write_jsonl(table, path, JSON_KEYS.get(name))


def write_all(
    out: Path,
    built: dict[str, Callable[[], pa.Table]],
    rng: np.random.Generator,
    reporter: Reporter,
    part_rows: int = writer.PART_ROWS,
) -> Written:
    """Plant defects file by file, write every table in its format; return rows per table and bad-row locations."""
    rows: dict[str, int] = {}
    bad: list[tuple[str, str, int, str]] = []
    counts: dict[str, int] = {}
    reporter.start("write", len(OUTPUTS))
    for name in sorted(OUTPUTS):
        spec = OUTPUTS[name]
        table = built[name]()
        if spec.fmt == "csv":
            table = writer.to_text(table, compact_dates=spec.encoding != "utf-8")
        pieces = writer.split(table, part_rows) if spec.partitioned else [table]
        del table
        header = 1 if spec.fmt == "csv" else 0
        rows[name] = counts[name] = 0
        for index, piece in enumerate(pieces):
            positions, kinds = np.zeros(0, np.int64), []
            if name in DEFECTS:
                defects, fresh = DEFECTS[name]
                planted = plant(piece, defects, fresh, rng, first=counts[name])
                piece, positions, kinds = planted.table, planted.positions, planted.kinds
            path = writer.part_path(out / name, index, spec.fmt) if spec.partitioned else out / f"{name}.{spec.fmt}"
            _write(piece, path, name, spec)
            rel = path.relative_to(out).as_posix()
            located = sorted(zip(positions.tolist(), kinds, strict=True))
            bad.extend((name, rel, pos + 1 + header, kind) for pos, kind in located)
            rows[name] += piece.num_rows
            counts[name] += len(kinds)
        reporter.advance("write")
    return Written(rows, bad, counts)
