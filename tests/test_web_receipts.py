"""Receipts on thermal printers (ESC/POS bytes to a real TCP listener), formats, and the message catalogue."""

from __future__ import annotations

import socket
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

from setia.adapters.print.escpos_printer import PrinterUnavailable
from setia.domain.errors import Forbidden
from setia.entrypoints.web.i18n import rupiah, when
from setia.entrypoints.web.receipt_text import receipt_lines
from setia.entrypoints.web.translations import build
from setia.services.catalogue import ProductDetails, create_product
from setia.services.printing import print_receipt, set_printer
from setia.services.register import Cart, CartLine, finish_sale
from setia.services.shifts import open_shift
from setia.services.staff import create_staff, get_staff_member
from setia.services.merchants import list_outlets

from tests.web_support import Listener, cheap_password_hashing


@pytest.fixture(autouse=True)
def _cheap_hashing():
    with cheap_password_hashing():
        yield


def _sale_to_a_member(shop, role: str = "manager"):  # type: ignore[no-untyped-def]
    shop.configure(spend_rule={"step_amount": 15000, "points_per_step": 1}, expiry={"kind": "months", "length": 12})
    member_id = shop.member("Siti Rahayu")
    with shop.database.write() as connection:
        outlet_id = int(list_outlets(connection, shop.merchant_id)[0]["id"])
        staff_id = create_staff(connection, shop.merchant_id, f"kasir-{uuid.uuid4().hex[:8]}", "Wulan", role,
                                "rahasia-123", shop.now, outlet_id=outlet_id)
        staff = get_staff_member(connection, shop.merchant_id, staff_id)
        product_id = create_product(connection, shop.merchant_id, ProductDetails(sku="KOPI", name="Es Kopi Susu",
                                                                                 price=25000), shop.now)
        open_shift(connection, staff, "100000", shop.now)
        sale = finish_sale(connection, staff, Cart(external_id=f"t-{uuid.uuid4().hex}", member_id=member_id,
                                                   lines=[CartLine(product_id, 2)], tenders={"cash": 100000}),
                           shop.now)
    return staff, outlet_id, sale


def test_the_receipt_goes_to_the_printer_as_escpos(shop):
    staff, outlet_id, sale = _sale_to_a_member(shop)
    listener = Listener()
    with shop.database.write() as connection:
        set_printer(connection, staff, outlet_id, "127.0.0.1", listener.port, 58, "Sampai jumpa lagi")
    with shop.database.read() as connection:
        sent = print_receipt(connection, staff, int(sale["id"]), lambda document, width: receipt_lines(
            document, width, "id"), shop.now)
    listener.thread.join(timeout=5)
    data = listener.received
    assert sent["bytes"] == len(data) and data.startswith(b"\x1b@")  # ESC @: initialise
    assert data.endswith(b"\x1dV\x00")  # GS V: cut
    text = data.decode("ascii", errors="replace")
    assert "Es Kopi Susu" in text and "Rp50.000" in text and "Kembalian" in text
    assert "1 per Rp15000" in text  # each rule's contribution
    assert "Poin didapat" in text and "+3" in text and "Saldo poin" in text
    assert "3 poin hangus pada 10 Mar 2027" in text
    assert sale["points"]["earned"] == 3
    member_number = shop.view(int(sale["member_id"]))["member_number"]
    assert member_number in text  # printed, and as a CODE128 barcode
    assert all(len(line) <= 32 for line in text.split("\n")[1:-1] if "\x1b" not in line and "\x1d" not in line)


def test_a_printer_that_does_not_answer_is_reported(shop):
    staff, outlet_id, sale = _sale_to_a_member(shop)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens here
    with shop.database.write() as connection:
        set_printer(connection, staff, outlet_id, "127.0.0.1", port, 80)
    with shop.database.read() as connection, pytest.raises(PrinterUnavailable):
        print_receipt(connection, staff, int(sale["id"]), lambda document, width: receipt_lines(document, width),
                      shop.now)


def test_a_cashier_cannot_set_the_printer(shop):
    staff, outlet_id, _ = _sale_to_a_member(shop, role="cashier")
    with shop.database.write() as connection, pytest.raises(Forbidden):
        set_printer(connection, staff, outlet_id, "127.0.0.1", 9100, 80)


def test_rupiah_and_dates_as_indonesians_write_them():
    assert rupiah(15000) == "Rp15.000"
    assert rupiah(1250000) == "Rp1.250.000"
    assert rupiah(-2000) == "-Rp2.000"
    instant = datetime(2026, 12, 2, 7, 5, tzinfo=timezone.utc)
    assert when(instant, "Asia/Jakarta", "id") == "2 Des 2026 14.05"
    assert when(instant, "Asia/Makassar", "id") == "2 Des 2026 15.05"
    assert when(instant, "Asia/Jakarta", "en") == "2 Dec 2026 14.05"


def test_the_committed_catalogue_is_compiled_from_the_source():
    # A clean checkout works without a build step: the .mo is committed and must match id_messages.ID.
    committed = (Path(build.FOLDER) / "messages.mo").read_bytes()
    assert committed == build.compiled(), "run: python -m setia.entrypoints.web.translations.build"


def test_every_text_on_the_pages_has_an_indonesian_translation():
    from babel.messages.extract import extract_from_dir

    from setia.entrypoints.web.translations.id_messages import ID

    web = Path(build.HERE).parent
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    found = {message for _, _, message, *_ in extract_from_dir(str(web), method_map, keywords={"_": None,
                                                                                               "gettext": None})
             if isinstance(message, str)}
    assert sorted(found - set(ID)) == []


def test_the_printed_receipt_shows_the_tier_stamps_and_vouchers(shop):
    from setia.queries.register import receipt
    from setia.services import vouchers as voucher_service

    shop.configure(tiers={"basis": "spend", "window": "lifetime", "levels": [
                       {"code": "silver", "name": "Silver", "threshold": 100000},
                       {"code": "gold", "name": "Gold", "threshold": 500000, "discount_percent": 10}]},
                   stamp_cards=[{"id": "kopi", "name": "Kartu Kopi", "per": "item", "skus": ["KOPI"], "card_size": 2,
                                 "reward": {"kind": "free_product", "product_sku": "KOPI"}}])
    with shop.database.write() as connection:
        terms = voucher_service.issue_terms_from_dict({"voucher": {"value_kind": "fixed", "amount": 5000}})
        batch = voucher_service.create_batch(connection, shop.caller, "launch", 1, terms, shop.now)
        code = voucher_service.batch_codes_csv(connection, shop.merchant_id, int(batch["id"])).split()[1].split(",")[0]
    staff, _, first_sale = _sale_to_a_member(shop)  # 2 coffees: Rp50.000, a full coffee card
    member_id = int(first_sale["member_id"])
    with shop.database.write() as connection:
        product_id = create_product(connection, shop.merchant_id, ProductDetails(sku="KUE", name="Kue", price=70000),
                                    shop.now)
    with shop.database.write() as connection:
        sale = finish_sale(connection, staff, Cart(external_id=f"t-{uuid.uuid4().hex}", member_id=member_id,
                                                   lines=[CartLine(product_id, 1)], voucher_codes=[code]), shop.now)
        document = receipt(connection, shop.merchant_id, int(sale["id"]), shop.now)
    text = "\n".join(line.text for line in receipt_lines(document, 58, "id"))
    assert f"Voucher {code}" in text and "-Rp5.000" in text
    assert "Tingkat: Silver" in text and "Rp385.000 lagi menuju Gold" in text  # 50.000 + 65.000 spent
    assert all(len(line) <= 32 for line in text.split("\n"))
    with shop.database.read() as connection:
        first = receipt(connection, shop.merchant_id, int(first_sale["id"]), shop.now)
    first_text = "\n".join(line.text for line in receipt_lines(first, 58, "id"))
    assert "Stempel: Kartu Kopi" in first_text and "+2" in first_text
    assert "Kartu penuh: Kartu Kopi" in first_text
