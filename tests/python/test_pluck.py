"""test_pluck.py -- the Python package against oracles it does not share code with: the
`pluck` command's bytes (the CLI is a separate client of libpluck), Python's own decimal,
int and csv modules, boto3 against `pluck serve`, and the kernel's RSS accounting.

Environment (set by tests/e2e/t_python.sh): PLUCK (the CLI), DATA (derived airports files),
TOOLS (gencsv, rssof), ROOT (the repository).  The package is imported from $ROOT/python
(built in place by `make python`).
"""
import csv
import datetime
import decimal
import io
import json
import os
import pickle
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ROOT = os.environ["ROOT"]
sys.path.insert(0, os.path.join(ROOT, "python"))
import pluck  # noqa: E402

PLUCK = os.environ["PLUCK"]
DATA = os.environ["DATA"]
TOOLS = os.environ["TOOLS"]
AIR = os.path.join(DATA, "airports.csv")
SEED = int(os.environ.get("PY_SEED", "20261206"))


def cli(sql, path, *opts, stdin=None):
    """The CLI's stdout, stderr and exit status."""
    p = subprocess.run([PLUCK, "--no-progress", *opts, sql, path], capture_output=True,
                       input=stdin)
    return p.stdout, p.stderr.decode(), p.returncode


def kw_to_opts(kw):
    opts = []
    for k, v in kw.items():
        opts += ["--" + k.replace("_", "-"), str(v)]
    return opts


class SmallReads(io.RawIOBase):
    """A file object whose read(n) returns at most `step` bytes (like a network body)."""

    def __init__(self, data, step):
        self.data, self.pos, self.step = data, 0, step

    def readable(self):
        return True

    def read(self, n=-1):
        k = self.step if n < 0 else min(n, self.step)
        b = self.data[self.pos:self.pos + k]
        self.pos += len(b)
        return b


QUERIES = [
    ("SELECT * FROM S3Object", {}),
    ("SELECT s.name, s.municipality FROM S3Object s WHERE s.iso_country = 'US' AND "
     "s.type = 'large_airport'", {"file_header_info": "USE"}),
    ("SELECT COUNT(*), SUM(CAST(s.elevation_ft AS INT)), AVG(s.latitude_deg), MIN(s.name), "
     "MAX(s.ident) FROM S3Object s WHERE s.elevation_ft <> ''", {"file_header_info": "USE"}),
    ("SELECT s.ident, s.name FROM S3Object s WHERE s.name LIKE '%Heli%' LIMIT 50",
     {"file_header_info": "USE", "output_format": "JSON"}),
    ("SELECT s._2, s._4 FROM S3Object s WHERE s._3 = 'heliport'",
     {"file_header_info": "IGNORE", "quote_fields": "ALWAYS", "output_field_delimiter": "|"}),
    ("SELECT UPPER(s.name), CHAR_LENGTH(s.name) FROM S3Object s WHERE s.iso_country = 'NZ'",
     {"file_header_info": "USE", "output_record_delimiter": "\r\n"}),
    ("SELECT s.type, COUNT(*), SUM(CAST(s.elevation_ft AS DECIMAL)) FROM S3Object s "
     "WHERE s.elevation_ft <> '' GROUP BY s.type ORDER BY s.type",
     {"file_header_info": "USE", "extensions": True}),
]
FILES = ["airports.csv", "airports.csv.gz", "airports.csv.zst", "airports.csv.bz2",
         "airports.csv.xz", "airports-multi.csv.gz"]


class SelectMatchesCli(unittest.TestCase):
    def test_every_query_file_and_source_kind(self):
        """Each query over every source kind of one file (the files taken in turn), and the
        first query over every file."""
        cases = [(i, FILES[i % len(FILES)], True) for i in range(len(QUERIES))]
        cases += [(0, f, False) for f in FILES[1:]]
        want_of = {}
        for qi, f, every_kind in cases:
            sql, kw = QUERIES[qi]
            if qi not in want_of:
                want, err, rc = cli(sql, AIR, *kw_to_opts(kw))
                self.assertEqual(rc, 0, err)
                self.assertTrue(want)
                want_of[qi] = (want, pluck.Query(sql, **kw))
            want, q = want_of[qi]
            path = os.path.join(DATA, f)
            with open(path, "rb") as fh:
                data = fh.read()
            kinds = [("path", lambda: path), ("bytes", lambda: data),
                     ("file", lambda: open(path, "rb")),
                     ("small reads", lambda: SmallReads(data, 4093)),
                     ("bytearray", lambda: bytearray(data))]
            for name, make in kinds if every_kind else kinds[:1]:
                with self.subTest(sql=sql, file=f, source=name):
                    src = make()
                    chunks = list(q.select(src))
                    if hasattr(src, "close"):
                        src.close()
                    self.assertEqual(b"".join(chunks), want)
                    rd = kw.get("output_record_delimiter", "\n").encode()
                    for c in chunks:  # every chunk ends on a record boundary
                        self.assertTrue(c.endswith(rd))

    def test_generated_csv_random_dialects(self):
        """Seeded random CSV (quotes, delimiters, CRLF, empty fields) and random pieces."""
        rng = random.Random(SEED)
        for case in range(30):
            delim = rng.choice([",", "|", "\t", ";"])
            crlf = rng.random() < 0.3
            rows = []
            for _ in range(rng.randint(0, 300)):
                row = []
                for _ in range(4):
                    kind = rng.random()
                    if kind < 0.5:
                        row.append(str(rng.randint(-10**6, 10**6)))
                    elif kind < 0.7:
                        row.append(f"{rng.randint(-999, 999)}.{rng.randint(0, 9999):04d}")
                    elif kind < 0.9:
                        row.append('"' + rng.choice(["a", "b\"\"c", "x" + delim + "y", ""]) + '"')
                    else:
                        row.append("")
                rows.append(delim.join(row))
            text = (("\r\n" if crlf else "\n").join(rows) + ("\n" if rows else "")).encode()
            sql = rng.choice(["SELECT * FROM S3Object",
                              "SELECT s._2, s._1 FROM S3Object s WHERE s._3 <> ''",
                              "SELECT COUNT(*), MAX(s._4) FROM S3Object s",
                              "SELECT s._1 FROM S3Object s LIMIT 7"])
            kw = {"field_delimiter": delim, "comments": ""}
            with tempfile.NamedTemporaryFile(suffix=".csv") as tf:
                tf.write(text)
                tf.flush()
                want, err, rc = cli(sql, tf.name, "--field-delimiter", delim, "--comments", "")
                with self.subTest(case=case, sql=sql):
                    got = b"".join(pluck.select(sql, SmallReads(text, rng.randint(1, 4096)),
                                                **kw))
                    self.assertEqual(got, want)

    def test_error_after_output_matches_cli(self):
        # a CastFailed some way into the file: the records before it, then pluck.Error
        sql = "SELECT s.ident, CAST(s.elevation_ft AS INT) FROM S3Object s"
        want, err, rc = cli(sql, AIR, "-H")
        self.assertEqual(rc, 1)
        self.assertIn("CastFailed", err)
        got = []
        with self.assertRaises(pluck.Error) as cm:
            for c in pluck.select(sql, AIR + ".gz", file_header_info="USE"):
                got.append(c)
        self.assertEqual(b"".join(got), want)
        e = cm.exception
        self.assertEqual(e.code, "CastFailed")
        self.assertIn(f"record {e.record}", err)  # the CLI names the same record
        self.assertIn(f"byte {e.byte_offset}", err)
        self.assertEqual(e.http_status, 400)
        self.assertTrue(str(e).startswith("CastFailed: "))

    def test_truncated_input(self):
        with open(AIR + ".gz", "rb") as fh:
            data = fh.read()[:50000]
        with tempfile.NamedTemporaryFile(suffix=".gz") as tf:
            tf.write(data)
            tf.flush()
            want, err, rc = cli("SELECT * FROM S3Object", tf.name)
        got = []
        with self.assertRaises(pluck.Error) as cm:
            for c in pluck.select("SELECT * FROM S3Object", data):
                got.append(c)
        self.assertEqual(cm.exception.code, "TruncatedInput")
        self.assertIn("TruncatedInput", err)
        self.assertEqual(b"".join(got), want)


class Errors(unittest.TestCase):
    def test_sql_error_position(self):
        with self.assertRaises(pluck.Error) as cm:
            pluck.Query("SELECT s.name\nFROM S3Object s WHERE s.x = = 1")
        e = cm.exception
        _, err, rc = cli("SELECT s.name\nFROM S3Object s WHERE s.x = = 1", AIR)
        self.assertEqual(rc, 3)
        self.assertIn(e.code, err)
        self.assertEqual((e.sql_line, e.sql_column), (2, 29))
        self.assertIn("line 2, column 29", e.message)

    def test_missing_header(self):
        with self.assertRaises(pluck.Error) as cm:
            list(pluck.select("SELECT s.nope FROM S3Object s", AIR, file_header_info="USE"))
        self.assertEqual(cm.exception.code, "MissingHeaders")

    def test_bad_keyword_value(self):
        with self.assertRaises(pluck.Error) as cm:
            pluck.Query("SELECT * FROM S3Object", file_header_info="MAYBE")
        self.assertEqual(cm.exception.code, "InvalidFileHeaderInfo")
        with self.assertRaises(pluck.Error) as cm:
            pluck.Query("SELECT * FROM S3Object", compression_type="LZ4")
        self.assertEqual(cm.exception.code, "InvalidCompressionFormat")

    def test_unknown_keyword_and_source(self):
        with self.assertRaises(TypeError):
            pluck.Query("SELECT * FROM S3Object", FieldDelimiter=",")
        with self.assertRaises(TypeError):
            pluck.select("SELECT * FROM S3Object", 42)
        with self.assertRaises(FileNotFoundError):
            pluck.select("SELECT * FROM S3Object", os.path.join(DATA, "no-such-file"))
        with self.assertRaises(TypeError):
            pluck.rows("SELECT * FROM S3Object", AIR, output_format="JSON")

    def test_source_read_error_propagates(self):
        class Broken(io.RawIOBase):
            def read(self, n=-1):
                raise OSError("network went away")
        with self.assertRaises(OSError):
            list(pluck.select("SELECT * FROM S3Object", Broken()))


class Keywords(unittest.TestCase):
    def test_keywords_are_the_cli_options_in_snake_case(self):
        """One table: every CLI long option of a serialization field is a keyword."""
        helptext = subprocess.run([PLUCK, "--help"], capture_output=True, text=True).stdout
        for kw in pluck.PARAMS:
            self.assertIn("--" + kw.replace("_", "-"), helptext)
        for s3 in ["FileHeaderInfo", "FieldDelimiter", "RecordDelimiter", "QuoteCharacter",
                   "QuoteEscapeCharacter", "Comments", "AllowQuotedRecordDelimiter",
                   "QuoteFields"]:
            self.assertIn(s3, {p.s3_name for p in pluck.PARAMS.values()})
        for kw in ["file_header_info", "field_delimiter", "compression_type", "output_format",
                   "record_delimiter", "quote_fields", "output_field_delimiter"]:
            self.assertIn(kw, pluck.PARAMS)
            self.assertIn(kw, pluck.__doc__)

    def test_values_bool_int_bytes(self):
        q = pluck.Query("SELECT s.a FROM S3Object s", file_header_info=b"USE",
                        allow_quoted_record_delimiter=False, max_record_size=4096)
        self.assertEqual(b"".join(q.select(b"a\n1\n2\n")), b"1\n2\n")
        self.assertEqual(q.params["max_record_size"], 4096)


class Rows(unittest.TestCase):
    def test_untyped_fields_are_str_like_the_cli_csv(self):
        sql = "SELECT s.ident, s.name, s.elevation_ft FROM S3Object s WHERE s.iso_country = 'NZ'"
        want, _, _ = cli(sql, AIR, "-H")
        ref = [tuple(r) for r in csv.reader(io.StringIO(want.decode()))]
        got = [tuple("" if v is None else v for v in r)
               for r in pluck.rows(sql, AIR, file_header_info="USE")]
        self.assertEqual(got, ref)
        self.assertTrue(all(isinstance(v, str) for r in got for v in r))

    def test_types_against_python(self):
        """CAST results checked with int(), Decimal() and float() of the CSV text."""
        sql = ("SELECT s.elevation_ft, CAST(s.elevation_ft AS INT), s.latitude_deg, "
               "CAST(s.latitude_deg AS DECIMAL), CAST(s.longitude_deg AS FLOAT), "
               "CAST(s.elevation_ft AS INT) > 1000, NULL, s.no_such_column_is_missing "
               "FROM S3Object s WHERE s.elevation_ft <> '' LIMIT 2000")
        with self.assertRaises(pluck.Error):  # a name not in the header
            list(pluck.rows(sql, AIR, file_header_info="USE"))
        sql = sql.replace(", s.no_such_column_is_missing", ", s._99")
        n = 0
        for e, ei, lat, latd, lonf, high, null, missing in pluck.rows(
                sql, AIR, file_header_info="USE"):
            self.assertEqual(ei, int(e))
            self.assertIsInstance(ei, int)
            self.assertEqual(latd, decimal.Decimal(lat))
            self.assertIsInstance(latd, decimal.Decimal)
            self.assertIsInstance(lonf, float)
            self.assertIs(high, int(e) > 1000)
            self.assertIsNone(null)
            self.assertIsNone(missing)
            n += 1
        self.assertEqual(n, 2000)

    def test_exact_decimal_sum(self):
        """SUM and AVG of CSV text are exact: checked with Python's decimal."""
        decimal.getcontext().prec = 60
        col = []
        for row in csv.reader(open(AIR, newline="")):
            if row[0] != "id" and row[4]:
                col.append(decimal.Decimal(row[4]))
        (cnt, total, avg), = pluck.rows(
            "SELECT COUNT(s.latitude_deg), SUM(s.latitude_deg), AVG(s.latitude_deg) "
            "FROM S3Object s", AIR + ".zst", file_header_info="USE")
        self.assertEqual(cnt, len(col))
        self.assertEqual(total, sum(col))
        self.assertIsInstance(total, decimal.Decimal)
        self.assertEqual(avg.quantize(decimal.Decimal(10) ** -20),
                         (sum(col) / len(col)).quantize(decimal.Decimal(10) ** -20))

    def test_timestamps_and_floats(self):
        (a, b, c, d, f1, f2, f3), = pluck.rows(
            "SELECT CAST('2020-01-02T03:04:05.123456789+05:30' AS TIMESTAMP), "
            "CAST('2020-01-02T03:04Z' AS TIMESTAMP), `2017-01-09`, "
            "TO_TIMESTAMP('2021-06-07 08:09', 'y-M-d H:m'), "
            "CAST('1e308' AS FLOAT) * 10, CAST('0.1' AS FLOAT), CAST('-2.5e-9' AS FLOAT) "
            "FROM S3Object LIMIT 1", b"x\n")
        tz530 = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
        self.assertEqual(a, datetime.datetime(2020, 1, 2, 3, 4, 5, 123456, tzinfo=tz530))
        self.assertEqual(b, datetime.datetime(2020, 1, 2, 3, 4, tzinfo=datetime.timezone.utc))
        self.assertEqual(c, datetime.datetime(2017, 1, 9, tzinfo=datetime.timezone.utc))
        self.assertEqual(d, datetime.datetime(2021, 6, 7, 8, 9))  # unknown offset: naive
        self.assertIsNone(d.tzinfo)
        self.assertEqual((f1, f2, f3), (float("inf"), 0.1, -2.5e-9))

    def test_strings_with_newlines_and_quotes(self):
        data = b'a,"line1\nline2","q""uote"\n\xc3\xa9,,"\\"\n'
        got = list(pluck.rows("SELECT * FROM S3Object", data, allow_quoted_record_delimiter=True))
        self.assertEqual(got, [("a", "line1\nline2", 'q"uote'), ("\u00e9", "", "\\")])


class Behaviour(unittest.TestCase):
    def test_query_reuse_threads_pickle(self):
        q = pluck.Query("SELECT COUNT(*) FROM S3Object s WHERE s.type = 'heliport'",
                        file_header_info="USE")
        want, _, _ = cli(q.sql, AIR, "-H")
        results = [None] * 4

        def work(i):
            results[i] = b"".join(q.select(AIR + (".gz" if i % 2 else ".zst")))
        ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(results, [want] * 4)
        q2 = pickle.loads(pickle.dumps(q))
        self.assertEqual(b"".join(q2.select(AIR)), want)
        self.assertEqual(q2.params, {"file_header_info": "USE"})
        self.assertIn("pluck.Query(", repr(q2))

    def test_scan_releases_the_gil(self):
        """A Python thread keeps running while one __next__ scans 40 MB in C."""
        data = b"".join(b"%d,abcdefghij,%d\n" % (i, i * 7) for i in range(2_000_000))
        scan = pluck.select("SELECT s._1 FROM S3Object s WHERE CAST(s._3 AS INT) < 0", data)
        ticks = [0]
        stop = threading.Event()

        def ticker():
            while not stop.is_set():
                ticks[0] += 1
        t = threading.Thread(target=ticker)
        sys.setswitchinterval(0.0005)
        t.start()
        time.sleep(0.01)
        before = ticks[0]
        t0 = time.perf_counter()
        out = list(scan)  # one __next__: nothing matches
        elapsed = time.perf_counter() - t0
        during = ticks[0] - before
        stop.set()
        t.join()
        sys.setswitchinterval(0.005)
        self.assertEqual(out, [])
        # with the GIL held for the whole call the ticker could not run at all
        self.assertGreater(during, 10000, f"{during} ticks in {elapsed:.3f} s")

    def test_stats_and_limit_stops_early(self):
        big = os.path.join(DATA, "airports.csv.gz")
        with pluck.select("SELECT s._1 FROM S3Object s LIMIT 3", big) as scan:
            out = b"".join(scan)
            st = scan.stats()
        self.assertEqual(out.count(b"\n"), 3)
        self.assertEqual(st["records_returned"], 3)
        self.assertLess(st["bytes_scanned"], os.path.getsize(big))

    def test_flat_memory_200mb(self):
        """200 MB of output in < 100 MiB of RSS: a fresh interpreter streams a generated
        stream (gencsv) through SELECT * and reports its peak RSS (ru_maxrss)."""
        prog = (
            "import resource, subprocess, sys\n"
            "sys.path.insert(0, sys.argv[1])\n"
            "import pluck\n"
            "g = subprocess.Popen([sys.argv[2], '210M'], stdout=subprocess.PIPE)\n"
            "n = 0\n"
            "for c in pluck.select('SELECT * FROM S3Object', g.stdout):\n"
            "    n += len(c)\n"
            "g.wait()\n"
            "print(n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
        p = subprocess.run([sys.executable, "-c", prog, os.path.join(ROOT, "python"),
                            os.path.join(TOOLS, "gencsv")], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        n, kib = map(int, p.stdout.split())
        print(f"  flat memory: {n} bytes of output, peak RSS {kib} KiB", file=sys.stderr)
        self.assertGreaterEqual(n, 200 * 10**6)
        self.assertLess(kib, 100 * 1024)


    def test_ctrl_c_interrupts_a_long_scan(self):
        """SIGINT during a scan that writes nothing (COUNT over an endless generated stream)
        raises KeyboardInterrupt in the scanning thread: the scan runs without the GIL, so
        it must check for signals between steps.  Sources: a FIFO path (read(2) in C) and a
        pipe's file object.  The input never ends, so only the interrupt can stop the scan."""
        prog = (
            "import os, subprocess, sys, time\n"
            "sys.path.insert(0, sys.argv[1])\n"
            "import pluck\n"
            "gen, kind, fifo = sys.argv[2], sys.argv[3], sys.argv[4]\n"
            "if kind == 'fifo':\n"
            "    g = subprocess.Popen(['sh', '-c', 'exec \"$0\" 100G > \"$1\"', gen, fifo])\n"
            "    src = fifo\n"
            "else:\n"
            "    g = subprocess.Popen([gen, '100G'], stdout=subprocess.PIPE)\n"
            "    src = g.stdout\n"
            "q = pluck.Query(\"SELECT COUNT(*) FROM S3Object s WHERE s._1 = 'never'\")\n"
            "scan = q.select(src)\n"
            "print('scanning', flush=True)\n"
            "try:\n"
            "    for c in scan:\n"
            "        print('output', c, flush=True)\n"
            "except KeyboardInterrupt:\n"
            "    print('interrupted', time.monotonic(), flush=True)\n"
            "finally:\n"
            "    g.kill(); g.wait()\n")
        with tempfile.TemporaryDirectory() as d:
            fifo = os.path.join(d, "fifo")
            os.mkfifo(fifo)
            for kind in ("fifo", "file"):
                p = subprocess.Popen([sys.executable, "-c", prog, os.path.join(ROOT, "python"),
                                      os.path.join(TOOLS, "gencsv"), kind, fifo],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                try:
                    self.assertEqual(p.stdout.readline(), "scanning\n")
                    time.sleep(0.5)  # well inside the scan's C loop
                    sent = time.monotonic()
                    p.send_signal(2)
                    out, err = p.communicate(timeout=60)
                finally:
                    if p.poll() is None:
                        p.kill()
                        p.wait()
                self.assertEqual(p.returncode, 0, err)
                self.assertTrue(out.startswith("interrupted "), (kind, out, err))
                print(f"  Ctrl-C ({kind}): KeyboardInterrupt after "
                      f"{float(out.split()[1]) - sent:.3f} s", file=sys.stderr)


class Partials(unittest.TestCase):
    def test_partial_and_merge_match_the_cli(self):
        """Query.partial over pieces + pluck.merge == the CLI over the whole; the partial's
        bytes are the CLI's --partial bytes (threads aside, which a partial leaves out)."""
        with open(AIR, "rb") as fh:
            lines = fh.read().split(b"\n")
        head, body = lines[0], [l for l in lines[1:] if l]
        rng = random.Random(SEED)
        cuts = sorted(rng.randint(0, len(body)) for _ in range(3))
        bounds = [0] + cuts + [len(body)]
        pieces = [b"\n".join([head] + body[a:b]) + b"\n" for a, b in zip(bounds, bounds[1:])]
        for sql, ext in [("SELECT COUNT(*), SUM(s.latitude_deg), AVG(s.elevation_ft), "
                          "MIN(s.name), MAX(s.ident) FROM S3Object s", False),
                         ("SELECT s.iso_country, COUNT(*), MAX(s.elevation_ft) FROM S3Object s "
                          "GROUP BY s.iso_country HAVING COUNT(*) > 100 ORDER BY COUNT(*) DESC "
                          "LIMIT 5", True)]:
            kw = {"file_header_info": "USE", "extensions": ext}
            q = pluck.Query(sql, **kw)
            parts = [q.partial(p if i % 2 else io.BytesIO(p)) for i, p in enumerate(pieces)]
            want, err, rc = cli(sql, AIR, "-H", *(["-X"] if ext else []))
            self.assertEqual(rc, 0, err)
            self.assertEqual(pluck.merge(parts), want)
            self.assertEqual(pluck.merge([b"".join(parts)]), want)  # concatenated
            cli_part, _, _ = cli(sql, AIR, "-H", "--partial", *(["-X"] if ext else []))
            self.assertEqual(q.partial(AIR), cli_part)

    def test_partial_errors(self):
        with self.assertRaises(pluck.Error) as cm:
            pluck.Query("SELECT s._1 FROM S3Object s").partial(b"a\n")
        self.assertEqual(cm.exception.code, "UnsupportedSqlOperation")
        p1 = pluck.Query("SELECT COUNT(*) FROM S3Object").partial(b"a\n")
        p2 = pluck.Query("SELECT MAX(_1) FROM S3Object").partial(b"a\n")
        with self.assertRaises(pluck.Error) as cm:
            pluck.merge([p1, p2])
        self.assertEqual(cm.exception.code, "InvalidRequestParameter")
        with self.assertRaises(pluck.Error) as cm:
            pluck.merge([p1[:-3]])
        self.assertEqual(cm.exception.code, "TruncatedInput")
        self.assertEqual(pluck.merge([p1, p1, p1]), b"3\n")


class Packaging(unittest.TestCase):
    def test_help_and_stub(self):
        import pydoc
        text = pydoc.render_doc(pluck, renderer=pydoc.plaintext)
        for s in ["pluck.select", "pluck.rows", "Serialization keywords", "file_header_info",
                  "class Query", "class Error", "decimal.Decimal"]:
            self.assertIn(s, text)
        stub = open(os.path.join(ROOT, "python", "pluck", "__init__.pyi")).read()
        for name in ["def select", "def rows", "class Query", "class Error", "class Scan"]:
            self.assertIn(name, stub)
        for kw in pluck.PARAMS:  # the stub lists every keyword of the table
            self.assertIn(kw + ":", stub)

    def test_offline_venv_install(self):
        """The README's exact command installs the package offline into a venv."""
        if os.environ.get("PY_SKIP_VENV") == "1":
            self.skipTest("PY_SKIP_VENV=1")
        with tempfile.TemporaryDirectory() as d:
            v = os.path.join(d, "v")
            subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", v],
                           check=True)
            env = {k: val for k, val in os.environ.items() if k != "PYTHONPATH"}
            p = subprocess.run([os.path.join(v, "bin", "pip"), "install", "--no-build-isolation",
                                "--no-index", os.path.join(ROOT, "python")],
                               capture_output=True, text=True, env=env)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            p = subprocess.run([os.path.join(v, "bin", "python"), "-c",
                                "import pluck,sys; sys.stdout.buffer.write(b''.join("
                                "pluck.select('SELECT COUNT(*) FROM S3Object', sys.argv[1])));"
                                "print(pluck.__file__)", AIR], capture_output=True, text=True,
                               cwd=d, env=env)
            self.assertEqual(p.returncode, 0, p.stderr)
            lines = p.stdout.split("\n")
            self.assertEqual(lines[0] + "\n", cli("SELECT COUNT(*) FROM S3Object", AIR)[0].decode())
            self.assertIn(os.path.join(v, "lib"), lines[1])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LambdaHandler(unittest.TestCase):
    def scan_range_partials(self, s3):
        """pluck serve's x-pluck-partial header: a ScanRange fan-out of SelectObjectContent
        returns partials that pluck.merge turns into the CLI's answer over the whole."""
        s3.upload_file(AIR, "data", "airports.csv")
        size = os.path.getsize(AIR)
        sql = ("SELECT COUNT(*), SUM(s.latitude_deg), MAX(s.name), AVG(s.elevation_ft) "
               "FROM S3Object s WHERE s.iso_country <> 'US'")

        def add_header(request, **kw):
            request.headers.add_header("x-pluck-partial", "true")
        s3.meta.events.register("before-sign.s3.SelectObjectContent", add_header)
        try:
            parts = []
            cuts = [0, size // 3, size // 3 + 1, 2 * size // 3, size]
            for start, end in zip(cuts, cuts[1:]):
                r = s3.select_object_content(
                    Bucket="data", Key="airports.csv", Expression=sql, ExpressionType="SQL",
                    InputSerialization={"CSV": {"FileHeaderInfo": "USE"}},
                    OutputSerialization={"CSV": {}}, ScanRange={"Start": start, "End": end},
                    RequestProgress={"Enabled": False})
                parts.append(b"".join(e["Records"]["Payload"] for e in r["Payload"]
                                      if "Records" in e))
        finally:
            s3.meta.events.unregister("before-sign.s3.SelectObjectContent", add_header)
        self.assertTrue(all(p.startswith(b"pluck-partial 2\n") for p in parts))
        self.assertEqual(pluck.merge(parts), cli(sql, AIR, "-H")[0])

    def test_handler_streams_boto3_body(self):
        import boto3
        from botocore.config import Config
        with tempfile.TemporaryDirectory() as d:
            srv = subprocess.Popen([PLUCK, "serve", "--root", d, "--listen", "127.0.0.1:0",
                                    "--access-key-id", "AKPY", "--secret-access-key", "pysecret"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                url = srv.stdout.readline().strip()
                self.assertTrue(url.startswith("http://127.0.0.1:"), url)
                env = {"AWS_ACCESS_KEY_ID": "AKPY", "AWS_SECRET_ACCESS_KEY": "pysecret",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": url}
                old = {k: os.environ.get(k) for k in env}
                os.environ.update(env)
                try:
                    s3 = boto3.client("s3", endpoint_url=url, config=Config(
                        retries={"max_attempts": 1}))
                    s3.create_bucket(Bucket="data")
                    s3.upload_file(AIR + ".gz", "data", "airports.csv.gz")
                    sys.path.insert(0, os.path.join(ROOT, "examples"))
                    import handler
                    sql = ("SELECT s.name, s.municipality FROM S3Object s "
                           "WHERE s.iso_country = 'NZ' AND s.type = 'small_airport'")
                    r = handler.handler({"bucket": "data", "key": "airports.csv.gz", "sql": sql,
                                         "serialization": {"file_header_info": "USE"}})
                    want, _, _ = cli(sql, AIR, "-H")
                    self.assertEqual(r["statusCode"], 200)
                    self.assertEqual(r["body"].encode(), want)
                    self.assertEqual(r["stats"]["bytes_scanned"], os.path.getsize(AIR + ".gz"))
                    bad = handler.handler({"bucket": "data", "key": "airports.csv.gz",
                                           "sql": "SELECT s.x FROM S3Object s",
                                           "serialization": {"file_header_info": "USE"}})
                    self.assertEqual(bad["statusCode"], 400)
                    self.assertEqual(bad["error"]["code"], "MissingHeaders")
                    # a big result streams: chunks reach write() as pluck yields them, and
                    # with output_key they are uploaded without being collected
                    star = "SELECT * FROM S3Object s"
                    big = {"bucket": "data", "key": "airports.csv.gz", "sql": star}
                    want_star, _, _ = cli(star, AIR)
                    self.assertGreater(len(want_star), handler.INLINE_LIMIT)
                    chunks = []
                    st = handler.stream(big, chunks.append)
                    self.assertGreater(len(chunks), 4)
                    self.assertTrue(all(c.endswith(b"\n") for c in chunks))
                    self.assertEqual(b"".join(chunks), want_star)
                    self.assertEqual(st["bytes_returned"], len(want_star))
                    r = handler.handler(dict(big, output_key="out/all.csv"))
                    self.assertEqual(r["statusCode"], 200, r)
                    self.assertEqual(r["output"], "s3://data/out/all.csv")
                    self.assertEqual(s3.get_object(Bucket="data", Key="out/all.csv")["Body"].read(),
                                     want_star)
                    r = handler.handler(big)  # inline: the answer's size is bounded
                    self.assertEqual(r["statusCode"], 413)
                    self.assertEqual(r["error"]["code"], "OverMaxInlineSize")
                    # the s3:// source goes through boto3 the same way
                    got = b"".join(pluck.select(sql, "s3://data/airports.csv.gz",
                                                file_header_info="USE"))
                    self.assertEqual(got, want)
                    self.scan_range_partials(s3)
                finally:
                    for k, v in old.items():
                        if v is None:
                            os.environ.pop(k, None)
                        else:
                            os.environ[k] = v
            finally:
                srv.terminate()
                srv.wait(timeout=10)


if __name__ == "__main__":
    unittest.main()
