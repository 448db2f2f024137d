"""`wealthdesk report …`: the analyst reports (fund retention, reassurance list, customer value)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wealthdesk.cli_shared import JsonOption, StoreOption, console, parse_date, print_json, store_settings
from wealthdesk.value.grouping import GroupBy

report_app = typer.Typer(
    help="Analyst reports: fund retention, reassurance list, customer value.", no_args_is_help=True
)


@report_app.command("value")
def report_value(
    store: StoreOption = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Value clients as of this date; default: the last trade day.")
    ] = None,
    horizon_months: Annotated[
        int, typer.Option("--horizon-months", min=1, max=600, help="Months of future revenue and cost counted.")
    ] = 36,
    discount_rate: Annotated[
        float, typer.Option("--discount-rate", min=0.0, max=0.99, help="Annual discount rate (0.08 = 8%).")
    ] = 0.08,
    by: Annotated[GroupBy, typer.Option("--by", help="Group clients by segment, advisor or channel.")] = (
        GroupBy.channel
    ),
    channel: Annotated[
        str | None, typer.Option("--channel", help="Only clients acquired through this channel, e.g. online_ads.")
    ] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write the per-client values as CSV.")] = None,
    save: Annotated[
        bool,
        typer.Option(
            "--save/--no-save",
            help="Replace the store's customer_value table with the result. Default: read only, nothing written.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Customer value: efficiency = CLV − (CAC + CMC) per client, summed by segment, advisor or channel.

    CLV is BG/NBD + Gamma-Gamma on the brokerage's trade revenue plus recurring
    revenue (trailing commission, Level-2); CAC is campaign cost per credited
    client; CMC is service touches and advisor messages. The store is opened
    read only unless --save is given. See docs/value.md.

    Example: wealthdesk report value --as-of 2022-06-30 --horizon-months 36 --by channel --csv value.csv
    """
    import ibis

    from wealthdesk.store import open_store
    from wealthdesk.value.efficiency import ValueRules
    from wealthdesk.value.lifetime import Horizon
    from wealthdesk.value.render import clients_csv, render_value_report
    from wealthdesk.value.report import value_report

    if csv_out is not None and (csv_out.is_dir() or not csv_out.parent.is_dir()):
        problem = "is a folder" if csv_out.is_dir() else f"is in a folder that does not exist ({csv_out.parent})"
        raise typer.BadParameter(f"{csv_out} {problem}: give a file path in an existing folder", param_hint="--csv")
    rules = ValueRules(horizon=Horizon(months=horizon_months, discount_rate=discount_rate))
    with open_store(store_settings(store), read_only=not save) as con:
        backend = ibis.duckdb.from_connection(con)
        report = value_report(
            backend, as_of=parse_date(as_of, "--as-of"), rules=rules, by=by, channel=channel, save=save
        )
    if csv_out:
        csv_out.write_text(clients_csv(report), encoding="utf-8")
    if as_json:
        print_json(report.to_dict())
    else:
        render_value_report(report, console, campaigns=by is GroupBy.channel)


@report_app.command("reassurance")
def report_reassurance(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Holdings at this close. Default: the latest NAV date.")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many holdings to list.")] = 200,
    advisor: Annotated[str | None, typer.Option("--advisor", help="Only this advisor's clients (advisor_id).")] = None,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Also write the list as CSV, grouped per advisor.")
    ] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fund holders to reassure (安抚) first: ranked by redemption risk, with reasons, per advisor.

    Example: wealthdesk report reassurance --as-of 2021-02-22 --top 100 --csv reassure.csv
    """
    import ibis

    from wealthdesk.funds.reassurance import reassurance_list, render_reassurance, write_csv
    from wealthdesk.funds.window import data_range
    from wealthdesk.store import open_store

    with open_store(store_settings(store), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        day = parse_date(as_of, "--as-of") or data_range(backend)[1]
        listing = reassurance_list(backend, day, top=top, advisor=advisor)
    if csv_file is not None:
        write_csv(listing, csv_file)
    if as_json:
        print_json(listing.to_dict())
    else:
        render_reassurance(listing, console)
        if csv_file is not None:
            console.print(f"wrote {csv_file}")


@report_app.command("funds")
def report_funds(
    start: Annotated[
        str | None, typer.Option("--from", help="Window start (close of day). Default: 2021-02-10.")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Window end (close of day). Default: 2021-03-31.")] = None,
    fund: Annotated[list[str] | None, typer.Option("--fund", help="Only this fund code (repeatable).")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Also write the report as one offline HTML page.")] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fund retention (基金保有量) in a window: balance change, top redeemed funds, traits, holding periods.

    Example: wealthdesk report funds --from 2021-02-10 --to 2021-03-31 --html funds.html
    """
    import ibis

    from wealthdesk.funds.render import fund_report_html, render_fund_report
    from wealthdesk.funds.retention import fund_retention_report
    from wealthdesk.funds.window import DEFAULT_WINDOW, Window
    from wealthdesk.store import open_store

    window = Window(parse_date(start, "--from") or DEFAULT_WINDOW.start, parse_date(end, "--to") or DEFAULT_WINDOW.end)
    with open_store(store_settings(store), read_only=True) as con:
        report = fund_retention_report(ibis.duckdb.from_connection(con), window, tuple(fund or ()))
    if html is not None:
        html.write_text(fund_report_html(report), encoding="utf-8")
    if as_json:
        print_json(report.to_dict())
    else:
        render_fund_report(report, console)
        if html is not None:
            console.print(f"wrote {html}")
