"""The `setia` command: serve, database upgrade, demo data, ledger verify, API keys, jobs, import."""

from __future__ import annotations

import sys
from datetime import date

import click

from setia.adapters.db.engine import Database
from setia.adapters.db.migrate import upgrade
from setia.config import Settings
from setia.domain.errors import SetiaError
from setia.services.context import utc_now


class SetiaGroup(click.Group):
    """Business errors become a message on stderr and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except SetiaError as error:
            click.echo(f"error: {error.message}", err=True)
            sys.exit(1)


def _database(ctx: click.Context) -> Database:
    return Database(ctx.obj.database_url)


@click.group(cls=SetiaGroup)
@click.option("--database-url", envvar="SETIA_DATABASE_URL", default=None,
              help="SQLAlchemy URL; default sqlite:///setia.db (env SETIA_DATABASE_URL)")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """Setia: cashier and loyalty program."""
    settings = Settings()
    if database_url:
        settings.database_url = database_url
    ctx.obj = settings


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply every migration (creates the database if needed)."""
    upgrade(ctx.obj.database_url)
    click.echo("database is up to date")


@main.command()
@click.option("--host", default=None)
@click.option("--port", default=None, type=int)
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Run the server (API, docs)."""
    import uvicorn

    from setia.entrypoints.api.app import create_app

    settings: Settings = ctx.obj
    app = create_app(settings)
    uvicorn.run(app, host=host or settings.host, port=port or settings.port, log_level="warning")


@main.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Create the demo café with its program, rewards, members and history (once), and a fresh API key."""
    from setia.services.demo import create_demo

    result = create_demo(_database(ctx), utc_now())
    settings: Settings = ctx.obj
    base = f"http://{settings.host}:{settings.port}"
    click.echo(f"Demo merchant: {result['merchant_name']} (id {result['merchant_id']}), "
               f"{result['members']} members, {result['sales']} sales")
    click.echo(f"API docs:      {base}/api/docs")
    click.echo(f"API base URL:  {base}/api/v1")
    click.echo(f"API key:       {result['api_key']}")
    click.echo(f"Try:           curl -H 'Authorization: Bearer {result['api_key']}' {base}/api/v1/program")
    click.echo(f"Cashier:       {base}/pos")
    for login in result.get("logins", []):
        click.echo(f"  sign in as {login['role']:<8} {login['username']:<14} password {login['password']}")


@main.group()
def merchant() -> None:
    """Merchants."""


@merchant.command("create")
@click.argument("name")
@click.option("--timezone", default="Asia/Jakarta", show_default=True)
@click.pass_context
def merchant_create(ctx: click.Context, name: str, timezone: str) -> None:
    """Create a merchant with an outlet and a default program."""
    from setia.services.merchants import create_merchant

    with _database(ctx).write() as connection:
        merchant_id = create_merchant(connection, name, utc_now(), timezone)
    click.echo(f"merchant {merchant_id} created")


@main.group("api-key")
def api_key() -> None:
    """API keys (per merchant, shown once)."""


@api_key.command("create")
@click.option("--merchant", "merchant_id", required=True, type=int)
@click.option("--name", default="default", show_default=True)
@click.pass_context
def api_key_create(ctx: click.Context, merchant_id: int, name: str) -> None:
    """Create an API key; it is printed once and stored only as a hash."""
    from setia.services.merchants import create_api_key

    with _database(ctx).write() as connection:
        new_key = create_api_key(connection, merchant_id, name, utc_now())
    click.echo(new_key.key)


@main.group()
def ledger() -> None:
    """The points ledger."""


@ledger.command("verify")
@click.option("--merchant", "merchant_id", type=int, default=None)
@click.pass_context
def ledger_verify(ctx: click.Context, merchant_id: int | None) -> None:
    """Recompute every balance from transfers and lots; exit 1 on any mismatch."""
    from setia.queries.ledger_verify import verify_ledger

    with _database(ctx).read() as connection:
        problems = verify_ledger(connection, merchant_id)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        click.echo(f"ledger verify: {len(problems)} mismatch(es)", err=True)
        sys.exit(1)
    click.echo("ledger verify: clean")


@main.group()
def jobs() -> None:
    """Scheduled jobs (safe to run twice or late)."""


@jobs.command("expire")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Business date to expire as of (default: each merchant's today)")
@click.pass_context
def jobs_expire(ctx: click.Context, as_of) -> None:  # type: ignore[no-untyped-def]
    """Expire points past their last day."""
    from setia.services.expiry import expire_points

    day: date | None = as_of.date() if as_of else None
    totals = expire_points(_database(ctx), utc_now(), day)
    click.echo(f"expired {totals['points']} points of {totals['members']} members")


@jobs.command("daily")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Business date to run up to (default: each merchant's today); missed days are caught up")
@click.pass_context
def jobs_daily(ctx: click.Context, as_of) -> None:  # type: ignore[no-untyped-def]
    """Points expiry, birthday bonuses, tier reviews, stamp card expiry; safe to run twice or late."""
    from setia.services.daily_job import run_daily

    totals = run_daily(_database(ctx), utc_now(), as_of.date() if as_of else None)
    click.echo(f"daily job: {totals['days']} day(s) for {totals['merchants']} merchant(s); "
               f"{totals['points_expired']} points expired; {totals['birthday_bonuses']} birthday bonuses "
               f"({totals['birthday_points']} points); {totals['stamp_cards_expired']} stamp cards expired; "
               f"tiers: {totals['tiers']}")


@main.group("import")
def import_group() -> None:
    """Bring data from elsewhere."""


@import_group.command("sales")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--merchant", "merchant_id", required=True, type=int)
@click.option("--batch-size", default=2000, show_default=True)
@click.pass_context
def import_sales(ctx: click.Context, path: str, merchant_id: int, batch_size: int) -> None:
    """Import past sales from a CSV so members start with the points they earned (see docs/import.md)."""
    from setia.services.imports import import_sales_csv

    summary = import_sales_csv(_database(ctx), merchant_id, path, utc_now(), batch_size=batch_size,
                               show_progress=True)
    for line_number, message in summary.errors:
        click.echo(f"line {line_number}: {message}", err=True)
    click.echo(f"imported {summary.imported} sales, skipped {summary.skipped} already imported, "
               f"{len(summary.errors)} rejected, {summary.points} points earned, "
               f"{summary.members_created} members created")
    if summary.errors:
        sys.exit(2)


from setia.entrypoints.cli_vouchers import vouchers  # noqa: E402 - a group of its own module

main.add_command(vouchers)
