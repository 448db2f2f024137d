"""Reference tables: the brokerage's organisation and its product universe."""

from __future__ import annotations

from wealthdesk.schema.columns import BOARDS, EXCHANGES, FUND_CODE, FUND_TYPES, RISK_LEVELS_PRODUCT, SECURITY_CODE
from wealthdesk.schema.model import Column, ForeignKey, Table
from wealthdesk.schema.model import ColumnType as T

GROUP = "Reference"

BRANCHES = Table(
    name="branches",
    description="Branches (营业部) of the brokerage.",
    group=GROUP,
    key=("branch_id",),
    mutable=True,
    columns=(
        Column("branch_id", T.STRING, "Branch code.", required=True),
        Column("name", T.STRING, "Branch name, e.g. 上海浦东新区世纪大道证券营业部.", required=True),
        Column("city", T.STRING, "City the branch is in.", required=True),
        Column("province", T.STRING, "Province or municipality.", required=True),
        Column("opened_date", T.DATE, "Date the branch opened."),
    ),
)

ADVISORS = Table(
    name="advisors",
    description="Investment advisors and account managers (投顾 / 客户经理), each with a WeCom account.",
    group=GROUP,
    key=("advisor_id",),
    unique=(("wecom_userid",),),
    mutable=True,
    foreign_keys=(ForeignKey(("branch_id",), "branches", ("branch_id",)),),
    columns=(
        Column("advisor_id", T.STRING, "Employee number.", required=True),
        Column("name", T.STRING, "Advisor name (an employee, shown to clients).", required=True),
        Column("wecom_userid", T.STRING, "WeCom userid of the advisor (the `from` of their messages).", required=True),
        Column("branch_id", T.STRING, "Branch the advisor works at.", required=True),
        Column("title", T.STRING, "Job title, e.g. 投资顾问, 客户经理."),
        Column("certificate_no", T.STRING, "SAC practising certificate number (执业证书编号)."),
        Column("hired_date", T.DATE, "Date the advisor joined."),
    ),
)

SECURITIES = Table(
    name="securities",
    description="Listed A-share stocks.",
    group=GROUP,
    key=("code",),
    mutable=True,
    columns=(
        Column("code", T.STRING, "Code with exchange suffix, e.g. 300750.SZ.", required=True, pattern=SECURITY_CODE),
        Column("name", T.STRING, "Short name (证券简称).", required=True),
        Column(
            "board",
            T.STRING,
            "Listing board: main (主板), chinext (创业板), star (科创板).",
            required=True,
            allowed=BOARDS,
        ),
        Column("exchange", T.STRING, "Exchange: SH or SZ.", required=True, allowed=EXCHANGES),
        Column("industry", T.STRING, "Industry (申万一级 style)."),
        Column("listed_date", T.DATE, "Listing date."),
        Column("crowded", T.BOOL, "Crowded institutional holding (抱团股) flag.", required=True),
    ),
)

FUNDS = Table(
    name="funds",
    description="Mutual funds sold by the brokerage.",
    group=GROUP,
    key=("fund_code",),
    mutable=True,
    columns=(
        Column("fund_code", T.STRING, "Six-digit fund code.", required=True, pattern=FUND_CODE),
        Column("name", T.STRING, "Fund name.", required=True),
        Column("fund_type", T.STRING, "Fund type.", required=True, allowed=FUND_TYPES),
        Column("company", T.STRING, "Fund management company.", required=True),
        Column(
            "risk_level", T.STRING, "Product risk level R1 (lowest) … R5.", required=True, allowed=RISK_LEVELS_PRODUCT
        ),
        Column("manager", T.STRING, "Fund manager."),
        Column("inception_date", T.DATE, "Inception date."),
        Column("management_fee", T.DOUBLE, "Annual management fee rate (0.015 = 1.5%).", minimum=0),
        Column("custody_fee", T.DOUBLE, "Annual custody fee rate.", minimum=0),
        Column("subscription_fee", T.DOUBLE, "Front-end subscription fee rate.", minimum=0),
        Column("redemption_fee", T.DOUBLE, "Redemption fee rate for holdings under one year.", minimum=0),
    ),
)

FUND_TOP_HOLDINGS = Table(
    name="fund_top_holdings",
    description=(
        "Top-ten stock holdings disclosed in fund quarterly reports; exposure to crowded stocks derives from it."
    ),
    group=GROUP,
    key=("fund_code", "report_date", "code"),
    foreign_keys=(
        ForeignKey(("fund_code",), "funds", ("fund_code",)),
        ForeignKey(("code",), "securities", ("code",)),
    ),
    freshness_column="report_date",
    columns=(
        Column("fund_code", T.STRING, "Fund.", required=True, pattern=FUND_CODE),
        Column("report_date", T.DATE, "Quarter-end the disclosure refers to.", required=True),
        Column("code", T.STRING, "Stock held.", required=True, pattern=SECURITY_CODE),
        Column("weight", T.DOUBLE, "Share of the fund's net assets (0.08 = 8%).", required=True, minimum=0),
    ),
)

TABLES = (BRANCHES, ADVISORS, SECURITIES, FUNDS, FUND_TOP_HOLDINGS)
