"""The audit log, for compliance (and admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from wealthdesk.access.audit import audit_entries
from wealthdesk.access.users import Role, User
from wealthdesk.api.deps import Cursor, audit_writer, require

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", summary="Reads of clients' personal data, newest first")
def read_audit(
    request: Request,
    cursor: Cursor,
    user: Annotated[User, Depends(require(Role.compliance, Role.admin))],
    customer_id: Annotated[str | None, Query(max_length=40)] = None,
    user_id: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Who read which client's personal data, when, which fields (and which were masked), from where."""
    try:  # the reads still in the journal too: every read answered is listed
        audit_writer(request.app).drain()
    except Exception as exc:
        raise HTTPException(
            503, f"the audit journal could not be moved into the log (its rows are kept): {exc}"
        ) from exc
    items, total = audit_entries(cursor, customer_id, user_id, limit, offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}
