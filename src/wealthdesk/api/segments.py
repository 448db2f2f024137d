"""Segments over HTTP: list, create, and members (only the members the user may see)."""

from __future__ import annotations

from typing import Annotated, Any

import ibis
from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from wealthdesk.access.scope import client_filter
from wealthdesk.access.users import Role, User
from wealthdesk.api.deps import CurrentUser, Cursor, require
from wealthdesk.segments.definitions import SegmentNotFound, get_segment, known_tags, list_segments, save_segment
from wealthdesk.segments.membership import segment_members

router = APIRouter(prefix="/api/v1/segments", tags=["segments"])
SEGMENT_MAKERS = (Role.analyst, Role.operations, Role.admin)


class NewSegment(BaseModel):
    """A segment definition: a boolean expression over profile columns and tagged('tag')."""

    name: str = Field(min_length=1, max_length=64, examples=["chinext_leads"])
    when: str = Field(min_length=1, max_length=2000, examples=["tagged('kw_chinext') and not chinext_enabled"])
    label: str | None = Field(None, max_length=100, examples=["创业板意向客户"])


@router.get("", summary="Saved segments")
def segments(cursor: Cursor, user: CurrentUser) -> dict[str, Any]:
    items = [
        {"name": n, "label": label, "expression": expression, "created_at": created}
        for n, label, expression, created in list_segments(cursor)
    ]
    return {"items": items, "total": len(items)}


@router.post("", status_code=201, summary="Save a segment (checked against the profile columns and known tags)")
def create_segment(
    body: NewSegment, cursor: Cursor, user: Annotated[User, Depends(require(*SEGMENT_MAKERS))]
) -> dict[str, Any]:
    segment = save_segment(cursor, body.name, body.when, body.label, known_tags())
    return {"name": segment.name, "label": segment.label, "expression": segment.expression.text}


@router.get("/{name}/members", summary="A segment's members among the clients the user may see")
def members(
    name: str,
    cursor: Cursor,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Client numbers only (no personal data): open a client with /api/v1/clients/{customer_id}."""
    try:
        segment = get_segment(cursor, name, known_tags())
    except SegmentNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    backend = ibis.duckdb.from_connection(cursor)
    found = backend.to_pyarrow(segment_members(backend, segment).select("customer_id"))
    scope, params = client_filter(user)
    cursor.register("_wd_members", found)
    try:
        total = cursor.execute(
            f"SELECT count(*) FROM _wd_members m JOIN customers c USING (customer_id) WHERE {scope}", params
        ).fetchone()[0]
        ids = cursor.execute(
            f"""SELECT customer_id FROM _wd_members m JOIN customers c USING (customer_id) WHERE {scope}
                ORDER BY customer_id LIMIT ? OFFSET ?""",
            [*params, limit, offset],
        ).fetchall()
    finally:
        cursor.unregister("_wd_members")
    return {
        "segment": name,
        "items": [{"customer_id": i} for (i,) in ids],
        "total": total,
        "limit": limit,
        "offset": offset,
    }
