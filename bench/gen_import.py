"""A realistic history file for `setia import sales`: members with Indonesian mobile numbers and names,
sales spread over the past 18 months, totals between Rp10.000 and Rp500.000.

    .venv/bin/python -m bench.gen_import /tmp/sales.csv --sales 100000 --members 10000
"""

from __future__ import annotations

import argparse
import csv
import random
from datetime import datetime, timedelta, timezone

FIRST_NAMES = ("Siti", "Budi", "Dewi", "Agus", "Rina", "Eko", "Putri", "Hendra", "Maya", "Joko", "Intan", "Rudi",
               "Ayu", "Bayu", "Citra", "Dimas", "Fitri", "Gilang", "Indah", "Kurniawan", "Lestari", "Made",
               "Nur", "Wayan", "Yusuf", "Ratna", "Teguh", "Wulan", "Fajar", "Sri")
LAST_NAMES = ("Rahayu", "Santoso", "Lestari", "Pratama", "Wulandari", "Saputra", "Anggraini", "Wijaya", "Sari",
              "Susilo", "Permata", "Hartono", "Hidayat", "Nugroho", "Kusuma", "Setiawan", "Siregar", "Nasution",
              "Simanjuntak", "Putra", "Utami", "Gunawan", "Halim", "Tanjung", "Harahap")
# Indonesian mobile prefixes (Telkomsel, Indosat, XL, Tri, Smartfren): 0812 1234 5678 is 12 digits.
MOBILE_PREFIXES = ("0811", "0812", "0813", "0821", "0822", "0852", "0853", "0814", "0815", "0816", "0855",
                   "0856", "0857", "0858", "0817", "0818", "0819", "0859", "0877", "0878", "0895", "0896",
                   "0897", "0898", "0899", "0881", "0882", "0887", "0888")
MENU = ("Es Kopi Susu", "Americano", "Teh Tarik", "Croissant", "Nasi Goreng", "Mie Ayam", "Roti Bakar",
        "Kaos Polos", "Sabun Mandi", "Beras 5 kg", "Minyak Goreng 2 L", "Pulsa", "Sepatu", "Gula 1 kg")
COLUMNS = ("external_id", "occurred_at", "member_phone", "member_number", "member_name", "total", "outlet_id",
           "description")
JAKARTA = timezone(timedelta(hours=7))


def _members(rng: random.Random, count: int) -> list[tuple[str, str]]:
    phones: set[str] = set()
    people = []
    while len(people) < count:
        phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**7, 10**8)}"
        if phone in phones:
            continue
        phones.add(phone)
        # People write the same number many ways; the import normalises them.
        written = rng.choice((phone, phone, f"{phone[:4]}-{phone[4:8]}-{phone[8:]}", "+62" + phone[1:]))
        people.append((written, f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"))
    return people


def _total(rng: random.Random) -> int:
    # Mostly small baskets, a long tail up to Rp500.000, priced to the Rp500 as shops do.
    amount = min(500_000, max(10_000, int(rng.lognormvariate(11.0, 0.8))))
    return amount - amount % 500


def write_sales_csv(path: str, sales: int = 100_000, members: int = 10_000, seed: int = 1,
                    now: datetime | None = None, member_share: float = 0.8) -> None:
    """Write `sales` sales, about `member_share` of them by one of `members` members, oldest first."""
    rng = random.Random(seed)
    now = now or datetime.now(timezone.utc)
    start = now - timedelta(days=548)  # 18 months
    span_seconds = int((now - start).total_seconds()) - 3600
    people = _members(rng, members)
    instants = sorted(start + timedelta(seconds=rng.randrange(span_seconds)) for _ in range(sales))
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for number, instant in enumerate(instants, start=1):
            phone, name = rng.choice(people) if rng.random() < member_share else ("", "")
            local = instant.astimezone(JAKARTA)
            occurred_at = local.strftime("%Y-%m-%d %H:%M") if number % 2 else local.isoformat(timespec="seconds")
            items = rng.randint(1, 4)
            description = ", ".join(rng.sample(MENU, items))
            writer.writerow((f"POS1-{number:07d}", occurred_at, phone, "", name, _total(rng), "", description))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--sales", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    write_sales_csv(arguments.path, arguments.sales, arguments.members, arguments.seed)
    print(f"wrote {arguments.sales} sales of {arguments.members} members to {arguments.path}")


if __name__ == "__main__":
    main()
