"""`wealthdesk content add/list/match` on a copy of the generated brokerage."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from wealthdesk.cli import app
from wealthdesk.content.library import ContentError
from wealthdesk.testing import StaffWorld


def test_add_list_and_match_from_the_command_line(staff: StaffWorld, tmp_path: Path) -> None:
    store = str(staff.copy_to(tmp_path).store)
    runner = CliRunner()
    good = {
        "content_id": "CTCLI01",
        "content_type": "event",
        "title": "线下投资者沙龙",
        "topics": ["定投"],
        "publish_date": "2022-06-20",
        "expiry_date": "2022-07-20",
    }
    source = tmp_path / "contents.jsonl"
    source.write_text(json.dumps(good, ensure_ascii=False) + "\n", encoding="utf-8")
    added = runner.invoke(app, ["content", "add", str(source), "--store", store, "--json"])
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["added"] == 1

    listed = runner.invoke(
        app, ["content", "list", "--active-on", "2022-06-30", "--type", "event", "--json", "--store", store]
    )
    assert "CTCLI01" in {c["content_id"] for c in json.loads(listed.output)}

    dormant = [
        r["customer_id"]
        for r in json.loads(runner.invoke(app, ["content", "match", "--json", "--store", store]).output)[
            "recommendations"
        ]
        if "dormant" in r["reasons"]
    ]
    assert dormant  # dormant clients are offered events
    picked = runner.invoke(app, ["content", "match", "--client", dormant[0], "--json", "--store", store])
    assert "CTCLI01" in {r["content_id"] for r in json.loads(picked.output)["recommendations"]}

    source.write_text(json.dumps({**good, "content_id": "CTCLI02", "expiry_date": None}) + "\n", encoding="utf-8")
    refused = runner.invoke(app, ["content", "add", str(source), "--store", store])
    assert isinstance(refused.exception, ContentError) and "needs an expiry_date" in str(refused.exception)


def test_match_needs_profiles(tmp_path: Path) -> None:
    from wealthdesk.content.matching import MatchingError
    from wealthdesk.testing import fresh_store

    settings = fresh_store(tmp_path)
    result = CliRunner().invoke(app, ["content", "match", "--store", str(settings.store)])
    assert isinstance(result.exception, MatchingError) and "wealthdesk run" in str(result.exception)
