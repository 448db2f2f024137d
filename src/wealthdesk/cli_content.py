"""`wealthdesk content …`: the content library, and suitable contents matched to clients."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from wealthdesk.cli_shared import JsonOption, StoreOption, console, parse_date, print_json, store_settings

content_app = typer.Typer(
    help="Contents: research, advisor views, events, investor education; matching.", no_args_is_help=True
)


@content_app.command("add")
def content_add(
    source: Annotated[
        Path, typer.Argument(help="A JSON Lines file (or a JSON array) of contents in the contents table's layout.")
    ],
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add contents (re-adding a content_id replaces it). Nothing is added if any content breaks a rule: every
    problem is listed.

    Example: wealthdesk content add contents.jsonl
    """
    from wealthdesk.content.library import add_contents
    from wealthdesk.store import open_store

    records = _records(source)
    with open_store(store_settings(store)) as con:
        report = add_contents(con, records)
    if as_json:
        print_json(
            {
                "added": report.added,
                "replaced": report.replaced,
                "quarantined": report.quarantined,
                "reasons": list(report.reasons),
            }
        )
    else:
        console.print(f"added {report.added:,}, replaced {report.replaced:,}, quarantined {report.quarantined:,}")
        for reason in report.reasons:
            console.print(f"  {reason}")
    if report.quarantined and not report.added + report.replaced:
        raise typer.Exit(1)  # nothing was added


def _records(source: Path) -> list[dict[str, Any]]:
    from wealthdesk.content.library import ContentError

    text = source.read_text(encoding="utf-8")
    try:
        if text.lstrip().startswith("["):
            records = json.loads(text)
        else:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise ContentError(f"{source} is not JSON Lines or a JSON array: {exc}") from None
    if not all(isinstance(r, dict) for r in records):
        raise ContentError(f"{source}: every content must be a JSON object")
    return records


@content_app.command("list")
def content_list(
    active_on: Annotated[
        str | None, typer.Option("--active-on", help="Only contents pushable on this day (YYYY-MM-DD).")
    ] = None,
    content_type: Annotated[
        str | None, typer.Option("--type", help="research_report, advisor_view, event or investor_education.")
    ] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """List contents, newest first, with the last day each may be pushed.

    Example: wealthdesk content list --active-on 2026-11-26
    """
    from wealthdesk.content.library import list_contents
    from wealthdesk.store import open_store

    day = parse_date(active_on, "--active-on")
    with open_store(store_settings(store), read_only=True) as con:
        items = list_contents(con, day, content_type)
    if as_json:
        print_json(items)
        return
    for item in items:
        until = item["pushable_until"] or "withdrawn by hand"
        note = " (no expiry given: default shelf life)" if item["shelf_life_default"] else ""
        risk = item["risk_level"] or "no product"
        console.print(
            f"{item['content_id']}  {item['content_type']:<18} {risk:<10} "
            f"{item['publish_date']} → {until}{note}  {item['title']}"
        )
    console.print(f"{len(items):,} content(s)")


@content_app.command("match")
def content_match(
    client: Annotated[list[str] | None, typer.Option("--client", help="A client number (repeatable).")] = None,
    segment: Annotated[str | None, typer.Option("--segment", help="Every member of this saved segment.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Day to match on (default: the profiles' date).")] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=50, help="Contents per client.")] = 5,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write every recommendation as CSV to this file.")
    ] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """The suitable contents most worth sending to clients, ranked, each with its reasons; the suitability rule
    decides every pair and what it refuses is counted.

    Example: wealthdesk content match --segment chinext_leads --csv picks.csv
    """
    import pyarrow.csv as pacsv

    from wealthdesk.content.matching import MatchRules, match
    from wealthdesk.store import open_store

    with open_store(store_settings(store), read_only=True) as con:
        customers = list(client) if client else (_segment_members(con, segment) if segment else None)
        found = match(con, customers, parse_date(as_of, "--as-of"), MatchRules(top=top))
    rows = found.recommendations
    if csv_out:
        pacsv.write_csv(rows, csv_out)
    if as_json:
        print_json(
            {
                "as_of": str(found.as_of),
                "contents": found.contents,
                "refused": found.refused.num_rows,
                "notes": found.notes,
                "recommendations": rows.to_pylist(),
            }
        )
        return
    for note in found.notes:
        console.print(note)
    for row in rows.slice(0, 30).to_pylist():
        console.print(
            f"{row['customer_id']} #{row['rank']} {row['content_id']} {row['title']} ({row['score']}): {row['reasons']}"
        )
    clients = len(set(rows.column("customer_id").to_pylist()))
    console.print(
        f"{rows.num_rows:,} recommendation(s) for {clients:,} client(s) as of {found.as_of}; "
        f"{found.refused.num_rows:,} unsuitable pair(s) refused"
    )


def _segment_members(con: Any, name: str) -> list[str]:
    import ibis

    from wealthdesk.segments.definitions import get_segment, known_tags
    from wealthdesk.segments.membership import segment_members

    segment = get_segment(con, name, known_tags(None, None))
    backend = ibis.duckdb.from_connection(con)
    return backend.to_pyarrow(segment_members(backend, segment)).column("customer_id").to_pylist()
