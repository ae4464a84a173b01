"""Register benchmark: server time of the cashier screen's three hot requests on SQLite.

A fresh SQLite file gets 10,000 products and 100,000 members (bulk inserted), one cashier with an open
shift; then the register's own endpoint (`POST /pos/cart`, in process through the ASGI app, so the time is
the server's: routing, session, CSRF, catalogue, quote, template) is timed for
  add-item      a barcode scan onto a cart of 2 lines,
  member-lookup a phone number typed at F4, on a cart of 3 lines,
  finish-sale   Enter: record the sale with its loyalty effects and stock, in one transaction,
and p50 / p99 are printed. Measured and printed, never asserted.

    python -m bench.register [--requests 300] [--products 10000] [--members 100000]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import insert

from setia.adapters.db.engine import Database
from setia.adapters.db.migrate import upgrade
from setia.adapters.db.tables import members, products, stock_levels
from setia.config import Settings
from setia.services.identifiers import member_number_for
from setia.services.merchants import create_merchant, list_outlets
from setia.services.staff import create_staff

PASSWORD = "bench-password"


def build(database: Database, product_count: int, member_count: int) -> dict:
    now = datetime.now(timezone.utc)
    with database.write() as connection:
        merchant_id = create_merchant(connection, "Bench Café", now)
        outlet_id = int(list_outlets(connection, merchant_id)[0]["id"])
        create_staff(connection, merchant_id, "bench.kasir", "Bench", "cashier", PASSWORD, now, outlet_id=outlet_id)
        connection.execute(insert(products), [
            {"merchant_id": merchant_id, "sku": f"SKU-{index:05d}", "barcode": f"899{index:010d}",
             "name": f"Produk {index:05d}", "price": 5000 + (index % 50) * 1000, "track_stock": index % 2 == 0,
             "reorder_level": 5, "active": True, "created_at": now} for index in range(product_count)])
        connection.execute(insert(stock_levels), [
            {"merchant_id": merchant_id, "outlet_id": outlet_id, "product_id": product_id, "quantity": 10**6,
             "updated_at": now} for product_id in range(1, product_count + 1, 2)])
        for start in range(0, member_count, 20000):
            connection.execute(insert(members), [
                {"merchant_id": merchant_id, "member_number": member_number_for(index + 1), "name": f"Member {index}",
                 "phone": f"+62812{index:08d}", "points_balance": 0, "points_debt": 0, "created_at": now,
                 "updated_at": now} for index in range(start, min(start + 20000, member_count))])
    return {"merchant_id": merchant_id, "products": product_count, "members": member_count}


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered) * 1000:6.1f} ms   p99 {p99 * 1000:6.1f} ms   (n={len(ordered)})"


def run(requests: int, product_count: int, member_count: int) -> None:
    from fastapi.testclient import TestClient

    from setia.entrypoints.api.app import create_app

    folder = Path(tempfile.mkdtemp(prefix="setia-bench-register-"))
    url = f"sqlite:///{folder / 'register.db'}"
    upgrade(url)
    database = Database(url)
    started = time.perf_counter()
    facts = build(database, product_count, member_count)
    print(f"built {facts['products']} products and {facts['members']} members in "
          f"{time.perf_counter() - started:.1f} s ({url})")
    client = TestClient(create_app(Settings(database_url=url), database))
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"username": "bench.kasir", "password": PASSWORD, "csrf_token": token})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/pos").text).group(1)  # type: ignore[union-attr]
    client.post("/shift/open", data={"csrf_token": csrf, "opening_cash": "0"})
    timings: dict[str, list[float]] = {"add-item": [], "member-lookup": [], "finish-sale": []}
    for index in range(requests):
        products_in_cart = [str(1 + (index * 7 + offset * 13) % product_count) for offset in range(3)]
        base = {"csrf_token": csrf, "external_id": uuid.uuid4().hex, "line_product": products_in_cart[:2],
                "line_qty": ["1", "2"], "line_price": ["", ""], "line_reason": ["", ""], "line_discount": ["", ""]}
        scan = {**base, "op": "scan", "code": f"899{(index * 31) % product_count:010d}"}
        lookup = {**base, "op": "find_member", "member_q": f"0812{(index * 997) % member_count:08d}",
                  "line_product": products_in_cart, "line_qty": ["1"] * 3, "line_price": [""] * 3,
                  "line_reason": [""] * 3, "line_discount": [""] * 3}
        finish = {**lookup, "op": "finish", "member_id": str(1 + (index * 997) % member_count)}
        for name, data in (("add-item", scan), ("member-lookup", lookup), ("finish-sale", finish)):
            began = time.perf_counter()
            response = client.post("/pos/cart", data=data, headers={"HX-Request": "true"})
            timings[name].append(time.perf_counter() - began)
            assert response.status_code in (200, 204), (name, response.status_code, response.text[:300])
    for name, samples in timings.items():
        print(f"{name:<14} {_percentiles(samples[len(samples) // 10:])}")  # the first tenth warms up
    database.dispose()
    shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=100_000)
    arguments = parser.parse_args()
    run(arguments.requests, arguments.products, arguments.members)


if __name__ == "__main__":
    main()
