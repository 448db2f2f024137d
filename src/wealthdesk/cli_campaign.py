"""`wealthdesk campaign …`: push a content to a segment with a held-out control group, and measure the uplift."""

from __future__ import annotations

from typing import Annotated

import typer

from wealthdesk.cli_shared import JsonOption, StoreOption, console, parse_date, print_json, store_settings

campaign_app = typer.Typer(help="Campaigns: a content to a segment, a control group, the uplift.", no_args_is_help=True)


@campaign_app.command("create")
def campaign_create(
    campaign_id: Annotated[str, typer.Argument(help="Campaign id: letters, digits, - or _.")],
    segment: Annotated[str, typer.Option("--segment", help="The saved segment it targets.")],
    content: Annotated[str, typer.Option("--content", help="The content it pushes.")],
    label: Annotated[str | None, typer.Option("--label", help="A name people read.")] = None,
    channel: Annotated[str, typer.Option("--channel", help="wecom, sms, app_push, phone or email.")] = "wecom",
    objective: Annotated[str, typer.Option("--objective", help="activation, retention or cross_sell.")] = "cross_sell",
    unit_cost: Annotated[float, typer.Option("--unit-cost", help="Cost of one touch in CNY.")] = 0.0,
    control: Annotated[float, typer.Option("--control", help="Share held out at random as the control group.")] = 0.1,
    conversion: Annotated[
        str, typer.Option("--conversion", help="fund_subscription, level2 or chinext.")
    ] = "fund_subscription",
    window: Annotated[int, typer.Option("--window", help="Days after the touch a conversion counts.")] = 14,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a campaign; every problem with it is named.

    Example: wealthdesk campaign create dingtou-2026q4 --segment chinext_leads --content CT00044 --unit-cost 0.05
    """
    from wealthdesk.campaigns.plan import create_campaign
    from wealthdesk.store import open_store

    with open_store(store_settings(store)) as con:
        plan = create_campaign(
            con,
            campaign_id,
            segment,
            content,
            label=label,
            channel=channel,
            objective=objective,
            unit_cost=unit_cost,
            control_share=control,
            conversion=conversion,
            window_days=window,
        )
    if as_json:
        print_json(plan.to_dict())
    else:
        console.print(
            f"campaign {plan.campaign_id}: {plan.content_id} to {plan.segment}, {plan.control_share:.0%} held out"
        )


@campaign_app.command("run")
def campaign_run(
    campaign_id: Annotated[str, typer.Argument(help="Campaign id.")],
    on: Annotated[str | None, typer.Option("--on", help="Day of the run (default: today).")] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Touch the segment's members not met before (never anyone twice); unsuitable members are left out with the
    rule's reason, and a random share is held out as the control group.

    Example: wealthdesk campaign run dingtou-2026q4
    """
    from wealthdesk.campaigns.run import run_campaign
    from wealthdesk.store import open_store

    with open_store(store_settings(store)) as con:
        report = run_campaign(con, campaign_id, parse_date(on, "--on"))
    if as_json:
        print_json(report.to_dict())
        return
    console.print(
        f"{report.campaign_id} on {report.on}: {report.members:,} member(s); touched {report.touched:,}, held out "
        f"{report.held_out:,}, unsuitable {report.refused:,}; {report.met_before:,} met before (not touched again); "
        f"cost {report.cost:,.2f}"
    )


@campaign_app.command("report")
def campaign_report_command(
    campaign_id: Annotated[str, typer.Argument(help="Campaign id.")],
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reach, opens, clicks and conversions of the treatment and the control group; the uplift and its cost.

    Example: wealthdesk campaign report dingtou-2026q4
    """
    from wealthdesk.campaigns.report import campaign_report
    from wealthdesk.store import open_store

    with open_store(store_settings(store), read_only=True) as con:
        report = campaign_report(con, campaign_id)
    if as_json:
        print_json(report)
        return
    for arm in ("treatment", "control"):
        f = report[arm]
        if f:
            console.print(
                f"{arm:<9} {f['clients']:>8,} clients  opened {f['opened_rate']:.1%}  clicked {f['clicked_rate']:.1%}  "
                f"converted {f['converted_rate']:.2%}"
            )
    if report["uplift"] is not None:
        p = "n/a" if report["p_value"] is None else f"{report['p_value']:.3f}"
        per = report["cost_per_incremental_conversion"]
        console.print(
            f"uplift {report['uplift']:+.2%} ({report['conversion']} within {report['window_days']} days), "
            f"{report['incremental_conversions']:+.1f} incremental, p = {p}; cost {report['cost']:,.2f}"
            + (f", {per:,.2f} per incremental conversion" if per is not None else "")
        )
    console.print(f"unsuitable, left out: {report['refused']['clients']:,}")
