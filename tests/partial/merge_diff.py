"""merge_diff.py -- generated tests of partial aggregates: a seeded random table is cut into
random pieces (some empty, each compressed at random), `pluck --partial` runs over each
piece and `pluck merge` over the partials in order; the result must be byte-identical to the
single run of the same query over the whole table (the reference the issue names), and
equal to Python's own decimal arithmetic where it is a plain COUNT/SUM.

Usage: merge_diff.py PLUCK WORKDIR [--seed N] [--cases N]
Prints one line per failure, then "partial: N passed, N failed"; a failure names the seed,
case, query and cut points (shrunk to the fewest pieces that still fail) to reproduce it.
"""
import argparse
import decimal
from fractions import Fraction
import gzip
import os
import random
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("pluck")
ap.add_argument("work")
ap.add_argument("--seed", type=int, default=20261206)
ap.add_argument("--cases", type=int, default=60)
args = ap.parse_args()
PLUCK = args.pluck
os.makedirs(args.work, exist_ok=True)

QUERIES = [
    # (sql, needs -X)
    ("SELECT COUNT(*), SUM(s.amount), AVG(s.amount), MIN(s.amount), MAX(s.amount) FROM S3Object s", False),
    ("SELECT COUNT(s.amount), MIN(s.name), MAX(s.name), SUM(CAST(s.qty AS INT)) FROM S3Object s "
     "WHERE s.qty <> ''", False),
    ("SELECT MIN(s.ts), MAX(CAST(s.ts AS TIMESTAMP)), COUNT(*) FROM S3Object s WHERE s.ts <> ''", False),
    ("SELECT AVG(CAST(s.qty AS INT)), SUM(CAST(s.amount AS DECIMAL)) FROM S3Object s "
     "WHERE s.qty <> '' AND s.amount <> '' AND s.amount <> 'n/a'", False),
    ("SELECT MIN(s.code), MAX(s.code), COUNT(s.code), s.flag FROM S3Object s GROUP BY s.flag", True),

    ("SELECT s.cat, COUNT(*), SUM(s.amount), AVG(s.amount), MIN(s.name) FROM S3Object s "
     "GROUP BY s.cat", True),
    ("SELECT s.cat, s.flag, COUNT(*), MAX(s.amount) FROM S3Object s GROUP BY s.cat, s.flag "
     "HAVING COUNT(*) > 2", True),
    ("SELECT s.cat, SUM(s.amount) FROM S3Object s GROUP BY s.cat ORDER BY SUM(s.amount) DESC "
     "LIMIT 3", True),
    ("SELECT s.cat, COUNT(*) FROM S3Object s GROUP BY s.cat ORDER BY s.cat", True),
    ("SELECT COUNT(*) FROM S3Object s WHERE s.cat = 'zzz'", False),
    ("SELECT COUNT(*), SUM(s.amount) FROM S3Object s LIMIT 0", False),
    # FLOAT sums (CSV text with an exponent, CAST AS FLOAT) are exact, so they merge too
    ("SELECT s.cat, SUM(s.code), AVG(CAST(s.qty AS FLOAT)), SUM(CAST(s.qty AS FLOAT) / 7), "
     "COUNT(*) FROM S3Object s WHERE s.qty <> '' GROUP BY s.cat", True),
    # ORDER BY without aggregates: each partial keeps its top-n candidates; ties (equal keys)
    # keep input order
    ("SELECT s.name, s.amount FROM S3Object s ORDER BY s.cat LIMIT 25", True),
    ("SELECT * FROM S3Object s ORDER BY s.amount DESC NULLS LAST, s.name LIMIT 40", True),
    ("SELECT s.code, s.ts FROM S3Object s WHERE s.qty <> '' ORDER BY s.flag, "
     "CAST(s.qty AS INT) DESC", True),
    ("SELECT s.name, s.ts FROM S3Object s ORDER BY s.ts NULLS FIRST, s.flag DESC LIMIT 7", True),
    ("SELECT s.flag FROM S3Object s ORDER BY s.code LIMIT 3", True),
]
CATS = ["alpha", "beta", "gamma", "d%lta", "e psilon", "\u00e9t\u00e9", "", "\"q\""]


def cell(rng):
    return rng.choice([
        lambda: str(rng.randint(-10**6, 10**6)),
        lambda: f"{rng.randint(-10**5, 10**5)}.{rng.randint(0, 10**rng.randint(1, 6))}",
        lambda: f"{rng.choice(['', '-'])}{rng.randint(0, 10**18)}.{rng.randint(0, 10**12):012d}",
        lambda: "",
        lambda: "n/a",
        lambda: "007",
    ])()


def code(rng):
    """Text whose MIN/MAX keep their spelling (1E3 stays 1E3); 1E3 and 1e-2 read as FLOAT,
    so SUM(s.code) mixes FLOAT, DECIMAL and INT terms."""
    return rng.choice(["1E3", "007", "-0", "1e-2", "", "abc", str(rng.randint(-99, 99)),
                       f"{rng.randint(0, 99)}.{rng.randint(0, 99)}"])


def quote(v):
    if any(c in v for c in ',"\n%'):
        return '"' + v.replace('"', '""') + '"'
    return v


def table(rng, n):
    rows = ["name,cat,amount,qty,ts,flag,code"]
    for i in range(n):
        name = rng.choice(["x", "y", "name with space", "line\nbreak", "caf\u00e9", "%41", "z"]) + str(
            rng.randint(0, 50))
        ts = rng.choice(["", "2021-03-04T05:06:07Z", "2020-01-01T00:00:00.5+05:30", "2019T",
                         "2021-03-04T05:06:07.123456789-00:00", "2022-12-31"])
        rows.append(",".join(quote(v) for v in [
            name, rng.choice(CATS), cell(rng), rng.choice(["", str(rng.randint(-50, 50))]), ts,
            rng.choice(["true", "false", ""]), code(rng)]))
    return rows


def run(argv, stdin=None):
    p = subprocess.run([PLUCK, "--no-progress", *argv] if argv[0] != "merge" else [PLUCK, *argv],
                       capture_output=True, input=stdin)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def compress(rng, path, data):
    kind = rng.choice(["plain", "plain", "gzip", "zstd"])
    if kind == "gzip":
        data = gzip.compress(data, mtime=0)
    elif kind == "zstd":
        data = subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True,
                              check=True).stdout
    with open(path, "wb") as f:
        f.write(data)


def attempt(rng, sql, opts, header, body, cuts, tag):
    """Single run vs merge of pieces cut at `cuts` (record indexes); returns an error text."""
    whole = os.path.join(args.work, f"{tag}-whole.csv")
    with open(whole, "wb") as f:
        f.write(("\n".join([header] + body) + "\n").encode())
    rc, want, err = run([*opts, sql, whole])
    if rc != 0:
        return f"single run failed: {err}"
    parts = []
    bounds = [0] + cuts + [len(body)]
    for i in range(len(bounds) - 1):
        piece = body[bounds[i]:bounds[i + 1]]
        path = os.path.join(args.work, f"{tag}-p{i}")
        compress(rng, path, ("\n".join([header] + piece) + "\n").encode())
        prc, pout, perr = run(["--partial", *opts, sql, path])
        if prc != 0:
            return f"--partial failed on piece {i}: {perr}"
        pp = path + ".part"
        with open(pp, "wb") as f:
            f.write(pout)
        parts.append(pp)
    mrc, got, merr = run(["merge", *parts])
    if mrc != 0:
        return f"merge failed: {merr}"
    if got != want:
        return f"merge differs:\n    single {want[:300]!r}\n    merge  {got[:300]!r}"
    # the same partials concatenated in one stream, through standard input
    cat = b"".join(open(p, "rb").read() for p in parts)
    mrc, got2, merr = run(["merge"], stdin=cat)
    if mrc != 0 or got2 != want:
        return f"merge of concatenated partials on stdin differs ({merr})"
    return None


passed = failed = 0
rng = random.Random(args.seed)
for case in range(args.cases):
    sql, ext = QUERIES[case % len(QUERIES)]
    opts = ["-H", "--allow-quoted-record-delimiter", "TRUE"] + (["-X"] if ext else [])
    rows = table(rng, rng.choice([0, 1, 5, 40, 300, 1500]))
    header, body = rows[0], rows[1:]
    k = rng.randint(1, 6)
    cuts = sorted(rng.randint(0, len(body)) for _ in range(k - 1))
    tag = f"c{case}"
    problem = attempt(random.Random(case), sql, opts, header, body, cuts, tag)
    if problem:
        # shrink: drop cut points while the failure stays
        for c in list(cuts):
            fewer = [x for x in cuts if x != c]
            if attempt(random.Random(case), sql, opts, header, body, fewer, tag):
                cuts = fewer
        failed += 1
        print(f"FAIL partial: seed {args.seed} case {case}: {sql}\n  cuts {cuts} of "
              f"{len(body)} rows: {problem}")
    else:
        passed += 1

# an independent oracle for the exact sum: Python's decimal over a table of decimals
decimal.getcontext().prec = 80
vals = [f"{rng.randint(-10**15, 10**15)}.{rng.randint(0, 10**9):09d}" for _ in range(3000)]
body = [f"r{i},{v}" for i, v in enumerate(vals)]
cuts = sorted(rng.randint(0, len(body)) for _ in range(4))
sql = "SELECT COUNT(*), SUM(s.v) FROM S3Object s"
bounds = [0] + cuts + [len(body)]
parts = []
for i in range(len(bounds) - 1):
    path = os.path.join(args.work, f"dec-p{i}.csv")
    with open(path, "w") as f:
        f.write("\n".join(["k,v"] + body[bounds[i]:bounds[i + 1]]) + "\n")
    rc, out, err = run(["--partial", "-H", sql, path])
    with open(path + ".part", "wb") as f:
        f.write(out)
    parts.append(path + ".part")
rc, got, err = run(["merge", *parts])
want = f"{len(vals)},{sum(decimal.Decimal(v) for v in vals)}\n".encode()
if rc == 0 and got == want:
    passed += 1
else:
    failed += 1
    print(f"FAIL partial: merged exact sum {got!r} != Python decimal {want!r} ({err})")

# FLOAT sums: the merged result is the correctly rounded sum (Python's Fraction, exact, then
# float(), which rounds correctly), whatever the cuts; values over the whole double range
frng = random.Random(args.seed + 1)
fv = []
for _ in range(4000):
    k = frng.random()
    fv.append(frng.uniform(-1e6, 1e6) if k < 0.4 else
              frng.uniform(-1, 1) * 10.0 ** frng.randint(-300, 300) if k < 0.7 else
              frng.choice([1e300, -1e300, 5e-324, 0.1, 0.2, -0.3]) if k < 0.8 else
              frng.gauss(0, 1))
for big in (1e308, 1e308, -1e308):  # a running sum past the double range, cancelled later
    fv.insert(frng.randint(0, len(fv)), big)
body = [repr(v) for v in fv]
cuts = sorted(frng.randint(0, len(body)) for _ in range(5))
bounds = [0] + cuts + [len(body)]
sql = "SELECT SUM(CAST(s.v AS FLOAT)), SUM(s.v), COUNT(*) FROM S3Object s"
parts = []
for i in range(len(bounds) - 1):
    path = os.path.join(args.work, f"flt-p{i}.csv")
    with open(path, "w") as f:
        f.write("\n".join(["v"] + body[bounds[i]:bounds[i + 1]]) + "\n")
    rc, out, err = run(["--partial", "-H", sql, path])
    parts.append(out)
rc, got, err = run(["merge", "-"], stdin=b"".join(parts))
whole = os.path.join(args.work, "flt-whole.csv")
with open(whole, "w") as f:
    f.write("\n".join(["v"] + body) + "\n")
for threads in ("1", "2"):  # the single run (one thread, and split across two) says the same
    src, single, serr = run(["-H", "--threads", threads, sql, whole])
    if single != got:
        failed += 1
        print(f"FAIL partial: FLOAT sums, --threads {threads}: {single!r} != merged {got!r}")
exact = float(sum(Fraction(v) for v in fv))
try:
    s1, s2, n = got.decode().strip().split(",")
    ok = rc == 0 and float(s1) == exact and float(s2) == exact and int(n) == len(fv)
except ValueError:
    ok = False
if ok:
    passed += 1
else:
    failed += 1
    print(f"FAIL partial: merged FLOAT sum {got!r} != the exact sum rounded {exact!r} ({err})")

print(f"partial: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
