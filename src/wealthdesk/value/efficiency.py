"""Wealth-management efficiency per client: CLV − (CAC + CMC), one row per client, ready for the store.

The client base is every client registered on or before the as-of date,
prospects included: a prospect who never opened an account has no CLV but
may well have cost an acquisition campaign money, and leaving them out would
flatter the channel that brought them. Each row joins

- the purchase summary (``summary.py``) and the fitted models → CLV
  (``lifetime.py``), with the recurring revenue at the as-of date (``revenue.py``);
- CAC (``acquisition.py``);
- CMC (``maintenance.py``): the 12-month cost, each source annualised by how
  much of the year it covers (not below 90 days), as a monthly run rate over
  the horizon, discounted like CLV.

On request (``save_customer_values``; ``--save`` on the command line) the
result is written to the ``customer_value`` table (replaced as a whole, one
as-of date at a time) for the API and dashboards to read. Computing it never
writes: the store may be shared with a running server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis
import numpy as np
import pyarrow as pa

from wealthdesk.profiles.build import latest_snapshot
from wealthdesk.value.acquisition import AcquisitionRules, client_acquisition_costs, credited_clients
from wealthdesk.value.lifetime import Horizon, ValueModels, client_lifetime_values, fit_value_models
from wealthdesk.value.maintenance import Coverage, MaintenanceRules, cost_coverage, maintenance_costs
from wealthdesk.value.revenue import RevenueRules, recurring_revenue
from wealthdesk.value.summary import clv_summary

VALUE_TABLE = "customer_value"


@dataclass(frozen=True)
class ValueRules:
    """Every assumption of the value calculation in one object: horizon, revenue, CAC and CMC rules."""

    horizon: Horizon = field(default_factory=Horizon)
    revenue: RevenueRules = field(default_factory=RevenueRules)
    acquisition: AcquisitionRules = field(default_factory=AcquisitionRules)
    maintenance: MaintenanceRules = field(default_factory=MaintenanceRules)


@dataclass(frozen=True)
class CustomerValues:
    """Per-client value as of a date, with the fitted models and what the numbers rest on."""

    as_of: date
    holdings_snapshot: date | None
    cmc_coverage: tuple[Coverage, Coverage]
    models: ValueModels
    rules: ValueRules
    table: pa.Table


def _client_base(
    backend: Any, as_of: date, rules: ValueRules, coverage: tuple[Coverage, Coverage]
) -> tuple[Any, date | None]:
    clients = credited_clients(backend, as_of)
    snapshot = latest_snapshot(backend, as_of)
    parts = (
        clv_summary(backend, as_of, rules.revenue),
        recurring_revenue(backend, as_of, snapshot, rules.revenue).select(
            "customer_id", "trailing_monthly", "level2_monthly", "recurring_monthly"
        ),
        client_acquisition_costs(backend, clients, as_of, rules.acquisition),
        maintenance_costs(backend, as_of, rules.maintenance, coverage).select(
            "customer_id", "touches", "advisor_messages", "cmc_12m"
        ),
    )
    base = clients
    for part in parts:
        base = base.left_join(part, "customer_id").drop("customer_id_right")
    return base.order_by("customer_id"), snapshot


def _column(table: pa.Table, name: str, fill: float | None = 0.0) -> np.ndarray:
    values = table.column(name).to_numpy(zero_copy_only=False).astype(float)
    return values if fill is None else np.nan_to_num(values, nan=fill)


def customer_values(backend: Any, as_of: date, rules: ValueRules | None = None) -> CustomerValues:
    """CLV, CAC, CMC and efficiency of every client registered by ``as_of``.

    A :class:`~wealthdesk.value.clv.ValueModelError` when the history is too
    short for the CLV models or they give a non-finite value (``lifetime.py``).
    """
    rules = rules or ValueRules()
    coverage = cost_coverage(backend, as_of, rules.maintenance)
    base_expr, snapshot = _client_base(backend, as_of, rules, coverage)
    base = backend.to_pyarrow(base_expr)
    x, t_x, big_t, m_x = (_column(base, name, fill=None) for name in ("x", "t_x", "T", "m_x"))
    models = fit_value_models(x, t_x, big_t, m_x)
    values = client_lifetime_values(models, rules.horizon, x, t_x, big_t, m_x, _column(base, "recurring_monthly"))
    cmc_12m = _column(base, "cmc_12m")
    cmc = cmc_12m / 12.0 * rules.horizon.annuity
    cac = _column(base, "cac")
    columns: dict[str, Any] = {
        "customer_id": base.column("customer_id"),
        "acquisition_channel": base.column("acquisition_channel"),
        "acquisition_campaign_id": base.column("acquisition_campaign_id"),
        "acquisition_credit": base.column("acquisition_credit"),
        "advisor_id": base.column("advisor_id"),
        "x": base.column("x"),
        "t_x": base.column("t_x"),
        "T": base.column("T"),
        "m_x": base.column("m_x"),
        **values,
        "trailing_monthly": _column(base, "trailing_monthly"),
        "level2_monthly": _column(base, "level2_monthly"),
        "recurring_monthly": _column(base, "recurring_monthly"),
        "cac": cac,
        "touches_12m": _column(base, "touches").astype(np.int64),
        "advisor_messages_12m": _column(base, "advisor_messages").astype(np.int64),
        "cmc_12m": cmc_12m,
        "cmc": cmc,
        "efficiency": values["clv"] - cac - cmc,
    }
    table = pa.table(columns)
    n = table.num_rows
    table = table.append_column("as_of", pa.array([as_of] * n, pa.date32()))
    table = table.append_column("horizon_months", pa.array([rules.horizon.months] * n, pa.int32()))
    table = table.append_column("discount_rate", pa.array([rules.horizon.discount_rate] * n, pa.float64()))
    return CustomerValues(as_of, snapshot, coverage, models, rules, table)


def save_customer_values(backend: Any, values: CustomerValues) -> str:
    """Replace the ``customer_value`` table with these values; returns the table name."""
    backend.create_table(VALUE_TABLE, ibis.memtable(values.table), overwrite=True)
    return VALUE_TABLE
