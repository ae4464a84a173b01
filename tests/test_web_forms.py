"""Every form of the cashier app, on the server (FastAPI TestClient), on SQLite and PostgreSQL: bad input
gives a message next to the field and writes nothing; roles are checked on the server."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from setia.adapters.db.engine import Database
from setia.adapters.db.tables import (members, products, sales, shifts, staff, staff_sessions, stamp_cards,
                                      stock_levels, transfers, voucher_uses)
from setia.services.catalogue import ProductDetails, create_product
from setia.services.staff import create_staff
from setia.services.stock import RECEIVE, move_stock
from setia.services.merchants import list_outlets

from tests.shop import Shop
from tests.web_support import Listener, cheap_password_hashing, client_for, csrf_of, sign_in

PASSWORD = "rahasia-123"


@pytest.fixture(autouse=True)
def _cheap_hashing():
    with cheap_password_hashing():
        yield


@dataclass
class Till:
    shop: Shop
    database: Database
    outlet_id: int
    usernames: dict[str, str]
    coffee_id: int
    cake_id: int

    def client(self, role: str) -> tuple[TestClient, str]:
        client = client_for(self.database)
        return client, sign_in(client, self.usernames[role], PASSWORD)

    def count(self, table, *where) -> int:  # type: ignore[no-untyped-def]
        with self.database.read() as connection:
            return connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


@pytest.fixture
def till(shop: Shop) -> Till:
    suffix = uuid.uuid4().hex[:8]
    with shop.database.write() as connection:
        outlet_id = int(list_outlets(connection, shop.merchant_id)[0]["id"])
        usernames = {}
        for role in ("owner", "manager", "cashier"):
            usernames[role] = f"{role}-{suffix}"
            create_staff(connection, shop.merchant_id, usernames[role], role.title(), role, PASSWORD, shop.now,
                         outlet_id=None if role == "owner" else outlet_id)
        coffee = create_product(connection, shop.merchant_id, ProductDetails(
            sku="KOPI", name="Kopi Susu", price=25000, category="coffee", barcode="111"), shop.now)
        cake = create_product(connection, shop.merchant_id, ProductDetails(
            sku="KUE", name="Bolu Pandan", price=60000, category="cake", track_stock=True, reorder_level=5), shop.now)
        move_stock(connection, shop.merchant_id, outlet_id, cake, 20, RECEIVE, "test", shop.now)
    return Till(shop, shop.database, outlet_id, usernames, coffee, cake)


def _field_error(html: str, field_id: str) -> str:
    found = re.search(rf'id="{re.escape(field_id)}-error"[^>]*>([^<]+)<', html)
    assert found, f"no error next to {field_id}"
    return found.group(1)


def _open_shift(client: TestClient, csrf: str, amount: str = "100000") -> None:
    assert client.post("/shift/open", data={"csrf_token": csrf, "opening_cash": amount},
                       follow_redirects=False).status_code == 303


def _cart(csrf: str, *lines: tuple[int, int], **fields: str) -> dict:
    data: dict = {"csrf_token": csrf, "external_id": fields.pop("external_id", uuid.uuid4().hex),
                  "line_product": [str(p) for p, _ in lines], "line_qty": [str(q) for _, q in lines],
                  "line_price": fields.pop("line_price", [""] * len(lines)),
                  "line_reason": fields.pop("line_reason", [""] * len(lines)), "line_discount": [""] * len(lines)}
    data.update(fields)
    return data


# Sign-in ---------------------------------------------------------------------------------------------------
def test_sign_in_needs_a_username_and_the_right_password(till):
    client = client_for(till.database)
    token = csrf_of(client.get("/login").text)
    empty = client.post("/login", data={"username": "", "password": "x", "csrf_token": token})
    assert empty.status_code == 422 and "Masukkan nama pengguna." in empty.text
    wrong = client.post("/login", data={"username": till.usernames["cashier"], "password": "salah-sekali",
                                        "csrf_token": csrf_of(empty.text)})
    assert wrong.status_code == 401 and "Nama pengguna atau kata sandi salah." in wrong.text
    assert till.count(staff_sessions, staff_sessions.c.merchant_id == till.shop.merchant_id) == 0


def test_five_failures_lock_the_account_for_fifteen_minutes(till):
    client = client_for(till.database)
    username = till.usernames["manager"]
    for _ in range(5):
        response = client.post("/login", data={"username": username, "password": "wrong-password",
                                               "csrf_token": csrf_of(client.get("/login").text)})
    assert "dikunci 15 menit" in response.text
    # Even the right password is refused while the lock holds
    locked = client.post("/login", data={"username": username, "password": PASSWORD,
                                         "csrf_token": csrf_of(client.get("/login").text)})
    assert locked.status_code == 401 and "dikunci" in locked.text
    with till.database.read() as connection:
        assert connection.execute(select(staff.c.locked_until).where(staff.c.username == username)).scalar()


def test_sign_in_is_rate_limited_per_address(till):
    client = client_for(till.database)
    statuses = [client.post("/login", data={"username": "nobody", "password": "x",
                                            "csrf_token": csrf_of(client.get("/login").text)}).status_code
                for _ in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429


def test_sign_in_without_the_form_token_is_refused(till):
    client = client_for(till.database)
    client.get("/login")
    response = client.post("/login", data={"username": till.usernames["cashier"], "password": PASSWORD,
                                           "csrf_token": "forged"})
    assert response.status_code == 403
    assert till.count(staff_sessions, staff_sessions.c.merchant_id == till.shop.merchant_id) == 0


def test_a_post_without_the_session_csrf_token_writes_nothing(till):
    client, _ = till.client("cashier")
    response = client.post("/shift/open", data={"opening_cash": "100000"})
    assert response.status_code == 403
    assert till.count(shifts, shifts.c.merchant_id == till.shop.merchant_id) == 0


def test_pages_need_a_session(till):
    client = client_for(till.database)
    response = client.get("/pos", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


# Shift -----------------------------------------------------------------------------------------------------
def test_opening_a_shift_needs_an_amount_in_rupiah(till):
    client, csrf = till.client("cashier")
    response = client.post("/shift/open", data={"csrf_token": csrf, "opening_cash": "seratus"})
    assert response.status_code == 422
    assert _field_error(response.text, "opening_cash") == "Masukkan jumlah dalam rupiah, misalnya 150000."
    assert till.count(shifts, shifts.c.merchant_id == till.shop.merchant_id) == 0


def test_closing_a_shift_needs_the_counted_cash(till):
    client, csrf = till.client("cashier")
    _open_shift(client, csrf)
    with till.database.read() as connection:
        shift_id = connection.execute(select(shifts.c.id).where(shifts.c.merchant_id == till.shop.merchant_id)
                                      ).scalar_one()
    response = client.post(f"/pos/shift/{shift_id}/close", data={"csrf_token": csrf, "counted_cash": ""})
    assert response.status_code == 422
    assert _field_error(response.text, "counted_cash") == "Masukkan jumlah dalam rupiah."
    assert till.count(shifts, shifts.c.closed_at.is_not(None), shifts.c.id == shift_id) == 0


# Register --------------------------------------------------------------------------------------------------
def test_registering_a_member_at_the_till_checks_the_phone(till):
    client, csrf = till.client("cashier")
    _open_shift(client, csrf)
    response = client.post("/pos/cart", data=_cart(csrf, (till.coffee_id, 1), op="register_member",
                                                   new_name="Ayu", new_phone="12"))
    assert _field_error(response.text, "new_phone") == "Nomor HP tidak valid."
    no_name = client.post("/pos/cart", data=_cart(csrf, op="register_member", new_name=" ",
                                                  new_phone="0811-2233-4455"))
    assert _field_error(no_name.text, "new_name") == "Member perlu nama."
    assert till.count(members, members.c.merchant_id == till.shop.merchant_id) == 0


def test_a_cashier_cannot_change_a_price_and_a_manager_must_say_why(till):
    cashier, csrf = till.client("cashier")
    _open_shift(cashier, csrf)
    refused = cashier.post("/pos/cart", data=_cart(csrf, (till.coffee_id, 1), op="update", line_price=["1000"],
                                                   line_reason=["teman"]))
    assert refused.status_code == 403
    manager, manager_csrf = till.client("manager")
    _open_shift(manager, manager_csrf)
    no_reason = manager.post("/pos/cart", data=_cart(manager_csrf, (till.coffee_id, 1), op="update",
                                                     line_price=["20000"]))
    assert _field_error(no_reason.text, "lines-0-price_reason") == "Perubahan harga perlu alasan."
    priced = manager.post("/pos/cart", data=_cart(manager_csrf, (till.coffee_id, 1), op="update",
                                                  line_price=["20000"], line_reason=["promo"]))
    assert 'id="total-due">Rp20.000<' in priced.text


def test_a_bad_quantity_is_shown_next_to_the_line_and_nothing_is_sold(till):
    client, csrf = till.client("cashier")
    _open_shift(client, csrf)
    response = client.post("/pos/cart", data=_cart(csrf, (till.cake_id, 1), op="finish") | {"line_qty": ["dua"]})
    assert _field_error(response.text, "lines-0-quantity") == "Masukkan jumlah 1 sampai 9999."
    assert till.count(stock_levels, stock_levels.c.quantity == 20, stock_levels.c.product_id == till.cake_id) == 1


def test_finishing_a_sale_takes_stock_down_and_a_retry_records_it_once(till):
    client, csrf = till.client("cashier")
    _open_shift(client, csrf)
    data = _cart(csrf, (till.cake_id, 2), op="finish", cash="150000")
    first = client.post("/pos/cart", data=data, headers={"HX-Request": "true"})
    again = client.post("/pos/cart", data=data, headers={"HX-Request": "true"})
    assert first.headers["HX-Redirect"] == again.headers["HX-Redirect"]
    assert till.count(stock_levels, stock_levels.c.quantity == 18, stock_levels.c.product_id == till.cake_id) == 1
    receipt = client.get(first.headers["HX-Redirect"])
    assert 'id="receipt-change">Rp30.000<' in receipt.text


# Refunds ---------------------------------------------------------------------------------------------------
def _sell(client: TestClient, csrf: str, product_id: int, quantity: int) -> str:
    """Sell for exact cash; returns the sale id."""
    response = client.post("/pos/cart", data=_cart(csrf, (product_id, quantity), op="finish"),
                           headers={"HX-Request": "true"})
    return response.headers["HX-Redirect"].split("/")[3]


def test_a_refund_needs_a_reason_and_above_the_limit_a_manager(till):
    client, csrf = till.client("cashier")
    _open_shift(client, csrf)
    sale_id = _sell(client, csrf, till.cake_id, 3)  # Rp180.000
    refund_page = client.get(f"/pos/sales/{sale_id}/refund").text
    line_field = re.search(r'name="(qty_\d+)"', refund_page).group(1)
    no_reason = client.post(f"/pos/sales/{sale_id}/refund", data={"csrf_token": csrf, line_field: "1"})
    assert _field_error(no_reason.text, "reason") == "Refund perlu alasan."
    # Rp120.000 is above a cashier's Rp100.000: a manager approves with their password
    unapproved = client.post(f"/pos/sales/{sale_id}/refund", data={"csrf_token": csrf, line_field: "2",
                                                                  "reason": "basi"})
    assert "Perlu persetujuan manajer" in _field_error(unapproved.text, "approver_username")
    wrong = client.post(f"/pos/sales/{sale_id}/refund", data={
        "csrf_token": csrf, line_field: "2", "reason": "basi", "approver_username": till.usernames["manager"],
        "approver_password": "wrong-password"})
    assert _field_error(wrong.text, "approver_password")
    assert till.count(stock_levels, stock_levels.c.quantity == 17, stock_levels.c.product_id == till.cake_id) == 1
    approved = client.post(f"/pos/sales/{sale_id}/refund", data={
        "csrf_token": csrf, line_field: "2", "reason": "basi", "approver_username": till.usernames["manager"],
        "approver_password": PASSWORD}, follow_redirects=False)
    assert approved.status_code == 303
    assert till.count(stock_levels, stock_levels.c.quantity == 19, stock_levels.c.product_id == till.cake_id) == 1


def test_the_refund_preview_writes_nothing(till):
    client, csrf = till.client("cashier")
    _open_shift(client, csrf)
    sale_id = _sell(client, csrf, till.cake_id, 2)
    line_field = re.search(r'name="(qty_\d+)"', client.get(f"/pos/sales/{sale_id}/refund").text).group(1)
    preview = client.post(f"/pos/sales/{sale_id}/refund/preview", data={"csrf_token": csrf, line_field: "1"})
    assert 'id="preview-money">Rp60.000<' in preview.text
    too_many = client.post(f"/pos/sales/{sale_id}/refund/preview", data={"csrf_token": csrf, line_field: "5"})
    assert "Hanya 2 lagi" in too_many.text
    assert till.count(stock_levels, stock_levels.c.quantity == 18, stock_levels.c.product_id == till.cake_id) == 1


# Back office -----------------------------------------------------------------------------------------------
def test_only_the_owner_adds_staff_and_the_form_checks_every_field(till):
    cashier, cashier_csrf = till.client("cashier")
    assert cashier.post("/admin/staff", data={"csrf_token": cashier_csrf, "username": "x", "name": "X",
                                              "role": "owner", "password": "12345678"}).status_code == 403
    owner, csrf = till.client("owner")
    before = till.count(staff, staff.c.merchant_id == till.shop.merchant_id)
    short = owner.post("/admin/staff", data={"csrf_token": csrf, "username": "baru", "name": "Baru",
                                             "role": "cashier", "password": "123"})
    assert _field_error(short.text, "password") == "Kata sandi minimal 8 karakter."
    taken = owner.post("/admin/staff", data={"csrf_token": csrf, "username": till.usernames["cashier"],
                                             "name": "Baru", "role": "cashier", "password": "12345678"})
    assert _field_error(taken.text, "username") == "Nama pengguna ini sudah dipakai."
    bad_role = owner.post("/admin/staff", data={"csrf_token": csrf, "username": f"u{uuid.uuid4().hex[:6]}",
                                                "name": "Baru", "role": "boss", "password": "12345678"})
    assert _field_error(bad_role.text, "role")
    assert till.count(staff, staff.c.merchant_id == till.shop.merchant_id) == before


def test_the_product_form_and_the_csv_import(till):
    owner, csrf = till.client("owner")
    bad_price = owner.post("/admin/products", data={"csrf_token": csrf, "sku": "TEH", "name": "Teh",
                                                    "price": "dua ribu"})
    assert _field_error(bad_price.text, "price") == "Harga berupa angka rupiah bulat, misalnya 25000."
    duplicate = owner.post("/admin/products", data={"csrf_token": csrf, "sku": "kopi", "name": "Kopi",
                                                    "price": "1000"})
    assert _field_error(duplicate.text, "sku")
    assert till.count(products, products.c.merchant_id == till.shop.merchant_id) == 2
    csv_text = "sku,name,price,category,barcode,track_stock\nTEH,Teh Manis,8000,tea,222,ya\nKOPI,Kopi,1,,,\n"
    imported = owner.post("/admin/products/import", data={"csrf_token": csrf},
                          files={"file": ("produk.csv", csv_text, "text/csv")})
    assert "1 produk diimpor." in imported.text and "Baris 3" in imported.text
    assert till.count(products, products.c.merchant_id == till.shop.merchant_id) == 3


def test_a_stock_count_needs_a_reason_and_sets_the_count(till):
    manager, csrf = till.client("manager")
    no_reason = manager.post("/admin/stock/count", data={"csrf_token": csrf, "product_id": str(till.cake_id),
                                                         "counted": "7", "reason": ""})
    assert _field_error(no_reason.text, "reason") == "Koreksi stok perlu alasan."
    manager.post("/admin/stock/count", data={"csrf_token": csrf, "product_id": str(till.cake_id), "counted": "4",
                                             "reason": "hitung mingguan"})
    low = manager.get("/admin/stock?low=1").text
    assert "Bolu Pandan" in low  # 4 is at or below the reorder level of 5
    cashier, cashier_csrf = till.client("cashier")
    assert cashier.post("/admin/stock/count", data={"csrf_token": cashier_csrf, "product_id": str(till.cake_id),
                                                    "counted": "100", "reason": "x"}).status_code == 403
    assert till.count(stock_levels, stock_levels.c.quantity == 4, stock_levels.c.product_id == till.cake_id) == 1


def test_adjusting_points_needs_a_manager_and_a_reason(till):
    member_id = till.shop.member("Rina")
    cashier, cashier_csrf = till.client("cashier")
    assert cashier.post(f"/pos/members/{member_id}/adjust", data={
        "csrf_token": cashier_csrf, "points": "100", "reason": "bonus"}).status_code == 403
    manager, csrf = till.client("manager")
    no_reason = manager.post(f"/pos/members/{member_id}/adjust", data={"csrf_token": csrf, "points": "100",
                                                                      "reason": ""})
    assert _field_error(no_reason.text, "reason") == "Penyesuaian perlu alasan."
    not_a_number = manager.post(f"/pos/members/{member_id}/adjust", data={"csrf_token": csrf, "points": "banyak",
                                                                         "reason": "bonus"})
    assert _field_error(not_a_number.text, "points")
    assert till.count(transfers, transfers.c.member_id == member_id) == 0


def test_the_printer_form_checks_the_port(till):
    manager, csrf = till.client("manager")
    response = manager.post("/admin/printer", data={"csrf_token": csrf, "printer_host": "192.168.1.50",
                                                    "printer_port": "99999", "paper_width_mm": "58"})
    assert _field_error(response.text, "printer_port") == "Port berupa angka 1 sampai 65535."


def test_english_by_choice(till):
    client, csrf = till.client("cashier")
    client.post("/language", data={"csrf_token": csrf, "language": "en", "next": "/pos/sales"})
    assert "Recent sales" in client.get("/pos/sales").text


def test_a_cashier_voids_only_with_a_manager_and_sees_only_their_own_shifts(till):
    cashier, csrf = till.client("cashier")
    _open_shift(cashier, csrf)
    sale_id = _sell(cashier, csrf, till.coffee_id, 1)
    refused = cashier.post(f"/pos/sales/{sale_id}/refund", data={"csrf_token": csrf, "void": "1",
                                                                "reason": "salah input"})
    assert "Perlu persetujuan manajer" in _field_error(refused.text, "approver_username")
    voided = cashier.post(f"/pos/sales/{sale_id}/refund", data={
        "csrf_token": csrf, "void": "1", "reason": "salah input", "approver_username": till.usernames["manager"],
        "approver_password": PASSWORD}, follow_redirects=False)
    assert voided.status_code == 303
    assert "dibatalkan" in cashier.get(f"/pos/sales/{sale_id}/receipt").text
    manager, manager_csrf = till.client("manager")
    _open_shift(manager, manager_csrf)
    with till.database.read() as connection:
        manager_shift = connection.execute(select(shifts.c.id).join(staff, staff.c.id == shifts.c.staff_id).where(
            staff.c.username == till.usernames["manager"])).scalar_one()
    assert cashier.get(f"/pos/shifts/{manager_shift}").status_code == 403
    assert manager.get(f"/pos/shifts/{manager_shift}").status_code == 200


def test_staff_never_see_another_merchants_sales_or_members(till, database):
    client, csrf = till.client("cashier")
    _open_shift(client, csrf)
    sale_id = _sell(client, csrf, till.cake_id, 1)
    other = Shop.open(database, till.shop.now, name="Toko Lain")
    stranger_id = other.member("Orang Lain")
    with database.write() as connection:
        username = f"owner-{uuid.uuid4().hex[:8]}"
        create_staff(connection, other.merchant_id, username, "Lain", "owner", PASSWORD, other.now)
    intruder = client_for(database)
    intruder_csrf = sign_in(intruder, username, PASSWORD)
    assert intruder.get(f"/pos/sales/{sale_id}/receipt").status_code == 404
    assert intruder.get(f"/pos/sales/{sale_id}/refund").status_code == 404
    # A cart naming another merchant's product or member prices nothing of theirs
    _open_shift(intruder, intruder_csrf)
    response = intruder.post("/pos/cart", data=_cart(intruder_csrf, (till.cake_id, 1), op="finish"))
    assert "Produk ini tidak ada di katalog." in response.text
    member_view = client.post("/pos/cart", data=_cart(csrf, (till.coffee_id, 1), op="update",
                                                      member_id=str(stranger_id)))
    assert "Orang Lain" not in member_view.text and "Member tidak ditemukan." in member_view.text
    assert till.count(stock_levels, stock_levels.c.quantity == 19, stock_levels.c.product_id == till.cake_id) == 1


def test_most_points_fills_what_the_program_allows(till):
    till.shop.configure(points_payment={"enabled": True, "rupiah_per_point": 100, "minimum_points": 10,
                                        "maximum_share_percent": 50})
    member_id = till.shop.member("Dewi")
    till.shop.adjust(member_id, 300, "welcome")
    client, csrf = till.client("cashier")
    _open_shift(client, csrf)
    response = client.post("/pos/cart", data=_cart(csrf, (till.coffee_id, 1), op="points_max",
                                                   member_id=str(member_id)))
    assert 'name="points" value="125"' in response.text  # half of Rp25.000 at Rp100 a point
    assert 'id="points-paid">−Rp12.500<' in response.text
    too_many = client.post("/pos/cart", data=_cart(csrf, (till.coffee_id, 1), op="points", points="200",
                                                   member_id=str(member_id)))
    assert "Poin hanya bisa membayar sebagian tagihan" in _field_error(too_many.text, "points")
    assert 'name="points" value=""' in too_many.text  # the refused change is taken back


def test_the_receipt_page_sends_to_the_outlet_printer(till):
    listener = Listener()
    manager, csrf = till.client("manager")
    manager.post("/admin/printer", data={"csrf_token": csrf, "printer_host": "127.0.0.1",
                                         "printer_port": str(listener.port), "paper_width_mm": "80"})
    _open_shift(manager, csrf)
    sale_id = _sell(manager, csrf, till.coffee_id, 1)
    response = manager.post(f"/pos/sales/{sale_id}/print", data={"csrf_token": csrf})
    listener.thread.join(timeout=5)
    assert "Terkirim ke printer di 127.0.0.1." in response.text
    assert b"Kopi Susu" in listener.received and b"Rp25.000" in listener.received


# The program at the till: tiers, stamp cards, vouchers, rewards open to the member -------------------------
TIERS = {"basis": "spend", "window": "rolling_months", "window_months": 12, "review_months": 12, "levels": [
    {"code": "silver", "name": "Silver", "threshold": 1000000},
    {"code": "gold", "name": "Gold", "threshold": 5000000, "discount_percent": 10},
    {"code": "platinum", "name": "Platinum", "threshold": 15000000, "discount_percent": 15}]}
COFFEE_CARD = {"id": "kopi", "name": "Kartu Kopi", "per": "item", "categories": ["coffee"], "card_size": 9,
               "reward": {"kind": "free_product", "product_sku": "KOPI"}}
COFFEES = ("Kopi Susu", 1, 25000, "KOPI", "coffee")


@pytest.fixture
def no_voucher_limits():
    from setia.adapters.rate_limit import voucher_lookup_failures

    voucher_lookup_failures.reset()  # per process; merchant ids repeat between the SQLite and PostgreSQL runs
    yield voucher_lookup_failures
    voucher_lookup_failures.reset()


def _coffees(count: int) -> tuple:
    return (COFFEES[0], count, *COFFEES[2:])


def _set_tier(till: Till, member_id: int, tier_code: str | None) -> None:
    with till.database.write() as connection:
        connection.execute(members.update().where(members.c.id == member_id).values(tier_code=tier_code))


def test_the_member_panel_shows_the_tier_its_progress_and_the_stamp_cards(till):
    till.shop.configure(tiers=TIERS, stamp_cards=[COFFEE_CARD])
    siti = till.shop.member("Siti")
    till.shop.sell(siti, _coffees(6))  # Rp150.000 spent, 6 stamps
    _set_tier(till, siti, "gold")
    client, csrf = till.client("cashier")
    _open_shift(client, csrf)
    response = client.post("/pos/cart", data=_cart(csrf, (till.cake_id, 1), op="update", member_id=str(siti)))
    html = response.text
    assert re.search(r'id="member-tier">Tingkat: <b>Gold</b>', html)
    assert "Rp14.850.000 lagi menuju Platinum" in html
    assert "Kartu Kopi 6/9" in html
    # The quote applies the tier discount by itself; the totals name it
    assert "Diskon Gold" in html and 'id="tier-discount">−Rp6.000<' in html
    assert 'id="total-due">Rp54.000<' in html
    client.post("/language", data={"csrf_token": csrf, "language": "en", "next": "/pos"})
    english = client.post("/pos/cart", data=_cart(csrf, (till.cake_id, 1), op="update", member_id=str(siti))).text
    assert "Rp14.850.000 more to Platinum" in english and "Gold discount" in english


def test_a_full_stamp_card_is_redeemed_at_the_till(till):
    till.shop.configure(stamp_cards=[COFFEE_CARD])
    budi = till.shop.member("Budi")
    till.shop.sell(budi, _coffees(9))
    client, csrf = till.client("cashier")
    _open_shift(client, csrf)
    panel = client.post("/pos/cart", data=_cart(csrf, (till.coffee_id, 2), op="update", member_id=str(budi))).text
    card_id = re.search(r'data-op="stamp_card:(\d+)"', panel).group(1)
    assert "Kartu Kopi 9/9 · penuh: tukar" in panel
    chosen = client.post("/pos/cart", data=_cart(csrf, (till.coffee_id, 2), op=f"stamp_card:{card_id}",
                                                 member_id=str(budi))).text
    assert f'name="stamp_card_id" value="{card_id}"' in chosen
    assert 'id="total-due">Rp25.000<' in chosen  # one coffee free
    assert "ditukar di transaksi ini" in chosen
    finish = client.post("/pos/cart", data=_cart(csrf, (till.coffee_id, 2), op="finish", member_id=str(budi),
                                                 stamp_card_id=card_id), headers={"HX-Request": "true"})
    receipt = client.get(finish.headers["HX-Redirect"]).text
    assert "Kartu stempel ditukar: Kartu Kopi" in receipt
    assert 'id="receipt-total">Rp25.000<' in receipt
    with till.database.read() as connection:
        status = connection.execute(select(stamp_cards.c.status).where(stamp_cards.c.id == int(card_id))).scalar()
    assert status == "redeemed"
    # The same card again is refused next to the cards, and the sale stays as it was
    again = client.post("/pos/cart", data=_cart(csrf, (till.coffee_id, 2), op=f"stamp_card:{card_id}",
                                                member_id=str(budi))).text
    assert _field_error(again, "stamp_cards") == "Kartu stempel ini tidak bisa ditukar pada transaksi ini."
    assert 'name="stamp_card_id"' not in again and 'id="total-due">Rp50.000<' in again


def test_a_voucher_is_applied_and_an_invalid_one_is_refused_with_nothing_written(till, no_voucher_limits):
    from setia.services import vouchers as voucher_service

    with till.database.write() as connection:
        batch = voucher_service.create_batch(connection, till.shop.caller, "launch", 1, voucher_service.
                                             issue_terms_from_dict({"voucher": {"value_kind": "fixed",
                                                                                "amount": 10000}}), till.shop.now)
        code = voucher_service.batch_codes_csv(connection, till.shop.merchant_id, int(batch["id"])).split()[1]
    code = code.split(",")[0]
    client, csrf = till.client("cashier")
    _open_shift(client, csrf)
    wrong = client.post("/pos/cart", data=_cart(csrf, (till.cake_id, 1), op="voucher", voucher_entry="NOPE-1234"))
    assert _field_error(wrong.text, "voucher") == "Kode voucher ini tidak bisa dipakai."
    assert 'name="voucher_code"' not in wrong.text and 'id="total-due">Rp60.000<' in wrong.text
    assert 'id="voucher_entry" name="voucher_entry" value="NOPE-1234"' in wrong.text
    applied = client.post("/pos/cart", data=_cart(csrf, (till.cake_id, 1), op="voucher", voucher_entry=code.lower()))
    assert f'name="voucher_code" value="{code.lower()}"' in applied.text
    assert f"Voucher {code}" in applied.text and 'id="total-due">Rp50.000<' in applied.text
    mine = till.shop.merchant_id
    assert till.count(voucher_uses, voucher_uses.c.merchant_id == mine) == 0  # a quote writes nothing
    assert till.count(sales, sales.c.merchant_id == mine) == 0

    # Too many wrong codes: a polite message, the cart unchanged
    for _ in range(12):
        client.post("/pos/cart", data=_cart(csrf, (till.cake_id, 1), op="voucher", voucher_entry="SALAH-0000"))
    limited = client.post("/pos/cart", data=_cart(csrf, (till.cake_id, 1), op="voucher", voucher_entry="SALAH-0001"))
    assert "mohon tunggu satu menit" in _field_error(limited.text, "voucher")
    no_voucher_limits.reset()

    finish = client.post("/pos/cart", data=_cart(csrf, (till.cake_id, 1), op="finish", voucher_code=code),
                         headers={"HX-Request": "true"})
    receipt = client.get(finish.headers["HX-Redirect"]).text
    assert f"Voucher {code}" in receipt and 'id="receipt-total">Rp50.000<' in receipt
    assert till.count(voucher_uses, voucher_uses.c.merchant_id == mine) == 1


def test_a_tier_only_reward_is_hidden_from_a_member_without_the_tier(till):
    till.shop.configure(tiers=TIERS)
    till.shop.reward(name="Diskon Gold Rp5.000", kind="fixed_discount", points_cost=10, discount_amount=5000,
                     tier_codes=["gold"])
    till.shop.reward(name="Potongan Rp2.000", kind="fixed_discount", points_cost=10, discount_amount=2000)
    till.shop.reward(name="Potongan Mahal", kind="fixed_discount", points_cost=5000, discount_amount=50000)
    siti, budi = till.shop.member("Siti"), till.shop.member("Budi")
    for member_id in (siti, budi):
        till.shop.adjust(member_id, 200)
    _set_tier(till, siti, "gold")
    client, csrf = till.client("cashier")
    _open_shift(client, csrf)
    plain = client.post("/pos/cart", data=_cart(csrf, (till.cake_id, 1), op="update", member_id=str(budi))).text
    gold = client.post("/pos/cart", data=_cart(csrf, (till.cake_id, 1), op="update", member_id=str(siti))).text
    assert "Potongan Rp2.000" in plain and "Diskon Gold Rp5.000" not in plain
    assert "Potongan Rp2.000" in gold and "Diskon Gold Rp5.000" in gold
    assert "Potongan Mahal" not in plain + gold  # more points than either has
