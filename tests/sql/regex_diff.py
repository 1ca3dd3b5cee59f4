#!/usr/bin/env python3
"""regex_diff.py — differential test of REGEXP_MATCHES (src/exec/regex.c) against Python's re.

Generates random patterns in the syntax pluck documents (literals, ., classes with ranges and
negation, \\d \\w \\s, groups, (?: ), |, * + ? and lazy forms, {m} {m,} {m,n}, ^ $) over a
small alphabet, and random texts, and checks that `pluck -X` answers
SELECT REGEXP_MATCHES(_1, 'pattern') exactly as re.search(pattern, text) is not None.
Texts have no newline (Python's $ also matches before a final newline; pluck's only at the end).

    python3 tests/sql/regex_diff.py PLUCK [--seed N] [--patterns N] [-v]

Prints "regex_diff: N patterns x M texts, N agree, N disagree"; exit 1 on a disagreement.
"""
import argparse
import os
import random
import re
import subprocess
import sys
import tempfile

ALPHA = "ab c1-"


def gen_atom(r, depth):
    k = r.random()
    if k < 0.45 or depth > 3:
        return r.choice(["a", "b", "c", " ", "1", "\\-", "\\.", "-"])
    if k < 0.55:
        return "."
    if k < 0.7:
        neg = "^" if r.random() < 0.3 else ""
        items = r.sample(["a", "b", "c", "a-c", "0-9", " ", "\\d", "\\w", "\\s", "\\-"], r.randint(1, 3))
        return "[" + neg + "".join(items) + "]"
    if k < 0.78:
        return r.choice(["\\d", "\\w", "\\s", "\\D", "\\W", "\\S"])
    inner = gen_alt(r, depth + 1)
    return ("(?:" if r.random() < 0.3 else "(") + inner + ")"


def gen_rep(r, depth):
    a = gen_atom(r, depth)
    k = r.random()
    if k < 0.6:
        return a
    # unbounded repetition of a group only at the top level: Python's backtracking re (the
    # oracle) takes exponential time on nested ones, which pluck's engine does not
    group = a.startswith("(")
    q = r.choice(["?", "{2}", "{0,2}"] if group and depth > 0 else
                 ["*", "+", "?", "{2}", "{1,}", "{0,2}", "{1,3}"])
    if r.random() < 0.2:
        q += "?"
    return a + q


def gen_cat(r, depth):
    return "".join(gen_rep(r, depth) for _ in range(r.randint(1, 4)))


def gen_alt(r, depth):
    parts = [gen_cat(r, depth) for _ in range(1 if r.random() < 0.7 else r.randint(2, 3))]
    return "|".join(parts)


def gen_pattern(r):
    p = gen_alt(r, 0)
    if r.random() < 0.2:
        p = "^" + p
    if r.random() < 0.2:
        p = p + "$"
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pluck")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("REGEX_DIFF_SEED", "15")))
    ap.add_argument("--patterns", type=int, default=150)
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    r = random.Random(a.seed)
    texts = ["".join(r.choice(ALPHA) for _ in range(r.randint(0, 12))) for _ in range(60)]
    texts = [t for t in texts if t.strip() == t or True]
    agree = disagree = 0
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "texts.csv")
        with open(path, "w", newline="") as f:
            for t in texts:
                f.write('"' + t.replace('"', '""') + '"\n')
        for n in range(a.patterns):
            pat = gen_pattern(r)
            want = ["true" if re.search(pat, t) else "false" for t in texts]
            sql = "SELECT REGEXP_MATCHES(_1, '%s') FROM S3Object" % pat.replace("'", "''")
            res = subprocess.run([a.pluck, "-X", "--comments", "", sql, path],
                                 capture_output=True, text=True)
            got = res.stdout.split("\n")[:-1]
            if res.returncode != 0 or got != want:
                disagree += 1
                print("not ok pattern %d: %r (exit %d) %s" % (n, pat, res.returncode, res.stderr.strip()))
                for t, g, w in zip(texts, got, want):
                    if g != w:
                        print("    text %r: pluck %s, python %s" % (t, g, w))
                        break
            else:
                agree += 1
                if a.v:
                    print("ok pattern %d: %r" % (n, pat))
    print("regex_diff: %d patterns x %d texts, %d agree, %d disagree"
          % (a.patterns, len(texts), agree, disagree))
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
