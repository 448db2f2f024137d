"""`wealthdesk wecom …`: WeCom's chat archive into the store."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from wealthdesk.cli_shared import JsonOption, StoreOption, console, print_json, store_settings

wecom_app = typer.Typer(help="WeCom: the chat archive.", no_args_is_help=True)


@wecom_app.command("archive")
def wecom_archive(
    source: Annotated[
        Path, typer.Argument(help="JSON Lines of decrypted archive records, each with its seq; - for standard input.")
    ] = Path("-"),
    batch: Annotated[
        int, typer.Option("--batch", min=1, max=1000, help="Records per batch (GetChatData's page).")
    ] = 1000,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Load decrypted chat-archive records (official JSON shape plus "seq") after the last seq loaded, into the tags.

    Records at or below the remembered seq are skipped, so running it again on the same or a longer export loads
    only what is new. A recall (revoke.pre_msgid) takes its message's mentions back.

    Example: wealthdesk wecom archive archive-2026-11-26.jsonl
    """
    from wealthdesk.pipeline.live import LiveUpdater
    from wealthdesk.store import open_store
    from wealthdesk.wecom.archive import ingest_archive

    with open_store(store_settings(store)) as con:
        handle = sys.stdin if str(source) == "-" else source.open(encoding="utf-8")
        with handle:
            report = ingest_archive(LiveUpdater(con), _records(handle), batch=batch)
    if as_json:
        print_json(report.to_dict())
        return
    console.print(
        f"read {report.read:,}: loaded {report.loaded:,}, unchanged {report.unchanged:,}, quarantined "
        f"{report.quarantined:,}, skipped {report.skipped:,} (at or below the last seq); {len(report.customers):,} "
        f"client(s) updated; archive loaded up to seq {report.last_seq:,}"
    )
    for reason in report.reasons[:20]:
        console.print(f"  {reason}")


def _records(handle: IO[str]) -> Iterator[dict[str, Any]]:
    from wealthdesk.wecom.archive import ArchiveError

    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ArchiveError(f"line {number} is not JSON: {exc}") from None
        if not isinstance(record, dict):
            raise ArchiveError(f"line {number} is not a JSON object")
        yield record
