"""Writers for small table files and the parent rows most ingest tests need."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from wealthdesk.ingest import LoadReport

# A valid resident ID (GB 11643 example, check digit X) and a second one computed by hand:
# 11010519491231002X -> weighted sum 167, 167 % 11 = 2 -> 'X'.
VALID_ID = "11010519491231002X"
BRANCHES = [{"branch_id": "B1", "name": "上海世纪大道营业部", "city": "上海", "province": "上海"}]
ADVISORS = [{"advisor_id": "A1", "name": "王顾问", "wecom_userid": "wang", "branch_id": "B1"}]
SECURITIES = [
    {"code": "600519.SH", "name": "贵州茅台", "board": "main", "exchange": "SH", "crowded": "Y"},
    {"code": "300750.SZ", "name": "宁德时代", "board": "chinext", "exchange": "SZ", "crowded": "1"},
]
FUNDS = [{"fund_code": "110011", "name": "易方达", "fund_type": "hybrid", "company": "易方达基金", "risk_level": "R3"}]
CUSTOMERS = [
    {
        "customer_id": "C1",
        "name": "张三丰",
        "id_number": VALID_ID,
        "phone": "13812345678",
        "branch_id": "B1",
        "investor_type": "ordinary",
        "acquisition_channel": "branch",
        "registered_at": "2024-01-02 09:30:00",
    }
]
ACCOUNTS = [
    {
        "account_id": "AC1",
        "customer_id": "C1",
        "account_type": "cash",
        "opened_date": "2024-01-02",
        "status": "normal",
        "chinext_enabled": "true",
        "star_enabled": "false",
        "level2_enabled": "否",
    }
]
PARENTS = {
    "branches": BRANCHES,
    "advisors": ADVISORS,
    "securities": SECURITIES,
    "funds": FUNDS,
    "customers": CUSTOMERS,
    "accounts": ACCOUNTS,
}


def trade(trade_id: str = "T1", **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "trade_id": trade_id,
        "account_id": "AC1",
        "trade_time": "2024-03-01 10:00:00",
        "trade_type": "stock_buy",
        "instrument_code": "600519.SH",
        "quantity": "100",
        "price": "1700.5",
        "amount": "170050",
        "fee": "5",
        "channel": "app",
    }
    row.update(overrides)
    return row


def write_csv(
    path: Path, rows: Sequence[dict[str, object]], encoding: str = "utf-8", header: Sequence[str] | None = None
) -> Path:
    header = list(header or (rows[0].keys() if rows else []))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in header])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_jsonl(path: Path, rows: Sequence[dict[str, object] | str]) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def write_parquet(path: Path, rows: Sequence[dict[str, object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(list(rows)), path)
    return path


def write_parents(folder: Path) -> Path:
    for name, rows in PARENTS.items():
        write_csv(folder / f"{name}.csv", rows)
    return folder


def quarantine(con: duckdb.DuckDBPyConnection, table: str | None = None) -> list[tuple[int, str, str | None]]:
    sql = "SELECT line, reason, raw FROM _quarantine"
    params: list[object] = []
    if table:
        sql += " WHERE table_name = ?"
        params.append(table)
    return con.execute(sql + " ORDER BY source_file, line", params).fetchall()


def one(report: LoadReport):
    assert len(report.files) == 1, report.to_dict()
    return report.files[0]
