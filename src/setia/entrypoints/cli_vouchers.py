"""`setia vouchers …`: voucher codes from the command line (the same services the API calls)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from setia.adapters.db.engine import Database
from setia.services.context import Caller, utc_now
from setia.services.merchants import merchant_timezone
from setia.services.vouchers import batch_codes_csv, create_batch, issue_terms_from_dict


@click.group()
def vouchers() -> None:
    """Voucher codes."""


@vouchers.command("issue")
@click.option("--merchant", "merchant_id", required=True, type=int)
@click.option("--count", required=True, type=int, help="How many codes")
@click.option("--name", default="CLI batch", show_default=True, help="The campaign's name")
@click.option("--kind", "value_kind", type=click.Choice(["fixed", "percent", "free_product"]), required=True)
@click.option("--amount", default=0, type=int, help="fixed: rupiah off")
@click.option("--percent", default=0, type=int, help="percent: whole percent off")
@click.option("--cap", "cap_amount", default=None, type=int, help="percent: at most this many rupiah")
@click.option("--product-sku", default=None, help="free_product: the SKU given free")
@click.option("--minimum-spend", default=0, type=int, help="on the products it applies to")
@click.option("--sku", "skus", multiple=True, help="applies only to this SKU (repeatable)")
@click.option("--category", "categories", multiple=True, help="applies only to this category (repeatable)")
@click.option("--max-uses", default=1, show_default=True, type=int)
@click.option("--once-per-member", is_flag=True, default=False)
@click.option("--expires-on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="last day of use")
@click.option("--prefix", default="", help="letters and digits before the code, e.g. KOPI")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, writable=True), default=None,
              help="write the codes to this CSV file")
@click.pass_context
def vouchers_issue(ctx: click.Context, merchant_id: int, count: int, name: str, value_kind: str, amount: int,
                   percent: int, cap_amount: int | None, product_sku: str | None, minimum_spend: int,
                   skus: tuple[str, ...], categories: tuple[str, ...], max_uses: int, once_per_member: bool,
                   expires_on: datetime | None, prefix: str, csv_path: str | None) -> None:
    """Issue a batch of codes for a campaign (and export them as CSV)."""
    issue = issue_terms_from_dict({
        "voucher": {"value_kind": value_kind, "amount": amount, "percent": percent, "cap_amount": cap_amount,
                    "product_sku": product_sku, "minimum_spend": minimum_spend, "skus": list(skus),
                    "categories": list(categories)},
        "max_uses": max_uses, "once_per_member": once_per_member,
        "expires_on": expires_on.date() if expires_on else None, "prefix": prefix})
    database = Database(ctx.obj.database_url)
    caller = Caller(merchant_id=merchant_id, actor="cli")
    with database.write() as connection:
        merchant_timezone(connection, merchant_id)  # an unknown merchant is an error, not a traceback
        batch = create_batch(connection, caller, name, count, issue, utc_now())
        text = batch_codes_csv(connection, merchant_id, int(batch["id"]))
    if csv_path:
        Path(csv_path).write_text(text, encoding="utf-8")
        click.echo(f"batch {batch['id']}: {count} codes written to {csv_path}")
    else:
        click.echo(text, nl=False)
