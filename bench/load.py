"""Load generator for `bench.run`: N concurrent keep-alive HTTP/1.1 clients on one asyncio loop.

Runs in its own process (started by bench.run), so the server's CPU is not shared with the client's
event loop inside one interpreter. The client speaks just enough HTTP/1.1 (Content-Length or chunked
bodies, keep-alive) to stay cheap: on a 2-core machine a heavier client would steal the server's CPU.

Protocol with the parent: prints `MEASURE_START` when the warm-up ends and `MEASURE_END` when the
measured window ends (the parent samples the server's CPU time at those moments), then one JSON line.

    python -m bench.load --port 8000 --key KEY --mode checkout --targets targets.json

Modes: `checkout` and `rich` post the same sales (`rich` is run against the rich program's merchant and
its targets name an outlet, sent as `outlet_id`); `bare` posts the one-row bench write.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
import uuid
from collections import Counter
from typing import Any

LINES = [
    {"sku": "KOPI-SUSU", "name": "Es Kopi Susu", "category": "coffee", "unit_price": 25000},
    {"sku": "CROIS", "name": "Croissant", "category": "pastry", "unit_price": 30000},
    {"sku": "AIR", "name": "Air Mineral", "category": "drinks", "unit_price": 8000},
]


class HttpConnection:
    """One persistent connection; one request at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
            self.writer = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        for attempt in (0, 1):
            if self.writer is None:
                await self._open()
            try:
                return await self._exchange(method, path, headers, body)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, close = 0, False, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readline()
            payload = b"".join(parts)
        else:
            payload = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, payload


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(-(-fraction * len(sorted_values) // 1))))
    return sorted_values[rank - 1]


def summarise(latencies_ms: list[float], window_s: float) -> dict[str, Any]:
    values = sorted(latencies_ms)
    return {
        "requests": len(values),
        "window_s": round(window_s, 3),
        "per_second": round(len(values) / window_s, 1) if window_s else 0.0,
        "p50_ms": round(percentile(values, 0.50), 2),
        "p90_ms": round(percentile(values, 0.90), 2),
        "p99_ms": round(percentile(values, 0.99), 2),
        "max_ms": round(values[-1], 2) if values else float("nan"),
        "mean_ms": round(sum(values) / len(values), 2) if values else float("nan"),
    }


class Workload:
    def __init__(self, mode: str, key: str, targets: dict[str, Any], seed: int) -> None:
        self.mode = mode
        self.auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self.members = targets["members"]
        self.reward_id = targets["reward_id"]
        self.outlet_id = targets.get("outlet_id")  # the rich program's sales name their outlet
        self.random = random.Random(seed)
        self.issued = 0

    def next_request(self) -> tuple[str, dict[str, str], bytes]:
        self.issued += 1
        member = self.random.choice(self.members)
        if self.mode == "bare":
            return f"/api/v1/_bench/write/{member['id']}", self.auth, b""
        lines = [{**LINES[0], "quantity": self.random.randint(1, 2)}, {**LINES[1], "quantity": 1},
                 {**LINES[2], "quantity": 1}]
        body = {
            "external_id": f"bench-{uuid.uuid4().hex}",
            "member_number": member["number"],
            "lines": lines,
            "reward_ids": [self.reward_id] if self.issued % 10 == 0 else [],  # a redemption in 1 of 10 sales
            "tenders": [{"kind": "cash", "amount": 100000}],
        }
        if self.outlet_id is not None:
            body["outlet_id"] = str(self.outlet_id)
        headers = {**self.auth, "Idempotency-Key": uuid.uuid4().hex}
        path = "/api/v1/sales"
        return path, headers, json.dumps(body, separators=(",", ":")).encode()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with open(args.targets) as handle:
        targets = json.load(handle)
    workload = Workload(args.mode, args.key, targets, args.seed)
    expected = 200 if args.mode == "bare" else 201
    started = time.perf_counter()
    measure_from = started + args.warmup
    measure_to = measure_from + args.duration
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    ok_total = 0

    async def client() -> None:
        nonlocal ok_total
        connection = HttpConnection(args.host, args.port)
        try:
            while time.perf_counter() < measure_to:
                path, headers, body = workload.next_request()
                sent = time.perf_counter()
                try:
                    status, payload = await connection.request("POST", path, headers, body)
                except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                    statuses[-1] += 1
                    if len(failures) < 5:
                        failures.append(repr(error))
                    await connection.close()
                    continue
                done = time.perf_counter()
                if status == expected:
                    ok_total += 1
                else:
                    if len(failures) < 5:
                        failures.append(f"{status} {payload[:300]!r}")
                if measure_from <= sent and done <= measure_to:
                    statuses[status] += 1
                    if status == expected:
                        latencies.append((done - sent) * 1000)
        finally:
            await connection.close()

    async def markers() -> None:
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        print("MEASURE_START", flush=True)
        await asyncio.sleep(max(0.0, measure_to - time.perf_counter()))
        print("MEASURE_END", flush=True)

    cpu_before = time.process_time()
    await asyncio.gather(markers(), *(client() for _ in range(args.clients)))
    result = summarise(latencies, args.duration)
    result.update({
        "mode": args.mode,
        "clients": args.clients,
        "errors": sum(count for status, count in statuses.items() if status != expected),
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "ok_total": ok_total,
        "failures": failures,
        "client_cpu_s": round(time.process_time() - cpu_before, 2),
        "latencies_ms": [round(value, 3) for value in latencies],
    })
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--mode", choices=["checkout", "rich", "bare"], required=True)
    parser.add_argument("--targets", required=True, help="JSON: {members: [{id, number}], reward_id, "
                                                          "outlet_id (optional)}")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the load generator only targets loopback")
    try:
        import uvloop

        result = uvloop.run(run(args))
    except ImportError:
        result = asyncio.run(run(args))
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
