"""Event and message intake: records in, through the ingest contract, into the near-real-time path."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Body, Depends, Request

from wealthdesk.access.users import Role, User
from wealthdesk.api.deps import require, server_part, view_cache
from wealthdesk.pipeline.live import LiveError, LiveReport, LiveUpdater
from wealthdesk.wecom.archive import ArchiveError, ArchiveReport, ingest_archive

router = APIRouter(prefix="/api/v1/intake", tags=["intake"])
FEEDERS = (Role.operations, Role.admin)
Fed = TypeVar("Fed", LiveReport, ArchiveReport)
_lock = threading.Lock()


def _updater(request: Request) -> LiveUpdater:
    """One updater per server, built on first use (it compiles the keyword matcher) on its own connection."""
    return server_part(request.app, "live", lambda: LiveUpdater(request.app.state.con.cursor()))


@router.post("/wecom_archive", summary="Feed decrypted chat-archive records (official shape, each with its seq)")
def feed_archive(
    request: Request,
    user: Annotated[User, Depends(require(*FEEDERS))],
    records: Annotated[list[dict[str, Any]], Body(min_length=1, max_length=10_000)],
) -> dict[str, Any]:
    """Loads the records after the last seq loaded (:mod:`wealthdesk.wecom.archive`): tags, recalls, activity."""
    report = _fed(request, lambda updater: ingest_archive(updater, records))
    return report.to_dict()


@router.post("/{table}", summary="Feed chat messages or app events (bad records are quarantined with reasons)")
def feed(
    table: Literal["wecom_messages", "app_events"],
    request: Request,
    user: Annotated[User, Depends(require(*FEEDERS))],
    records: Annotated[list[dict[str, Any]], Body(min_length=1, max_length=10_000)],
) -> dict[str, Any]:
    """Loads the records (or quarantines them), then updates those clients' chat tags and activity."""
    return _fed(request, lambda updater: updater.feed(table, records)).to_dict()


def _fed(request: Request, feed: Callable[[LiveUpdater], Fed]) -> Fed:
    """``feed`` on the server's updater, one at a time; then the resident views of the clients it changed go."""
    try:
        with _lock:  # one feed at a time: the updater's temporary tables are shared
            report = feed(_updater(request))
    except LiveError:  # refused before anything was written
        raise
    except ArchiveError as exc:  # the batches before the one refused are in
        if exc.loaded is not None:
            view_cache(request.app).forget(sorted(exc.loaded.customers))
        raise
    except BaseException:  # the records may be in, their clients' updates not: which views changed is not known
        view_cache(request.app).reload(request.app.state.con)
        raise
    view_cache(request.app).forget(sorted(report.customers))  # committed: their resident views are out of date
    return report
