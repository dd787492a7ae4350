"""Staff accounts from the command line: invite (create), list, disable, reset (a new invitation), reset-totp."""

from __future__ import annotations

import getpass
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from ordertrail.cli.common import load_settings, with_services
from ordertrail.domain.staff.audit import Actor, ActorKind
from ordertrail.domain.staff.roles import StaffRole, StaffUser
from ordertrail.runtime import staff_rules
from ordertrail.services.context import Services
from ordertrail.services.staff import accounts, second_factor
from ordertrail.services.staff.context import StaffRules
from ordertrail.storage.accounts.merchants import list_merchants

users_app = typer.Typer(help="Staff accounts (people who use the console).", no_args_is_help=True)
T = TypeVar("T")


def _cli_actor() -> Actor:
    """The audit log's "who" for a command: the operating-system user who ran it."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor(kind=ActorKind.CLI, name=name, address="cli")


def _with_rules(work: Callable[[Services, StaffRules], Awaitable[T]]) -> T:
    rules = staff_rules(load_settings().staff)
    return with_services(lambda services: work(services, rules))


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="The person's email address (their sign-in name).")],
    role: Annotated[StaffRole, typer.Option(help="admin, operations, support, merchant or viewer")],
    merchant: Annotated[
        list[str] | None,
        typer.Option(help="A merchant they work for (repeat for several; exactly one for merchant users)."),
    ] = None,
) -> None:
    """Invite a staff user. The one-time invitation URL is printed alone on the last line; only its hash is kept."""
    invitation = _with_rules(
        lambda services, rules: accounts.invite_user(
            services, rules, actor=_cli_actor(), email=email, role=role, merchants=merchant or []
        )
    )
    user = invitation.user
    typer.echo(f"invited {user.email} ({user.role.value}); send them this link, it works once and expires:")
    typer.echo(invitation.url)


@users_app.command("list")
def users_list() -> None:
    """List staff users (never their passwords)."""
    users, names = with_services(_users_and_merchants)
    table = Table("id", "email", "role", "merchants", "state", "created")
    for user in users:
        state = "disabled" if user.disabled_at else ("active" if user.password_set_at else "invited")
        merchants = ", ".join(sorted(names.get(m, str(m)) for m in user.merchant_ids)) or "(all)"
        table.add_row(
            str(user.id), user.email, user.role.value, merchants, state, user.created_at.isoformat(timespec="seconds")
        )
    Console(width=160).print(table)


async def _users_and_merchants(services: Services) -> tuple[list[StaffUser], dict[int, str]]:
    merchants = await services.db.read(list_merchants)
    return await accounts.list_users(services), {i: name for i, name, _ in merchants}


@users_app.command("disable")
def users_disable(email: str) -> None:
    """Disable a staff user: their sessions end at once, also in a running server."""
    user = with_services(lambda services: accounts.disable_user(services, actor=_cli_actor(), email=email))
    typer.echo(f"disabled {user.email}")


@users_app.command("reset")
def users_reset(email: str) -> None:
    """A new invitation for an account (forgotten password): the old password and sessions stop working.

    The URL is printed alone on the last line."""
    invitation = _with_rules(
        lambda services, rules: accounts.reset_user(services, rules, actor=_cli_actor(), email=email)
    )
    typer.echo(
        f"reset {invitation.user.email}; their password (and two-step sign-in, if on) no longer works."
        " Send them this link:"
    )
    typer.echo(invitation.url)


@users_app.command("reset-totp")
def users_reset_totp(email: Annotated[str, typer.Option(help="The person's email address.")]) -> None:
    """Turn off someone's two-step sign-in (a lost phone): their password still works; they may set it up again."""
    removed = with_services(lambda services: second_factor.reset(services, actor=_cli_actor(), email=email))
    if removed:
        typer.echo(f"two-step sign-in turned off for {email}; they sign in with their password alone")
    else:
        typer.echo(f"{email} did not have two-step sign-in on; nothing changed")
