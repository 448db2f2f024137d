"""Docs that cannot drift: the generated reference docs must equal what the code generates now."""

from __future__ import annotations

from pathlib import Path

import pytest

from wealthdesk.generated_docs import generated_docs

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("name", sorted(generated_docs()))
def test_generated_doc_is_current(name: str) -> None:
    path = DOCS / name
    assert path.exists(), f"{path} missing: run `wealthdesk docs`"
    assert path.read_text(encoding="utf-8") == generated_docs()[name](), f"{path} is stale: run `wealthdesk docs`"


def test_every_table_and_command_is_documented() -> None:
    from wealthdesk.schema import TABLES

    data_model = (DOCS / "data-model.md").read_text(encoding="utf-8")
    for table in TABLES:
        assert f"`{table.name}`" in data_model or f"## {table.name}" in data_model, table.name
    cli = (DOCS / "cli.md").read_text(encoding="utf-8")
    for command in ("generate", "ingest", "quality", "metrics", "demo", "docs"):
        assert f"## wealthdesk {command}" in cli
