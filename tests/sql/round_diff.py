#!/usr/bin/env python3
"""round_diff.py — ROUND / FLOOR / CEIL / ABS (pluck -X) on generated decimal text against
Python's decimal module (ROUND_HALF_UP, ROUND_FLOOR, ROUND_CEILING at 100 digits).

    python3 tests/sql/round_diff.py PLUCK [--seed N] [--values N]

Prints "round_diff: N values x 6 digit counts, N agree, N disagree"; exit 1 on a difference.
"""
import argparse
import decimal
import os
import random
import subprocess
import sys
import tempfile
from decimal import Decimal, ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP

decimal.getcontext().prec = 100


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pluck")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--values", type=int, default=2000)
    a = ap.parse_args()
    r = random.Random(a.seed)
    vals = []
    for _ in range(a.values):
        ip = r.randint(0, 10 ** r.randint(0, 20))
        fp = "".join(r.choice("0123456789") for _ in range(r.randint(0, 12)))
        if r.random() < 0.2:
            fp = fp[:2] + "5"  # ties
        vals.append(("-" if r.random() < 0.5 else "") + str(ip) + ("." + fp if fp else ""))
    agree = disagree = 0
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "v.csv")
        with open(path, "w") as f:
            f.write("\n".join(vals) + "\n")
        for digits in [0, 1, 2, 3, -1, -2]:
            sql = "SELECT ROUND(_1, %d), FLOOR(_1), CEIL(_1), ABS(_1) FROM S3Object" % digits
            res = subprocess.run([a.pluck, "-X", sql, path], capture_output=True, text=True)
            out = res.stdout.split("\n")[:-1]
            if res.returncode != 0 or len(out) != len(vals):
                print("not ok digits %d: exit %d %s" % (digits, res.returncode, res.stderr.strip()))
                disagree += len(vals)
                continue
            for v, o in zip(vals, out):
                x = Decimal(v)
                if digits >= 0:
                    rd = x.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
                else:
                    rd = x.scaleb(digits).quantize(Decimal(1), rounding=ROUND_HALF_UP).scaleb(-digits)
                want = [rd, x.to_integral_value(ROUND_FLOOR), x.to_integral_value(ROUND_CEILING), abs(x)]
                got = [Decimal(f) for f in o.split(",")]
                if got == want:
                    agree += 1
                else:
                    disagree += 1
                    if disagree <= 5:
                        print("not ok %s digits %d: pluck %s, python %s" % (v, digits, o, want))
    print("round_diff: %d values x 6 digit counts, %d agree, %d disagree"
          % (len(vals), agree, disagree))
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
