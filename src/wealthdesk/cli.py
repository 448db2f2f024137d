"""Command-line interface: a thin shell over the library.

Each command parses its options, calls one library function and formats the
result; no business logic lives here.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from wealthdesk import __version__
from wealthdesk.cli_campaign import campaign_app
from wealthdesk.cli_content import content_app
from wealthdesk.cli_reports import report_app
from wealthdesk.cli_shared import JsonOption, StoreOption, console, err_console, parse_date, print_json, store_settings
from wealthdesk.cli_users import user_app
from wealthdesk.cli_wecom import wecom_app
from wealthdesk.errors import WealthdeskError
from wealthdesk.progress import RichReporter


class Engine(StrEnum):
    """Engines `wealthdesk run` can use."""

    duckdb = "duckdb"
    spark = "spark"


app = typer.Typer(
    name="wealthdesk",
    help="Customer intelligence for a brokerage's wealth-management arm: 有数 · 治数 · 用数.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _main() -> None:
    """wealthdesk command line."""


@app.command()
def version() -> None:
    """Print the wealthdesk version.

    Example: wealthdesk version
    """
    console.print(__version__)


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the brokerage's export files into.")],
    customers: Annotated[int, typer.Option("--customers", min=100, help="Number of clients.")] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same files.")] = 7,
) -> None:
    """Generate a synthetic brokerage (export files plus a _truth/ folder that is never ingested).

    Example: wealthdesk generate --customers 20000 --seed 7 --out demo-data
    """
    from wealthdesk.demo import generate_brokerage

    with RichReporter(console) as reporter:
        summary = generate_brokerage(out, customers=customers, seed=seed, reporter=reporter)
    total = sum(summary.rows.values())
    console.print(
        f"Wrote {total:,} rows in {len(summary.rows)} tables to {summary.out} in {summary.seconds:.1f} s "
        f"({sum(summary.bad_rows.values()):,} deliberately bad rows; ground truth in {summary.out / '_truth'})."
    )


@app.command()
def ingest(
    path: Annotated[Path, typer.Argument(help="A folder of export files, or one file.", exists=True)],
    store: StoreOption = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Encoding of CSV files, e.g. gb18030; default: detected.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Validate and load CSV, Parquet and JSONL files into the store; bad rows go to quarantine.

    Exits 1 when a file could not be loaded at all. Example: wealthdesk ingest demo-data --store demo.duckdb
    """
    from wealthdesk.ingest import ingest_path, render_load_report
    from wealthdesk.store import open_store

    with open_store(store_settings(store)) as con, RichReporter(err_console) as reporter:
        report = ingest_path(con, path, encoding=encoding, reporter=reporter)
    if as_json:
        print_json(report.to_dict())
    else:
        render_load_report(report, console)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def quality(
    store: StoreOption = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Judge freshness as of this date.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Report row counts, null rates, key uniqueness, referential integrity and freshness per table.

    Exits 1 when a rule fails. Example: wealthdesk quality --json
    """
    from wealthdesk.governance.quality import render_quality_report, run_quality
    from wealthdesk.store import open_store

    with open_store(store_settings(store), read_only=True) as con:
        report = run_quality(con, as_of=parse_date(as_of, "--as-of"))
    if as_json:
        print_json(report.to_dict())
    else:
        render_quality_report(report, console)
    if not report.passed:
        raise typer.Exit(1)


@app.command()
def metrics(
    as_of: Annotated[str, typer.Option("--as-of", help="Date the metrics are computed for (YYYY-MM-DD).")],
    store: StoreOption = None,
    window_days: Annotated[int, typer.Option("--window-days", min=1, help="Length of flow windows.")] = 30,
    formulas: Annotated[bool, typer.Option("--formulas", help="Show each metric's formula.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Compute the operating metrics of the catalogue (AUM, net inflow, 入金率, 基金保有量, active users …).

    Example: wealthdesk metrics --as-of 2022-06-30
    """
    from wealthdesk.governance.metrics import compute_metrics, render_metrics
    from wealthdesk.store import open_store

    day = parse_date(as_of, "--as-of")
    assert day is not None
    with open_store(store_settings(store), read_only=True) as con:
        values = compute_metrics(con, as_of=day, window_days=window_days)
    if as_json:
        print_json([v.to_dict() for v in values])
    else:
        render_metrics(values, console, formulas=formulas)


@app.command()
def run(
    store: StoreOption = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date to build for; default: the latest holdings snapshot.")
    ] = None,
    tags: Annotated[
        Path | None, typer.Option("--tags", help="Tag file (YAML); default: the shipped default_tags.yaml.")
    ] = None,
    keywords: Annotated[
        Path | None,
        typer.Option("--keywords", help="Chat keyword dictionary (YAML); default: the shipped default_keywords.yaml."),
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full/--incremental", help="Re-tag every chat message, or only those loaded since the last run."
        ),
    ] = False,
    engine: Annotated[
        Engine, typer.Option("--engine", help="Where the stages run: the DuckDB store, or Spark beside it.")
    ] = Engine.duckdb,
    spark_master: Annotated[
        str, typer.Option("--spark-master", help="Spark master URL for --engine spark.")
    ] = "local[2]",
    lake: Annotated[
        Path | None,
        typer.Option("--lake", help="Parquet folder Spark works in; default: <store>.lake beside the store."),
    ] = None,
) -> None:
    """Rebuild the customer profiles, extend the lifecycle history, reassign rule tags and tag new chat messages.

    On Spark the store's tables are published to a Parquet lake, every stage
    runs there, and the outputs are copied back into the store.

    Example: wealthdesk run --as-of 2022-06-30 --tags my_tags.yaml --full --engine spark
    """
    from wealthdesk.pipeline.engines import spark_engine
    from wealthdesk.pipeline.run import run_pipeline
    from wealthdesk.profiles.render import render_run_report
    from wealthdesk.store import open_store

    settings = store_settings(store)
    with open_store(settings) as con, RichReporter(err_console) as reporter:
        on = None
        if engine is Engine.spark:
            on = spark_engine(con, spark_master, lake or Path(f"{settings.store}.lake"))
        report = run_pipeline(
            con,
            as_of=parse_date(as_of, "--as-of"),
            tags_path=tags,
            reporter=reporter,
            keywords_path=keywords,
            full=full,
            engine=on,
        )
    render_run_report(report, console)


@app.command()
def feed(
    table: Annotated[str, typer.Argument(help="wecom_messages or app_events.")],
    source: Annotated[
        Path, typer.Argument(help="JSON Lines file of records, or - to read them from standard input as they come.")
    ] = Path("-"),
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Feed chat messages or app events in as they arrive: each line's client gets its chat tags and activity at once.

    Every line is one record in the shape of the table's JSONL files, loaded
    under the same contract (bad lines are quarantined with their reasons).

    Example: tail -f archive.jsonl | wealthdesk feed wecom_messages -
    """
    import sys

    from wealthdesk.pipeline.live import LiveUpdater, render_live_report
    from wealthdesk.store import open_store

    with open_store(store_settings(store)) as con:
        updater = LiveUpdater(con)
        handle = sys.stdin if str(source) == "-" else source.open(encoding="utf-8")
        with handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                report = updater.feed(table, [line.rstrip("\r\n")])
                if as_json:
                    print(json.dumps({"line": number, **report.to_dict()}, ensure_ascii=False), flush=True)
                else:
                    console.print(f"line {number}: {render_live_report(report)}")


@app.command()
def profile(
    customer_id: Annotated[str, typer.Argument(help="Client number (客户号).")],
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one client's 360 view: assets, activity, risk, lifecycle stage and tags (personal data masked).

    Example: wealthdesk profile 310000000007
    """
    from wealthdesk.profiles.render import render_client_view
    from wealthdesk.profiles.view import client_view
    from wealthdesk.store import open_store

    with open_store(store_settings(store), read_only=True) as con:
        view = client_view(con, customer_id)
    if as_json:
        print_json(view)
    else:
        render_client_view(view, console)


segment_app = typer.Typer(
    help="Segments (客群): saved expressions over profile columns and tags.", no_args_is_help=True
)
app.add_typer(segment_app, name="segment")
app.add_typer(report_app, name="report")
app.add_typer(user_app, name="user")
app.add_typer(wecom_app, name="wecom")
app.add_typer(content_app, name="content")
app.add_typer(campaign_app, name="campaign")
TagsOption = Annotated[Path | None, typer.Option("--tags", help="Tag file the expression may use tags of.")]
KeywordsOption = Annotated[
    Path | None, typer.Option("--keywords", help="Keyword dictionary the expression may use chat tags of.")
]


@segment_app.command("create")
def segment_create(
    name: Annotated[str, typer.Argument(help="Segment name (snake_case).")],
    when: Annotated[str, typer.Option("--when", help="Boolean expression over profile columns and tagged('tag').")],
    label: Annotated[str | None, typer.Option("--label", help="Display name, e.g. 创业板意向客户.")] = None,
    store: StoreOption = None,
    tags: TagsOption = None,
    keywords: KeywordsOption = None,
) -> None:
    """Save a segment; the expression is checked now against the profile columns and the known tags.

    Example: wealthdesk segment create chinext_leads --when "tagged('kw_chinext') and not chinext_enabled"
    """
    from wealthdesk.segments.definitions import known_tags, save_segment
    from wealthdesk.store import open_store

    with open_store(store_settings(store)) as con:
        segment = save_segment(con, name, when, label, known_tags(tags, keywords))
    console.print(f"saved segment {segment.name} ({segment.label}): {segment.expression.text}")


@segment_app.command("list")
def segment_list(store: StoreOption = None, as_json: JsonOption = False) -> None:
    """List the saved segments.

    Example: wealthdesk segment list
    """
    from rich.table import Table as RichTable

    from wealthdesk.segments.definitions import list_segments
    from wealthdesk.store import open_store

    with open_store(store_settings(store), read_only=True) as con:
        rows = list_segments(con)
    if as_json:
        print_json([dict(zip(("name", "label", "expression", "created_at"), r, strict=True)) for r in rows])
        return
    table = RichTable("name", "label", "expression", "created")
    for name, label, expression, created in rows:
        table.add_row(name, label, expression, str(created))
    console.print(table)


@segment_app.command("delete")
def segment_delete(name: Annotated[str, typer.Argument(help="Segment name.")], store: StoreOption = None) -> None:
    """Delete a saved segment.

    Example: wealthdesk segment delete chinext_leads
    """
    from wealthdesk.segments.definitions import delete_segment
    from wealthdesk.store import open_store

    with open_store(store_settings(store)) as con:
        delete_segment(con, name)
    console.print(f"deleted segment {name}")


@segment_app.command("members")
def segment_members_command(
    name: Annotated[str, typer.Argument(help="Segment name.")],
    store: StoreOption = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write the members as CSV to this file.")] = None,
    wecom_out: Annotated[
        Path | None, typer.Option("--wecom-json", help="Write WeCom-ready JSON (external_userid by advisor).")
    ] = None,
    tags: TagsOption = None,
    keywords: KeywordsOption = None,
) -> None:
    """Compute a segment's members from the latest profiles and tags; print a summary or export them.

    Example: wealthdesk segment members chinext_leads --csv leads.csv --wecom-json leads.json
    """
    import ibis

    from wealthdesk.segments.definitions import get_segment, known_tags
    from wealthdesk.segments.export import members_csv, members_wecom
    from wealthdesk.segments.membership import segment_members
    from wealthdesk.store import open_store

    with open_store(store_settings(store), read_only=True) as con:
        segment = get_segment(con, name, known_tags(tags, keywords))
        backend = ibis.duckdb.from_connection(con)
        members = backend.to_pyarrow(segment_members(backend, segment))
        wecom = members_wecom(con, members, name)
    if csv_out:
        csv_out.write_text(members_csv(members), encoding="utf-8")
    if wecom_out:
        wecom_out.write_text(json.dumps(wecom, ensure_ascii=False, indent=1), encoding="utf-8")
    console.print(
        f"{segment.name} ({segment.label}): {members.num_rows:,} members, {wecom['members_on_wecom']:,} on WeCom "
        f"with {wecom['senders']} advisor(s)"
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    store: StoreOption = None,
) -> None:
    """Serve the HTTP API on the store (the server owns the store file while it runs).

    Example: wealthdesk serve --port 8000 --store demo.duckdb
    """
    import uvicorn

    from wealthdesk.api.app import create_app
    from wealthdesk.api.log_masking import server_log_config

    app = create_app(store_settings(store))
    uvicorn.run(app, host=host, port=port, log_level="info", log_config=server_log_config())


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the generated export files.")] = Path("demo-data"),
    store: StoreOption = None,
    customers: Annotated[int, typer.Option("--customers", min=100, help="Number of clients.")] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 7,
) -> None:
    """Generate a demo brokerage, ingest it, and print the load report, quality report and metrics.

    Example: wealthdesk demo --customers 20000 --out demo-data --store demo.duckdb
    """
    from wealthdesk.pipeline.demo import run_demo

    if not run_demo(store_settings(store), out=out, customers=customers, seed=seed, console=console):
        raise typer.Exit(1)


@app.command()
def docs(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the generated docs into.")] = Path("docs"),
) -> None:
    """Regenerate the reference docs from the code: data model, metric catalogue and this CLI.

    Example: wealthdesk docs --out docs
    """
    from wealthdesk.generated_docs import write_generated_docs

    for path in write_generated_docs(out):
        console.print(f"wrote {path}")


def main() -> None:
    """Entry point that turns wealthdesk's own errors into a one-line message and exit code 2."""
    try:
        app()
    except WealthdeskError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
