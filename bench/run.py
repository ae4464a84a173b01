"""Setia benchmarks: measured and printed, never asserted. `make bench` runs them all.

1. Checkout over HTTP on SQLite (a fresh file): the real server (`setia serve`), 16 concurrent clients
   posting sales (member by number, 3 lines, spend rule, a redemption in 1 of 10 sales, an
   Idempotency-Key and an external_id), against the bare one-row write `POST /api/v1/_bench/write/{id}`
   on the same server in the same run; and, on the same server and database, the same checkout for a
   second merchant whose program is rich (20 active earn rules, 3 tiers, a stamp card).
2. The same on PostgreSQL (database `setia_bench`, dropped and created afresh).
3. History import: 100,000 sales for 10,000 members through `setia import sales` on a fresh SQLite file.
4. `setia ledger verify` on every benchmark database afterwards.

    python -m bench.run                 # everything; updates docs/benchmarks.md and bench/results.json
    python -m bench.run --quick         # smoke check: short runs, prints only
    python -m bench.run --only postgres # one part; the other parts' stored figures are kept

Everything runs on loopback; every phase is bounded in time or size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "results.json"
DOC = ROOT / "docs" / "benchmarks.md"
POSTGRES_URL = os.environ.get("SETIA_BENCH_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/setia_bench")
START_MARK, END_MARK = "<!-- bench:results:start -->", "<!-- bench:results:end -->"

# The program every benchmark merchant runs: 1 point per Rp10.000, a 100-point Rp20.000 reward.
SPEND_RULE = {"step_amount": 10000, "points_per_step": 1, "minimum_spend": 0}
REWARD = {"name": "Rp20.000 off", "kind": "fixed_discount", "points_cost": 100, "discount_amount": 20000}
OPENING_POINTS = 1000

# The rich program (a second merchant on the same database): 20 active earn rules that apply to the load's
# lines (KOPI-SUSU/coffee, CROIS/pastry, AIR/drinks), 3 tiers by spend, a stamp card per coffee.
TIERS = {"basis": "spend", "window": "rolling_months", "window_months": 12, "review_months": 12, "levels": [
    {"code": "silver", "name": "Silver", "threshold": 1000000, "discount_percent": 5, "earn_multiplier": "1.25"},
    {"code": "gold", "name": "Gold", "threshold": 5000000, "discount_percent": 10, "earn_multiplier": "1.5"},
    {"code": "platinum", "name": "Platinum", "threshold": 15000000, "discount_percent": 15,
     "earn_multiplier": "2"}]}
STAMP_CARD = {"id": "kopi", "name": "Kartu Kopi", "per": "item", "categories": ["coffee"], "card_size": 9,
              "reward": {"kind": "free_product", "product_sku": "KOPI-SUSU"}, "expiry_days": 90}
DAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
TIER_FLOORS = ("silver", "gold", "platinum")  # members 0, 1, 2 of every 6 get these floors; the rest none


def rich_earn_rules(outlet_id: str) -> list[dict[str, Any]]:
    """20 active rules: 10 multipliers (3 by category, 7 by day of week, so one applies every day), 5 points per
    product (one per SKU, one per category, one per category at the outlet), 5 extra spend rules (by outlet, by
    minimum spend, opening hours); 5 of them capped per member per day or month."""
    outlet = [outlet_id]
    rules: list[dict[str, Any]] = [
        {"id": "kopi-x2", "name": "Coffee double points", "kind": "multiplier", "multiplier": "2",
         "conditions": {"categories": ["coffee"]}, "cap": {"per": "day", "points": 50}, "priority": 10},
        {"id": "pastry-x1.5", "name": "Pastry ×1.5", "kind": "multiplier", "multiplier": "1.5",
         "conditions": {"categories": ["pastry"]}},
        {"id": "drinks-x1.25", "name": "Drinks ×1.25", "kind": "multiplier", "multiplier": "1.25",
         "conditions": {"categories": ["drinks"], "minimum_spend": 20000}},
    ]
    rules += [{"id": f"hari-{day}", "name": f"{DAY_NAMES[day - 1]}: ×{multiplier}", "kind": "multiplier",
               "multiplier": multiplier, "conditions": {"days_of_week": [day]}}
              for day, multiplier in zip(range(1, 8), ("1.5", "2", "1.5", "1.25", "1.5", "2", "2"))]
    rules += [
        {"id": "sku-kopi-susu", "name": "5 points per Es Kopi Susu", "kind": "product_points", "points_per_unit": 5,
         "conditions": {"skus": ["KOPI-SUSU"]}},
        {"id": "sku-crois", "name": "3 points per croissant", "kind": "product_points", "points_per_unit": 3,
         "conditions": {"skus": ["CROIS"]}},
        {"id": "sku-air", "name": "1 point per water", "kind": "product_points", "points_per_unit": 1,
         "conditions": {"skus": ["AIR"]}},
        {"id": "kopi-bulanan", "name": "2 points per coffee, up to 200 a month", "kind": "product_points",
         "points_per_unit": 2, "conditions": {"categories": ["coffee"]}, "cap": {"per": "month", "points": 200}},
        {"id": "pastry-outlet", "name": "2 points per pastry at this outlet", "kind": "product_points",
         "points_per_unit": 2, "conditions": {"categories": ["pastry"], "outlet_ids": outlet}},
        {"id": "outlet-spend", "name": "Outlet: 1 extra point per Rp20.000", "kind": "spend", "step_amount": 20000,
         "points_per_step": 1, "conditions": {"outlet_ids": outlet}},
        {"id": "belanja-50rb", "name": "From Rp50.000: 1 point per Rp25.000, 10 a day", "kind": "spend",
         "step_amount": 25000, "points_per_step": 1, "conditions": {"minimum_spend": 50000},
         "cap": {"per": "day", "points": 10}},
        {"id": "belanja-80rb", "name": "From Rp80.000: 1 point per Rp10.000, 100 a month", "kind": "spend",
         "step_amount": 10000, "points_per_step": 1, "conditions": {"minimum_spend": 80000},
         "cap": {"per": "month", "points": 100}},
        {"id": "outlet-40rb", "name": "Outlet, from Rp40.000: 2 points per Rp20.000, 30 a day", "kind": "spend",
         "step_amount": 20000, "points_per_step": 2, "conditions": {"outlet_ids": outlet, "minimum_spend": 40000},
         "cap": {"per": "day", "points": 30}},
        {"id": "jam-buka", "name": "Opening hours 06:00-23:00: 1 point per Rp30.000", "kind": "spend",
         "step_amount": 30000, "points_per_step": 1,
         "conditions": {"days_of_week": [1, 2, 3, 4, 5, 6, 7], "time_from": "06:00", "time_to": "23:00"}},
    ]
    assert len(rules) == 20 and len({rule["id"] for rule in rules}) == 20
    return rules


def say(message: str) -> None:
    print(message, flush=True)


# Running the real commands ---------------------------------------------------------------------------------
def setia_command() -> list[str]:
    script = Path(sys.executable).with_name("setia")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from setia.entrypoints.cli import main; sys.exit(main())"]


def setia(database_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SETIA_DATABASE_URL": database_url}
    result = subprocess.run([*setia_command(), *args], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=1800)
    if check and result.returncode != 0:
        raise RuntimeError(f"setia {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


def prepare_merchant(database_url: str, name: str = "Kafe Bench") -> tuple[int, str]:
    """`setia db upgrade`, `setia merchant create`, `setia api-key create`: (merchant id, API key)."""
    setia(database_url, "db", "upgrade")
    out = setia(database_url, "merchant", "create", name).stdout
    merchant_id = int(out.split()[1])  # "merchant 1 created"
    key = setia(database_url, "api-key", "create", "--merchant", str(merchant_id), "--name", "bench").stdout.strip()
    return merchant_id, key


def verify(database_url: str) -> str:
    result = setia(database_url, "ledger", "verify", check=False)
    text = (result.stdout + result.stderr).strip()
    return text if result.returncode == 0 else f"FAILED (exit {result.returncode}): {text[-2000:]}"


def fresh_sqlite(name: str) -> str:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def fresh_postgres(url: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()
    return url


# Seeding ---------------------------------------------------------------------------------------------------
def seed_members(database_url: str, merchant_id: int, count: int) -> list[dict[str, Any]]:
    """Members with opening points, through the services (as `setia import` or the API would).

    In a fresh interpreter, like the server it feeds: the code on disk may change while a long run goes on
    (other work in the same tree), and members numbered by one version must be read by the same version."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_seed_members, (database_url, merchant_id, count))


def _seed_members(database_url: str, merchant_id: int, count: int) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from setia.adapters.db.engine import Database
    from setia.adapters.db.tables import members
    from setia.services.context import Caller, utc_now
    from setia.services.members import MemberDetails, adjust_points, register_member

    database = Database(database_url)
    caller = Caller(merchant_id, "bench")
    try:
        for start in range(0, count, 500):
            with database.write() as connection:
                for index in range(start, min(count, start + 500)):
                    now = utc_now()
                    member_id = register_member(connection, caller, MemberDetails(
                        name=f"Pelanggan {index}", phone=f"0812{20000000 + index}"), now)
                    adjust_points(connection, caller, member_id, OPENING_POINTS, "bench opening balance", now)
        with database.read() as connection:
            rows = connection.execute(select(members.c.id, members.c.member_number)
                                      .where(members.c.merchant_id == merchant_id)).all()
    finally:
        database.dispose()
    return [{"id": str(row.id), "number": row.member_number} for row in rows]


def count_rows(database_url: str, table: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


# The server --------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`setia serve` in a subprocess on 127.0.0.1, with the bench endpoints switched on."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.port = free_port()
        self.log = open(OUT / f"server-{self.port}.log", "w")
        env = {**os.environ, "SETIA_DATABASE_URL": database_url, "SETIA_BENCH_ENDPOINTS": "true"}
        self.process = subprocess.Popen(
            [*setia_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/api/v1/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server did not start; see {self.log.name}")
            time.sleep(0.1)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process (all its threads), from /proc."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return float("nan")

    def call(self, method: str, path: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.base}/api/v1{path}", method=method,
                                         data=json.dumps(body).encode(),
                                         headers={"Authorization": f"Bearer {key}",
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method} {path}: {error.code} {error.read()[:500]!r}") from error

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def load(server: Server, key: str, mode: str, targets: Path, args: argparse.Namespace, seed: int,
         warmup: float) -> dict[str, Any]:
    """Run the load generator in its own process; sample the server's CPU over the measured window."""
    command = [sys.executable, "-m", "bench.load", "--port", str(server.port), "--key", key, "--mode", mode,
               "--targets", str(targets), "--clients", str(args.clients), "--warmup", str(warmup),
               "--duration", str(args.duration), "--seed", str(seed)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    cpu_start = cpu_end = float("nan")
    result: dict[str, Any] | None = None
    for line in process.stdout:
        line = line.strip()
        if line == "MEASURE_START":
            cpu_start = server.cpu_seconds()
        elif line == "MEASURE_END":
            cpu_end = server.cpu_seconds()
        elif line.startswith("{"):
            result = json.loads(line)
    if process.wait(timeout=args.duration + warmup + 120) != 0 or result is None:
        raise RuntimeError(f"load generator failed ({mode})")
    result["server_cpu_s"] = round(cpu_end - cpu_start, 3)
    return result


def combine(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge the rounds of one endpoint: throughput over all windows, percentiles over all requests."""
    from bench.load import summarise

    latencies = [value for one in rounds for value in one["latencies_ms"]]
    window = sum(one["window_s"] for one in rounds)
    merged = summarise(latencies, window)
    server_cpu = sum(one["server_cpu_s"] for one in rounds)
    merged.update({
        "errors": sum(one["errors"] for one in rounds),
        "ok_total": sum(one["ok_total"] for one in rounds),
        "failures": [failure for one in rounds for failure in one["failures"]][:5],
        "server_cpu_ms_per_request": round(server_cpu * 1000 / len(latencies), 2) if latencies else None,
        "server_cpu_share": round(server_cpu / window, 2) if window else None,
        "client_cpu_s": round(sum(one["client_cpu_s"] for one in rounds), 2),
        "rounds_per_second": [one["per_second"] for one in rounds],
    })
    return merged


def first_outlet(database_url: str, merchant_id: int) -> str:
    from setia.adapters.db.engine import Database
    from setia.services.merchants import list_outlets

    database = Database(database_url)
    try:
        with database.read() as connection:
            return list_outlets(connection, merchant_id)[0]["id"]
    finally:
        database.dispose()


def set_tier_floors(server: Server, key: str, members: list[dict[str, Any]]) -> dict[str, int]:
    """`PUT /api/v1/members/{id}/tier-floor` for members 0, 1, 2 of every 6 (silver, gold, platinum)."""
    from concurrent.futures import ThreadPoolExecutor

    floors = [(member["id"], TIER_FLOORS[index % 6]) for index, member in enumerate(members) if index % 6 < 3]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda pair: server.call("PUT", f"/members/{pair[0]}/tier-floor", key,
                                               {"tier_code": pair[1]}), floors))
    return {code: sum(1 for _, floor in floors if floor == code) for code in TIER_FLOORS}


def setup_rich(server: Server, database_url: str, merchant_id: int, key: str,
               members: list[dict[str, Any]]) -> dict[str, Any]:
    """The rich program through the API; tier floors; a quote showing which rules a sale earns by."""
    from bench.load import LINES

    outlet_id = first_outlet(database_url, merchant_id)
    rules = rich_earn_rules(outlet_id)
    server.call("PATCH", "/program", key, {"spend_rule": SPEND_RULE, "earn_rules": rules, "tiers": TIERS,
                                          "stamp_cards": [STAMP_CARD]})
    reward_id = server.call("POST", "/rewards", key, REWARD)["id"]
    floors = set_tier_floors(server, key, members)
    platinum = members[2]  # index 2 of 6: platinum floor
    try:  # informational: which rules a sale earns by
        quote = server.call("POST", "/sales/quote", key, {
            "member_number": platinum["number"], "outlet_id": outlet_id,
            "tenders": [{"kind": "cash", "amount": 100000}], "lines": [{**line, "quantity": 1} for line in LINES]})
    except RuntimeError as error:
        say(f"  the sample quote failed: {error}")
        quote = {}
    points = quote.get("points") or {}
    applied = [item.get("rule_id") or item.get("rule") for item in points.get("rules", []) if item.get("points")]
    return {"outlet_id": outlet_id, "reward_id": reward_id, "earn_rules": len(rules),
            "capped_rules": sum(1 for rule in rules if rule.get("cap")), "tiers": len(TIERS["levels"]),
            "stamp_cards": 1, "tier_floors": floors,
            "sample_quote": {"member_tier": "platinum", "rules_earning": applied, "points": points.get("earned"),
                             "totals": quote.get("totals"), "stamps": quote.get("stamps")}}


# The order of the three endpoints in each round: over 4 rounds each endpoint leads or trails in turn, and the
# two checkouts alternate which of them runs first (2 rounds each).
ORDERS = (("checkout", "rich", "bare"), ("bare", "rich", "checkout"), ("rich", "bare", "checkout"),
          ("checkout", "bare", "rich"), ("bare", "checkout", "rich"), ("rich", "checkout", "bare"))
MODES = ("checkout", "rich", "bare")


def http_benchmark(name: str, database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    say(f"\n== Checkout over HTTP on {name} ==")
    started = time.monotonic()
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    merchant_id, key = prepare_merchant(database_url)
    say(f"merchant {merchant_id}; seeding {args.members} members with {OPENING_POINTS} points each ...")
    members = seed_members(database_url, merchant_id, args.members)
    rich_merchant_id, rich_key = prepare_merchant(database_url, "Kafe Bench Lengkap")
    say(f"rich merchant {rich_merchant_id}; seeding {args.members} members with {OPENING_POINTS} points each ...")
    rich_members = seed_members(database_url, rich_merchant_id, args.members)
    server = Server(database_url)
    try:
        server.call("PATCH", "/program", key, {"spend_rule": SPEND_RULE})
        reward_id = server.call("POST", "/rewards", key, REWARD)["id"]
        rich = setup_rich(server, database_url, rich_merchant_id, rich_key, rich_members)
        say(f"rich program: {rich['earn_rules']} earn rules ({rich['capped_rules']} capped), {rich['tiers']} tiers, "
            f"{rich['stamp_cards']} stamp card; tier floors {rich['tier_floors']}; a platinum member's quote earns "
            f"by {len(rich['sample_quote']['rules_earning'])} rules: {rich['sample_quote']['rules_earning']}")
        targets = {"checkout": OUT / f"targets-{name}.json", "bare": OUT / f"targets-{name}.json",
                   "rich": OUT / f"targets-{name}-rich.json"}
        targets["checkout"].write_text(json.dumps({"members": members, "reward_id": reward_id}))
        targets["rich"].write_text(json.dumps({"members": rich_members, "reward_id": rich["reward_id"],
                                               "outlet_id": rich["outlet_id"]}))
        keys = {"checkout": key, "bare": key, "rich": rich_key}
        say(f"server on port {server.port}; {args.clients} clients, {args.rounds} round(s) of "
            f"{args.warmup:g} s warm-up + {args.duration:g} s per endpoint")
        runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
        for round_number in range(args.rounds):
            for position, mode in enumerate(ORDERS[round_number % len(ORDERS)]):
                warmup = args.warmup if round_number == 0 else min(args.warmup, 1.0)  # later rounds: pools are warm
                one = load(server, keys[mode], mode, targets[mode], args, seed=round_number * 3 + MODES.index(mode) + 1,
                           warmup=warmup)
                runs[mode].append(one)
                say(f"  round {round_number + 1} {mode:8s} {one['per_second']:8.1f}/s  p50 {one['p50_ms']:7.2f} ms"
                    f"  p99 {one['p99_ms']:7.2f} ms  errors {one['errors']}  server CPU {one['server_cpu_s']:.2f} s")
    finally:
        server.stop()
    checkout, bare, rich_checkout = combine(runs["checkout"]), combine(runs["bare"]), combine(runs["rich"])
    sales_in_db = count_rows(database_url, "sales")
    verdict = verify(database_url)

    def ratio_of(numerator: Any, denominator: Any) -> float | None:
        return round(numerator / denominator, 3) if numerator and denominator else None

    ratio = ratio_of(checkout["per_second"], bare["per_second"])
    cpu_ratio = ratio_of(bare["server_cpu_ms_per_request"], checkout["server_cpu_ms_per_request"])
    rich_ratio = ratio_of(rich_checkout["per_second"], checkout["per_second"])
    rich_cpu_ratio = ratio_of(checkout["server_cpu_ms_per_request"], rich_checkout["server_cpu_ms_per_request"])
    section = {
        "database": name,
        "url": database_url.split("@")[-1] if "@" in database_url else database_url.replace(f"{ROOT}/", ""),
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "load_average_at_start": load_at_start,
        "clients": args.clients, "warmup_s": args.warmup, "duration_s": args.duration, "rounds": args.rounds,
        "members": len(members), "checkout": checkout, "bare": bare, "ratio": ratio, "cpu_ratio": cpu_ratio,
        "rich": rich_checkout, "rich_ratio": rich_ratio, "rich_cpu_ratio": rich_cpu_ratio, "rich_program": rich,
        "sales_in_db": sales_in_db, "sales_acknowledged": checkout["ok_total"] + rich_checkout["ok_total"],
        "verify": verdict, "seconds": round(time.monotonic() - started, 1),
    }
    say(f"  checkout {checkout['per_second']:.1f} sales/s p50 {checkout['p50_ms']} ms p99 {checkout['p99_ms']} ms;"
        f" bare {bare['per_second']:.1f}/s p50 {bare['p50_ms']} ms p99 {bare['p99_ms']} ms; ratio {ratio}"
        f" (server CPU per request: bare/checkout {cpu_ratio})")
    say(f"  rich checkout {rich_checkout['per_second']:.1f} sales/s p50 {rich_checkout['p50_ms']} ms p99 "
        f"{rich_checkout['p99_ms']} ms, server CPU {rich_checkout['server_cpu_ms_per_request']} ms/request; "
        f"rich/single-rule {rich_ratio} (server CPU per request: single/rich {rich_cpu_ratio})")
    say(f"  sales in database {sales_in_db} (acknowledged 201: {section['sales_acknowledged']}); {verdict}")
    return section


# Import ------------------------------------------------------------------------------------------------------
def import_ready() -> bool:
    return (ROOT / "src" / "setia" / "services" / "imports.py").exists() and (ROOT / "bench" / "gen_import.py").exists()


def import_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    say(f"\n== History import: {args.import_sales:,} sales for {args.import_members:,} members ==")
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    waited = 0.0
    while not import_ready() and waited < args.import_wait:
        say(f"  waiting for src/setia/services/imports.py and bench/gen_import.py ({waited:.0f} s so far)")
        time.sleep(60)
        waited += 60
    if not import_ready():
        say("  not available: src/setia/services/imports.py or bench/gen_import.py is missing")
        return {"status": "missing", "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    from bench.gen_import import write_sales_csv

    OUT.mkdir(parents=True, exist_ok=True)
    csv_path = OUT / f"import-{args.import_sales}.csv"
    started = time.monotonic()
    write_sales_csv(csv_path, sales=args.import_sales, members=args.import_members, seed=1)
    generated_s = time.monotonic() - started
    database_url = fresh_sqlite("import.db")
    merchant_id, _ = prepare_merchant(database_url)
    command = ["import", "sales", str(csv_path), "--merchant", str(merchant_id)]
    say(f"  CSV written in {generated_s:.1f} s ({csv_path.stat().st_size / 1e6:.1f} MB); "
        f"running setia {' '.join(command)}")
    started = time.monotonic()
    result = setia(database_url, *command, check=False)
    seconds = time.monotonic() - started
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    errors = [line for line in result.stderr.splitlines() if line.startswith(("line ", "error", "Traceback"))]
    sales_in_db = count_rows(database_url, "sales")
    verdict = verify(database_url)
    section = {
        "status": "ok" if result.returncode == 0 else f"exit {result.returncode}",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "sales": args.import_sales, "members": args.import_members, "seconds": round(seconds, 2),
        "sales_per_second": round(sales_in_db / seconds, 0) if seconds else None,
        "sales_in_db": sales_in_db, "output": summary, "stderr_head": errors[:5], "verify": verdict,
        "csv_mb": round(csv_path.stat().st_size / 1e6, 1), "load_average_at_start": load_at_start,
    }
    say(f"  {seconds:.2f} s, {section['sales_per_second']:.0f} sales/s; {summary}; sales in database "
        f"{sales_in_db}; {verdict}")
    if result.returncode != 0:
        say(f"  import exited {result.returncode}: {result.stderr[-1500:]}")
    csv_path.unlink(missing_ok=True)
    return section


# Report ------------------------------------------------------------------------------------------------------
def code_version() -> str:
    """The commit measured, and whether the working tree differed from it (other work in progress)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "src"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}{' with uncommitted changes in src/' if dirty else ''}" if commit else "unknown"


def machine(postgres_url: str) -> dict[str, Any]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    try:
        from sqlalchemy import create_engine, text

        from sqlalchemy.engine import make_url

        engine = create_engine(make_url(postgres_url).set(database="postgres"))
        with engine.connect() as connection:
            postgres = connection.execute(text("SHOW server_version")).scalar_one()
        engine.dispose()
    except Exception:  # noqa: BLE001 - informational only
        postgres = "unreachable"
    return {
        "cpus": os.cpu_count(), "cpu_model": model, "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "postgresql": postgres,
        "os": f"{platform.system()} {platform.release()}", "code": code_version(),
    }


def _ms(value: Any) -> str:
    return f"{value:.1f}" if isinstance(value, (int, float)) else "–"


def render(results: dict[str, Any]) -> str:
    lines = [START_MARK, ""]
    info = results.get("machine", {})
    if info:
        lines += [f"Measured {results.get('measured_at', '?')} on {info['cpus']} CPU cores ({info['cpu_model']}), "
                  f"{info['os']}, Python {info['python']}, SQLite {info['sqlite']}, PostgreSQL {info['postgresql']}; "
                  f"load average at start {', '.join(map(str, info['load_average_at_start']))}; code "
                  f"{info.get('code', 'not recorded')}. The machine was "
                  f"shared with other work: compare figures within one run (the ratio), not across machines.", ""]
    http = [results[name] for name in ("sqlite", "postgres") if name in results]
    if http:
        lines += ["| database | endpoint | requests | per second | p50 ms | p90 ms | p99 ms | server CPU ms/request "
                  "| errors |", "|---|---|--:|--:|--:|--:|--:|--:|--:|"]
        for section in http:
            for endpoint, label in (("checkout", "checkout `POST /api/v1/sales` (single rule)"),
                                    ("rich", "checkout on a rich program (20 rules, 3 tiers, stamp card)"),
                                    ("bare", "bare write `POST /api/v1/_bench/write/{id}`")):
                figures = section.get(endpoint)
                if not figures:
                    continue
                lines.append(f"| {section['database']} | {label} | {figures['requests']:,} | {figures['per_second']:.1f} "
                             f"| {_ms(figures['p50_ms'])} | {_ms(figures['p90_ms'])} | {_ms(figures['p99_ms'])} "
                             f"| {_ms(figures['server_cpu_ms_per_request'])} | {figures['errors']} |")
        lines += ["", "| database | checkout / bare (sales/s) | target ≥ 0.5 | CPU per request bare / checkout "
                      "| checkout p99 | target < 50 ms | clients | measured | sales recorded / acknowledged "
                      "| `setia ledger verify` |",
                  "|---|--:|:-:|--:|--:|:-:|--:|---|---|---|"]
        for section in http:
            ratio, p99 = section["ratio"], section["checkout"]["p99_ms"]
            cpu_ratio = section.get("cpu_ratio")
            endpoints = 3 if section.get("rich") else 2
            lines.append(
                f"| {section['database']} | {ratio:.2f} | {'met' if ratio >= 0.5 else 'not met'} "
                f"| {cpu_ratio if cpu_ratio is not None else '–'} | {p99:.1f} ms "
                f"| {'met' if p99 < 50 else 'not met'} | {section['clients']} "
                f"| {section['rounds']} rounds × {section['duration_s']:g} s per endpoint, {endpoints} endpoints in "
                f"alternating order | {section['sales_in_db']:,} / {section['sales_acknowledged']:,} "
                f"| {section['verify']} |")
        rich_sections = [section for section in http if section.get("rich")]
        if rich_sections:
            lines += ["", "| database | rich / single-rule checkout (sales/s) | target ≥ 0.8 "
                          "| CPU per request single-rule / rich | rich checkout p50 / p99 | load average at start |",
                      "|---|--:|:-:|--:|--:|---|"]
            for section in rich_sections:
                rich_ratio, rich = section.get("rich_ratio"), section["rich"]
                met = "–" if rich_ratio is None else ("met" if rich_ratio >= 0.8 else "not met")
                load = section.get("load_average_at_start")
                lines.append(
                    f"| {section['database']} | {rich_ratio if rich_ratio is not None else '–'} | {met} "
                    f"| {section.get('rich_cpu_ratio') if section.get('rich_cpu_ratio') is not None else '–'} "
                    f"| {_ms(rich['p50_ms'])} / {_ms(rich['p99_ms'])} ms "
                    f"| {', '.join(map(str, load)) if load else '–'} |")
            program = rich_sections[0].get("rich_program") or {}
            sample = program.get("sample_quote") or {}
            if program:
                floors = program.get("tier_floors") or {}
                earning = sample.get("rules_earning") or []
                configured = [rule for rule in earning if rule != "spend" and not str(rule).startswith("tier:")]
                lines += ["", f"Rich program: {program.get('earn_rules')} active earn rules ({program.get('capped_rules')} "
                              f"with a cap per day or month), {program.get('tiers')} tiers (tier floors set on "
                              f"{', '.join(f'{count} {code}' for code, count in floors.items())} of the "
                              f"{rich_sections[0]['members']:,} members), a stamp card per coffee; its sales name "
                              f"the outlet. A platinum member's quote for the load's 3 lines earns "
                              f"{sample.get('points')} points by {len(earning)} contributions: the base spend rule, "
                              f"the tier's multiplier and {len(configured)} of the {program.get('earn_rules')} rules "
                              f"({', '.join(configured)})."]
        lines.append("")
    imported = results.get("import")
    if imported:
        if imported.get("status") == "missing":
            lines += ["**History import: not measured** — `src/setia/services/imports.py` or `bench/gen_import.py` "
                      "was missing when the benchmark ran. Run `make bench BENCH_ARGS='--only import'` once they exist.",
                      ""]
        else:
            lines += ["| history import | sales | members | seconds | sales/s | target < 15 s | `setia ledger verify` |",
                      "|---|--:|--:|--:|--:|:-:|---|",
                      f"| `setia import sales` ({imported['csv_mb']} MB CSV, fresh SQLite) | {imported['sales_in_db']:,} "
                      f"| {imported['members']:,} | {imported['seconds']:.1f} | {imported['sales_per_second']:,.0f} "
                      f"| {'met' if imported['seconds'] < 15 and imported['status'] == 'ok' else 'not met'} "
                      f"| {imported['verify']} |", "",
                      f"Import output: `{imported['output']}`" + (f" (status {imported['status']})"
                                                                  if imported['status'] != 'ok' else ""), ""]
    lines += targets_summary(results, http, imported)
    lines.append(END_MARK)
    return "\n".join(lines)


def targets_summary(results: dict[str, Any], http: list[dict[str, Any]], imported: dict[str, Any] | None) -> list[str]:
    """Each target of the run, met or not, with the load average the part started under."""
    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    def load(section: dict[str, Any]) -> str:
        figures = section.get("load_average_at_start")
        return f"load average at start {figures[0]}" if figures else "load average at start not recorded"

    items = []
    for section in http:
        ratio, p99, name = section["ratio"], section["checkout"]["p99_ms"], section["database"]
        items.append(f"- {name}, checkout / bare ≥ 0.5: {ratio:.2f}, {verdict(ratio >= 0.5)} ({load(section)})")
        items.append(f"- {name}, checkout p99 < 50 ms at {section['clients']} clients: {p99:.1f} ms, "
                     f"{verdict(p99 < 50)}")
        if section.get("rich_ratio") is not None:
            items.append(f"- {name}, rich program / single-rule checkout ≥ 0.8: {section['rich_ratio']:.2f}, "
                         f"{verdict(section['rich_ratio'] >= 0.8)} (server CPU per request single-rule / rich "
                         f"{section.get('rich_cpu_ratio')})")
    if imported and imported.get("status") != "missing":
        ok = imported["seconds"] < 15 and imported["status"] == "ok"
        items.append(f"- history import of {imported['sales_in_db']:,} sales < 15 s: {imported['seconds']:.1f} s, "
                     f"{verdict(ok)} ({load(imported)})")
    if not items:
        return []
    machine_load = results.get("machine", {}).get("load_average_at_start")
    head = "**Targets in this run**" + (f" (load average when the run started: {', '.join(map(str, machine_load))})"
                                        if machine_load else "") + ":"
    return [head, "", *items, ""]


def write_doc(results: dict[str, Any]) -> None:
    block = render(results)
    if DOC.exists() and START_MARK in DOC.read_text():
        text = DOC.read_text()
        head, rest = text.split(START_MARK, 1)
        tail = rest.split(END_MARK, 1)[1] if END_MARK in rest else ""
        DOC.write_text(head + block + tail)
    else:
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text("# Benchmarks\n\nRun with `make bench` (or `make bench BENCH_ARGS=--quick`).\n\n" + block + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs for a smoke check; prints, writes nothing")
    parser.add_argument("--only", choices=["sqlite", "postgres", "import"], action="append",
                        help="run only this part (repeatable)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--warmup", type=float, help="seconds of warm-up before each measured window (2; 1 after "
                                                     "the first round of each endpoint)")
    parser.add_argument("--duration", type=float, help="measured seconds per endpoint per round (5)")
    parser.add_argument("--rounds", type=int, help="rounds of checkout + bare, alternating order (4)")
    parser.add_argument("--members", type=int, help="members seeded for the HTTP benchmarks (2000)")
    parser.add_argument("--import-sales", type=int, help="sales in the import benchmark (100000)")
    parser.add_argument("--import-members", type=int, help="members in the import benchmark (10000)")
    parser.add_argument("--import-wait", type=float, help="seconds to wait for the import code to exist (0)")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="database to drop, create and use")
    parser.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                        help="update docs/benchmarks.md and bench/results.json (default: yes unless --quick)")
    args = parser.parse_args(argv)
    defaults = dict(warmup=0.5, duration=2.0, rounds=1, members=200, import_sales=5000, import_members=500,
                    import_wait=0.0) if args.quick else dict(warmup=2.0, duration=5.0, rounds=4, members=2000,
                                                             import_sales=100_000, import_members=10_000,
                                                             import_wait=0.0)
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    write = (not args.quick) if args.write is None else args.write
    parts = args.only or ["sqlite", "postgres", "import"]

    results: dict[str, Any] = json.loads(RESULTS.read_text()) if write and RESULTS.exists() else {}
    results["machine"] = machine(args.postgres_url)
    results["measured_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    say(f"Setia benchmarks ({'quick' if args.quick else 'full'}): {', '.join(parts)}; "
        f"{results['machine']['cpus']} cores, load average {results['machine']['load_average_at_start']}")
    OUT.mkdir(parents=True, exist_ok=True)
    if "sqlite" in parts:
        results["sqlite"] = http_benchmark("sqlite", fresh_sqlite("http.db"), args)
    if "postgres" in parts:
        results["postgres"] = http_benchmark("postgres", fresh_postgres(args.postgres_url), args)
    if "import" in parts:
        results["import"] = import_benchmark(args)

    stored = {name: ({key: value for key, value in section.items() if key != "latencies_ms"}
                     if isinstance(section, dict) else section) for name, section in results.items()}
    say("\n" + render(stored))
    if write:
        RESULTS.write_text(json.dumps(stored, indent=2) + "\n")
        write_doc(stored)
        say(f"\nwrote {DOC.relative_to(ROOT)} and {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
