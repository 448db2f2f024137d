"""Public API: determinism per seed, parameter errors, re-generation into a previous output folder."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from wealthdesk.demo import GenerationSummary, generate_brokerage
from wealthdesk.errors import GenerationError
from wealthdesk.progress import Reporter


def _digests(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    a = generate_brokerage(tmp_path / "a", 300, 5)
    b = generate_brokerage(tmp_path / "b", 300, 5)
    c = generate_brokerage(tmp_path / "c", 300, 6)
    da, db, dc = _digests(a.out), _digests(b.out), _digests(c.out)
    assert da == db
    assert a.rows == b.rows and a.bad_rows == b.bad_rows
    differing = {k for k in da if da[k] != dc.get(k)}
    assert {"customers.csv", "trades/part-0000.parquet", "wecom_messages/part-0000.jsonl"} <= differing


def test_summary_shape(tmp_path: Path) -> None:
    s = generate_brokerage(tmp_path / "x", 200, 1)
    assert isinstance(s, GenerationSummary)
    assert s.out == tmp_path / "x" and s.customers == 200 and s.seed == 1 and s.seconds > 0
    assert s.rows["customers"] == 200 + s.bad_rows["customers"]


@pytest.mark.parametrize("customers", [0, 99, -5])
def test_too_few_customers_is_an_error(tmp_path: Path, customers: int) -> None:
    with pytest.raises(GenerationError, match="--customers"):
        generate_brokerage(tmp_path / "x", customers, 1)


def test_refuses_a_foreign_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(GenerationError, match="empty"):
        generate_brokerage(tmp_path, 200, 1)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_regenerates_over_a_previous_generation(tmp_path: Path) -> None:
    generate_brokerage(tmp_path / "x", 250, 1)
    second = generate_brokerage(tmp_path / "x", 200, 2)
    assert second.rows["customers"] == 200 + second.bad_rows["customers"]


def test_reports_progress(tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []

    class Recorder(Reporter):
        def start(self, task: str, total: int) -> None:
            seen.append(("start", task))

        def advance(self, task: str, units: int = 1) -> None:
            seen.append(("advance", task))

    generate_brokerage(tmp_path / "x", 200, 1, Recorder())
    assert ("start", "generate") in seen and ("advance", "write") in seen
