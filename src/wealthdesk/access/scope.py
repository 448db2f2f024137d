"""Which clients a user may see, and which personal data they see unmasked.

An advisor sees the clients assigned to them, a branch manager those of
their branch, everyone else every client. A client outside the scope is
answered exactly like a client that does not exist, so the API does not
tell an advisor which client numbers are real.

Phone and ID numbers are masked for every role, always; a client's name is
shown in full only to the advisor and branch manager who serve them (they
greet the client by it), masked (张*) for everyone else.
"""

from __future__ import annotations

from wealthdesk.access.users import Role, User

SERVING_ROLES = (Role.advisor, Role.branch_manager)


def _scope_key(user: User) -> tuple[str, str] | None:
    """The customers column that picks the user's clients and the value it must have; None for every client."""
    if user.role is Role.advisor:
        return "advisor_id", user.advisor_id or ""
    if user.role is Role.branch_manager:
        return "branch_id", user.branch_id or ""
    return None


def client_filter(user: User, alias: str = "c") -> tuple[str, list[str]]:
    """SQL condition on the customers table (aliased ``alias``) and its parameters."""
    key = _scope_key(user)
    if key is None:
        return "true", []
    return f"{alias}.{key[0]} = ?", [key[1]]


def may_see(user: User, advisor_id: str | None, branch_id: str | None) -> bool:
    """Whether a client served by ``advisor_id`` in ``branch_id`` is in the user's scope (:func:`client_filter`,
    decided in Python for a client already in memory)."""
    key = _scope_key(user)
    return key is None or {"advisor_id": advisor_id, "branch_id": branch_id}[key[0]] == key[1]


def sees_full_name(user: User) -> bool:
    return user.role in SERVING_ROLES
