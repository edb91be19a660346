"""Serial benchmark: validations per second on one core, and `flask serials check-file` on a large CSV.

Inputs are generated from a seed: VINs with correct check digits (and one in ten with a wrong one),
firearm serials (one in ten with a look-alike or bad character), GS1 element strings in the three
input forms. Each rate is the median of five timed passes over the same inputs. The file check runs
`flask serials check-file` in a fresh process, timed from outside (start-up included).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from registry.config import PROJECT_ROOT
from registry.serials import validate
from registry.serials.vin import YEAR_CODES, check_digit

VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
WMIS = ["1M8", "1G4", "5YJ", "1FA", "WVW", "JHM", "KMH", "2HG", "3VW", "WBA"]
PASSES = 5


def make_vin(rng: random.Random) -> str:
    body = (
        rng.choice(WMIS)
        + "".join(rng.choices(VIN_ALPHABET, k=5))
        + "0"
        + rng.choice(list(YEAR_CODES))
        + "".join(rng.choices(VIN_ALPHABET, k=7))
    )
    vin = body[:8] + check_digit(body) + body[9:]
    if rng.random() < 0.1:  # a typo in the check digit
        vin = vin[:8] + ("1" if vin[8] != "1" else "2") + vin[9:]
    return vin


def make_firearm(rng: random.Random) -> str:
    serial = (
        "".join(rng.choices("ABCDEFGHJKLMNPRSTUVWXYZ", k=rng.randint(0, 3)))
        + "-" * rng.randint(0, 1)
        + "".join(rng.choices("0123456789", k=rng.randint(4, 8)))
    )
    if rng.random() < 0.1:
        serial += rng.choice(["\u0421", "/", "\uff21"])
    return serial


def make_gs1(rng: random.Random) -> str:
    gtin = "0950600013435" + str(rng.randint(0, 9))
    gtin = gtin[:13] + str((10 - sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(gtin[:13])) % 10) % 10)
    serial, lot = str(rng.randint(1, 10**8)), f"L{rng.randint(1, 9999)}"
    form = rng.randrange(3)
    if form == 0:
        return f"(01){gtin}(17)271231(10){lot}(21){serial}"
    if form == 1:
        return f"]d201{gtin}1727123110{lot}\x1d21{serial}"
    return f"https://id.gs1.org/01/{gtin}/10/{lot}/21/{serial}?17=271231"


def rate(scheme: str, values: list[str]) -> float:
    timings = []
    for _ in range(PASSES):
        started = time.perf_counter()
        for value in values:
            validate(scheme, value)
        timings.append(time.perf_counter() - started)
    return len(values) / statistics.median(timings)


def timed_check_file(rows: int, rng: random.Random) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "vins.csv"
        with source.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["stock_number", "serial"])
            writer.writerows([f"S{n:07d}", make_vin(rng)] for n in range(rows))
        env = {**os.environ, "FLASK_APP": "wsgi", "REGISTRY_INSTANCE": str(Path(folder) / "instance")}
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "flask", "serials", "check-file", str(source), "--scheme", "vin"],
            env=env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        if result.returncode not in (0, 1):
            raise RuntimeError(f"check-file failed: {result.stdout}{result.stderr}")
        return seconds, result.stdout.splitlines()[0]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench serials", description=__doc__)
    parser.add_argument("--values", type=int, default=100_000, help="inputs per scheme for the validation rates")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the CSV for check-file")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    print(f"machine: {platform.machine()}, python {platform.python_version()}, {os.cpu_count()} cores; one core used")
    inputs = {
        "vin": [make_vin(rng) for _ in range(args.values)],
        "firearm": [make_firearm(rng) for _ in range(args.values)],
        "gs1": [make_gs1(rng) for _ in range(args.values // 10)],
    }
    rates = {scheme: rate(scheme, values) for scheme, values in inputs.items()}
    seconds, summary = timed_check_file(args.rows, rng)
    print()
    print("| scheme | inputs | validations/s (median of 5 passes) |")
    print("|---|---|---|")
    for scheme, value in rates.items():
        print(f"| {scheme} | {len(inputs[scheme]):,} | {value:,.0f} |")
    print()
    print(
        f"check-file, {args.rows:,}-row VIN CSV: {seconds:.1f} s ({args.rows / seconds:,.0f} rows/s), "
        f"whole command; it printed: {summary}"
    )
    return 0
