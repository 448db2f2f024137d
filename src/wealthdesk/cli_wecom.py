"""`wealthdesk wecom …`: WeCom's chat archive into the store, and our tags onto WeCom's contacts."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from wealthdesk.cli_shared import JsonOption, StoreOption, console, err_console, print_json, store_settings

if TYPE_CHECKING:
    from wealthdesk.wecom.tag_sync import SyncPlan

wecom_app = typer.Typer(help="WeCom: the chat archive, tag sync, stored callbacks.", no_args_is_help=True)


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


@wecom_app.command("sync")
def wecom_sync(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan and change nothing in WeCom.")] = False,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Put the store's tags on the clients' WeCom contacts: our tag groups (画像·…), and each current relationship.

    The plan is made from what WeCom holds now, so tags changed by hand are put right and a run that stopped is
    completed by the next; tags of other groups are never touched. Needs WEALTHDESK_WECOM_CORP_ID and
    WEALTHDESK_WECOM_SECRET.

    Example: wealthdesk wecom sync --dry-run
    """
    from wealthdesk.store import open_store
    from wealthdesk.wecom.api import client_from_settings
    from wealthdesk.wecom.tag_sync import apply_sync, plan_sync

    settings = store_settings(store)
    with client_from_settings(settings) as client:
        with open_store(settings) as con:
            plan = plan_sync(con, client)
        if dry_run:
            if as_json:
                print_json({"dry_run": True, **plan.to_dict()})
            else:
                _print_plan(plan)
                console.print("dry run: nothing was changed in WeCom")
            return
        result = apply_sync(client, plan)
    if as_json:
        print_json(result.to_dict())
    else:
        _print_plan(plan)
        console.print(
            f"created {result.tags_created:,} tag(s); marked {result.relationships_marked:,} relationship(s); "
            f"{result.relationships_gone:,} no longer in WeCom"
        )
        for problem in result.problems:
            err_console.print(f"[bold red]problem:[/] {problem}")
    if result.problems:
        raise typer.Exit(1)


@wecom_app.command("reprocess")
def wecom_reprocess(store: StoreOption = None, as_json: JsonOption = False) -> None:
    """Process again every stored WeCom callback not processed: stored just before the server stopped, or failed
    (after fixing the cause). The server also does this when it starts.

    Example: wealthdesk wecom reprocess
    """
    from wealthdesk.store import open_store
    from wealthdesk.wecom.callbacks import ensure_callbacks_table, process_stored, stored_callbacks
    from wealthdesk.wecom.contacts import ensure_contact_events_table

    with open_store(store_settings(store)) as con:
        ensure_callbacks_table(con)
        ensure_contact_events_table(con)
        done, failing = process_stored(con)
        errors = [(row["digest"][:12], row["error"]) for row in stored_callbacks(con, "failed")]
    if as_json:
        print_json({"processed": done, "failing": failing, "errors": [e for _, e in errors]})
        return
    console.print(f"processed {done:,} stored callback(s); {failing:,} still failing")
    for digest, error in errors[:20]:
        console.print(f"  {digest}…: {error}")


def _print_plan(plan: SyncPlan) -> None:
    console.print(
        f"{plan.relationships:,} current relationship(s) with a client, of {plan.advisors:,} advisor(s): "
        f"{plan.in_sync:,} in line, {len(plan.marks):,} to change, {plan.not_in_wecom:,} not found in WeCom"
    )
    for group, names in plan.create.items():
        console.print(f"  create in {group}: {', '.join(names)}")
    for (group, name), why in sorted(plan.refused.items()):
        console.print(f"  not synced: {group}/{name}: {why}")
    for mark in plan.marks[:20]:
        changes = [f"+{g}/{n}" for g, n in mark.add] + [f"-{g}/{n}" for g, n in mark.remove]
        console.print(f"  {mark.userid} → {mark.external_userid} ({mark.customer_id}): {' '.join(changes)}")
    if len(plan.marks) > 20:
        console.print(f"  … and {len(plan.marks) - 20:,} more (--json lists them all)")


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
