"""The cashier app in a real browser (Debian's Chromium via Playwright) against a real uvicorn server on a
fresh SQLite database: the stories a cashier lives through, checked on screen and in the ledger."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from setia.adapters.db.engine import Database
from setia.adapters.db.migrate import upgrade
from setia.adapters.db.tables import members, stock_levels, products
from setia.queries.ledger_verify import verify_ledger
from setia.queries.members import get_member
from setia.services.context import Caller
from setia.services.demo import create_demo
from setia.services.members import adjust_points

from tests.web_support import cheap_password_hashing, running_server

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
IN_CI = os.environ.get("CI") == "true"


@pytest.fixture(scope="module")
def cafe(tmp_path_factory: pytest.TempPathFactory):
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'setia.db'}"
    upgrade(url)
    database = Database(url)
    with cheap_password_hashing():
        demo = create_demo(database, datetime.now(timezone.utc))
        with running_server(database) as base_url:
            yield database, demo["merchant_id"], base_url
    database.dispose()


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:  # pragma: no cover - the test extras install it
        if IN_CI:
            pytest.fail(f"playwright is not installed: {error}")
        pytest.skip("playwright is not installed")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"])
        except Exception as error:  # noqa: BLE001 - no Chromium: fail in CI, skip on a laptop without it
            if IN_CI:
                pytest.fail(f"Chromium could not start: {error}")
            pytest.skip(f"Chromium could not start: {error}")
        yield browser
        browser.close()


def _page(browser, base_url: str, width: int = 1280):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900}, locale="id-ID")
    context.set_default_timeout(10000)
    return context.new_page()


def _sign_in(page, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    if page.locator("input[name=opening_cash]").count():
        page.fill("input[name=opening_cash]", "200000")
        page.click("button[type=submit]")
    page.wait_for_selector("#q")


def _swapped(page, action) -> None:  # type: ignore[no-untyped-def]
    """Do `action` and wait until the server's answer has replaced the register."""
    page.evaluate("document.getElementById('register').dataset.old = '1'")
    action()
    page.wait_for_function("!document.getElementById('register') || !document.getElementById('register').dataset.old")


def _scan(page, code: str) -> None:  # type: ignore[no-untyped-def]
    page.focus("#q")
    page.keyboard.type(code)
    _swapped(page, lambda: page.keyboard.press("Enter"))


def _balance(database: Database, merchant_id: int, member_id: int) -> int:
    with database.read() as connection:
        return get_member(connection, merchant_id, member_id, datetime.now(timezone.utc))["points"]["balance"]


def _member_id(database: Database, phone: str) -> int:
    with database.read() as connection:
        return connection.execute(select(members.c.id).where(members.c.phone == phone)).scalar_one()


def _stock(database: Database, sku: str) -> int:
    with database.read() as connection:
        return connection.execute(select(stock_levels.c.quantity).join(
            products, products.c.id == stock_levels.c.product_id).where(products.c.sku == sku)).scalar_one()


def test_a_day_at_the_till(cafe, browser):
    database, merchant_id, base_url = cafe
    page = _page(browser, base_url)
    # Given the cashier signs in and opens her shift with Rp200.000 in the drawer
    _sign_in(page, "demo.kasir", "kasir-demo")
    assert "Kasir" in page.content() or "Scan" in page.content()
    croissants_before = _stock(database, "CROIS")

    # When she registers a new member at the till and sells him two coffees and a croissant
    _scan(page, "8990000000001")  # Es Kopi Susu
    _scan(page, "8990000000001")
    _scan(page, "CROIS")
    page.keyboard.press("F4")
    page.keyboard.type("0811-2233-4455")
    page.keyboard.press("Enter")
    page.wait_for_selector("#new_name")
    page.fill("#new_name", "Ayu Lestari")
    page.press("#new_name", "Enter")
    page.wait_for_selector("#member-name")
    assert page.inner_text("#member-name") == "Ayu Lestari"
    assert page.inner_text("#total-due") == "Rp78.000"
    page.keyboard.press("F8")
    page.keyboard.type("100000")
    page.keyboard.press("Enter")
    page.wait_for_url("**/receipt?new=1")

    # Then the receipt shows the change, 5 points earned (Rp78.000 / Rp15.000) and the member number
    assert page.inner_text("#receipt-change") == "Rp22.000"
    assert page.inner_text("#receipt-earned") == "+5"
    assert page.inner_text("#receipt-balance").strip() == "5"
    ayu = _member_id(database, "+6281122334455")
    assert _balance(database, merchant_id, ayu) == 5
    assert _stock(database, "CROIS") == croissants_before - 1
    page.screenshot(path=str(ARTIFACTS / "receipt-1280.png"), full_page=True)

    # When Siti redeems Rp20.000 off and pays part with points and the rest in cash
    page.click("#next-sale")
    page.wait_for_selector("#q")
    siti = _member_id(database, "+6281234567890")
    with database.write() as connection:  # enough points for the reward and the points payment
        adjust_points(connection, Caller(merchant_id, "test"), siti, 300, "test top-up", datetime.now(timezone.utc))
    siti_before = _balance(database, merchant_id, siti)
    _scan(page, "NASGOR")
    _scan(page, "LATTE")
    _scan(page, "ROTI-BAKAR")
    page.keyboard.press("F4")
    page.keyboard.type("081234567890")
    page.keyboard.press("Enter")
    page.wait_for_selector("#member-name")
    assert page.inner_text("#member-points").replace(".", "") == str(siti_before)
    _swapped(page, lambda: page.click("#rewards button:has-text('Potongan Rp20.000')"))
    assert page.inner_text("#total-due") == "Rp80.000"  # 38.000 + 30.000 + 32.000 − 20.000
    page.fill("#points", "50")
    _swapped(page, lambda: page.press("#points", "Enter"))
    assert page.inner_text("#points-paid") == "−Rp10.000"  # 50 points × Rp200
    assert page.inner_text("#to-pay") == "Rp70.000"
    page.keyboard.press("F8")
    page.keyboard.press("Enter")  # exact cash
    page.wait_for_url("**/receipt?new=1")
    assert page.inner_text("#receipt-spent") == "−150"
    assert page.inner_text("#receipt-earned") == "+4"  # floor(70.000 / 15.000)
    assert _balance(database, merchant_id, siti) == siti_before - 150 + 4
    assert page.inner_text("#receipt-member-number").strip()

    # And she prints it: the print page is sized for 58 mm paper
    sale_url = page.url.split("?")[0]
    page.goto(sale_url + "?paper=58")
    assert "size: 58mm auto" in page.content()
    page.emulate_media(media="print")
    assert page.locator(".top").is_hidden()
    page.emulate_media(media="screen")

    # When she refunds the Latte: the reversal is shown before confirming, and the ledger follows
    page.goto(sale_url.replace("/receipt", "/refund"))
    latte = page.locator("tr:has-text('Caffè Latte') input")
    latte.fill("1")
    page.fill("input[name=reason]", "Salah pesan")
    page.wait_for_selector("#preview-money")
    page.screenshot(path=str(ARTIFACTS / "refund-1280.png"), full_page=True)
    money_back = page.inner_text("#preview-money")
    returned = int(page.inner_text("#preview-returned").lstrip("+"))
    taken = int(page.inner_text("#preview-taken").lstrip("−"))
    assert _balance(database, merchant_id, siti) == siti_before - 146  # nothing written by the preview
    page.click("#confirm-refund")
    page.wait_for_selector("#receipt-refunded")
    assert page.inner_text("#receipt-refunded") == "−" + money_back
    assert _balance(database, merchant_id, siti) == siti_before - 146 + returned - taken
    assert returned > 0 and taken >= 0

    # And she closes her shift: cash expected = float + cash taken − change − refunds
    page.goto("/pos/shift")
    expected = page.inner_text("#shift-expected")
    page.fill("input[name=counted_cash]", expected.replace("Rp", "").replace(".", ""))
    page.click("#close-shift")
    page.wait_for_selector("#shift-counted")
    assert page.inner_text("#shift-difference") == "Rp0"
    assert page.inner_text("#shift-points-redeemed").replace(".", "") == str(150 - returned)
    page.screenshot(path=str(ARTIFACTS / "shift-closed-1280.png"), full_page=True)
    with database.read() as connection:
        assert verify_ledger(connection) == []
    page.context.close()


def test_keyboard_only_sale_to_a_known_member(cafe, browser):
    database, merchant_id, base_url = cafe
    page = _page(browser, base_url)
    _sign_in(page, "demo.manajer", "manajer-demo")
    with database.read() as connection:
        number, member_id = connection.execute(select(members.c.member_number, members.c.id)
                                               .where(members.c.phone == "+6281311112222")).one()
    before = _balance(database, merchant_id, member_id)
    for code in ("8990000000001", "8990000000002", "8990000000004"):  # scanner: digits + Enter
        _scan(page, code)
    # After the scans: F4, the card's number (a scan), F8, Enter — 3 keystrokes and a card scan
    page.keyboard.press("F4")
    page.keyboard.type(number)
    page.keyboard.press("Enter")
    page.wait_for_selector("#member-name")
    page.keyboard.press("F8")
    page.keyboard.press("Enter")
    page.wait_for_url("**/receipt?new=1")
    assert page.inner_text("#receipt-total") == "Rp65.000"
    assert _balance(database, merchant_id, member_id) == before + 4
    page.keyboard.press("Enter")  # next sale
    page.wait_for_selector("#q")
    page.context.close()


def test_a_card_payment_with_its_approval_code(cafe, browser):
    database, merchant_id, base_url = cafe
    page = _page(browser, base_url)
    _sign_in(page, "demo.kasir", "kasir-demo")
    _scan(page, "AMERICANO")
    _swapped(page, lambda: page.keyboard.press("F9"))  # the whole amount on the card
    assert page.evaluate("document.activeElement.id") == "card_ref"
    page.keyboard.type("APP123")
    page.keyboard.press("Enter")
    page.wait_for_url("**/receipt?new=1")
    assert "APP123" in page.inner_text("#receipt")
    assert page.locator("#receipt-change").count() == 0
    page.context.close()


def test_a_cashier_is_refused_manager_actions(cafe, browser):
    database, merchant_id, base_url = cafe
    page = _page(browser, base_url)
    _sign_in(page, "demo.kasir", "kasir-demo")
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = page.request.post("/pos/members/1/adjust", form={"csrf_token": csrf, "points": "500",
                                                                "reason": "bonus"})
    assert response.status == 403
    assert page.request.get("/admin/reports").status == 403
    assert page.request.get("/admin/staff").status == 403
    page.goto("/admin/stock")
    assert "Tidak diizinkan" in page.content() or "Not allowed" in page.content()
    page.context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_pages_fit_phone_and_desktop(cafe, browser, width):
    database, merchant_id, base_url = cafe
    ARTIFACTS.mkdir(exist_ok=True)
    page = _page(browser, base_url, width)
    page.goto("/login")
    page.screenshot(path=str(ARTIFACTS / f"login-{width}.png"), full_page=True)
    _sign_in(page, "demo.pemilik", "pemilik-demo")
    _scan(page, "CROIS")
    for name, url in (("register", None), ("sales", "/pos/sales"), ("stock", "/admin/stock"),
                      ("products", "/admin/products"), ("staff", "/admin/staff"), ("shift", "/pos/shift")):
        if url:
            page.goto(url)
        # Nothing wider than the screen: the page scrolls down, never sideways
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name} is {overflow}px too wide at {width}px"
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.goto("/pos")  # a new page: a new, empty cart
    _scan(page, "CROIS")
    page.keyboard.press("F8")
    page.keyboard.press("Enter")
    page.wait_for_url("**/receipt?new=1")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    page.screenshot(path=str(ARTIFACTS / f"receipt-{width}.png"), full_page=True)
    page.context.close()


def test_tier_stamp_cards_and_a_voucher_at_the_till(cafe, browser):
    from setia.domain.sale import LineInput
    from setia.services import programs
    from setia.services import vouchers as voucher_service
    from setia.services.members import MemberDetails, register_member
    from setia.services.sales import SaleRequest, record_sale

    database, merchant_id, base_url = cafe
    now, caller = datetime.now(timezone.utc), Caller(merchant_id, "test")
    americano = LineInput(name="Americano", sku="AMERICANO", category="coffee", quantity=4, unit_price=22000)
    with database.write() as connection:
        programs.update_program(connection, merchant_id, {
            "tiers": {"basis": "spend", "window": "lifetime", "levels": [
                {"code": "silver", "name": "Silver", "threshold": 50000},
                {"code": "gold", "name": "Gold", "threshold": 2000000, "discount_percent": 10}]},
            "stamp_cards": [{"id": "kopi", "name": "Kartu Kopi", "per": "item", "categories": ["coffee"],
                             "card_size": 3, "reward": {"kind": "free_product", "product_sku": "AMERICANO"}}]},
            "test", now)
        rina = register_member(connection, caller, MemberDetails(name="Rina Loyal", phone="+6281399990001"), now)
        record_sale(connection, caller, SaleRequest(lines=[americano], member_id=rina), now)  # a full card + 1 stamp
        batch = voucher_service.create_batch(connection, caller, "launch", 1, voucher_service.issue_terms_from_dict(
            {"voucher": {"value_kind": "fixed", "amount": 5000}}), now)
        code = voucher_service.batch_codes_csv(connection, merchant_id, int(batch["id"])).split()[1].split(",")[0]
    page = _page(browser, base_url)
    _sign_in(page, "demo.kasir", "kasir-demo")
    _scan(page, "AMERICANO")
    _scan(page, "AMERICANO")
    page.keyboard.press("F4")
    page.keyboard.type("081399990001")
    _swapped(page, lambda: page.keyboard.press("Enter"))
    assert "Silver" in page.inner_text("#member-tier")
    assert "lagi menuju Gold" in page.inner_text("#member-tier-progress")
    assert "Kartu Kopi 1/3" in page.inner_text("#stamp-cards")
    _swapped(page, lambda: page.keyboard.press("F6"))  # redeem the full card on this sale
    assert "ditukar di transaksi ini" in page.inner_text("#stamp-cards")
    page.keyboard.press("F7")
    assert page.evaluate("document.activeElement.id") == "voucher_entry"
    page.keyboard.type("SALAH-KODE")
    _swapped(page, lambda: page.keyboard.press("Enter"))
    assert page.inner_text("#voucher-error") == "Kode voucher ini tidak bisa dipakai."
    page.fill("#voucher_entry", code)
    _swapped(page, lambda: page.keyboard.press("Enter"))
    assert code in page.inner_text("#vouchers") and "−Rp5.000" in page.inner_text("#totals")
    assert page.inner_text("#total-due") == "Rp17.000"  # 2 × 22.000, one free, Rp5.000 voucher
    page.screenshot(path=str(ARTIFACTS / "register-loyalty-1280.png"), full_page=True)
    page.keyboard.press("F8")
    page.keyboard.press("Enter")
    page.wait_for_url("**/receipt?new=1")
    assert "Kartu stempel ditukar: Kartu Kopi" in page.inner_text("#receipt-stamps")
    assert "Tingkat: Silver" in page.inner_text("#receipt-tier")
    assert code in page.inner_text("#receipt")
    page.context.close()
