"""The ``ordertrail`` command: serve, worker, db, merchants, keys, users, demo, labels, eta (one module per group)."""

from __future__ import annotations

import typer

from ordertrail.cli import accounts, demo, estimates, labels, server, users

app = typer.Typer(help="ordertrail: order tracking from scan to doorstep.", no_args_is_help=True)
app.command()(server.serve)
app.command()(server.worker)
app.add_typer(server.db_app, name="db")
app.add_typer(accounts.merchants_app, name="merchants")
app.add_typer(accounts.keys_app, name="keys")
app.add_typer(users.users_app, name="users")
app.command()(demo.demo)
app.command()(labels.labels)
app.add_typer(estimates.eta_app, name="eta")


def main() -> None:
    app()
