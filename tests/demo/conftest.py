"""Fixtures: one small generated brokerage per test session, loaded into DuckDB for rule checks."""

from __future__ import annotations

import duckdb
import pytest
from demo_files import read_raw

from wealthdesk.demo import GenerationSummary, generate_brokerage
from wealthdesk.demo.output import OUTPUTS

CUSTOMERS = 2000
SEED = 11


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> GenerationSummary:
    """A 2,000-client brokerage generated once per session."""
    return generate_brokerage(tmp_path_factory.mktemp("brokerage"), CUSTOMERS, SEED)


@pytest.fixture(scope="session")
def con(generated: GenerationSummary) -> duckdb.DuckDBPyConnection:
    """DuckDB with every generated table as ``raw_<table>`` and the truth's bad rows as ``bad_rows``."""
    db = duckdb.connect()
    for name in OUTPUTS:
        db.register(f"raw_{name}", read_raw(generated.out, name))
    truth = generated.out / "_truth" / "bad_rows.csv"
    db.execute(f"CREATE VIEW bad_rows AS SELECT * FROM read_csv('{truth}', all_varchar=true)")
    for name in OUTPUTS:
        db.execute(f"""CREATE VIEW good_{name} AS SELECT r.* FROM raw_{name} r ANTI JOIN bad_rows b
                       ON b."table" = '{name}' AND b.file = r._file AND CAST(b.line AS BIGINT) = r._line""")
    return db
