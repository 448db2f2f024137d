"""`wealthdesk user …`: the API's users, their roles and tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from wealthdesk.cli_shared import JsonOption, StoreOption, console, print_json, store_settings

user_app = typer.Typer(help="API users, their roles and tokens.", no_args_is_help=True)


@user_app.command("add")
def user_add(
    user_id: Annotated[str, typer.Argument(help="Login name, e.g. the employee number.")],
    role: Annotated[
        str, typer.Option("--role", help="advisor, branch_manager, operations, analyst, compliance, admin.")
    ],
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    advisor_id: Annotated[str | None, typer.Option("--advisor-id", help="For an advisor: their advisor_id.")] = None,
    branch_id: Annotated[str | None, typer.Option("--branch-id", help="For a branch manager: their branch.")] = None,
    store: StoreOption = None,
) -> None:
    """Add an API user with a role (an advisor sees their clients, a branch manager their branch).

    Example: wealthdesk user add zhangwei --role advisor --advisor-id E100032
    """
    from wealthdesk.access.users import AccessError, Role, add_user
    from wealthdesk.store import open_store

    if role not in Role.__members__:
        raise AccessError(f"unknown role {role!r}; roles: {', '.join(Role.__members__)}")
    with open_store(store_settings(store)) as con:
        user = add_user(con, user_id, Role(role), name, advisor_id, branch_id)
    console.print(
        f"added {user.user_id} ({user.role.value}); issue a token with `wealthdesk user token {user.user_id}`"
    )


@user_app.command("list")
def user_list(store: StoreOption = None, as_json: JsonOption = False) -> None:
    """List the API users and their roles.

    Example: wealthdesk user list --json
    """
    from rich.table import Table

    from wealthdesk.access.users import list_users
    from wealthdesk.store import open_store

    with open_store(store_settings(store)) as con:
        users = list_users(con)
    if as_json:
        print_json([{**u.__dict__, "role": u.role.value} for u in users])
        return
    table = Table("user", "role", "name", "advisor", "branch")
    for u in users:
        table.add_row(u.user_id, u.role.value, u.display_name or "", u.advisor_id or "", u.branch_id or "")
    console.print(table)


@user_app.command("token")
def user_token(
    user_id: Annotated[str, typer.Argument(help="The user to issue a token for.")],
    label: Annotated[str | None, typer.Option("--label", help="What the token is for, e.g. sidebar.")] = None,
    store: StoreOption = None,
) -> None:
    """Issue an API token; it is printed once and only its hash is stored.

    Example: wealthdesk user token zhangwei --label sidebar
    """
    from wealthdesk.access.users import issue_token
    from wealthdesk.store import open_store

    with open_store(store_settings(store)) as con:
        token = issue_token(con, user_id, label)
    typer.echo(token)


@user_app.command("revoke")
def user_revoke(
    user_id: Annotated[str, typer.Argument(help="The user whose tokens to revoke.")],
    disable: Annotated[bool, typer.Option("--disable", help="Also disable the user: no new token can be issued.")] = (
        False
    ),
    store: StoreOption = None,
) -> None:
    """Revoke every token of a user (their browser sessions end with them); run it while the server is stopped.

    Example: wealthdesk user revoke zhangwei --disable
    """
    from wealthdesk.access.users import revoke_tokens
    from wealthdesk.store import open_store

    with open_store(store_settings(store)) as con:
        revoked = revoke_tokens(con, user_id, disable=disable)
    typer.echo(f"revoked {revoked} token(s) of {user_id}" + (", user disabled" if disable else ""))
