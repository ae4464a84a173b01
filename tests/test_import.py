"""Moving a shop onto Setia with its past sales: `setia import sales`, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from setia.adapters.db.tables import lots, sale_lines, sales, transfers
from setia.domain.errors import ValidationFailed
from setia.entrypoints.cli import main
from setia.queries.members import resolve_member_id
from setia.services.identifiers import member_number_for
from setia.services.imports import import_sales_csv

HEADER = "external_id,occurred_at,member_phone,member_number,member_name,total,outlet_id,description\n"


def write_csv(tmp_path, *rows: str, name: str = "sales.csv") -> str:
    path = tmp_path / name
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return str(path)


def member_by_phone(shop, phone: str) -> int:
    with shop.database.read() as connection:
        return resolve_member_id(connection, shop.merchant_id, phone=phone)


def count(shop, table) -> int:
    with shop.database.read() as connection:
        return connection.execute(select(func.count()).select_from(table)
                                  .where(table.c.merchant_id == shop.merchant_id)).scalar_one()


def test_past_sales_give_members_the_points_they_earned(shop, tmp_path):
    # Given a shop (1 point per Rp10.000) where Siti is already a member
    siti = shop.member("Siti", phone="081234567890")
    siti_number = shop.view(siti)["member_number"]

    # When it imports its history: Siti by phone and by member number, two new customers, one walk-in
    path = write_csv(
        tmp_path,
        "S-1,2026-03-01 10:00,+62 812-3456-7890,,,125000,,Kopi dan roti",
        f"S-2,2026-03-02T09:30:00+07:00,,{siti_number},,80000,,",
        "S-3,2026-03-03 19:45,0813-1111-2222,,Budi Santoso,250000,,",
        "S-4,2026-03-04 08:00,6281311112222,,,99999,,",  # Budi again, registered by the batch before
        "S-5,2026-03-05 12:00,085722223333,,Citra Dewi,30000,,",
        "S-6,2026-03-05 18:00,0857-2222-3333,,Citra Dewi,45000,,",  # Citra again, in the same batch
        "S-7,2026-03-06 12:00,,,,500000,,",
    )
    summary = import_sales_csv(shop.database, shop.merchant_id, path, shop.now, batch_size=3)

    # Then every sale is recorded and members earn floor(total / 10.000) points per sale
    assert (summary.imported, summary.skipped, summary.errors) == (7, 0, [])
    assert (summary.points, summary.members_created) == (12 + 8 + 25 + 9 + 3 + 4, 2)
    budi, citra = member_by_phone(shop, "081311112222"), member_by_phone(shop, "085722223333")
    assert (shop.balance(siti), shop.balance(budi), shop.balance(citra)) == (20, 34, 7)
    assert shop.view(budi)["name"] == "Budi Santoso"

    # And an imported sale reads like one rung up at the till, on its own date
    with shop.database.read() as connection:
        sale = connection.execute(select(sales).where(sales.c.merchant_id == shop.merchant_id,
                                                      sales.c.external_id == "S-1")).one()
    assert (sale.member_id, sale.total_due, sale.earn_base, sale.points_earned) == (siti, 125000, 125000, 12)
    assert sale.occurred_at.isoformat() == "2026-03-01T03:00:00+00:00"  # 10:00 in Jakarta
    assert count(shop, sales) == 7
    assert count(shop, transfers) == 6  # one earn per member sale; the walk-in earns nothing


def test_history_past_its_expiry_day_is_expired_at_once(shop, tmp_path):
    # Given points that expire 12 months after earning; today is 10 March 2026 in Jakarta
    shop.configure(expiry={"kind": "months", "length": 12})

    # When Dewi's sales of the past 15 months are imported, two to a batch
    path = write_csv(
        tmp_path,
        "E-1,2025-03-09 10:00,081355556666,,Dewi,100000,,",  # last day 2026-03-09: gone
        "E-2,2025-03-10 10:00,081355556666,,Dewi,200000,,",  # last day today
        "E-3,2025-03-09T17:30:00+00:00,081355556666,,Dewi,300000,,",  # 00:30 on the 10th in Jakarta
        "E-4,2024-12-01 08:00,081355556666,,Dewi,50000,,",  # last day 2025-12-01: gone
    )
    summary = import_sales_csv(shop.database, shop.merchant_id, path, shop.now, batch_size=2)

    # Then the lots expire on their own business day, and those already past it are expired now
    dewi = member_by_phone(shop, "081355556666")
    assert (summary.points, summary.points_expired) == (65, 15)
    assert shop.view(dewi)["points"] == {"balance": 50, "debt": 0,
                                         "expiring": [{"expires_on": "2026-03-10", "points": 50}]}
    with shop.database.read() as connection:
        lot_rows = connection.execute(
            select(lots.c.amount, lots.c.remaining, lots.c.expired_amount, lots.c.earned_on, lots.c.expires_on)
            .where(lots.c.member_id == dewi).order_by(lots.c.id)).all()
        expiries = connection.execute(select(transfers.c.amount).where(
            transfers.c.member_id == dewi, transfers.c.reason == "expire").order_by(transfers.c.id)).scalars().all()
    assert [tuple(row) for row in lot_rows] == [
        (10, 0, 10, date(2025, 3, 9), date(2026, 3, 9)),
        (20, 20, 0, date(2025, 3, 10), date(2026, 3, 10)),
        (30, 30, 0, date(2025, 3, 10), date(2026, 3, 10)),
        (5, 0, 5, date(2024, 12, 1), date(2025, 12, 1)),
    ]
    assert expiries == [10, 5]  # each batch expires what it brought in


def test_history_earns_by_the_spend_rule_alone(shop, tmp_path):
    # Given double points on every sale at the till
    shop.configure(earn_rules=[{"id": "double", "name": "Double points", "kind": "multiplier", "multiplier": "2"}])
    ayu = shop.member("Ayu", phone="081388889999")
    assert shop.sell(ayu, ("Tas", 1, 100000))["points"]["earned"] == 20

    # When a sale of the same amount comes from the old system, the promotion of today doesn't apply to it
    path = write_csv(tmp_path, "H-1,2025-11-02 10:00,081388889999,,,100000,,")
    summary = import_sales_csv(shop.database, shop.merchant_id, path, shop.now)
    assert (summary.imported, summary.points) == (1, 10)
    assert shop.balance(ayu) == 30


def test_points_of_a_member_in_debt_repay_the_debt_first(shop, tmp_path):
    # Given Joko owes 92 points after a refund (his points had been spent)
    voucher = shop.reward(name="Rp20.000 off", kind="fixed_discount", points_cost=100, discount_amount=20000)
    joko = shop.member("Joko", phone="081298765432")
    big = shop.sell(joko, ("Kulkas", 1, 1000000))
    shop.sell(joko, ("Rice cooker", 1, 100000), reward_ids=[voucher])
    shop.refund(big)
    assert (shop.debt(joko), shop.balance(joko)) == (92, -92)

    # When his older sales are imported, in one batch with another member's
    path = write_csv(tmp_path,
                     "D-1,2026-02-01 10:00,081298765432,,,500000,,",
                     "D-2,2026-02-02 10:00,081377778888,,Maya,120000,,",
                     "D-3,2026-02-03 10:00,081298765432,,,600000,,")
    summary = import_sales_csv(shop.database, shop.merchant_id, path, shop.now)

    # Then his 50 + 60 points repay the 92 first and the other 18 are his to spend
    assert (summary.imported, summary.points) == (3, 122)
    assert (shop.debt(joko), shop.balance(joko)) == (0, 18)
    assert shop.balance(member_by_phone(shop, "081377778888")) == 12


def test_running_the_same_file_again_imports_nothing_twice(shop, tmp_path):
    path = write_csv(tmp_path,
                     "R-1,2026-01-10 10:00,081244445555,,Agus,150000,,",
                     "R-2,2026-01-11 10:00,,,,70000,,")
    first = import_sales_csv(shop.database, shop.merchant_id, path, shop.now)
    agus = member_by_phone(shop, "081244445555")
    rows_before = (count(shop, sales), count(shop, transfers), count(shop, lots))

    again = import_sales_csv(shop.database, shop.merchant_id, path, shop.now)

    assert (first.imported, first.points, first.members_created) == (2, 15, 1)
    assert (again.imported, again.skipped, again.errors, again.points, again.members_created) == (0, 2, [], 0, 0)
    assert shop.balance(agus) == 15
    assert (count(shop, sales), count(shop, transfers), count(shop, lots)) == rows_before

    # The same sale exported again with its time written in UTC and the phone written another way is the same sale
    reexported = write_csv(tmp_path, "R-1,2026-01-10T03:00:00Z,+62 812-4444-5555,,Agus,150000,,",
                           name="reexported.csv")
    assert import_sales_csv(shop.database, shop.merchant_id, reexported, shop.now).skipped == 1

    # A row whose external_id was imported with different contents is an error, not a silent skip
    changed = write_csv(tmp_path, "R-1,2026-01-10 10:00,081244445555,,Agus,990000,,", name="changed.csv")
    with shop.database.read() as connection:
        sale_id = connection.execute(select(sales.c.id).where(sales.c.merchant_id == shop.merchant_id,
                                                               sales.c.external_id == "R-1")).scalar_one()
    result = import_sales_csv(shop.database, shop.merchant_id, changed, shop.now)
    assert (result.imported, result.skipped) == (0, 0)
    assert result.errors == [(2, f"A different sale with external_id 'R-1' was already recorded (sale {sale_id}).")]
    assert shop.balance(agus) == 15


def test_bad_rows_are_reported_by_line_and_the_rest_is_imported(shop, tmp_path):
    unknown_number = member_number_for(999_999)
    path = write_csv(
        tmp_path,
        "B-1,2026-02-01 10:00,081266667777,,Rina,100000,,",
        "B-2,2026-02-01 11:00,,,,,,",
        "B-3,2026-02-01 12:00,,,,-5000,,",
        "B-4,kemarin,,,,10000,,",
        f"B-5,2026-02-01 13:00,,{unknown_number},,10000,,",
        "B-6,2026-02-01 14:00,12345,,Eko,10000,,",
        "B-1,2026-02-01 15:00,,,,10000,,",
        'B-7,2026-02-02 10:00,081266667777,,Rina,200000,,"Kopi',
        'susu, dua gelas"',
        "B-8,2026-02-02 11:00,,,,12.500,,",
        "B-9,2026-03-11 09:00,,,,10000,,",  # tomorrow
        "B-10,2026-02-02 12:00,081399990000,,,10000,,",  # a new phone with no name to register
        "B-11,2026-02-02 13:00,,,,10000,99999999,",
    )
    summary = import_sales_csv(shop.database, shop.merchant_id, path, shop.now)

    assert summary.errors == [
        (3, "total is required."),
        (4, "total -5000 is negative."),
        (5, "occurred_at 'kemarin' is not 'YYYY-MM-DD HH:MM' or ISO 8601 with an offset."),
        (6, f"No member with number {unknown_number}."),
        (7, "'12345' is not a valid phone number."),
        (8, "external_id 'B-1' is already on line 2."),
        (11, "total '12.500' is not whole rupiah in digits (like 125000)."),
        (12, "occurred_at '2026-03-11 09:00' is in the future."),
        (13, "No member with phone +6281399990000; give member_name to register them."),
        (14, "outlet_id '99999999' is not an outlet of this merchant."),
    ]
    # The good rows are in (B-7's description spans lines 9 and 10), and nothing of the bad ones
    rina = member_by_phone(shop, "081266667777")
    assert (summary.imported, summary.points, summary.members_created) == (2, 30, 1)
    assert shop.balance(rina) == 30
    assert count(shop, sales) == 2
    with shop.database.read() as connection:
        names = connection.execute(select(sale_lines.c.name).where(sale_lines.c.merchant_id == shop.merchant_id)
                                   .order_by(sale_lines.c.id)).scalars().all()
    assert names == ["Imported sale", "Kopi\nsusu, dua gelas"]


def test_a_file_with_a_misspelt_column_is_refused_whole(shop, tmp_path):
    path = tmp_path / "typo.csv"
    path.write_text("external_id,occured_at,total\nX-1,2026-02-01 10:00,10000\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as refused:
        import_sales_csv(shop.database, shop.merchant_id, str(path), shop.now)
    assert refused.value.message.startswith("The header has missing column(s) occurred_at; "
                                            "unknown column(s) occured_at;")
    assert count(shop, sales) == 0


def test_the_command_prints_the_summary_and_fails_when_rows_were_rejected(shop, tmp_path):
    path = write_csv(tmp_path,
                     "C-1,2026-01-15 10:00,081211113333,,Putri,125000,,",
                     "C-2,2026-01-15 11:00,,,,,,")
    runner = CliRunner()
    result = runner.invoke(main, ["--database-url", shop.database.url, "import", "sales", path,
                                  "--merchant", str(shop.merchant_id)])

    assert result.exit_code == 2
    assert result.stdout == ("imported 1 sales, skipped 0 already imported, 1 rejected, 12 points earned, "
                             "1 members created\n")
    assert "line 3: total is required.\n" in result.stderr
    assert shop.balance(member_by_phone(shop, "081211113333")) == 12

    # Once the bad row is fixed, the same command imports just that row and succeeds
    fixed = write_csv(tmp_path,
                      "C-1,2026-01-15 10:00,081211113333,,Putri,125000,,",
                      "C-2,2026-01-15 11:00,,,,40000,,", name="fixed.csv")
    result = runner.invoke(main, ["--database-url", shop.database.url, "import", "sales", fixed,
                                  "--merchant", str(shop.merchant_id)])
    assert result.exit_code == 0
    assert result.stdout == ("imported 1 sales, skipped 1 already imported, 0 rejected, 0 points earned, "
                             "0 members created\n")
