"""Reading files: encodings, malformed lines, empty files, column matching, broken Parquet, discovery."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_files import BRANCHES, one, quarantine, trade, write_csv, write_jsonl, write_parquet

from wealthdesk.errors import IngestError
from wealthdesk.ingest import discover, ingest_path

GB_BRANCHES = [
    {"branch_id": "B7", "name": "深圳福田营业部", "city": "深圳", "province": "广东", "opened_date": "20190301"},
    {"branch_id": "B8", "name": "杭州西湖营业部", "city": "杭州", "province": "浙江", "opened_date": "20200615"},
]


@pytest.mark.parametrize("declared", [None, "gb18030", "GBK"])
def test_gb18030_csv_with_compact_dates(store, tmp_path: Path, declared: str | None) -> None:
    path = write_csv(tmp_path / "branches.csv", GB_BRANCHES, encoding="gb18030")
    result = one(ingest_path(store, path, encoding=declared))
    assert result.error is None and result.rows_loaded == 2
    assert result.encoding in ("gb18030", "gbk")
    assert store.execute("SELECT name, opened_date::VARCHAR FROM branches ORDER BY 1").fetchall() == [
        ("杭州西湖营业部", "2020-06-15"),
        ("深圳福田营业部", "2019-03-01"),
    ]


def test_utf8_with_bom(store, tmp_path: Path) -> None:
    path = tmp_path / "branches.csv"
    write_csv(path, GB_BRANCHES)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = one(ingest_path(store, path))
    assert (result.encoding, result.rows_loaded) == ("utf-8-sig", 2)


def test_broken_encoding_is_a_clear_file_error(store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "branches.csv", GB_BRANCHES)
    data = path.read_bytes()
    cut = data.index("杭州".encode()) + 1  # cut a multi-byte character in half
    path.write_bytes(data[:cut] + b"\xff\xfe" + data[cut + 2 :])
    result = one(ingest_path(store, path, encoding="utf-8"))
    assert result.error is not None
    assert f"bytes at offset {cut - 1}" in result.error and "(line 3)" in result.error and "utf-8" in result.error
    assert str(path) in result.error
    assert store.execute("SELECT count(*) FROM branches").fetchone()[0] == 0
    assert result.reconciles()


def test_malformed_csv_lines_are_quarantined_with_physical_line(store, tmp_path: Path) -> None:
    path = tmp_path / "branches.csv"
    path.write_text(
        "branch_id,name,city,province\n"
        'B1,"多行\n名字",上海,上海\n'  # lines 2-3: one record over two lines
        "\n"  # line 4: blank, skipped
        "B2,name,city\n"  # line 5: one field short
        "B3,n,c,p,extra\n"  # line 6: one field too many
        "B4,n,c,p\n",  # line 7
        encoding="utf-8",
    )
    result = one(ingest_path(store, path))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 2, 2)
    assert quarantine(store) == [
        (5, "malformed CSV line: expected 4 fields, found 3", "B2,name,city"),
        (6, "malformed CSV line: expected 4 fields, found 5", "B3,n,c,p,extra"),
    ]
    assert store.execute("SELECT name FROM branches WHERE branch_id = 'B1'").fetchone()[0] == "多行\n名字"


def test_bad_json_lines_are_quarantined(store, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "branches.jsonl",
        [BRANCHES[0], "{not json", "", '["B2"]', BRANCHES[0] | {"branch_id": "B2"}],
    )
    result = one(ingest_path(store, path))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 2, 2)
    assert [(line, reason) for line, reason, _ in quarantine(store)] == [
        (2, "not valid JSON"),
        (4, "a JSON array, not an object"),
    ]


def test_empty_files(store, tmp_path: Path) -> None:
    header_only = write_csv(tmp_path / "in" / "branches.csv", [], header=["branch_id", "name", "city", "province"])
    (tmp_path / "in" / "securities.csv").write_bytes(b"")
    (tmp_path / "in" / "news.jsonl").write_bytes(b"")
    report = ingest_path(store, header_only.parent)
    assert report.ok and report.reconciles()
    by_table = {f.table: f for f in report.files}
    assert by_table["branches"].rows_read == 0 and not by_table["branches"].notes
    assert by_table["securities"].notes == ["empty file (0 bytes): nothing to load"]
    assert by_table["news"].rows_read == 0


def test_missing_required_column_rejects_file(store, tmp_path: Path) -> None:
    rows = [{"branch_id": "B1", "name": "n", "city": "c"}]
    result = one(ingest_path(store, write_csv(tmp_path / "branches.csv", rows)))
    assert result.error is not None and "missing required column(s) province" in result.error
    assert store.execute("SELECT count(*) FROM branches").fetchone()[0] == 0


def test_extra_columns_are_a_note_and_missing_optional_is_null(parents_store, tmp_path: Path) -> None:
    row = trade() | {"remark": "x"}
    result = one(ingest_path(parents_store, write_parquet(tmp_path / "trades.parquet", [row])))
    assert result.rows_loaded == 1
    assert result.notes == ["ignored column(s) not in the trades schema: remark"]


def test_truncated_parquet_is_a_file_error_and_the_rest_loads(store, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_csv(folder / "branches.csv", BRANCHES)
    path = write_parquet(
        folder / "advisors" / "part-0001.parquet",
        [{"advisor_id": f"A{i}", "name": "x", "wecom_userid": f"w{i}", "branch_id": "B1"} for i in range(1000)],
    )
    good = write_parquet(
        folder / "advisors" / "part-0002.parquet",
        [{"advisor_id": "Z1", "name": "x", "wecom_userid": "z", "branch_id": "B1"}],
    )
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    report = ingest_path(store, folder)
    results = {f.file.name: f for f in report.files}
    assert not report.ok
    assert "not a readable Parquet file" in results["part-0001.parquet"].error
    assert str(path) in results["part-0001.parquet"].error
    assert results[good.name].rows_loaded == 1 and results["branches.csv"].rows_loaded == 1
    assert store.execute("SELECT advisor_id FROM advisors").fetchall() == [("Z1",)]


def test_discovery_order_ignored_and_hidden(tmp_path: Path) -> None:
    for name in (
        "trades.csv",
        "branches.parquet",
        "notes.csv",
        "_truth/bad_rows.csv",
        ".hidden.csv",
        "accounts/part-0001.jsonl",
        "accounts/README.txt",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    files, ignored = discover(tmp_path)
    assert [(f.path.relative_to(tmp_path).as_posix(), f.format) for f in files] == [
        ("branches.parquet", "parquet"),
        ("accounts/part-0001.jsonl", "jsonl"),
        ("trades.csv", "csv"),
    ]
    assert sorted(p.relative_to(tmp_path).as_posix() for p in ignored) == ["accounts/README.txt", "notes.csv"]
    with pytest.raises(IngestError, match="names no table"):
        discover(tmp_path / "notes.csv")
