#!/usr/bin/env python3
"""difftest.py — generative differential test of pluck's values against tests/diff/oracle.py.

    python3 tests/diff/difftest.py PLUCK [--seed N] [--scale K] [--keep DIR] [-v]

Draws seeded random expressions and CSV data, runs them through pluck in batches (one pluck
run evaluates many expressions over many records) and compares every value with the oracle,
an independent Python model of pluck(1)'s documented rules (Fraction-exact DECIMALs, CPython's
correctly rounded floats, str.upper/lower).  Families:

  arith    + - * / % and unary minus over INT, DECIMAL and FLOAT literals and CSV fields
           (plain and CAST to INT / DECIMAL / FLOAT): near-38-digit decimals, near-2^63
           integers, zero, negatives, every scale
  compare  = <> < <= > >=, BETWEEN, IN, NULLIF, CASE over CSV text, numbers and strings
  cast     CAST of CSV text (' 12 ', '1e3', '.5', '5.', '-0', junk) and of numbers to every
           numeric type, STRING and BOOL
  string   ||, CHAR_LENGTH, UPPER, LOWER, SUBSTRING, TRIM over multi-byte text
  like     LIKE / NOT LIKE with % _ and ESCAPE over multi-byte text
  group    GROUP BY and ORDER BY ... LIMIT (-X) over numeric keys of every type and scale,
           equal values at different scales, NaN
  agg      SUM / AVG / MIN / MAX / COUNT over many records (one run: 100,000 x 0.1)

An expression the oracle says fails (DivisionByZero, IntegerOverflow, CastFailed, ...) is
checked on its own record, for the error code.  On a mismatch the expression is minimised to
its smallest failing sub-expression, run alone, and printed with the record.

Output: one line per family ("ok arith: 12345 checks" or "not ok ..."), mismatch reports
indented by four spaces, and a last line
"difftest: N checks, M mismatches (seed S, scale K, T s)".  Exit 1 on a mismatch.
"""
import argparse
import csv
import io
import math
import os
import random
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle as O  # noqa: E402

# ---- expression trees ---------------------------------------------------------------------
# A node is (sql_text, eval_fn, children); eval_fn(row) -> oracle value (may raise SqlError).


class Node:
    __slots__ = ('sql', 'fn', 'kids')

    def __init__(self, sql, fn, kids=()):
        self.sql, self.fn, self.kids = sql, fn, kids

    def subtrees(self):
        """Post-order: children before parents, so the first failing one is the smallest."""
        for k in self.kids:
            yield from k.subtrees()
        yield self


def lit_node(sql, value):
    return Node(sql, lambda row, v=value: v)


def col_node(i):
    return Node('_%d' % (i + 1), lambda row, i=i: ('str', row[i], True) if i < len(row)
                else O.MISSING)


def sql_string(s):
    return "'" + s.replace("'", "''") + "'"


# ---- random data --------------------------------------------------------------------------

def rand_digits(r, n):
    return ''.join(r.choice('0123456789') for _ in range(n))


def rand_int_text(r):
    c = r.random()
    if c < 0.15:
        return r.choice(['0', '1', '-1', '2', '-2', '10'])
    if c < 0.35:
        base = r.choice([O.INT_MAX, O.INT_MIN, 1 << 62, -(1 << 62), 1 << 32, 3037000499])
        return str(base - r.randint(0, 3) if base > 0 else base + r.randint(0, 3))
    if c < 0.45:
        return str(r.choice([1, -1]) * r.randint(1, 10 ** 19))  # may pass 2^63: a DECIMAL
    return str(r.randint(-10 ** r.randint(1, 12), 10 ** r.randint(1, 12)))


def rand_dec_text(r):
    c = r.random()
    sign = '-' if r.random() < 0.35 else ''
    if c < 0.1:
        return sign + r.choice(['0.0', '0.1', '0.5', '1.0', '2.5', '0.00', '.5', '5.'])
    if c < 0.35:  # near 38 digits
        total = r.randint(34, 38)
        scale = r.randint(0, min(total, 38))
    else:
        total = r.randint(1, 20)
        scale = r.randint(0, total)
    d = rand_digits(r, total)
    if r.random() < 0.2:
        d = '9' * total if r.random() < 0.5 else '1' + '0' * (total - 1)
    ip, fp = d[:total - scale], d[total - scale:]
    if r.random() < 0.15 and scale > 0:
        ip = ''  # .5 form
    return sign + (ip or ('' if scale else '0')) + '.' + fp


def rand_float_text(r):
    c = r.random()
    sign = '-' if r.random() < 0.3 else ''
    if c < 0.1:
        return sign + r.choice(['1e0', '0e0', '1e308', '1e-300', '1e999', '2.5e-1', '1e21',
                                '1e-7', '9.999e20', '5e-324'])
    m = rand_digits(r, r.randint(1, 17))
    m = m[:1] + ('.' + m[1:] if len(m) > 1 else '')
    return sign + m + 'e' + str(r.randint(-45, 45))


def neighbour(r, t):
    """A number text next to t: the same value at another scale, or one unit of the last
    place (or of a place past it) away, or t itself: what makes comparisons at a common scale
    beyond 38 digits, and cancelling subtractions, likely."""
    v = O.parse_number(t)
    if v is None or v[0] == 'float':
        return t
    n, s = (v[1], 0) if v[0] == 'int' else (v[1], v[2])
    c = r.random()
    if c < 0.25:
        return t
    if c < 0.45 and s < 38:
        k = r.randint(1, 38 - s)
        return O.dec_text(n * 10 ** k, s + k)
    k = r.randint(0, 3)
    s2 = min(38, s + k)
    n2 = n * 10 ** (s2 - s) + r.choice([-1, 1]) * r.choice([1, 5])
    return O.dec_text(n2, s2) if s2 else str(n2)


def rand_num_text(r):
    c = r.random()
    if c < 0.35:
        return rand_int_text(r)
    if c < 0.8:
        return rand_dec_text(r)
    return rand_float_text(r)


CAST_TEXTS = [' 12 ', '1e3', '.5', '5.', '-0', '-0.0', '+7', '\t3\t', 'abc', '', '1e999',
              '0x10', '1.2.3', '9223372036854775807', '9223372036854775808',
              '-9223372036854775808', '-9223372036854775809', '99999999999999999999999999999999999999',
              '1' + '0' * 40, '0.' + '0' * 39 + '1', '0.' + '0' * 37 + '1', 'true', ' FALSE ',
              'True', '1,5', ' ', '.', '-', 'e5', '1e', '12.50', '007', '-.5', '+.5e-3',
              '123456789012345678901234567890.12345678', '1.5 ', ' -2.25']

ALPHABET = ('abcxyzABCXYZ019 ' 'àéîõüÿßÀÉÎÕÜ' 'ăąćčďęğıłńőœřşšţťůűźżžĀĂĄĆČĎĘĞİŁŃŐŒŘŞŠŢŤŮŰŹŻŽ'
            'șțȘȚǆǅǄɐɑ' 'αβγδεζηθλμπρτωάέήίόύώΑΒΓΔΕΖΗΘΛΜΠΡΤΩΆΈΉΊΌΎΏ'
            'абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯѣѢґҐ'
            'աբգԱԲԳ' '中文字' '日本' '😀🎉' 'ｆｕＬＬ' 'ⓐⒶ' 'ǈǉ' 'ᵹꝽ' '%_!\\')


def usable_alphabet():
    # only characters whose full case mapping is one character (then it is the simple one);
    # Σ is left out (str.lower maps it by context)
    return ''.join(c for c in dict.fromkeys(ALPHABET)
                   if len(c.upper()) == 1 and len(c.lower()) == 1 and c != 'Σ')


ALPHA = usable_alphabet()


def rand_text(r, lo=0, hi=8):
    return ''.join(r.choice(ALPHA) for _ in range(r.randint(lo, hi)))


# ---- families -----------------------------------------------------------------------------

class Family:
    name = ''
    nfields = 3

    def __init__(self, r):
        self.r = r
        # a few anchor numbers per batch: fields and literals are often next to one of them
        self.anchors = [rand_num_text(r) for _ in range(3)]

    def num_text(self):
        r = self.r
        if r.random() < 0.35:
            return neighbour(r, r.choice(self.anchors))
        return rand_num_text(r)

    def row(self):
        raise NotImplementedError

    def expr(self):
        raise NotImplementedError


ARITH_OPS = ['+', '-', '*', '/', '%']


class Arith(Family):
    name = 'arith'

    def row(self):
        return [self.num_text() for _ in range(self.nfields)]

    def leaf(self):
        r = self.r
        c = r.random()
        if c < 0.4:
            i = r.randrange(self.nfields)
            k = r.random()
            if k < 0.3:
                return col_node(i)
            typ = 'INT' if k < 0.5 else 'DECIMAL' if k < 0.85 else 'FLOAT'
            kid = col_node(i)
            return Node('CAST(%s AS %s)' % (kid.sql, typ),
                        lambda row, kid=kid, typ=typ: O.cast(kid.fn(row), typ), (kid,))
        t = (self.num_text() if c < 0.55 else rand_int_text(r) if c < 0.7 else
             rand_dec_text(r) if c < 0.9 else rand_float_text(r))
        neg = t.startswith('-')
        body = t.lstrip('+-')
        v = O.parse_number(body)
        node = lit_node(body, v)
        if neg:
            if body == '9223372036854775808':
                return lit_node('(-%s)' % body, ('int', O.INT_MIN))  # pluck(1): the lowest INT
            return Node('(- %s)' % body, lambda row, kid=node: O.negate(kid.fn(row)), (node,))
        return node

    def expr(self, depth=None):
        r = self.r
        if depth is None:
            depth = r.randint(1, 3)
        if depth == 0:
            return self.leaf()
        if r.random() < 0.08:
            kid = self.expr(depth - 1)
            # '- ' with a space: '--' would start an SQL comment
            return Node('(- %s)' % kid.sql, lambda row, kid=kid: O.negate(kid.fn(row)), (kid,))
        op = r.choice(ARITH_OPS)
        a, b = self.expr(r.randint(0, depth - 1)), self.expr(r.randint(0, depth - 1))
        return Node('(%s %s %s)' % (a.sql, op, b.sql),
                    lambda row, a=a, b=b, op=op: O.arith(op, a.fn(row), b.fn(row)), (a, b))


CMP_OPS = ['=', '<>', '<', '<=', '>', '>=']


class Compare(Family):
    name = 'compare'

    def row(self):
        r = self.r
        out = []
        for _ in range(self.nfields):
            c = r.random()
            out.append(self.num_text() if c < 0.6 else r.choice(CAST_TEXTS) if c < 0.75
                       else rand_text(r, 0, 4))
        return out

    def operand(self):
        r = self.r
        c = r.random()
        if c < 0.4:
            return col_node(r.randrange(self.nfields))
        if c < 0.75:
            a = Arith(r)
            a.anchors = self.anchors
            return a.expr(r.randint(0, 1))
        if c < 0.9:
            s = r.choice(CAST_TEXTS + [self.num_text(), rand_text(r, 0, 3)])
            return lit_node(sql_string(s), ('str', s, False))
        kid = col_node(r.randrange(self.nfields))
        typ = r.choice(['INT', 'DECIMAL', 'FLOAT', 'STRING'])
        return Node('CAST(%s AS %s)' % (kid.sql, typ),
                    lambda row, kid=kid, typ=typ: O.cast(kid.fn(row), typ), (kid,))

    def expr(self):
        r = self.r
        a = self.operand()
        c = r.random()
        if c < 0.55:
            op = r.choice(CMP_OPS)
            b = self.operand()
            return Node('(%s %s %s)' % (a.sql, op, b.sql),
                        lambda row, a=a, b=b, op=op: O.cmp_value(op, O.compare(a.fn(row), b.fn(row))),
                        (a, b))
        if c < 0.7:
            lo, hi = self.operand(), self.operand()
            neg = r.random() < 0.3
            return Node('(%s %sBETWEEN %s AND %s)' % (a.sql, 'NOT ' if neg else '', lo.sql, hi.sql),
                        lambda row, a=a, lo=lo, hi=hi, neg=neg: O.between(a.fn(row), lo.fn(row),
                                                                          hi.fn(row), neg),
                        (a, lo, hi))
        if c < 0.82:
            items = [self.operand() for _ in range(r.randint(1, 3))]
            neg = r.random() < 0.3
            return Node('(%s %sIN (%s))' % (a.sql, 'NOT ' if neg else '',
                                           ', '.join(i.sql for i in items)),
                        lambda row, a=a, items=items, neg=neg: O.in_list(
                            a.fn(row), (i.fn(row) for i in items), neg),  # stops at a match
                        tuple([a] + items))
        if c < 0.9:
            b = self.operand()
            return Node('NULLIF(%s, %s)' % (a.sql, b.sql),
                        lambda row, a=a, b=b: O.nullif(a.fn(row), b.fn(row)), (a, b))
        w1, w2 = self.operand(), self.operand()
        return Node("CASE %s WHEN %s THEN 'one' WHEN %s THEN 'two' ELSE 'none' END"
                    % (a.sql, w1.sql, w2.sql),
                    lambda row, a=a, w1=w1, w2=w2: O.case_simple(
                        a.fn(row), [(lambda: w1.fn(row), ('str', 'one', False)),
                                    (lambda: w2.fn(row), ('str', 'two', False))],
                        ('str', 'none', False)),
                    (a, w1, w2))


class Cast(Family):
    name = 'cast'

    def row(self):
        r = self.r
        return [r.choice(CAST_TEXTS) if r.random() < 0.6 else rand_num_text(r)
                for _ in range(self.nfields)]

    def expr(self):
        r = self.r
        typ = r.choice(['INT', 'DECIMAL', 'FLOAT', 'STRING', 'BOOL', 'INTEGER', 'NUMERIC'])
        otyp = {'INTEGER': 'INT', 'NUMERIC': 'DECIMAL'}.get(typ, typ)
        if r.random() < 0.6:
            kid = col_node(r.randrange(self.nfields))
        else:
            kid = Arith(r).expr(r.randint(0, 1))
        n = Node('CAST(%s AS %s)' % (kid.sql, typ),
                 lambda row, kid=kid, t=otyp: O.cast(kid.fn(row), t), (kid,))
        if r.random() < 0.3:  # and back through text
            t2 = r.choice(['INT', 'DECIMAL', 'FLOAT'])
            s = Node('CAST(%s AS STRING)' % n.sql, lambda row, n=n: O.cast(n.fn(row), 'STRING'),
                     (n,))
            return Node('CAST(%s AS %s)' % (s.sql, t2),
                        lambda row, s=s, t2=t2: O.cast(s.fn(row), t2), (s,))
        return n


class String(Family):
    name = 'string'

    def row(self):
        return [rand_text(self.r, 0, 10) for _ in range(self.nfields)]

    def sexpr(self, depth):
        r = self.r
        if depth == 0 or r.random() < 0.3:
            if r.random() < 0.8:
                return col_node(r.randrange(self.nfields))
            s = rand_text(r, 0, 4)
            return lit_node(sql_string(s), ('str', s, False))
        c = r.random()
        a = self.sexpr(depth - 1)
        if c < 0.2:
            b = self.sexpr(depth - 1)
            return Node('(%s || %s)' % (a.sql, b.sql),
                        lambda row, a=a, b=b: O.concat(a.fn(row), b.fn(row)), (a, b))
        if c < 0.45:
            up = r.random() < 0.5
            return Node('%s(%s)' % ('UPPER' if up else 'LOWER', a.sql),
                        lambda row, a=a, up=up: O.case_map(a.fn(row), up), (a,))
        if c < 0.75:
            st = r.randint(-2, 9)
            if r.random() < 0.5:
                ln = r.randint(0, 6)
                sql = ('SUBSTRING(%s FROM %d FOR %d)' if r.random() < 0.5
                       else 'SUBSTRING(%s, %d, %d)') % (a.sql, st, ln)
                return Node(sql, lambda row, a=a, st=st, ln=ln: O.substring(
                    a.fn(row), ('int', st), ('int', ln)), (a,))
            sql = ('SUBSTRING(%s FROM %d)' if r.random() < 0.5 else 'SUBSTRING(%s, %d)') % (a.sql, st)
            return Node(sql, lambda row, a=a, st=st: O.substring(a.fn(row), ('int', st)), (a,))
        where = r.choice(['BOTH', 'LEADING', 'TRAILING', None])
        chars = None if r.random() < 0.4 else rand_text(r, 1, 3)
        spec = ''
        if where:
            spec += where + ' '
        if chars is not None:
            spec += sql_string(chars) + ' '
        sql = 'TRIM(%sFROM %s)' % (spec, a.sql) if spec else 'TRIM(%s)' % a.sql
        cv = None if chars is None else ('str', chars, False)
        return Node(sql, lambda row, a=a, cv=cv, w=where or 'BOTH': O.trim(a.fn(row), cv, w), (a,))

    def expr(self):
        r = self.r
        e = self.sexpr(r.randint(1, 3))
        if r.random() < 0.25:
            return Node('CHAR_LENGTH(%s)' % e.sql, lambda row, e=e: O.char_length(e.fn(row)), (e,))
        return e


class Like(Family):
    name = 'like'

    def row(self):
        return [rand_text(self.r, 0, 8) for _ in range(self.nfields)]

    def expr(self):
        r = self.r
        i = r.randrange(self.nfields)
        esc = r.choice([None, None, '!', '\\', '#'])
        parts = []
        for _ in range(r.randint(0, 5)):
            c = r.random()
            if c < 0.25:
                parts.append('%')
            elif c < 0.45:
                parts.append('_')
            elif c < 0.55 and esc:
                parts.append(esc + r.choice(['%', '_', esc]))
            elif c < 0.58 and esc:
                parts.append(esc + 'a')  # an invalid escape sequence
            else:
                parts.append(rand_text(r, 1, 2).replace(esc or '\0', ''))
        pat = ''.join(parts)
        neg = r.random() < 0.3
        kid = col_node(i)
        sql = '(%s %sLIKE %s%s)' % (kid.sql, 'NOT ' if neg else '', sql_string(pat),
                                     ' ESCAPE ' + sql_string(esc) if esc else '')
        return Node(sql, lambda row, kid=kid, pat=pat, esc=esc, neg=neg: O.like(
            kid.fn(row), ('str', pat, False), esc, neg), (kid,))


FAMILIES = [Arith, Compare, Cast, String, Like]

# ---- running pluck ------------------------------------------------------------------------


class Runner:
    def __init__(self, pluck, tmp):
        self.pluck, self.tmp, self.runs = pluck, tmp, 0

    def run(self, sql, rows, extra=()):
        path = os.path.join(self.tmp, 'in.csv')
        with open(path, 'w', encoding='utf-8', newline='') as f:
            w = csv.writer(f, lineterminator='\n')
            for row in rows:
                w.writerow(row)
        self.runs += 1
        p = subprocess.run([self.pluck, *extra, sql, path], capture_output=True)
        out = p.stdout.decode('utf-8', 'replace')
        err = p.stderr.decode('utf-8', 'replace')
        records = list(csv.reader(io.StringIO(out, newline='')))
        code = None
        if p.returncode != 0:
            first = err.split('\n', 1)[0]
            parts = first.split(': ')
            code = parts[1] if len(parts) > 1 else first
        return records, code, err


def expected(node, row):
    try:
        return ('ok', O.text(node.fn(row)))
    except O.SqlError as e:
        return ('err', e.code)


def show(res):
    return ('error %s' % res[1]) if res[0] == 'err' else repr(res[1])


def run_one(runner, node, row):
    recs, code, _ = runner.run('SELECT %s FROM S3Object' % node.sql, [row])
    if code:
        return ('err', code)
    if len(recs) != 1 or len(recs[0]) != 1:
        return ('ok', '<%d records: %r>' % (len(recs), recs[:2]))
    return ('ok', recs[0][0])


def minimise(runner, node, row):
    """The smallest sub-expression whose pluck answer differs from the oracle's."""
    for sub in node.subtrees():
        want = expected(sub, row)
        got = run_one(runner, sub, row)
        if got != want:
            return sub, got, want
    return node, None, None


class Stats:
    def __init__(self):
        self.checks, self.bad = {}, {}
        self.reports = []

    def add(self, fam, n=1):
        self.checks[fam] = self.checks.get(fam, 0) + n

    def mismatch(self, fam, text):
        self.bad[fam] = self.bad.get(fam, 0) + 1
        if len(self.reports) < 20:
            self.reports.append(text)
            print(text, flush=True)


def report(runner, fam, node, row, got, want):
    sub, sgot, swant = minimise(runner, node, row)
    lines = ['    MISMATCH in %s' % fam,
             '      record: %r' % (row,),
             '      sql:    SELECT %s FROM S3Object' % node.sql,
             '      pluck:  %s' % show(got), '      oracle: %s' % show(want)]
    if sgot is not None and sub is not node:
        lines += ['      smallest failing sub-expression: SELECT %s FROM S3Object' % sub.sql,
                  '        pluck:  %s' % show(sgot), '        oracle: %s' % show(swant)]
    return '\n'.join(lines)


def batch(runner, stats, fam, r, nexpr, nrows, max_errors):
    rows = [fam.row() for _ in range(nrows)]
    exprs = [fam.expr() for _ in range(nexpr)]
    table = [[expected(e, row) for row in rows] for e in exprs]
    good = [i for i, col in enumerate(table) if all(c[0] == 'ok' for c in col)]
    # expressions that fail somewhere: check the error on its record, alone
    errs = [(i, j) for i, col in enumerate(table) for j, c in enumerate(col) if c[0] == 'err']
    r.shuffle(errs)
    seen = set()
    for i, j in errs:
        if len(seen) >= max_errors:
            break
        if i in seen:
            continue
        seen.add(i)
        got = run_one(runner, exprs[i], rows[j])
        stats.add(fam.name)
        if got != table[i][j]:
            stats.mismatch(fam.name, report(runner, fam.name, exprs[i], rows[j], got, table[i][j]))
    if not good:
        return
    sql = 'SELECT %s FROM S3Object' % ', '.join(exprs[i].sql for i in good)
    recs, code, err = runner.run(sql, rows)
    for j, row in enumerate(rows):
        rec = recs[j] if j < len(recs) else None
        for k, i in enumerate(good):
            stats.add(fam.name)
            want = table[i][j]
            if rec is None or len(rec) != len(good):
                got = ('err', code) if code else ('ok', '<no record>')
            else:
                got = ('ok', rec[k])
            if got != want:
                stats.mismatch(fam.name, report(runner, fam.name, exprs[i], row, got, want))
                if rec is None:
                    return  # the run failed: the rest of it says nothing more


# ---- aggregates ---------------------------------------------------------------------------

def exact_float_sum(floats, rest):
    """The FLOAT sum of agg_oracle: Fraction arithmetic, float() rounds correctly."""
    from fractions import Fraction
    if any(math.isnan(f) for f in floats) or (math.inf in floats and -math.inf in floats):
        return math.nan
    if math.inf in floats or -math.inf in floats:
        return math.inf if math.inf in floats else -math.inf
    extra = -0.0
    if rest is not None:
        extra = float(rest[1]) if rest[0] == 'int' else float(Fraction(rest[1], 10 ** rest[2]))
    exact = sum(Fraction(f) for f in floats) + Fraction(extra)
    if exact == 0:
        negzero = all(f == 0 and math.copysign(1, f) < 0 for f in floats)
        return -0.0 if negzero and rest is None else 0.0
    try:
        return float(exact)
    except OverflowError:
        return math.inf if exact > 0 else -math.inf


def agg_oracle(values):
    """SUM / AVG / MIN / MAX / COUNT over one CSV column (pluck(1) "Values and comparisons"):
    SUM and AVG skip empty and non-numeric fields and add INT/DECIMAL values with + in input
    order; FLOAT values are summed exactly apart and, when there are any, the result is that
    exact sum plus the INT/DECIMAL sum rounded to a double, rounded once (exec/fsum.h); MIN
    and MAX skip empty fields and keep the field's text; COUNT counts present fields."""
    total, n, mn, mx = None, 0, None, None
    floats = []
    try:
        for s in values:
            v = ('str', s, True)
            num = O.parse_number(s)
            if num is not None:
                n += 1
                if num[0] == 'float':
                    floats.append(num[1])
                else:
                    total = num if total is None else O.arith('+', total, num)
            if s == '':
                continue
            if mn is None or O.order(v, mn) < 0:
                mn = v
            if mx is None or O.order(v, mx) > 0:
                mx = v
    except O.SqlError as e:
        return ('err', e.code)
    if floats:
        total = ('float', exact_float_sum(floats, total))
    if total is None:
        sm = avg = ''
    else:
        sm = O.text(total)
        t = ('dec', total[1], 0) if total[0] == 'int' else total
        avg = O.text(O.arith('/', t, ('int', n)))
    return ('ok', [sm, avg, '' if mn is None else mn[1], '' if mx is None else mx[1],
                   str(len(values))])


def agg_column(r, kind, n):
    if kind == 'tenth':
        return ['0.1'] * n
    if kind == 'int':
        return [rand_int_text(r) if r.random() < 0.05 else str(r.randint(-1000, 1000))
                for _ in range(n)]
    if kind == 'dec':
        return [rand_dec_text(r) for _ in range(n)]
    if kind == 'bigint':
        return [str(r.choice([1, -1]) * r.randint(10 ** 17, 10 ** 18)) for _ in range(n)]
    # mixed: numbers of every kind, empty fields and text
    out = []
    for _ in range(n):
        c = r.random()
        out.append('' if c < 0.05 else rand_text(r, 1, 3) if c < 0.1 else
                   rand_float_text(r) if c < 0.15 else rand_num_text(r))
    return out


def agg_batch(runner, stats, r, kind, n):
    col = agg_column(r, kind, n)
    want = agg_oracle(col)
    sql = 'SELECT SUM(_1), AVG(_1), MIN(_1), MAX(_1), COUNT(_1) FROM S3Object'
    recs, code, err = runner.run(sql, [[c] for c in col], extra=('--threads', '1'))
    got = ('err', code) if code else ('ok', recs[0] if len(recs) == 1 else recs)
    stats.add('agg', 5)
    if got != want:
        stats.mismatch('agg', '    MISMATCH in agg (%s, %d records, first %r)\n'
                              '      sql:    %s\n      pluck:  %s\n      oracle: %s'
                       % (kind, n, col[:5], sql, got, want))


# ---- GROUP BY and ORDER BY (extensions, -X) --------------------------------------------------

GROUP_KEYS = ['CAST(_1 AS DECIMAL)', 'CAST(_1 AS FLOAT)', '(_1 + 0)', '(_1 * 1.0)',
              'CAST(_1 AS INT)', '(CAST(_1 AS DECIMAL) / 1)']


def key_node(sql):
    kid = col_node(0)
    if sql.startswith('CAST(_1 AS '):
        typ = sql[len('CAST(_1 AS '):-1]
        return Node(sql, lambda row, typ=typ: O.cast(kid.fn(row), typ), (kid,))
    if sql == '(_1 + 0)':
        return Node(sql, lambda row: O.arith('+', kid.fn(row), ('int', 0)), (kid,))
    if sql == '(_1 * 1.0)':
        return Node(sql, lambda row: O.arith('*', kid.fn(row), ('dec', 10, 1)), (kid,))
    return Node(sql, lambda row: O.arith('/', O.cast(kid.fn(row), 'DECIMAL'), ('int', 1)), (kid,))


def group_oracle(keys):
    """Groups in order of first appearance; numbers are one group when equal (pluck(1)
    "Numbers"), all NaNs one group."""
    groups = []  # [first key, count]
    for k in keys:
        for g in groups:
            a, b = g[0], k
            if a[0] in ('int', 'dec', 'float') and b[0] in ('int', 'dec', 'float'):
                c = O.num_cmp(a, b)
                same = c == 0 or (c == O.NAN and a[0] == b[0] == 'float' and
                                  a[1] != a[1] and b[1] != b[1])
            else:
                same = a == b
            if same:
                g[1] += 1
                break
        else:
            groups.append([k, 1])
    return [[O.text(g[0]), str(g[1])] for g in groups]


def group_batch(runner, stats, r, nrows):
    fam = Arith(r)
    rows = [[fam.num_text()] for _ in range(nrows)]
    ksql = r.choice(GROUP_KEYS)
    node = key_node(ksql)
    try:
        keys = [node.fn(row) for row in rows]
    except O.SqlError:
        return  # a failing key: Arith and Cast check those errors
    want = group_oracle(keys)
    recs, code, err = runner.run('SELECT %s, COUNT(*) FROM S3Object GROUP BY %s' % (ksql, ksql),
                                 rows, extra=('-X', '--threads', '1'))
    stats.add('group', len(want))
    if code or recs != want:
        stats.mismatch('group', '    MISMATCH in group (GROUP BY %s)\n      records: %r\n'
                                '      pluck:  %r\n      oracle: %r'
                       % (ksql, [x[0] for x in rows][:12], code or recs[:8], want[:8]))
    # ORDER BY the same key: a stable sort by pluck(1)'s order
    n = r.randint(1, nrows)
    order = sorted(range(nrows), key=__import__('functools').cmp_to_key(
        lambda i, j: O.order(keys[i], keys[j]) or (i > j) - (i < j)))
    want = [[rows[i][0]] for i in order[:n]]
    recs, code, err = runner.run('SELECT _1 FROM S3Object ORDER BY %s LIMIT %d' % (ksql, n),
                                 rows, extra=('-X', '--threads', '1'))
    stats.add('group', n)
    if code or recs != want:
        stats.mismatch('group', '    MISMATCH in group (ORDER BY %s LIMIT %d)\n      records: %r\n'
                                '      pluck:  %r\n      oracle: %r'
                       % (ksql, n, [x[0] for x in rows][:12], code or recs[:8], want[:8]))


# ---- main ---------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('pluck')
    ap.add_argument('--seed', type=int, default=12)
    ap.add_argument('--scale', type=int, default=1,
                    help='batches per family (x 8); 1 takes about 20 s')
    ap.add_argument('--exprs', type=int, default=40, help='expressions per batch')
    ap.add_argument('--rows', type=int, default=40, help='records per batch')
    ap.add_argument('--families', default='arith,compare,cast,string,like,group,agg')
    args = ap.parse_args()
    t0 = time.time()
    r = random.Random(args.seed)
    stats = Stats()
    wanted = args.families.split(',')
    with tempfile.TemporaryDirectory() as tmp:
        runner = Runner(args.pluck, tmp)
        for b in range(8 * args.scale):
            for F in FAMILIES:
                if F.name in wanted:
                    batch(runner, stats, F(r), r, args.exprs, args.rows, 3)
        if 'group' in wanted:
            for b in range(8 * args.scale):
                group_batch(runner, stats, r, r.choice([5, 20, 60]))
        if 'agg' in wanted:
            agg_batch(runner, stats, r, 'tenth', 100000)
            for b in range(2 * args.scale):
                for kind in ('int', 'dec', 'bigint', 'mixed'):
                    agg_batch(runner, stats, r, kind, r.choice([10, 100, 1000, 5000]))
    total = bad = 0
    for fam in [F.name for F in FAMILIES] + ['group', 'agg']:
        if fam not in stats.checks:
            continue
        n, m = stats.checks[fam], stats.bad.get(fam, 0)
        total += n
        bad += m
        print('%s %s: %d checks%s' % ('not ok' if m else 'ok', fam, n,
                                       ', %d mismatches' % m if m else ''))
    print('difftest: %d checks, %d mismatches (seed %d, scale %d, %d pluck runs, %.1f s)'
          % (total, bad, args.seed, args.scale, runner.runs, time.time() - t0))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
