"""No overdraft and no double sale under concurrent requests, on SQLite and PostgreSQL.

Ten tills redeem a 100-point reward at the same moment for a member with 300 points: exactly three win.
The requests really overlap: the threads wait at a barrier, and the HTTP variant goes through a real
uvicorn server whose thread pool runs the handlers in parallel.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from setia.adapters.db.engine import Database
from setia.adapters.db.tables import sales, transfers
from setia.domain.errors import InsufficientPoints, RefundInvalid, SetiaError
from setia.domain.sale import LineInput
from setia.entrypoints.api.app import create_app
from setia.queries.ledger_verify import verify_ledger
from setia.services.context import utc_now
from setia.services.merchants import create_api_key
from setia.services.refunds import RefundRequest, refund_sale
from setia.services.sales import SaleRequest, record_sale

from tests.shop import Shop

TILLS = 10
T = TypeVar("T")


def all_at_once(work: Callable[[int], T], workers: int = TILLS) -> list[T | Exception]:
    """Run `work(0..workers-1)` in parallel threads released together; each result or the exception it raised."""
    barrier = threading.Barrier(workers)

    def run(index: int) -> T | Exception:
        barrier.wait()
        try:
            return work(index)
        except Exception as error:  # noqa: BLE001 - the outcome under test
            return error

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, range(workers)))


@dataclass
class Server:
    base_url: str


@pytest.fixture(scope="module")
def server(database: Database) -> Iterator[Server]:
    """The real app under uvicorn on 127.0.0.1, on a free port, in a background thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uvicorn_server = uvicorn.Server(uvicorn.Config(create_app(database=database), log_level="warning",
                                                   lifespan="off"))
    thread = threading.Thread(target=uvicorn_server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uvicorn_server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield Server(f"http://127.0.0.1:{port}")
    uvicorn_server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
def shop(database: Database) -> Iterator[Shop]:
    # Real time: the HTTP server stamps requests with the clock, and the shop must agree with it.
    shop = Shop.open(database, utc_now(), name="Toko Ramai")
    yield shop
    with database.read() as connection:
        assert verify_ledger(connection) == []


def api_key(shop: Shop) -> str:
    with shop.database.write() as connection:
        return create_api_key(connection, shop.merchant_id, "till", shop.now).key


def member_with_300_points_and_a_100_point_reward(shop: Shop) -> tuple[int, str]:
    reward = shop.reward(name="Rp20.000 off", kind="fixed_discount", points_cost=100, discount_amount=20000)
    member_id = shop.member("Siti")
    shop.adjust(member_id, 300, "opening balance")
    return member_id, reward


def sales_of(shop: Shop, member_id: int | None = None) -> int:
    with shop.database.read() as connection:
        query = select(func.count()).select_from(sales).where(sales.c.merchant_id == shop.merchant_id)
        if member_id is not None:
            query = query.where(sales.c.member_id == member_id)
        return connection.execute(query).scalar_one()


def transfer_reasons(shop: Shop, member_id: int) -> Counter[str]:
    with shop.database.read() as connection:
        return Counter(connection.execute(select(transfers.c.reason).where(transfers.c.member_id == member_id))
                       .scalars())


def test_ten_tills_redeeming_at_once_never_overdraw_the_member(shop):
    # Given a member with 300 points and a reward for 100
    siti, reward = member_with_300_points_and_a_100_point_reward(shop)

    # When ten tills record a Rp50.000 sale redeeming it at the same moment
    def redeem(index: int) -> dict[str, Any]:
        request = SaleRequest(lines=[LineInput(name="Sepatu", quantity=1, unit_price=50000)], member_id=siti,
                              reward_ids=[reward], external_id=f"till-{index}")
        with shop.database.write() as connection:
            return record_sale(connection, shop.caller, request, utc_now())

    outcomes = all_at_once(redeem)

    # Then exactly three succeed, each earning 3 points on the Rp30.000 paid, and seven are refused
    recorded = [outcome for outcome in outcomes if isinstance(outcome, dict)]
    refused = [outcome for outcome in outcomes if not isinstance(outcome, dict)]
    assert len(recorded) == 3
    assert [(sale["points"]["spent"], sale["points"]["earned"]) for sale in recorded] == [(100, 3)] * 3
    assert sorted(sale["points"]["balance_after"] for sale in recorded) == [9, 106, 203]  # 300 → 203 → 106 → 9
    assert len(refused) == 7 and all(isinstance(error, InsufficientPoints) for error in refused), refused
    assert shop.balance(siti) == 300 - 300 + 3 * 3
    assert sales_of(shop, siti) == 3
    assert transfer_reasons(shop, siti) == Counter({"adjust": 1, "redeem_reward": 3, "earn": 3})


def test_ten_tills_redeeming_at_once_over_http_never_overdraw_the_member(shop, server):
    siti, reward = member_with_300_points_and_a_100_point_reward(shop)
    headers = {"Authorization": f"Bearer {api_key(shop)}"}
    body = {"member_id": str(siti), "reward_ids": [reward],
            "lines": [{"name": "Sepatu", "quantity": 1, "unit_price": 50000}]}

    with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
        responses = all_at_once(lambda index: client.post(
            "/api/v1/sales", json={**body, "external_id": f"web-{index}"}, headers={"Idempotency-Key": f"k-{index}"}))

    assert sorted(response.status_code for response in responses) == [201] * 3 + [422] * 7
    for response in responses:
        if response.status_code == 422:
            assert response.json()["code"] == "insufficient_points"
            assert response.json()["details"]["requested"] == 100
            assert response.json()["details"]["balance"] < 100
    assert shop.balance(siti) == 9
    assert sales_of(shop, siti) == 3
    assert transfer_reasons(shop, siti) == Counter({"adjust": 1, "redeem_reward": 3, "earn": 3})


@pytest.mark.parametrize("with_member", [True, False], ids=["member", "walk-in"])
def test_parallel_retries_of_one_idempotency_key_record_one_sale(shop, server, with_member):
    siti = shop.member("Siti") if with_member else None
    headers = {"Authorization": f"Bearer {api_key(shop)}", "Idempotency-Key": "till-1-000042"}
    body = {"member_id": str(siti) if siti else None,
            "lines": [{"name": "Kemeja", "quantity": 2, "unit_price": 60000}]}

    with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
        responses = all_at_once(lambda index: client.post("/api/v1/sales", json=body))

    assert [response.status_code for response in responses] == [201] * TILLS, [r.json() for r in responses]
    assert len({response.json()["id"] for response in responses}) == 1
    assert all(response.json() == responses[0].json() for response in responses)
    assert sales_of(shop) == 1
    if siti is not None:
        assert shop.balance(siti) == 12
        assert transfer_reasons(shop, siti) == Counter({"earn": 1})


@pytest.mark.parametrize("with_member", [True, False], ids=["member", "walk-in"])
def test_parallel_retries_of_one_external_id_return_the_first_sale(shop, server, with_member):
    # A till that times out resends the sale with the same external_id, no Idempotency-Key
    siti = shop.member("Siti") if with_member else None
    headers = {"Authorization": f"Bearer {api_key(shop)}"}
    body = {"member_id": str(siti) if siti else None, "external_id": "till-3-000777",
            "lines": [{"name": "Kemeja", "quantity": 2, "unit_price": 60000}]}

    with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
        responses = all_at_once(lambda index: client.post("/api/v1/sales", json=body))

    assert [response.status_code for response in responses] == [201] * TILLS, [r.json() for r in responses]
    assert len({response.json()["id"] for response in responses}) == 1
    assert sales_of(shop) == 1
    if siti is not None:
        assert shop.balance(siti) == 12


def test_parallel_refunds_of_one_sale_refund_it_once(shop):
    budi = shop.member("Budi")
    sale = shop.sell(budi, ("Kulkas", 1, 1000000))
    assert shop.balance(budi) == 100

    def refund(_index: int) -> dict[str, Any]:
        with shop.database.write() as connection:
            return refund_sale(connection, shop.caller, RefundRequest(int(sale["id"])), utc_now())

    outcomes = all_at_once(refund)
    done = [outcome for outcome in outcomes if isinstance(outcome, dict)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, SetiaError)]
    assert len(done) == 1 and done[0]["points_taken_back"] == 100
    assert len(refused) == TILLS - 1 and all(isinstance(error, RefundInvalid) for error in refused), outcomes
    assert (shop.balance(budi), shop.debt(budi)) == (0, 0)
    assert transfer_reasons(shop, budi) == Counter({"earn": 1, "refund_take_back": 1})
