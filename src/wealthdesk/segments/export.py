"""Segment member exports: CSV for people, WeCom-ready JSON for a mass message (群发).

The JSON groups members' ``external_userid`` by the advisor (``sender``,
the advisor's WeCom userid) who has them as a live external contact — the
recipient part of WeCom's ``externalcontact/add_msg_template`` request body
(``chat_type``, ``sender``, ``external_userid``; at most 10,000 ids per
request, so bigger groups are split). The caller adds the message itself
(``text`` and/or ``attachments``), which WeCom requires. Each member is sent
by one advisor only — their own advisor when that advisor has them on WeCom,
else whoever added them first — so nobody gets the message twice. Members no
advisor has on WeCom are counted, not lost. No personal data (names, phones,
ID numbers) is exported.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import duckdb
import pyarrow as pa

WECOM_BATCH = 10_000  # external_userid per add_msg_template request (WeCom's documented limit)


def members_csv(members: pa.Table) -> str:
    """Members as CSV text (header + one line per client)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(members.column_names)
    for row in members.to_pylist():
        writer.writerow(["" if v is None else v for v in row.values()])
    return out.getvalue()


def members_wecom(con: duckdb.DuckDBPyConnection, members: pa.Table, segment: str) -> dict[str, Any]:
    """Per-advisor external_userid lists for the members, in add_msg_template shape."""
    con.register("_wd_members", members.select(["customer_id"]))
    rows = con.execute(
        """SELECT advisor_userid, external_userid, customer_id FROM (
               SELECT c.advisor_userid, c.external_userid, m.customer_id,
                      row_number() OVER (
                          PARTITION BY m.customer_id
                          ORDER BY (c.advisor_userid = a.wecom_userid) DESC NULLS LAST, c.added_at, c.advisor_userid
                      ) AS choice
               FROM _wd_members m
               JOIN wecom_contacts c USING (customer_id)
               LEFT JOIN customers k USING (customer_id)
               LEFT JOIN advisors a ON a.advisor_id = k.advisor_id
               WHERE c.deleted_at IS NULL)
           WHERE choice = 1
           ORDER BY advisor_userid, external_userid"""
    ).fetchall()
    con.unregister("_wd_members")
    groups: dict[str, list[str]] = {}
    reached: set[str] = set()
    for advisor, external, customer in rows:
        groups.setdefault(advisor, []).append(external)
        reached.add(customer)
    requests = [
        {"chat_type": "single", "sender": advisor, "external_userid": ids[i : i + WECOM_BATCH]}
        for advisor, ids in groups.items()
        for i in range(0, len(ids), WECOM_BATCH)
    ]
    return {
        "segment": segment,
        "members": members.num_rows,
        "members_on_wecom": len(reached),
        "members_not_on_wecom": members.num_rows - len(reached),
        "senders": len(groups),
        "requests": requests,
    }
