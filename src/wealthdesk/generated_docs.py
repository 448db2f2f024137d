"""The documents generated from code, in one list, so writing them and checking them for drift agree."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from wealthdesk.cli_docs import render_cli_markdown


def generated_docs() -> dict[str, Callable[[], str]]:
    """File name → function rendering its content."""
    from wealthdesk.governance.metrics import render_metrics_markdown
    from wealthdesk.governance.quality import render_quality_markdown
    from wealthdesk.profiles.docs import render_profiles_markdown
    from wealthdesk.schema.docs import render_data_model_markdown

    return {
        "data-model.md": render_data_model_markdown,
        "metrics.md": render_metrics_markdown,
        "quality.md": render_quality_markdown,
        "profiles.md": render_profiles_markdown,
        "cli.md": render_cli_markdown,
    }


def write_generated_docs(folder: Path) -> list[Path]:
    """Write every generated document into ``folder``; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, render in generated_docs().items():
        path = folder / name
        path.write_text(render(), encoding="utf-8")
        written.append(path)
    return written
