"""The FastAPI application, built by a factory from settings (no import-time singletons).

**Who owns the store.** DuckDB lets one process open a file for writing, or
several open it read-only, never both. The server needs to write (the audit
log, event intake), so while ``wealthdesk serve`` runs it owns the store:
one read-write connection, a cursor per request. CLI commands that open the
same file fail with DuckDB's lock error until the server stops; batch jobs
run either before the server starts or, as later endpoints allow, through
the API.

Because no other process changes the store while the server runs, the
server keeps every client's 360 view in memory (:mod:`wealthdesk.api.view_cache`,
loaded in the background at start-up, forgotten per client by the live
intake), and its audit rows go to a journal beside the store that is drained
into ``wd_audit`` every second, at start-up and at shutdown
(:class:`wealthdesk.access.audit.AuditWriter`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import duckdb
from fastapi import FastAPI

from wealthdesk import __version__
from wealthdesk.access.audit import AuditWriter, ensure_audit_table, journal_folder
from wealthdesk.access.users import ensure_access_tables
from wealthdesk.api import analytics, audit, client_card, clients, intake, reports, segments, wecom_callback
from wealthdesk.api.deps import CurrentUser
from wealthdesk.api.problems import PROBLEM_RESPONSES, install_problem_handlers
from wealthdesk.api.view_cache import ClientViewCache
from wealthdesk.config import Settings
from wealthdesk.store import connect
from wealthdesk.store.duckdb_store import ensure_serving_indexes
from wealthdesk.web import assets, dashboards, home, login, sidebar, wecom_sidebar
from wealthdesk.wecom.callbacks import ensure_callbacks_table, process_stored
from wealthdesk.wecom.contacts import ensure_contact_events_table

log = logging.getLogger(__name__)


def _process_stored_callbacks(con: duckdb.DuckDBPyConnection) -> None:
    """WeCom callbacks stored but not processed (the server stopped in between, or an older version failed them)
    are processed before the server takes new ones."""
    done, failing = process_stored(con)
    if done or failing:
        log.info("WeCom callbacks stored earlier: %d processed now, %d still failing", done, failing)


def create_app(settings: Settings) -> FastAPI:
    """The API on the store ``settings`` names; the store is opened at start-up and closed at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        con = connect(settings)
        try:
            ensure_access_tables(con)
            ensure_audit_table(con)
            ensure_callbacks_table(con)
            ensure_contact_events_table(con)
            ensure_serving_indexes(con)  # point lookups of one client; `wealthdesk run` drops those of derived tables
            _process_stored_callbacks(con)
            app.state.con = con
            app.state.settings = settings
            app.state.audit_writer = AuditWriter(con, journal_folder(settings.store))
            with contextlib.suppress(Exception):  # logged; the journal stays and the drain thread retries
                app.state.audit_writer.drain()  # what a server that stopped without draining left in the journal
            app.state.view_cache = ClientViewCache.open(con)
            app.state.view_cache.start_loading(con)
            yield
        finally:
            try:
                if getattr(app.state, "view_cache", None) is not None:
                    app.state.view_cache.stop_loading()
                if getattr(app.state, "audit_writer", None) is not None:
                    app.state.audit_writer.close()  # what is in the journal goes into wd_audit
            finally:
                con.close()

    app = FastAPI(
        title="wealthdesk API",
        version=__version__,
        description="Customer intelligence for a brokerage's wealth-management arm. Every request needs a bearer "
        "token (`wealthdesk user token USER_ID`); clients are scoped to the user's role, personal data is masked by "
        "role and every read of it is audited.",
        lifespan=lifespan,
        responses=PROBLEM_RESPONSES,
        # FastAPI's /docs and /redoc pages load their scripts from a CDN; the server fetches nothing from outside and
        # serves the schema itself: open /openapi.json in any OpenAPI viewer
        docs_url=None,
        redoc_url=None,
    )
    install_problem_handlers(app)
    app.include_router(clients.router)
    app.include_router(client_card.router)
    app.include_router(audit.router)
    app.include_router(segments.router)
    app.include_router(analytics.router)
    app.include_router(reports.router)
    app.include_router(intake.router)
    app.include_router(wecom_callback.router)
    app.include_router(login.router)
    app.include_router(assets.router)
    app.include_router(sidebar.router)
    app.include_router(wecom_sidebar.router)
    app.include_router(home.router)
    app.include_router(dashboards.router)

    @app.get("/health", tags=["server"], summary="Whether the server is up, and whether its client views are loaded")
    def health() -> dict[str, str]:
        """For a load balancer or a deployment check: no token needed, nothing about any client. Until the views
        are ``ready`` the 360 view is built from the store for each client first opened (slower, just as right)."""
        return {"status": "ok", "client_views": app.state.view_cache.state}

    @app.get("/api/v1/me", tags=["users"], summary="The user the token belongs to")
    def me(user: CurrentUser) -> dict[str, Any]:
        return {
            "user_id": user.user_id,
            "role": user.role.value,
            "advisor_id": user.advisor_id,
            "branch_id": user.branch_id,
        }

    return app
