#!/usr/bin/env python3
"""oracle.py - independent expected results for tests/e2e/t_airports.sh.

Reads testdata/airports.csv.gz with Python's gzip and csv modules (never with pluck) and
computes, for a fixed list of queries, the exact bytes pluck must print, following the
semantics in man/pluck.1 and /work/shared/s3select-notes.md sections 3-5:

  * every CSV field is an untyped string; an empty field is '' (not NULL); a column past the
    end of the record is MISSING;
  * an untyped field compared with a number is read as a number, and when it is not one the
    comparison is unknown (three-valued logic; WHERE keeps only TRUE); two untyped fields
    compare as numbers when both parse, else as strings (byte order of UTF-8 = code points);
  * SUM/AVG read fields as numbers and skip '' and non-numbers; AVG of integers is an exact
    decimal rounded half even to 38 digits (38 after the point at most), trailing zeros dropped; decimals add
    exactly (the result keeps the largest scale of its inputs);
  * MIN/MAX skip empty fields and order numbers before strings;
  * integer division truncates toward zero, % takes the sign of the dividend (C semantics);
  * CSV output: ASNEEDED quotes a field holding the quote or escape character, CR, LF or any
    byte of the field/record delimiter, never the empty string; NULL/MISSING print empty;
  * JSON output: one object per record, keys = alias / header name as the header spells it /
    _N, strings from CSV stay
    strings, numbers are bare, NULL is null, MISSING members are left out.

It writes tests/e2e/data/airports_queries.tsv (NAME<TAB>KIND<TAB>OPTIONS<TAB>SQL, one query a
line, OPTIONS split on spaces by the shell) and one golden file tests/e2e/data/airports_NAME.out
per query.  KIND is "exact" (stdout must equal the file byte for byte) or "prefix" (stdout must
start with the file's text: used where only a leading part of the digits is specified).

Run once from the repository root:  python3 tests/e2e/oracle.py
The golden files are committed; the test suite does not need Python.
"""
import csv
import gzip
import io
import json
import math
import os
import re
from fractions import Fraction
from decimal import Decimal, ROUND_HALF_UP, getcontext

getcontext().prec = 400  # exact for every sum and quotient below

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = os.path.join(ROOT, "testdata", "airports.csv.gz")
OUT = os.path.join(ROOT, "tests", "e2e", "data")

with gzip.open(SRC, "rt", encoding="utf-8", newline="") as fh:
    ALL = list(csv.reader(fh))
HEADER, ROWS = ALL[0], ALL[1:]
COL = {name: i for i, name in enumerate(HEADER)}
assert len(ROWS) == 46479 and all(len(r) == 18 for r in ALL)


class _Missing:
    def __repr__(self):
        return "MISSING"


MISSING = _Missing()


def f(r, name):
    """Field by header name (unquoted names are case-insensitive)."""
    return r[COL[name.lower()]]


def pos(r, n):
    """Field by position _n (1-based); MISSING past the end."""
    return r[n - 1] if n <= len(r) else MISSING


# ---- numbers -------------------------------------------------------------------------------
_NUM = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def num(s):
    """An untyped field read as a number: int, Decimal or float; None when it is not one."""
    if not isinstance(s, str) or not _NUM.match(s):
        return None
    if "e" in s or "E" in s:
        return float(s)
    if "." in s:
        return Decimal(s)
    return int(s)


def cmp_num(field, k):
    """field (untyped) compared with number k: -1/0/1, None when unknown."""
    x = num(field)
    if x is None:
        return None
    x, k = Decimal(x), Decimal(k)
    return (x > k) - (x < k)


def cmp_fields(a, b):
    """Two untyped fields: numbers when both parse, else strings (code-point order)."""
    x, y = num(a), num(b)
    if x is not None and y is not None:
        x, y = Decimal(x), Decimal(y)
        return (x > y) - (x < y)
    return (a > b) - (a < b)


def idiv(a, b):
    """Integer division truncating toward zero (C)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def imod(a, b):
    """Remainder with the sign of the dividend (C)."""
    return a - b * idiv(a, b)


def avg_exact(values):
    """AVG of integers: the exact quotient rounded half even to at most 38 digits, at most 38
    of them after the point (pluck(1) "Numbers"), trailing zeros dropped."""
    q = Fraction(sum(values), len(values))
    if q == 0:
        return Decimal(0)
    e = len(str(abs(q.numerator))) - len(str(q.denominator))
    while Fraction(10) ** e > abs(q):
        e -= 1
    while Fraction(10) ** (e + 1) <= abs(q):
        e += 1
    t = min(38, 37 - e)
    n = round(q * 10 ** t)  # Fraction rounds half to even
    return strip_zeros(Decimal(n).scaleb(-t))


def strip_zeros(d):
    t = format(d, "f")
    if "." in t:
        t = t.rstrip("0").rstrip(".")
    return Decimal(t)


def agg_min_max(values, want_max):
    """MIN/MAX over untyped fields: empty fields skipped, numbers (when they parse) order
    before strings."""
    vals = [v for v in values if v is not None and v is not MISSING and v != ""]
    if not vals:
        return None
    def key(v):
        n = num(v) if isinstance(v, str) else v
        return (0, Decimal(n), "") if n is not None else (1, 0, v)
    best = max(vals, key=key) if want_max else min(vals, key=key)
    n = num(best) if isinstance(best, str) else best
    return n if n is not None else best


def sum_fields(values):
    """SUM of untyped fields: '' and non-numbers skipped; NULL over nothing."""
    ns = [num(v) for v in values]
    ns = [n for n in ns if n is not None]
    if not ns:
        return None
    if all(isinstance(n, int) for n in ns):
        return sum(ns)
    return sum((Decimal(n) for n in ns), Decimal(0))


# ---- rendering -----------------------------------------------------------------------------
def float_text(x):
    """Shortest round-trip digits, positional for 1e-7 < |x| < 1e21."""
    if x == 0:
        return "-0" if math.copysign(1, x) < 0 else "0"
    t = format(Decimal(repr(x)), "f")
    if "." in t:
        t = t.rstrip("0").rstrip(".")
    return t


def text(v):
    if v is None or v is MISSING:
        return ""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, float):
        return float_text(v)
    if isinstance(v, Decimal):
        return format(v, "f")
    return str(v)


def csv_out(records, fd=",", rd="\n", q='"', qe=None, always=False):
    qe = q if qe is None else qe
    special = set(fd) | set(rd) | {"\r", "\n", q, qe}
    out = []
    for rec in records:
        cells = []
        for v in rec:
            t = text(v)
            if always or (t and any(c in special for c in t)):
                body = t.replace(qe, qe + qe) if qe != q else t
                body = body.replace(q, qe + q)
                t = q + body + q
            cells.append(t)
        out.append(fd.join(cells) + rd)
    return "".join(out)


def json_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (int, Decimal, float)):
        return text(v)
    return json.dumps(v, ensure_ascii=False)


def json_out(records, rd="\n"):
    """records: lists of (key, value); MISSING values are left out."""
    out = []
    for rec in records:
        members = ["%s:%s" % (json.dumps(k, ensure_ascii=False), json_value(v))
                   for k, v in rec if v is not MISSING]
        out.append("{" + ",".join(members) + "}" + rd)
    return "".join(out)


def star_json(r, names=HEADER):
    return list(zip(names, r))


# ---- the queries ---------------------------------------------------------------------------
QUERIES = []


def Q(name, opts, sql, result, kind="exact"):
    # the shell splits the manifest on tabs (IFS whitespace: an empty field would vanish)
    assert opts and "\t" not in sql and "\t" not in opts and "\n" not in sql
    QUERIES.append((name, kind, opts, sql, result))


def where(pred, rows=ROWS):
    return [r for r in rows if pred(r) is True]


def AND(*xs):
    """Three-valued AND over already-evaluated operands (True/False/None)."""
    if any(x is False for x in xs):
        return False
    return None if any(x is None for x in xs) else True


def OR(*xs):
    if any(x is True for x in xs):
        return True
    return None if any(x is None for x in xs) else False


def NOT(x):
    return None if x is None else not x


def gt(field, k):
    c = cmp_num(field, k)
    return None if c is None else c > 0


def lt(field, k):
    c = cmp_num(field, k)
    return None if c is None else c < 0


def between(field, lo, hi):
    a, b = cmp_num(field, lo), cmp_num(field, hi)
    return AND(None if a is None else a >= 0, None if b is None else b <= 0)


def like(s, pattern):
    """LIKE with % and _ (whole string, case-sensitive); no ESCAPE here."""
    rx = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, s, re.S) is not None


US = lambda r: f(r, "iso_country") == "US"

# 1. the launch example: SELECT * re-serialised (ASNEEDED quoting)
Q("launch", "-H", "SELECT * FROM S3Object s WHERE s.iso_country = 'US' LIMIT 10",
  csv_out(where(US)[:10]))
# every name with a double quote in it: doubled quotes, fields with commas quoted
Q("star_quotes", "-H", "SELECT * FROM S3Object s WHERE s.name LIKE '%\"%'",
  csv_out(where(lambda r: '"' in f(r, "name"))))
Q("alias_star", "-H", "SELECT s.* FROM S3Object s WHERE s.iso_country = 'IS' AND s.type = 'medium_airport'",
  csv_out(where(lambda r: f(r, "iso_country") == "IS" and f(r, "type") == "medium_airport")))
Q("keywords_commas", "-H",
  "SELECT s.ident, s.keywords FROM S3Object s WHERE s.keywords LIKE '%,%' AND s.iso_country = 'GB'",
  csv_out([[f(r, "ident"), f(r, "keywords")] for r in ROWS
           if "," in f(r, "keywords") and f(r, "iso_country") == "GB"]))

# 2. projections, aliases, name resolution
IS_MED = [r for r in ROWS if f(r, "iso_country") == "IS" and f(r, "type") == "medium_airport"]
Q("aliases", "-H",
  "SELECT s.ident AS code, s.name AS airport, s.municipality town FROM S3Object AS s "
  "WHERE s.iso_country = 'IS' AND s.type = 'medium_airport'",
  csv_out([[f(r, "ident"), f(r, "name"), f(r, "municipality")] for r in IS_MED]))
Q("names_case", "-H",
  "SELECT s.IDENT, s.Name, s.\"municipality\", s.iso_region FROM S3Object s WHERE s.ISO_COUNTRY = 'LI'",
  csv_out([[f(r, "ident"), f(r, "name"), f(r, "municipality"), f(r, "iso_region")]
           for r in ROWS if f(r, "iso_country") == "LI"]))
Q("no_alias", "-H", "SELECT S3Object.ident, name, S3Object._3 FROM S3Object WHERE iso_country = 'AD'",
  csv_out([[f(r, "ident"), f(r, "name"), pos(r, 3)] for r in ROWS if f(r, "iso_country") == "AD"]))
Q("positional_header", "-H",
  "SELECT _2, s._4, s._9 FROM S3Object s WHERE s._3 = 'large_airport' AND s._9 = 'DE'",
  csv_out([[pos(r, 2), pos(r, 4), pos(r, 9)] for r in ROWS
           if pos(r, 3) == "large_airport" and pos(r, 9) == "DE"]))
Q("positional_mixed", "-H",
  "SELECT s._1, s.ident, _4 AS n FROM S3Object s WHERE s._9 = 'NR' OR s.iso_country = 'TV'",
  csv_out([[pos(r, 1), f(r, "ident"), pos(r, 4)] for r in ROWS if f(r, "iso_country") in ("NR", "TV")]))
# without a header setting the header line is an ordinary record
Q("positional_none", "--no-progress", "SELECT _1, _2, _4 FROM S3Object LIMIT 4",
  csv_out([[r[0], r[1], r[3]] for r in ALL[:4]]))
Q("positional_none_where", "--no-progress",
  "SELECT _2, _11 FROM S3Object WHERE _9 = 'NZ' AND _3 = 'large_airport'",
  csv_out([[r[1], r[10]] for r in ALL if r[8] == "NZ" and r[2] == "large_airport"]))
Q("positional_ignore", "--file-header-info IGNORE", "SELECT _1, _2, _4 FROM S3Object LIMIT 3",
  csv_out([[r[0], r[1], r[3]] for r in ROWS[:3]]))
Q("star_none_limit", "--file-header-info none", "SELECT * FROM S3Object LIMIT 2",
  csv_out(ALL[:2]))

# 3. WHERE: AND / OR / NOT, precedence, LIKE, IN, BETWEEN
Q("and_or_not", "-H",
  "SELECT s.ident, s.type, s.scheduled_service FROM S3Object s WHERE s.iso_country = 'NZ' AND "
  "(s.type = 'large_airport' OR s.type = 'medium_airport') AND NOT s.scheduled_service = 'no'",
  csv_out([[f(r, "ident"), f(r, "type"), f(r, "scheduled_service")] for r in ROWS
           if f(r, "iso_country") == "NZ" and f(r, "type") in ("large_airport", "medium_airport")
           and not f(r, "scheduled_service") == "no"]))
Q("or_and_precedence", "-H",
  "SELECT s.ident, s.type FROM S3Object s WHERE s.iso_country = 'MC' OR s.iso_country = 'VA' "
  "AND s.type = 'heliport' OR s.iso_country = 'SM' AND NOT s.type = 'heliport'",
  csv_out([[f(r, "ident"), f(r, "type")] for r in ROWS
           if f(r, "iso_country") == "MC"
           or (f(r, "iso_country") == "VA" and f(r, "type") == "heliport")
           or (f(r, "iso_country") == "SM" and f(r, "type") != "heliport")]))
Q("like_heliport", "-H",
  "SELECT s.ident, s.name FROM S3Object s WHERE s.name LIKE '%Heliport%' AND s.iso_country = 'GB'",
  csv_out([[f(r, "ident"), f(r, "name")] for r in ROWS
           if like(f(r, "name"), "%Heliport%") and f(r, "iso_country") == "GB"]))
Q("like_count", "-H", "SELECT COUNT(*) FROM S3Object s WHERE s.name LIKE '%Heliport%'",
  csv_out([[sum(1 for r in ROWS if like(f(r, "name"), "%Heliport%"))]]))
Q("like_underscore", "-H",
  "SELECT s.ident FROM S3Object s WHERE s.ident LIKE 'EG_A' OR s.ident LIKE 'LF__' AND s.type = 'large_airport'",
  csv_out([[f(r, "ident")] for r in ROWS
           if like(f(r, "ident"), "EG_A")
           or (like(f(r, "ident"), "LF__") and f(r, "type") == "large_airport")]))
Q("like_escape", "-H",
  "SELECT s.ident, s.name FROM S3Object s WHERE s.ident LIKE '%!_%' ESCAPE '!'",
  csv_out([[f(r, "ident"), f(r, "name")] for r in ROWS if "_" in f(r, "ident")]))
Q("not_like", "-H",
  "SELECT s.name FROM S3Object s WHERE s.iso_country = 'NO' AND s.name NOT LIKE '%Airport' "
  "AND s.name NOT LIKE '%Heliport' AND NOT s.name LIKE '%Platform'",
  csv_out([[f(r, "name")] for r in ROWS if f(r, "iso_country") == "NO"
           and not like(f(r, "name"), "%Airport") and not like(f(r, "name"), "%Heliport")
           and not like(f(r, "name"), "%Platform")]))
Q("like_utf8", "-H", "SELECT s.name FROM S3Object s WHERE s.name LIKE '_ancu%' OR s.name LIKE 'Ž_lina%'",
  csv_out([[f(r, "name")] for r in ROWS
           if like(f(r, "name"), "_ancu%") or like(f(r, "name"), "Ž_lina%")]))
IATA = ("JFK", "LHR", "NRT", "SYD", "GRU", "CPT")
Q("in_list", "-H",
  "SELECT s.iata_code, s.municipality FROM S3Object s WHERE s.iata_code IN ('JFK', 'LHR', 'NRT', 'SYD', 'GRU', 'CPT')",
  csv_out([[f(r, "iata_code"), f(r, "municipality")] for r in ROWS if f(r, "iata_code") in IATA]))
Q("not_in", "-H",
  "SELECT s.ident, s.type FROM S3Object s WHERE s.iso_country = 'IS' AND s.type NOT IN ('small_airport', 'closed', 'heliport')",
  csv_out([[f(r, "ident"), f(r, "type")] for r in ROWS if f(r, "iso_country") == "IS"
           and f(r, "type") not in ("small_airport", "closed", "heliport")]))
Q("in_numbers", "-H", "SELECT s.ident, s.elevation_ft FROM S3Object s WHERE s.elevation_ft IN (13000, 14000, 15000)",
  csv_out([[f(r, "ident"), f(r, "elevation_ft")] for r in ROWS
           if num(f(r, "elevation_ft")) in (13000, 14000, 15000)]))
# BETWEEN on CAST, guarded: AND short-circuits before CAST('' AS FLOAT) could fail
Q("between_cast", "-H",
  "SELECT s.ident, s.elevation_ft FROM S3Object s WHERE s.elevation_ft <> '' AND "
  "CAST(s.elevation_ft AS FLOAT) BETWEEN 13000 AND 14000",
  csv_out([[f(r, "ident"), f(r, "elevation_ft")] for r in ROWS if f(r, "elevation_ft") != ""
           and 13000 <= float(f(r, "elevation_ft")) <= 14000]))
Q("between_untyped", "-H",
  "SELECT s.ident, s.elevation_ft FROM S3Object s WHERE s.elevation_ft BETWEEN 14000 AND 99999",
  csv_out([[f(r, "ident"), f(r, "elevation_ft")] for r in ROWS
           if between(f(r, "elevation_ft"), 14000, 99999) is True]))
Q("not_between", "-H",
  "SELECT s.ident, s.elevation_ft FROM S3Object s WHERE s.iso_country = 'NL' AND s.elevation_ft NOT BETWEEN -10 AND 100",
  csv_out([[f(r, "ident"), f(r, "elevation_ft")] for r in ROWS if f(r, "iso_country") == "NL"
           and NOT(between(f(r, "elevation_ft"), -10, 100)) is True]))
Q("gt_untyped", "-H", "SELECT s.name, s.elevation_ft FROM S3Object s WHERE s.elevation_ft > 14000",
  csv_out([[f(r, "name"), f(r, "elevation_ft")] for r in ROWS if gt(f(r, "elevation_ft"), 14000) is True]))
Q("lt_decimal", "-H",
  "SELECT s.ident, s.latitude_deg FROM S3Object s WHERE s.latitude_deg < -85.5 OR s.latitude_deg >= 82.5",
  csv_out([[f(r, "ident"), f(r, "latitude_deg")] for r in ROWS
           if OR(lt(f(r, "latitude_deg"), Decimal("-85.5")),
                 NOT(lt(f(r, "latitude_deg"), Decimal("82.5")))) is True]))
# three-valued logic: NOT(unknown) is unknown, unknown OR true is true
Q("not_unknown", "-H", "SELECT COUNT(*) FROM S3Object s WHERE NOT (s.elevation_ft > 0)",
  csv_out([[sum(1 for r in ROWS if NOT(gt(f(r, "elevation_ft"), 0)) is True)]]))
Q("or_unknown", "-H", "SELECT COUNT(*) FROM S3Object s WHERE s.elevation_ft > 0 OR s.iso_country = 'US'",
  csv_out([[sum(1 for r in ROWS if OR(gt(f(r, "elevation_ft"), 0), US(r)) is True)]]))
Q("ne_untyped", "-H", "SELECT COUNT(*) FROM S3Object s WHERE s.elevation_ft <> 0",
  csv_out([[sum(1 for r in ROWS if cmp_num(f(r, "elevation_ft"), 0) not in (None, 0))]]))
# two fields: numbers when both parse (latitude vs longitude), else strings ('' < '6523')
Q("fields_numeric", "-H", "SELECT COUNT(*) FROM S3Object s WHERE s.latitude_deg > s.longitude_deg",
  csv_out([[sum(1 for r in ROWS if cmp_fields(f(r, "latitude_deg"), f(r, "longitude_deg")) > 0)]]))
Q("fields_string_fallback", "-H", "SELECT COUNT(*) FROM S3Object s WHERE s.elevation_ft < s.id",
  csv_out([[sum(1 for r in ROWS if cmp_fields(f(r, "elevation_ft"), f(r, "id")) < 0)]]))
# against a string literal the comparison is by string (as on AWS: '41' orders after '5')
Q("string_literal_order", "-H", "SELECT COUNT(*) FROM S3Object s WHERE s.elevation_ft >= '9'",
  csv_out([[sum(1 for r in ROWS if f(r, "elevation_ft") >= "9")]]))
Q("utf8_order", "-H", "SELECT s.ident, s.name FROM S3Object s WHERE s.name >= 'Ñ'",
  csv_out([[f(r, "ident"), f(r, "name")] for r in ROWS if f(r, "name") >= "Ñ"]))
Q("literal_types", "-H",
  "SELECT s.ident FROM S3Object s WHERE s.id = 6523 OR s.id = '6524' OR s.latitude_deg = 34.86479949951172 "
  "OR s.longitude_deg = -91.25489807128906000 OR s.ident = 6527",
  csv_out([[f(r, "ident")] for r in ROWS
           if cmp_num(f(r, "id"), 6523) == 0 or f(r, "id") == "6524"
           or cmp_num(f(r, "latitude_deg"), Decimal("34.86479949951172")) == 0
           or cmp_num(f(r, "longitude_deg"), Decimal("-91.25489807128906000")) == 0
           or cmp_num(f(r, "ident"), 6527) == 0]))

# 4. MISSING and NULL
Q("is_missing_count", "-H", "SELECT COUNT(*) FROM S3Object s WHERE s._19 IS MISSING",
  csv_out([[len(ROWS)]]))
Q("is_missing_none", "-H",
  "SELECT COUNT(*) FROM S3Object s WHERE s.elevation_ft IS MISSING OR s.iata_code IS NULL OR s._18 IS MISSING",
  csv_out([[0]]))
Q("missing_values", "-H",
  "SELECT s.ident, s._19, s._18 IS MISSING, s._19 IS MISSING, s._19 IS NULL, s.iata_code IS NOT NULL "
  "FROM S3Object s WHERE s.iso_country = 'AD'",
  csv_out([[f(r, "ident"), MISSING, False, True, True, True] for r in ROWS if f(r, "iso_country") == "AD"]))

# 5. aggregates
ELEV = [f(r, "elevation_ft") for r in ROWS]
ELEV_INT = [int(e) for e in ELEV if e != ""]
Q("count_forms", "-H",
  "SELECT COUNT(*), COUNT(s.iata_code), COUNT(s._19), COUNT(NULLIF(s.iata_code, '')), COUNT(1) FROM S3Object s",
  csv_out([[len(ROWS), len(ROWS), 0, sum(1 for r in ROWS if f(r, "iata_code") != ""), len(ROWS)]]))
Q("agg_elevation", "-H",
  "SELECT COUNT(s.elevation_ft), SUM(s.elevation_ft), AVG(s.elevation_ft), MIN(s.elevation_ft), MAX(s.elevation_ft) "
  "FROM S3Object s",
  csv_out([[len(ROWS), sum_fields(ELEV), avg_exact(ELEV_INT), agg_min_max(ELEV, False), agg_min_max(ELEV, True)]]))
# MIN/MAX skip empty fields; a field that reads as a number orders before every string
Q("minmax_empty_fields", "-H",
  "SELECT MIN(s.iata_code), MAX(s.iata_code), MIN(s.municipality), MAX(s.home_link), MIN(s.keywords) "
  "FROM S3Object s",
  csv_out([[agg_min_max([f(r, c) for r in ROWS], want) for c, want in
            (("iata_code", False), ("iata_code", True), ("municipality", False), ("home_link", True),
             ("keywords", False))]]))
Q("agg_cast", "-H",
  "SELECT MIN(CAST(s.elevation_ft AS INT)), MAX(CAST(s.elevation_ft AS INT)), SUM(CAST(s.elevation_ft AS INT)), "
  "AVG(CAST(s.elevation_ft AS INT)), COUNT(*) FROM S3Object s WHERE s.elevation_ft <> ''",
  csv_out([[min(ELEV_INT), max(ELEV_INT), sum(ELEV_INT), avg_exact(ELEV_INT), len(ELEV_INT)]]))
NEG = [int(e) for e in ELEV if e != "" and int(e) < 0]
Q("agg_negative", "-H",
  "SELECT COUNT(*), SUM(s.elevation_ft), AVG(s.elevation_ft), MIN(s.elevation_ft), MAX(s.elevation_ft) "
  "FROM S3Object s WHERE s.elevation_ft < 0",
  csv_out([[len(NEG), sum(NEG), avg_exact(NEG), min(NEG), max(NEG)]]))
AVG_CC = ("CH", "DK", "IS", "NZ", "BE", "JP")


def cc_elev(cc):
    return [int(f(r, "elevation_ft")) for r in ROWS if f(r, "iso_country") == cc and f(r, "elevation_ft") != ""]


Q("avg_by_case", "-H",
  "SELECT " + ", ".join("AVG(CASE WHEN s.iso_country = '%s' THEN s.elevation_ft END)" % c for c in AVG_CC)
  + " FROM S3Object s",
  csv_out([[avg_exact(cc_elev(c)) for c in AVG_CC]]))
LAT = [f(r, "latitude_deg") for r in ROWS]
Q("agg_latitude", "-H",
  "SELECT SUM(s.latitude_deg), MIN(s.latitude_deg), MAX(s.latitude_deg), COUNT(s.latitude_deg) FROM S3Object s",
  csv_out([[sum_fields(LAT), agg_min_max(LAT, False), agg_min_max(LAT, True), len(LAT)]]))
# a mean of decimals whose exact value terminates: the exact digits, trailing zeros dropped
GB_LAT = [Decimal(f(r, "latitude_deg")) for r in ROWS if f(r, "iso_country") in ("GG", "JE", "MC", "GI")]
assert len(GB_LAT) == 5
Q("avg_decimal_exact", "-H",
  "SELECT AVG(s.latitude_deg), SUM(s.latitude_deg) FROM S3Object s WHERE s.iso_country IN ('GG', 'JE', 'MC', 'GI')",
  csv_out([[strip_zeros(sum(GB_LAT) / 5), sum(GB_LAT)]]))
# the whole-file mean of latitudes does not terminate, and its sum has 29 digits, so the
# quotient cannot carry 20 more within 38 digits: the result may be a FLOAT (man: "a result
# that would not fit becomes a float").  Only 12 fractional digits are specified.
lat_mean = sum(Decimal(x) for x in LAT) / len(LAT)
lat_prefix = format(lat_mean, "f")[: format(lat_mean, "f").index(".") + 13]
Q("avg_decimal_prefix", "-H", "SELECT AVG(s.latitude_deg) FROM S3Object s", lat_prefix, kind="prefix")
Q("minmax_strings", "-H", "SELECT MIN(s.name), MAX(s.name), MIN(s.iso_region), MAX(s.type) FROM S3Object s",
  csv_out([[min(f(r, "name") for r in ROWS), max(f(r, "name") for r in ROWS),
            agg_min_max([f(r, "iso_region") for r in ROWS], False), max(f(r, "type") for r in ROWS)]]))
Q("agg_no_rows", "-H",
  "SELECT COUNT(*), COUNT(s.name), SUM(s.elevation_ft), AVG(s.elevation_ft), MIN(s.name), MAX(s.name) "
  "FROM S3Object s WHERE s.iso_country = 'XX'",
  csv_out([[0, 0, None, None, None, None]]))
Q("agg_expr", "-H",
  "SELECT SUM(CAST(s.elevation_ft AS INT)) / COUNT(*), COUNT(*) * 2 + 1, MAX(s.id) - MIN(s.id) "
  "FROM S3Object s WHERE s.iso_country = 'NZ' AND s.elevation_ft <> ''",
  (lambda rs: csv_out([[idiv(sum(int(f(r, "elevation_ft")) for r in rs), len(rs)), len(rs) * 2 + 1,
                        max(int(f(r, "id")) for r in rs) - min(int(f(r, "id")) for r in rs)]]))(
      [r for r in ROWS if f(r, "iso_country") == "NZ" and f(r, "elevation_ft") != ""]))

# 6. expressions in the projection
EXPR_ROWS = [r for r in ROWS if like(f(r, "name"), "Ñ%") or lt(f(r, "elevation_ft"), -1000) is True]


def case_map(s, up):
    """UPPER/LOWER: Unicode simple case mappings of Latin (ASCII, Latin-1, Extended-A), Greek
    and Cyrillic letters; other characters unchanged."""
    out = []
    for c in s:
        o = ord(c)
        if o < 0x80 or 0xC0 <= o < 0x180 or 0x370 <= o < 0x500:
            m = c.upper() if up else c.lower()
            if c == "\u0130" and not up:
                m = "i"  # simple mapping of U+0130 (Python gives the full one, i + U+0307)
            out.append(m if len(m) == 1 else c)
        else:
            out.append(c)
    return "".join(out)


def expr_row(r):
    e = num(f(r, "elevation_ft"))
    return [case_map(f(r, "name"), True), case_map(f(r, "name"), False), len(f(r, "name")),
            f(r, "name")[1:6], f(r, "name")[2:], f(r, "name").strip("Ñ"),
            f(r, "ident") + "-" + f(r, "iso_country"),
            "high" if gt(f(r, "elevation_ft"), 300) is True else "low",
            f(r, "iata_code") or "?",
            None if e is None else Decimal(e) * Decimal("0.3048"),
            idiv(int(f(r, "elevation_ft")), 7), imod(int(f(r, "elevation_ft")), 7),
            float(f(r, "latitude_deg")), num(f(r, "latitude_deg")) + 0]


Q("expressions", "-H",
  "SELECT UPPER(s.name), LOWER(s.name), CHAR_LENGTH(s.name), SUBSTRING(s.name, 2, 5), SUBSTRING(s.name FROM 3), "
  "TRIM(BOTH 'Ñ' FROM s.name), s.ident || '-' || s.iso_country, "
  "CASE WHEN s.elevation_ft > 300 THEN 'high' ELSE 'low' END, COALESCE(NULLIF(s.iata_code, ''), '?'), "
  "s.elevation_ft * 0.3048, CAST(s.elevation_ft AS INT) / 7, CAST(s.elevation_ft AS INT) % 7, "
  "CAST(s.latitude_deg AS FLOAT), s.latitude_deg + 0 FROM S3Object s "
  "WHERE s.name LIKE 'Ñ%' OR s.elevation_ft < -1000",
  csv_out([expr_row(r) for r in EXPR_ROWS]))
Q("arith_null", "-H",
  "SELECT s.ident, s.elevation_ft + 1, s.elevation_ft * 0.5, -s.elevation_ft FROM S3Object s "
  "WHERE s.iso_country = 'GB' AND s.type = 'closed' LIMIT 12",
  csv_out([[f(r, "ident")] + ([None] * 3 if num(f(r, "elevation_ft")) is None else
                              [num(f(r, "elevation_ft")) + 1, Decimal(f(r, "elevation_ft")) * Decimal("0.5"),
                               -num(f(r, "elevation_ft"))])
           for r in [r for r in ROWS if f(r, "iso_country") == "GB" and f(r, "type") == "closed"][:12]]))
Q("float_cast", "-H",
  "SELECT s.ident, CAST(s.latitude_deg AS FLOAT), CAST(s.longitude_deg AS FLOAT) * 2, CAST(s.id AS FLOAT) / 4 "
  "FROM S3Object s WHERE s.iso_country = 'FJ' AND s.type <> 'closed' LIMIT 8",
  csv_out([[f(r, "ident"), float(f(r, "latitude_deg")), float(f(r, "longitude_deg")) * 2,
            float(f(r, "id")) / 4]
           for r in [r for r in ROWS if f(r, "iso_country") == "FJ" and f(r, "type") != "closed"][:8]]))

# 7. LIMIT
BALLOON = [r for r in ROWS if f(r, "type") == "balloonport"]
Q("limit_where", "-H", "SELECT s.ident FROM S3Object s WHERE s.type = 'balloonport' LIMIT 5",
  csv_out([[f(r, "ident")] for r in BALLOON[:5]]))
Q("limit_beyond", "-H", "SELECT s.ident, s.iso_country FROM S3Object s WHERE s.type = 'balloonport' LIMIT 100",
  csv_out([[f(r, "ident"), f(r, "iso_country")] for r in BALLOON]))
Q("lowercase_semicolon", "-H", "select s.ident, s.name from s3object as s where s.iso_country = 'ZZ' limit 1;",
  csv_out([[f(r, "ident"), f(r, "name")] for r in ROWS if f(r, "iso_country") == "ZZ"][:1]))

# 8. JSON output
Q("json_star", "-H --json", "SELECT * FROM S3Object s WHERE s.iso_country = 'US' LIMIT 3",
  json_out([star_json(r) for r in where(US)[:3]]))
Q("json_star_none", "--output-format JSON", "SELECT * FROM S3Object LIMIT 2",
  json_out([star_json(r, ["_%d" % (i + 1) for i in range(18)]) for r in ALL[:2]]))
Q("json_projection", "-H --json",
  "SELECT s.ident, s.name AS airport, _9, s._19, s.elevation_ft + 0, s.iata_code, s.Municipality "
  "FROM S3Object s WHERE s.name LIKE '%\"%' LIMIT 6",
  json_out([[("ident", f(r, "ident")), ("airport", f(r, "name")), ("_9", pos(r, 9)), ("_19", MISSING),
             ("_5", num(f(r, "elevation_ft"))), ("iata_code", f(r, "iata_code")),
             ("municipality", f(r, "municipality"))]
            for r in [r for r in ROWS if '"' in f(r, "name")][:6]]))
NZ = [r for r in ROWS if f(r, "iso_country") == "NZ"]
Q("json_aggregates", "-H --json",
  "SELECT COUNT(*) AS n, SUM(s.elevation_ft) AS total, AVG(s.elevation_ft), MIN(s.name) AS first_name, "
  "MAX(s.latitude_deg) FROM S3Object s WHERE s.iso_country = 'NZ'",
  json_out([[("n", len(NZ)), ("total", sum_fields([f(r, "elevation_ft") for r in NZ])),
             ("_3", avg_exact([int(f(r, "elevation_ft")) for r in NZ if f(r, "elevation_ft")])),
             ("first_name", min(f(r, "name") for r in NZ)),
             ("_5", agg_min_max([f(r, "latitude_deg") for r in NZ], True))]]))
Q("json_types", "-H --json",
  "SELECT s.ident, s.elevation_ft > 100 AS high, NULL AS nothing, CAST(s.latitude_deg AS FLOAT) AS lat, "
  "CAST(s.id AS INT) AS id, s.latitude_deg * 1 AS d1 FROM S3Object s WHERE s.iso_country = 'MC'",
  json_out([[("ident", f(r, "ident")), ("high", gt(f(r, "elevation_ft"), 100)), ("nothing", None),
             ("lat", float(f(r, "latitude_deg"))), ("id", int(f(r, "id"))),
             ("d1", num(f(r, "latitude_deg")) * 1)]
            for r in ROWS if f(r, "iso_country") == "MC"]))
Q("json_crlf", "-H --json --output-record-delimiter \\r\\n",
  "SELECT s.ident AS i FROM S3Object s WHERE s.iso_country = 'GG'",
  json_out([[("i", f(r, "ident"))] for r in ROWS if f(r, "iso_country") == "GG"], rd="\r\n"))

# 9. output serialisation options
QUOTED = [r for r in ROWS if '"' in f(r, "name")]
Q("quote_always", "-H --quote-fields ALWAYS",
  "SELECT s.ident, s.name, s.iata_code, s._19, s.elevation_ft + 0 FROM S3Object s WHERE s.name LIKE '%\"%' LIMIT 5",
  csv_out([[f(r, "ident"), f(r, "name"), f(r, "iata_code"), MISSING, num(f(r, "elevation_ft"))]
           for r in QUOTED[:5]], always=True))
Q("quote_asneeded", "-H --quote-fields asneeded",
  "SELECT s.ident, s.name, s.iata_code FROM S3Object s WHERE s.name LIKE '%\"%' LIMIT 5",
  csv_out([[f(r, "ident"), f(r, "name"), f(r, "iata_code")] for r in QUOTED[:5]]))
GB_KW = [r for r in ROWS if "," in f(r, "keywords") and f(r, "iso_country") == "GB"]
Q("tab_delimiter", "-H --output-field-delimiter \\t",
  "SELECT s.ident, s.name, s.keywords FROM S3Object s WHERE s.keywords LIKE '%,%' AND s.iso_country = 'GB'",
  csv_out([[f(r, "ident"), f(r, "name"), f(r, "keywords")] for r in GB_KW], fd="\t"))
IS_NOT_SMALL = [r for r in ROWS if f(r, "iso_country") == "IS" and f(r, "type") != "small_airport"]
Q("crlf_records", "-H --output-record-delimiter \\r\\n",
  "SELECT s.ident, s.name FROM S3Object s WHERE s.iso_country = 'IS' AND s.type <> 'small_airport'",
  csv_out([[f(r, "ident"), f(r, "name")] for r in IS_NOT_SMALL], rd="\r\n"))
COLON = [r for r in ROWS if ":" in f(r, "name") or ";" in f(r, "name") or f(r, "iso_country") == "NR"]
Q("multibyte_delimiters", "-H --output-field-delimiter :: --output-record-delimiter ;\\n",
  "SELECT s.ident, s.name, s.municipality FROM S3Object s WHERE s.name LIKE '%:%' OR s.name LIKE '%;%' OR s.iso_country = 'NR'",
  csv_out([[f(r, "ident"), f(r, "name"), f(r, "municipality")] for r in COLON], fd="::", rd=";\n"))
APOS = [r for r in ROWS if ("'" in f(r, "name") and f(r, "iso_country") == "AU") or '"' in f(r, "name")][:14]
Q("output_quote_char", "-H --output-quote-character '",
  "SELECT s.name, s.iso_country FROM S3Object s WHERE s.name LIKE '%''%' AND s.iso_country = 'AU' "
  "OR s.name LIKE '%\"%' LIMIT 14",
  csv_out([[f(r, "name"), f(r, "iso_country")] for r in APOS], q="'"))
Q("output_escape_char", "-H --output-quote-escape-character \\\\",
  "SELECT s.name, s.ident || '\\' AS k FROM S3Object s WHERE s.name LIKE '%\"%' LIMIT 6",
  csv_out([[f(r, "name"), f(r, "ident") + "\\"] for r in QUOTED[:6]], qe="\\"))


def main():
    names = [q[0] for q in QUERIES]
    assert len(names) == len(set(names))
    for old in os.listdir(OUT):  # goldens of queries no longer listed
        if old.startswith("airports_") and old.endswith(".out"):
            os.remove(os.path.join(OUT, old))
    with open(os.path.join(OUT, "airports_queries.tsv"), "w", encoding="utf-8", newline="") as m:
        for name, kind, opts, sql, result in QUERIES:
            m.write("%s\t%s\t%s\t%s\n" % (name, kind, opts, sql))
            with open(os.path.join(OUT, "airports_%s.out" % name), "w", encoding="utf-8",
                      newline="") as g:
                g.write(result)
    print("oracle: %d queries written to %s" % (len(QUERIES), OUT))


if __name__ == "__main__":
    main()
