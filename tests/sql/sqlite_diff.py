#!/usr/bin/env python3
"""sqlite_diff.py — differential test of pluck against SQLite.

Generates small random CSV tables and random queries in the subset of SQL that pluck and
SQLite both understand, runs every query through the pluck binary (over the CSV file) and
through the sqlite3 command-line shell (over the same rows loaded into a typed table), and
compares the answers.  Deterministic: the same seed gives the same tables and queries.

    python3 tests/sql/sqlite_diff.py PLUCK [--seed N] [--queries N] [--tables N] [-v]

Prints one line per query, "ok NAME" or "not ok NAME" followed by the query in both dialects,
the table and both answers, then "sqlite_diff: N queries, N agree, N disagree".  Exit status 1
when a query disagrees, 2 when a tool is missing.

The tables (header row, pluck reads them with -H):
    id  1..n, unique, never empty         s2  category 'x' 'y' 'z' 'w', never empty
    i1 i2 i3  small integers, some empty  s1  short strings over 'a' 'b' ' ', may be empty
    d1 d2     decimals with two places, some empty

Semantic bridges (documented in pluck(1) "Values and comparisons"; they make the queries mean
the same thing in both engines):
  * An empty numeric field is '' in pluck and NULL in SQLite.  pluck reads a CSV field compared
    with a number, or used in arithmetic, as a number and treats '' as unknown / NULL, which
    is exactly what SQLite does with NULL; SUM/AVG/MIN/MAX skip '' in pluck and NULL in SQLite.
    So numeric columns are only compared with numbers, used in arithmetic, aggregated, or
    wrapped as NULLIF(col, '') (for COUNT and CAST) and (col + 0) (for IS NULL, ORDER BY and
    column-to-column comparisons, which pluck would otherwise make on text).
  * Empty string fields are '' in both engines (they are loaded as '').
  * LIKE is case-sensitive in pluck: SQLite runs with PRAGMA case_sensitive_like = ON.
  * Division only by non-zero integer constants, on integers (both truncate toward zero).
  * Type names: INT/DECIMAL/FLOAT become INTEGER/NUMERIC/REAL, CHAR_LENGTH is LENGTH,
    SUBSTRING is SUBSTR (with start >= 1), S3Object is the table t.

Normalizations when comparing answers:
  * pluck's exact decimals and SQLite's floats: two fields that both read as numbers are
    equal when they agree to a relative 1e-9 (pluck prints 1.50 and 80.5, SQLite 1.5 and
    80.5 or 80.49999999999999); every other field must match exactly (NULL prints empty in
    both).
  * GROUP BY and SELECT DISTINCT results are compared as sorted lists of records (SQLite
    does not keep the order of first appearance); every other query's records are compared
    in order (SQLite scans its table in rowid order, which is the CSV order, and ORDER BY
    keys are made unique).  ORDER BY without LIMIT runs half the time with --max-memory 4K,
    so pluck's external sort spills and merges runs.
  * ROUND/ABS/FLOOR/CEIL (with -X) over the decimal and integer columns: pluck is exact on
    DECIMAL (half away from zero), SQLite rounds the REAL it stores; the two-place data keep
    them apart by far more than the comparison's 1e-9 only where SQLite itself misrounds,
    which is why ROUND's digits stay at 0-3 and its operands at 2 places (x * 0.5: 3).
  * COUNT(DISTINCT numeric column) is written COUNT(DISTINCT NULLIF(col, '')): pluck counts
    an empty field as a value (the text ''), SQLite skips NULL.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

INT_COLS = ["i1", "i2", "i3"]
DEC_COLS = ["d1", "d2"]
NUM_COLS = INT_COLS + DEC_COLS
STR_COLS = ["s1", "s2"]
ALL_COLS = ["id"] + INT_COLS + DEC_COLS + STR_COLS


# ---- data -------------------------------------------------------------------------------------
def gen_table(rng, nrows):
    rows = []
    for k in range(1, nrows + 1):
        r = {"id": str(k)}
        for c in INT_COLS:
            hi = 4 if c == "i3" else 40
            r[c] = "" if rng.random() < 0.15 else str(rng.randint(-hi if c != "i3" else 0, hi))
        for c in DEC_COLS:
            r[c] = "" if rng.random() < 0.15 else "%.2f" % (rng.randint(-9999, 9999) / 100)
        r["s1"] = "".join(rng.choice("ab ") for _ in range(rng.randint(0, 3)))
        r["s2"] = rng.choice("xyzw")
        rows.append(r)
    return rows


def write_csv(rows, path):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(ALL_COLS) + "\n")
        for r in rows:
            f.write(",".join(r[c] for c in ALL_COLS) + "\n")


def sqlite_setup(rows):
    out = ["PRAGMA case_sensitive_like = ON;",
           "CREATE TABLE t (id INTEGER, i1 INTEGER, i2 INTEGER, i3 INTEGER, d1 REAL, d2 REAL,"
           " s1 TEXT, s2 TEXT);", "BEGIN;"]
    for r in rows:
        vals = []
        for c in ALL_COLS:
            v = r[c]
            if c in STR_COLS:
                vals.append("'" + v.replace("'", "''") + "'")
            else:
                vals.append("NULL" if v == "" else v)
        out.append("INSERT INTO t VALUES (%s);" % ", ".join(vals))
    out.append("COMMIT;")
    return "\n".join(out)


# ---- expressions: (pluck text, sqlite text) pairs ---------------------------------------------
def both(s):
    return (s, s)


def join(parts):
    return ("".join(p[0] if isinstance(p, tuple) else p for p in parts),
            "".join(p[1] if isinstance(p, tuple) else p for p in parts))


class Gen:
    def __init__(self, rng):
        self.r = rng

    def int_const(self):
        return both(str(self.r.randint(-30, 30)))

    def num_const(self, col):
        if col in DEC_COLS:
            return both("%.2f" % (self.r.randint(-9999, 9999) / 100))
        return self.int_const()

    def int_expr(self):
        """An integer-valued expression over integer columns (NULL when a field is empty)."""
        r = self.r
        c, c2 = r.choice(INT_COLS), r.choice(INT_COLS)
        k = r.choice(["col", "add", "sub", "mul", "neg", "div", "mod", "cast", "case"])
        if k == "col":
            return both(c)
        if k == "add":
            return both("(%s + %s)" % (c, c2))
        if k == "sub":
            return both("(%s - %d)" % (c, r.randint(-9, 9)))
        if k == "mul":
            return both("(%s * %d - %s)" % (c, r.randint(-3, 3), c2))
        if k == "neg":
            return both("(-%s)" % c)
        if k == "div":
            return both("(%s / %d)" % (c, r.choice([-7, -3, 2, 3, 5])))
        if k == "mod":
            return both("(%s %% %d)" % (c, r.choice([-4, 3, 7])))
        if k == "cast":
            return ("CAST(NULLIF(%s, '') AS INT)" % c, "CAST(NULLIF(%s, '') AS INTEGER)" % c)
        return join(["(CASE WHEN ", self.pred(1), " THEN %s ELSE %s END)" % (c, c2)])

    def dec_expr(self):
        r = self.r
        c, ci = r.choice(DEC_COLS), r.choice(INT_COLS)
        k = r.choice(["col", "add", "mulk", "addi", "cast"])
        if k == "col":
            return both(c)
        if k == "add":
            return both("(%s + %s)" % (c, r.choice(DEC_COLS)))
        if k == "mulk":
            return both("(%s * %d)" % (c, r.randint(-3, 3)))
        if k == "addi":
            return both("(%s - %s)" % (c, ci))
        return ("CAST(NULLIF(%s, '') AS DECIMAL)" % c, "CAST(NULLIF(%s, '') AS NUMERIC)" % c)

    def str_expr(self):
        r = self.r
        c = r.choice(STR_COLS)
        k = r.choice(["col", "col", "upper", "lower", "substr", "trim", "concat", "coalesce"])
        if k == "col":
            return both(c)
        if k == "upper":
            return both("UPPER(%s)" % c)
        if k == "lower":
            return both("LOWER(UPPER(%s))" % c)
        if k == "substr":
            a, b = r.randint(1, 3), r.randint(0, 3)
            return ("SUBSTRING(%s, %d, %d)" % (c, a, b), "SUBSTR(%s, %d, %d)" % (c, a, b))
        if k == "trim":
            return both("TRIM(%s)" % c)
        if k == "concat":
            return both("(%s || '%s' || %s)" % (c, r.choice(["-", "a", ""]), r.choice(STR_COLS)))
        return both("COALESCE(NULLIF(%s, ''), 'none')" % c)

    def str_const(self):
        return both("'%s'" % "".join(self.r.choice("ab ") for _ in range(self.r.randint(0, 2))))

    def like_pattern(self):
        return "'%s'" % "".join(self.r.choice(["a", "b", " ", "%", "_", "%"])
                                for _ in range(self.r.randint(0, 4)))

    def atom(self):
        r = self.r
        k = r.choice(["cmp", "cmp", "cmpdec", "cmpmix", "between", "in", "colcol", "str", "strstr",
                      "like", "isnull", "len", "nullif"])
        ops = ["=", "<>", "<", ">", "<=", ">="]
        if k == "cmp":
            return join([self.int_expr(), " %s " % r.choice(ops + ["!="]), self.int_const()])
        if k == "cmpdec":
            c = r.choice(DEC_COLS)
            return join([self.dec_expr() if r.random() < 0.5 else both(c), " %s " % r.choice(ops),
                         self.num_const(c)])
        if k == "between":
            c = r.choice(NUM_COLS)
            a, b = self.num_const(c), self.num_const(c)
            neg = "NOT " if r.random() < 0.3 else ""
            return join([c, " %sBETWEEN " % neg, a, " AND ", b])
        if k == "in":
            c = r.choice(INT_COLS)
            neg = "NOT " if r.random() < 0.3 else ""
            items = ", ".join(str(r.randint(-10, 10)) for _ in range(r.randint(1, 4)))
            return both("%s %sIN (%s)" % (c, neg, items))
        if k == "colcol":
            a, b = r.choice(NUM_COLS), r.choice(NUM_COLS)
            return both("(%s + 0) %s (%s + 0)" % (a, r.choice(ops), b))
        if k == "str":
            return join([self.str_expr(), " %s " % r.choice(ops), self.str_const()])
        if k == "like":
            neg = "NOT " if r.random() < 0.3 else ""
            return both("%s %sLIKE %s" % (r.choice(STR_COLS), neg, self.like_pattern()))
        if k == "cmpmix":
            # a decimal computation against a constant ending in 5 at the fourth place: never a
            # tie, so exact decimals (pluck) and binary floats (SQLite) order it the same way
            e = join(["(", self.dec_expr(), r.choice([" + ", " - "]), self.int_expr(), ")"])
            return join([e, " %s " % r.choice(["<", ">", "<=", ">="]),
                         both("%.4f" % (r.randint(-99999, 99999) / 1000 + 0.0005))])
        if k == "strstr":
            return both("%s %s %s" % (r.choice(STR_COLS), r.choice(ops), r.choice(STR_COLS)))
        if k == "nullif":
            c = r.choice(INT_COLS)
            return both("NULLIF(%s + 0, %d) IS NULL" % (c, r.randint(-3, 3)))
        if k == "isnull":
            neg = "NOT " if r.random() < 0.5 else ""
            return both("(%s + 0) IS %sNULL" % (r.choice(NUM_COLS), neg))
        c, op, n = r.choice(STR_COLS), r.choice(ops), r.randint(0, 3)
        return ("CHAR_LENGTH(%s) %s %d" % (c, op, n), "LENGTH(%s) %s %d" % (c, op, n))

    def pred(self, depth=2):
        r = self.r
        if depth <= 0 or r.random() < 0.4:
            return self.atom()
        k = r.choice(["and", "or", "not"])
        if k == "not":
            return join(["NOT (", self.pred(depth - 1), ")"])
        return join(["(", self.pred(depth - 1), " %s " % k.upper(), self.pred(depth - 1), ")"])

    def proj_item(self):
        r = self.r
        k = r.choice(["col", "int", "int", "dec", "str", "str", "case", "len", "simplecase",
                      "coalesce", "nested"])
        if k == "col":
            return both(r.choice(ALL_COLS))
        if k == "int":
            return self.int_expr()
        if k == "dec":
            return self.dec_expr()
        if k == "str":
            return self.str_expr()
        if k == "case":
            return join(["CASE WHEN ", self.pred(1), " THEN 'y' ELSE 'n' END"])
        if k == "simplecase":
            return both("CASE s2 WHEN 'x' THEN 1 WHEN 'y' THEN %s ELSE %s END"
                        % (r.choice(INT_COLS), r.choice(["0", "NULL", "'w'"])))
        if k == "coalesce":
            return both("COALESCE(%s + 0, %d)" % (r.choice(NUM_COLS), r.randint(-5, 5)))
        if k == "nested":
            return join(["((", self.int_expr(), " * ", self.int_const(), ") - (", self.int_expr(),
                         " + ", self.int_expr(), "))"])
        c = r.choice(STR_COLS)
        return ("CHAR_LENGTH(%s)" % c, "LENGTH(%s)" % c)

    def agg(self):
        r = self.r
        k = r.choice(["count*", "count", "sumi", "sumd", "minmax", "minmaxs", "avgi", "avgd",
                      "sumexpr", "sumcase", "aggexpr"])
        if k == "count*":
            return both("COUNT(*)")
        if k == "count":
            return both("COUNT(NULLIF(%s, ''))" % r.choice(ALL_COLS))
        if k == "sumi":
            return both("SUM(%s)" % r.choice(INT_COLS))
        if k == "sumd":
            return both("SUM(%s)" % r.choice(DEC_COLS))
        if k == "minmax":
            return both("%s(%s)" % (r.choice(["MIN", "MAX"]), r.choice(NUM_COLS)))
        if k == "minmaxs":
            return both("%s(NULLIF(%s, ''))" % (r.choice(["MIN", "MAX"]), r.choice(STR_COLS)))
        if k == "avgi":
            return both("AVG(%s)" % r.choice(INT_COLS))
        if k == "avgd":
            return both("AVG(%s)" % r.choice(DEC_COLS))
        if k == "sumcase":
            return join(["SUM(CASE WHEN ", self.pred(1), " THEN 1 ELSE 0 END)"])
        if k == "aggexpr":
            return both("(MAX(%s) - MIN(%s))" % (r.choice(INT_COLS), r.choice(INT_COLS)))
        return join(["SUM(", self.int_expr(), ")"])

    def where(self):
        if self.r.random() < 0.15:
            return ("", "")
        return join([" WHERE ", self.pred(self.r.randint(0, 3))])

    def query(self):
        """Returns (kind, pluck options, pluck sql, sqlite sql)."""
        r = self.r
        kind = r.choices(["select", "agg", "group", "topn", "distinct", "aggdistinct",
                          "alias", "sortall", "round"], [33, 15, 19, 8, 6, 6, 4, 4, 5])[0]
        w = self.where()
        if kind == "round":
            # ROUND (half away from zero), ABS, FLOOR, CEIL on the two-place decimals and the
            # integers; digits >= 0 only (SQLite reads a negative count as 0)
            def item():
                c = r.choice(DEC_COLS + INT_COLS)
                return both(r.choice(["ROUND(%s)" % c, "ROUND(%s, %d)" % (c, r.randint(0, 3)),
                                      "ABS(%s)" % c, "FLOOR(%s)" % c, "CEIL(%s)" % c,
                                      "ROUND(%s * 0.5, 1)" % c, "ROUND(-%s, 1)" % c]))
            items = [both("id")] + [item() for _ in range(r.randint(1, 4))]
            p = join(["SELECT ", join_list(items), " FROM S3Object", w])
            s = join(["SELECT ", join_list(items), " FROM t", w, " ORDER BY rowid"])
            return "select", ["-H", "-X"], p[0], s[1]
        if kind == "distinct":
            # SELECT DISTINCT: compared as sorted lists (pluck keeps first appearances)
            cols = r.sample(["s2", "i3", "(i3 % 2)", "s1", "UPPER(s2)"], r.randint(1, 2))
            items = [both(c) for c in cols]
            p = join(["SELECT DISTINCT ", join_list(items), " FROM S3Object", w])
            s = join(["SELECT DISTINCT ", join_list(items), " FROM t", w])
            return "group", ["-H", "-X"], p[0], s[1]
        if kind == "aggdistinct":
            # COUNT/SUM/AVG(DISTINCT x), with or without GROUP BY; an empty numeric field is
            # NULLIF'd for COUNT (pluck counts '' as a value, SQLite skips NULL)
            aggs = [r.choice([both("COUNT(DISTINCT s2)"), both("COUNT(DISTINCT s1)"),
                              both("COUNT(DISTINCT NULLIF(%s, ''))" % r.choice(NUM_COLS)),
                              both("SUM(DISTINCT %s)" % r.choice(NUM_COLS)),
                              both("AVG(DISTINCT %s)" % r.choice(INT_COLS)),
                              both("COUNT(DISTINCT NULLIF(i3, ''))")])
                    for _ in range(r.randint(1, 3))]
            if r.random() < 0.5:
                items = [both("s2")] + aggs
                p = join(["SELECT ", join_list(items), " FROM S3Object", w, " GROUP BY s2"])
                s = join(["SELECT ", join_list(items), " FROM t", w, " GROUP BY s2"])
                return "group", ["-H", "-X"], p[0], s[1]
            p = join(["SELECT ", join_list(aggs), " FROM S3Object", w])
            s = join(["SELECT ", join_list(aggs), " FROM t", w])
            return "agg", ["-H", "-X"], p[0], s[1]
        if kind == "alias":
            # GROUP BY by position or alias, HAVING and ORDER BY by alias; the key is unique
            key = r.choice(["s2", "UPPER(s2)", "s1"])
            agg = r.choice(["COUNT(*)", "SUM(i1)", "MAX(i2)"])
            gb = r.choice(["1", "k"])
            having = r.choice(["", " HAVING n > %d" % r.randint(-5, 6)])
            order = " ORDER BY %s%s" % (r.choice(["k", "1"]), r.choice(["", " DESC"]))
            q = "SELECT %s AS k, %s AS n FROM %%s%s GROUP BY %s%s%s" % (key, agg, "%s", gb,
                                                                        having, order)
            return "select", ["-H", "-X"], q % ("S3Object", w[0]), q % ("t", w[1])
        if kind == "sortall":
            # ORDER BY without LIMIT (the external sort), NULLS FIRST/LAST; ties broken by id
            items = [self.proj_item() for _ in range(r.randint(1, 3))]
            okey = r.choice(["(i1 + 0)", "(d1 + 0)", "s2", "s1", "(i3 + 0)"])
            nulls = r.choice(["", " NULLS FIRST", " NULLS LAST"]) if "+" in okey else ""
            order = " ORDER BY %s%s%s, id%s" % (okey, r.choice(["", " ASC", " DESC"]), nulls,
                                               r.choice(["", " DESC"]))
            if not nulls and "+" in okey:
                # pluck puts NULL first ascending and last descending, as SQLite does
                pass
            p = join(["SELECT ", join_list(items), " FROM S3Object", w, order])
            s = join(["SELECT ", join_list(items), " FROM t", w, order])
            opts = ["-H", "-X"] + (["--max-memory", "4K"] if r.random() < 0.5 else [])
            return "select", opts, p[0], s[1]
        if kind == "select":
            items = [self.proj_item() for _ in range(r.randint(1, 4))]
            if r.random() < 0.08:
                items = [("*", ", ".join(ALL_COLS))]
            lim = " LIMIT %d" % r.randint(0, 12) if r.random() < 0.3 else ""
            p = join(["SELECT ", join_list(items), " FROM S3Object", w, lim])
            s = join(["SELECT ", join_list(items), " FROM t", w, " ORDER BY rowid", lim])
            return kind, ["-H"], p[0], s[1]
        if kind == "agg":
            items = [self.agg() for _ in range(r.randint(1, 4))]
            p = join(["SELECT ", join_list(items), " FROM S3Object", w])
            s = join(["SELECT ", join_list(items), " FROM t", w])
            return kind, ["-H"], p[0], s[1]
        if kind == "group":
            key = r.choice([both("s2"), both("i3"), both("(i3 % 2)"), both("s1"),
                            both("UPPER(s2)")])
            keys = [key]
            if r.random() < 0.3:
                keys.append(both(r.choice(["s2", "i3"])))
            items = keys + [self.agg() for _ in range(r.randint(1, 3))]
            having = ""
            if r.random() < 0.4:
                having = join([" HAVING ", r.choice([both("COUNT(*) > %d" % r.randint(0, 8)),
                                                     both("SUM(i1) > %d" % r.randint(-20, 20)),
                                                     both("MAX(i2) < %d" % r.randint(-5, 30))])])
            order = ""
            if len(keys) == 1 and r.random() < 0.3:
                kind = "grouptop"  # the group key is unique: a total order
                # an empty i3 is '' to pluck (a string: after the numbers) and NULL to SQLite
                # (first): order by (i3 + 0), which is NULL in both
                okey = both("(i3 + 0)") if keys[0][0] == "i3" else r.choice([keys[0], both("1")])
                order = join([" ORDER BY ", okey, r.choice(["", " DESC"]),
                              " LIMIT %d" % r.randint(1, 4)])
            p = join(["SELECT ", join_list(items), " FROM S3Object", w, " GROUP BY ",
                      join_list(keys), having, order])
            s = join(["SELECT ", join_list(items), " FROM t", w, " GROUP BY ", join_list(keys),
                      having, order])
            return kind, ["-H", "-X"], p[0], s[1]
        items = [self.proj_item() for _ in range(r.randint(1, 3))]
        okey = r.choice(["id", "(i1 + 0)", "(d1 + 0)", "(i2 * 2 + 0)", "s2"])
        direction = r.choice(["", " ASC", " DESC"])
        order = " ORDER BY %s%s" % (okey, direction)
        if okey != "id":
            order += ", id" + r.choice(["", " DESC"])
        lim = " LIMIT %d" % r.randint(1, 15)
        p = join(["SELECT ", join_list(items), " FROM S3Object", w, order, lim])
        s = join(["SELECT ", join_list(items), " FROM t", w, order, lim])
        return kind, ["-H", "-X"], p[0], s[1]


def join_list(items):
    return (", ".join(i[0] for i in items), ", ".join(i[1] for i in items))


# ---- comparing -------------------------------------------------------------------------------
def as_number(s):
    try:
        if s.strip() != s or s == "":
            return None
        return float(s)
    except ValueError:
        return None


def field_eq(a, b):
    if a == b:
        return True
    x, y = as_number(a), as_number(b)
    if x is None or y is None:
        return False
    return abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))


def records(text):
    if text == "":
        return []
    assert text.endswith("\n"), repr(text[-20:])
    return [line.split(",") for line in text[:-1].split("\n")]


def same(kind, got, want):
    g, w = records(got), records(want)
    if kind == "group":
        key = lambda rec: [(0, float(f)) if as_number(f) is not None else (1, f) for f in rec]
        g, w = sorted(g, key=key), sorted(w, key=key)
    if len(g) != len(w):
        return False
    for a, b in zip(g, w):
        if len(a) != len(b) or not all(field_eq(x, y) for x, y in zip(a, b)):
            return False
    return True


# ---- running ----------------------------------------------------------------------------------
MARK = "@@@ query %d @@@"


def run_sqlite(setup, queries):
    script = [".headers off", ".mode list", ".separator ,", ".nullvalue ''", setup]
    for n, q in enumerate(queries):
        script.append(".print '%s'" % (MARK % n))
        script.append(q + ";")
    script.append(".print '%s'" % (MARK % len(queries)))
    p = subprocess.run(["sqlite3", "-batch", ":memory:"], input="\n".join(script) + "\n",
                       capture_output=True, text=True)
    if p.returncode != 0 or p.stderr:
        raise RuntimeError("sqlite3 failed: %s" % p.stderr.strip()[:500])
    out = p.stdout
    answers = []
    for n in range(len(queries)):
        a = out.index(MARK % n + "\n") + len(MARK % n) + 1
        b = out.index(MARK % (n + 1) + "\n")
        answers.append(out[a:b])
    return answers


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pluck")
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--tables", type=int, default=6)
    ap.add_argument("-v", action="store_true", help="print every query")
    ap.add_argument("--keep", metavar="DIR", help="write the tables to DIR and keep them")
    a = ap.parse_args()
    if not shutil.which("sqlite3"):
        print("sqlite_diff: sqlite3 is not installed (apt-get install sqlite3)")
        return 2
    if not os.access(a.pluck, os.X_OK):
        print("sqlite_diff: no pluck binary at %s" % a.pluck)
        return 2
    rng = random.Random(a.seed)
    tmp = a.keep or tempfile.mkdtemp(prefix="sqlite_diff.")
    os.makedirs(tmp, exist_ok=True)
    agree = disagree = 0
    try:
        per_table = [a.queries // a.tables + (1 if t < a.queries % a.tables else 0)
                     for t in range(a.tables)]
        qn = 0
        for t, nq in enumerate(per_table):
            rows = gen_table(rng, rng.randint(0, 2) if t == 0 else rng.randint(15, 120))
            path = os.path.join(tmp, "t%d.csv" % t)
            write_csv(rows, path)
            g = Gen(rng)
            qs = [g.query() for _ in range(nq)]
            want = run_sqlite(sqlite_setup(rows), [q[3] for q in qs])
            for (kind, opts, psql, ssql), w in zip(qs, want):
                qn += 1
                name = "seed %d query %d (table %d, %s)" % (a.seed, qn, t, kind)
                p = subprocess.run([a.pluck] + opts + [psql, path], capture_output=True)
                got = p.stdout.decode("utf-8", "replace")
                err = p.stderr.decode("utf-8", "replace").strip()
                if p.returncode == 0 and not err and same(kind, got, w):
                    agree += 1
                    print("ok %s" % name + (": " + psql if a.v else ""))
                    continue
                disagree += 1
                print("not ok %s" % name)
                print("    pluck %s %r t%d.csv" % (" ".join(opts), psql, t))
                print("    sqlite: %s" % ssql)
                print("    pluck exit %d%s" % (p.returncode, (": " + err[:300]) if err else ""))
                print("    pluck  answer: %r" % got[:600])
                print("    sqlite answer: %r" % w[:600])
                print("    table: %s" % ";".join(",".join(r[c] for c in ALL_COLS)
                                                 for r in rows)[:1500])
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print("sqlite_diff: %d queries, %d agree, %d disagree" % (agree + disagree, agree, disagree))
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
