"""Customer value and the reassurance list over HTTP.

Both are computed on request from the store. The reassurance model takes
longest (about 90 s on a million clients), so each day's model is trained
once and kept in memory: the trades it learns from never change for a past
day. An advisor's list holds only their own clients, a branch manager's
their branch's; every client on a list is an audited read of a (masked) name.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Annotated, Any

import ibis
from fastapi import APIRouter, HTTPException, Query, Request

from wealthdesk.access.audit import PersonalDataRead, record_reads
from wealthdesk.access.scope import client_filter
from wealthdesk.access.users import User
from wealthdesk.api.analytics import ANALYSTS, Analyst
from wealthdesk.api.client_access import request_source
from wealthdesk.api.deps import CurrentUser, Cursor, server_part
from wealthdesk.funds.reassurance import reassurance_list
from wealthdesk.funds.risk_model import RiskModel, train_risk_model
from wealthdesk.funds.window import data_range
from wealthdesk.value.efficiency import ValueRules
from wealthdesk.value.grouping import GroupBy
from wealthdesk.value.lifetime import Horizon
from wealthdesk.value.report import value_report

router = APIRouter(prefix="/api/v1/reports", tags=["analytics"])
MODELS_KEPT = 3  # days whose reassurance model stays in memory


class ModelCache:
    """Reassurance models by scoring day, each trained once by the first request that asks for it.

    Training holds one pool thread for a minute and a half on a million clients; a request for a day that is
    being trained is answered at once with 503 and Retry-After rather than parked on a second thread, so a
    crowd of first requests cannot use up the pool the rest of the server needs.
    """

    def __init__(self) -> None:
        self._models: dict[date, RiskModel] = {}
        self._training: set[date] = set()
        self._lock = threading.Lock()

    def get(self, backend: Any, day: date) -> RiskModel:
        with self._lock:
            if day in self._models:
                return self._models[day]
            if day in self._training:
                raise HTTPException(503, f"the model for {day} is being trained; ask again in a minute", headers=RETRY)
            self._training.add(day)
        try:
            model = train_risk_model(backend, day)
        finally:
            with self._lock:
                self._training.discard(day)
        with self._lock:
            if len(self._models) >= MODELS_KEPT:
                self._models.pop(next(iter(self._models)))
            self._models[day] = model
        return model


RETRY = {"Retry-After": "60"}


def _models(request: Request) -> ModelCache:
    return server_part(request.app, "risk_models", ModelCache)


@router.get("/value", summary="Customer value: CLV − (CAC + CMC), by channel, advisor or segment")
def value(
    cursor: Cursor,
    user: Analyst,
    as_of: Annotated[date | None, Query(description="Value clients as of this date; default: last trade day.")] = None,
    by: GroupBy = GroupBy.channel,
    channel: Annotated[str | None, Query(max_length=50, description="Only clients acquired through it.")] = None,
    horizon_months: Annotated[int, Query(ge=1, le=600)] = 36,
    discount_rate: Annotated[float, Query(ge=0.0, le=0.99)] = 0.08,
) -> dict[str, Any]:
    """Group totals only (no client rows); read-only: `wealthdesk report value --save` stores per-client values."""
    rules = ValueRules(horizon=Horizon(months=horizon_months, discount_rate=discount_rate))
    backend = ibis.duckdb.from_connection(cursor)
    return value_report(backend, as_of=as_of, rules=rules, by=by, channel=channel).to_dict()


def _clients_in_scope(cursor: Cursor, user: User) -> frozenset[str] | None:
    """The clients whose holdings the user may see on the list; None for every client."""
    scope, params = client_filter(user)
    if not params:
        return None
    rows = cursor.execute(f"SELECT customer_id FROM customers c WHERE {scope}", params).fetchall()
    return frozenset(customer for (customer,) in rows)


@router.get("/reassurance", summary="Fund holders to reassure (安抚) first, ranked by redemption risk, with reasons")
def reassurance(
    request: Request,
    cursor: Cursor,
    user: CurrentUser,
    as_of: Annotated[date | None, Query(description="Holdings at this close; default: the latest NAV date.")] = None,
    top: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> dict[str, Any]:
    """The riskiest ``top`` holdings among the user's clients (advisors: their own; branch managers: the branch)."""
    if as_of is not None and user.role not in ANALYSTS:
        # another day means another model to train (a minute and a half on a million clients): not on an advisor's
        # every click
        raise HTTPException(403, "advisors get the latest day's list; as_of is for analysts and branch managers")
    backend = ibis.duckdb.from_connection(cursor)
    day = as_of or data_range(backend)[1]
    model = _models(request).get(backend, day)
    listing = reassurance_list(backend, day, top=top, model=model, within=_clients_in_scope(cursor, user))
    clients = dict.fromkeys(h.customer_id for h in listing.holdings)
    reads = [PersonalDataRead(c, ("name",), ("name",)) for c in clients]
    record_reads(cursor, user, reads, "reassurance", request_source(request))
    return listing.to_dict()
