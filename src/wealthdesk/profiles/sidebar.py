"""The advisor sidebar's card: the 360 view plus holdings with P&L, recent trades, risk alerts, topics and the
suitable contents most worth sending.

One function gathers everything the page shows, so the page renders from a
single request and the API can serve the very same card as JSON.
"""

from __future__ import annotations

from typing import Any

import duckdb

from wealthdesk.content.matching import client_recommendations
from wealthdesk.profiles.alerts import risk_alerts
from wealthdesk.profiles.portfolio import accounts_of, portfolio, recent_trades
from wealthdesk.profiles.topics import suggested_topics
from wealthdesk.profiles.view import client_view

SIDEBAR_CONTENTS = 3  # suitable contents on the card: what fits a phone-width page


def sidebar_card(
    con: duckdb.DuckDBPyConnection,
    customer_id: str,
    reveal_name: bool = False,
    *,
    scope: tuple[str, list[Any]] | None = None,
) -> dict[str, Any]:
    """Everything about one client an advisor needs mid-chat; raises ClientNotFound (or ClientOutOfScope outside
    ``scope``) like ``client_view``, before anything else is read."""
    view = client_view(con, customer_id, reveal_name=reveal_name, scope=scope)
    as_of = view["profile"]["as_of"]
    accounts = accounts_of(con, customer_id)  # looked up once for the holdings and the trades
    book = portfolio(con, accounts, as_of)
    alerts = risk_alerts(con, customer_id, book, as_of)
    advisor = con.execute("SELECT name FROM advisors WHERE advisor_id = ?", [view["profile"]["advisor_id"]]).fetchone()
    return {
        **view,
        "advisor_name": advisor[0] if advisor else None,
        "portfolio": book.to_dict(),
        "trades": [vars(t) for t in recent_trades(con, accounts)],
        "alerts": [a.to_dict() for a in alerts],
        "topics": [t.to_dict() for t in suggested_topics(view["profile"], view["chat_tags"], alerts, as_of)],
        "contents": client_recommendations(con, customer_id, top=SIDEBAR_CONTENTS),
    }
