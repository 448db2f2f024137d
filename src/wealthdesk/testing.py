"""Helpers that build small real stores for tests (ours and those of projects building on wealthdesk).

Each helper says what state you get: ``fresh_store`` is an empty store with
every table created; ``demo_brokerage`` writes a small generated brokerage;
``demo_store`` is that brokerage ingested; ``staff_world`` adds profiles, tags
and a user with a token for every role.
"""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from wealthdesk.access.users import Role, add_user, issue_token
from wealthdesk.config import Settings, load_settings
from wealthdesk.demo import GenerationSummary, generate_brokerage
from wealthdesk.ingest import LoadReport, ingest_path
from wealthdesk.pipeline.run import run_pipeline
from wealthdesk.store import open_store

SMALL_CUSTOMERS = 1_500
SMALL_SEED = 11


def fresh_store(folder: Path) -> Settings:
    """An empty store in ``folder`` with every table created; returns its settings."""
    settings = load_settings(store=folder / "fresh.duckdb")
    with open_store(settings):
        pass
    return settings


def demo_brokerage(folder: Path, customers: int = SMALL_CUSTOMERS, seed: int = SMALL_SEED) -> GenerationSummary:
    """Generated export files (and their _truth/) in ``folder``."""
    return generate_brokerage(folder, customers=customers, seed=seed)


@dataclass(frozen=True)
class DemoStore:
    """A generated brokerage and the store it was ingested into."""

    settings: Settings
    generation: GenerationSummary
    load: LoadReport


def demo_store(folder: Path, customers: int = SMALL_CUSTOMERS, seed: int = SMALL_SEED) -> DemoStore:
    """A small generated brokerage in ``folder/files`` ingested into ``folder/demo.duckdb``."""
    generation = demo_brokerage(folder / "files", customers=customers, seed=seed)
    settings = load_settings(store=folder / "demo.duckdb")
    with open_store(settings) as con:
        load = ingest_path(con, generation.out)
    return DemoStore(settings=settings, generation=generation, load=load)


@dataclass(frozen=True)
class StaffWorld:
    """A demo store after ``wealthdesk run``, with one user (and token) per role and the clients tests reach for.

    The advisor user serves the advisor with the most clients; the branch manager runs that advisor's branch.
    """

    store: Path
    tokens: dict[Role, str]
    advisor_id: str
    branch_id: str
    own: str  # a client of the advisor user
    other: str  # a client of another advisor, in another branch
    same_branch: str  # a client of another advisor in the advisor's branch
    raw_pii: frozenset[str]  # every raw phone and ID number in the store
    advisors_clients: frozenset[str]  # every client of the advisor user

    def copy_to(self, folder: Path) -> StaffWorld:
        """The same world on a copy of the store, for tests that write to it."""
        folder.mkdir(parents=True, exist_ok=True)
        store = folder / self.store.name
        shutil.copy(self.store, store)
        return dataclasses.replace(self, store=store)


def staff_world(demo: DemoStore, folder: Path) -> StaffWorld:
    """Copy ``demo``'s store into ``folder``, build its profiles and tags, and add a user per role."""
    folder.mkdir(parents=True, exist_ok=True)
    store = folder / "staff.duckdb"
    shutil.copy(demo.settings.store, store)
    con = duckdb.connect(str(store))
    try:
        run_pipeline(con)
        advisor, branch = con.execute(
            """SELECT c.advisor_id, a.branch_id FROM customers c JOIN advisors a USING (advisor_id)
               GROUP BY ALL ORDER BY count(*) DESC, c.advisor_id LIMIT 1"""
        ).fetchone()
        own = con.execute("SELECT min(customer_id) FROM customers WHERE advisor_id = ?", [advisor]).fetchone()[0]
        other = con.execute("SELECT min(customer_id) FROM customers WHERE branch_id <> ?", [branch]).fetchone()[0]
        same_branch = con.execute(
            "SELECT min(customer_id) FROM customers WHERE branch_id = ? AND advisor_id IS DISTINCT FROM ?",
            [branch, advisor],
        ).fetchone()[0]
        advisors_clients = frozenset(
            r[0] for r in con.execute("SELECT customer_id FROM customers WHERE advisor_id = ?", [advisor]).fetchall()
        )
        raw = frozenset(v for row in con.execute("SELECT phone, id_number FROM customers").fetchall() for v in row if v)
        tokens = {}
        for role in Role:
            add_user(
                con,
                f"u_{role.value}",
                role,
                advisor_id=advisor if role is Role.advisor else None,
                branch_id=branch if role is Role.branch_manager else None,
            )
            tokens[role] = issue_token(con, f"u_{role.value}")
    finally:
        con.close()
    return StaffWorld(store, tokens, advisor, branch, own, other, same_branch, raw, advisors_clients)


def a_wecom_client(con: duckdb.DuckDBPyConnection) -> tuple[str, str, str]:
    """(customer_id, external_userid, advisor's WeCom userid) of the first client on WeCom: whose chat to feed."""
    return con.execute(
        """SELECT customer_id, external_userid, advisor_userid FROM wecom_contacts
           WHERE customer_id IS NOT NULL ORDER BY customer_id LIMIT 1"""
    ).fetchall()[0]


def app_sql(client: Any, query: str, params: list[object] | None = None) -> list[tuple]:
    """Rows of ``query`` on the own connection of a running app (a FastAPI ``TestClient``'s): while the server runs
    it owns the store, so a test reads the store through it, on a cursor of its own."""
    cursor = client.app.state.con.cursor()
    try:
        return cursor.execute(query, params or []).fetchall()
    finally:
        cursor.close()


# Just the tables and columns content matching reads: a real DuckDB for property tests that build thousands of
# tiny worlds (a whole store per example would be slow). The last one, the chat evidence, may be left out.
MATCHING_TABLES = (
    "CREATE TABLE customers (customer_id VARCHAR, risk_level VARCHAR, risk_assessed_date DATE,"
    " lowest_category BOOLEAN, investor_type VARCHAR)",
    "CREATE TABLE profiles (customer_id VARCHAR, lifecycle_stage VARCHAR, as_of DATE)",
    "CREATE TABLE contents (content_id VARCHAR, content_type VARCHAR, title VARCHAR, topics VARCHAR[],"
    " related_codes VARCHAR[], risk_level VARCHAR, publish_date DATE, expiry_date DATE, author VARCHAR)",
    "CREATE TABLE accounts (account_id VARCHAR, customer_id VARCHAR)",
    "CREATE TABLE holdings (snapshot_date DATE, account_id VARCHAR, asset_type VARCHAR, instrument_code VARCHAR,"
    " quantity DOUBLE)",
    "CREATE TABLE app_events (customer_id VARCHAR, event_time TIMESTAMP, event_type VARCHAR, object_id VARCHAR)",
    "CREATE TABLE keyword_tag_evidence (customer_id VARCHAR, tag VARCHAR, msgtime TIMESTAMP, negated BOOLEAN)",
)
