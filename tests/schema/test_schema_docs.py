"""The generated data-model, metrics and quality docs say everything they should."""

from __future__ import annotations

from wealthdesk.generated_docs import generated_docs
from wealthdesk.governance.metrics import METRICS
from wealthdesk.schema import TABLES
from wealthdesk.schema.docs import render_data_model_markdown


def test_data_model_documents_every_table_column_and_reference() -> None:
    text = render_data_model_markdown()
    for table in TABLES:
        assert f"### `{table.name}`" in text
        for column in table.columns:
            assert f"| `{column.name}` | {column.type.sql} |" in text
        for fk in table.foreign_keys:
            assert fk.describe() in text


def test_metrics_doc_documents_every_metric() -> None:
    text = generated_docs()["metrics.md"]()
    for metric in METRICS:
        assert f"`{metric.name}`" in text
        assert metric.label_zh in text


def test_quality_doc_lists_every_table() -> None:
    text = generated_docs()["quality.md"]()
    for table in TABLES:
        assert f"### {table.name}\n" in text
