"""Event and message intake: records in, through the ingest contract, into the near-real-time path."""

from __future__ import annotations

import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Request

from wealthdesk.access.users import Role, User
from wealthdesk.api.deps import require, server_part
from wealthdesk.pipeline.live import LiveUpdater

router = APIRouter(prefix="/api/v1/intake", tags=["intake"])
FEEDERS = (Role.operations, Role.admin)
_lock = threading.Lock()


def _updater(request: Request) -> LiveUpdater:
    """One updater per server, built on first use (it compiles the keyword matcher) on its own connection."""
    return server_part(request.app, "live", lambda: LiveUpdater(request.app.state.con.cursor()))


@router.post("/{table}", summary="Feed chat messages or app events (bad records are quarantined with reasons)")
def feed(
    table: Literal["wecom_messages", "app_events"],
    request: Request,
    user: Annotated[User, Depends(require(*FEEDERS))],
    records: Annotated[list[dict[str, Any]], Body(min_length=1, max_length=10_000)],
) -> dict[str, Any]:
    """Loads the records (or quarantines them), then updates those clients' chat tags and activity."""
    with _lock:  # one feed at a time: the updater's temporary tables are shared
        return _updater(request).feed(table, records).to_dict()
