"""Clients and their securities accounts."""

from __future__ import annotations

from wealthdesk.schema.columns import ACQUISITION_CHANNELS, ID_NUMBER, INVESTOR_TYPES, MOBILE, RISK_LEVELS_CLIENT
from wealthdesk.schema.model import Check, Column, ForeignKey, Pii, Table
from wealthdesk.schema.model import ColumnType as T

GROUP = "Clients"

CUSTOMERS = Table(
    name="customers",
    description=(
        "Clients of the brokerage, including prospects who registered but never opened an account. "
        "Risk assessment and investor type decide suitability (see the brief)."
    ),
    group=GROUP,
    key=("customer_id",),
    mutable=True,
    foreign_keys=(
        ForeignKey(("branch_id",), "branches", ("branch_id",)),
        ForeignKey(("advisor_id",), "advisors", ("advisor_id",)),
        ForeignKey(("acquisition_campaign_id",), "campaigns", ("campaign_id",)),
    ),
    freshness_column="registered_at",
    columns=(
        Column("customer_id", T.STRING, "Client number (客户号).", required=True),
        Column("name", T.STRING, "Full name.", required=True, pii=Pii.NAME),
        Column("gender", T.STRING, "M or F.", allowed=("M", "F")),
        Column("birth_date", T.DATE, "Date of birth."),
        Column(
            "id_number",
            T.STRING,
            "18-digit resident ID number (身份证号).",
            pii=Pii.ID_NUMBER,
            pattern=ID_NUMBER,
            check=Check.CN_ID_CHECKSUM,
        ),
        Column("phone", T.STRING, "Mobile number.", pii=Pii.PHONE, pattern=MOBILE),
        Column("city", T.STRING, "City of residence."),
        Column("branch_id", T.STRING, "Branch the client belongs to.", required=True),
        Column("advisor_id", T.STRING, "Advisor serving the client, if any."),
        Column(
            "risk_level",
            T.STRING,
            "Risk tolerance C1 (most conservative) … C5; empty when never assessed.",
            allowed=RISK_LEVELS_CLIENT,
        ),
        Column("risk_assessed_date", T.DATE, "Date of the latest risk assessment."),
        Column("lowest_category", T.BOOL, "C1 lowest category (最低类别): may hold R1 only."),
        Column("investor_type", T.STRING, "ordinary or professional investor.", required=True, allowed=INVESTOR_TYPES),
        Column(
            "acquisition_channel", T.STRING, "How the client was acquired.", required=True, allowed=ACQUISITION_CHANNELS
        ),
        Column("acquisition_campaign_id", T.STRING, "Campaign credited with the acquisition, if any."),
        Column("registered_at", T.TIMESTAMP, "When the client first registered (app or counter).", required=True),
    ),
)

ACCOUNTS = Table(
    name="accounts",
    description="Securities accounts with their trading permissions (ChiNext, STAR, Level-2 market data).",
    group=GROUP,
    key=("account_id",),
    mutable=True,
    foreign_keys=(ForeignKey(("customer_id",), "customers", ("customer_id",)),),
    freshness_column="opened_date",
    columns=(
        Column("account_id", T.STRING, "Fund account number (资金账号).", required=True),
        Column("customer_id", T.STRING, "Owner.", required=True),
        Column("account_type", T.STRING, "cash (普通) or margin (信用).", required=True, allowed=("cash", "margin")),
        Column("opened_date", T.DATE, "Date the account was opened.", required=True),
        Column("status", T.STRING, "Account status.", required=True, allowed=("normal", "dormant", "frozen", "closed")),
        Column("chinext_enabled", T.BOOL, "ChiNext (创业板) trading permission.", required=True),
        Column("chinext_date", T.DATE, "Date the ChiNext permission was granted."),
        Column("star_enabled", T.BOOL, "STAR market (科创板) trading permission.", required=True),
        Column("star_date", T.DATE, "Date the STAR permission was granted."),
        Column("level2_enabled", T.BOOL, "Paid Level-2 market data subscription active.", required=True),
        Column("level2_date", T.DATE, "Date the Level-2 subscription started."),
    ),
)

TABLES = (CUSTOMERS, ACCOUNTS)
