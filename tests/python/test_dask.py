"""test_dask.py -- pluck.dask.select on a LocalCluster of two worker processes, against the
`pluck` CLI run once over the union of the sources (one file, one header): every cell of the
DataFrame must equal the CLI's CSV field read with Python's own int/Decimal/float.

Environment as test_pluck.py (PLUCK, DATA, ROOT).  Needs Debian's python3-distributed and
python3-pandas (scripts/deps.sh).
"""
import csv
import datetime
import logging
import decimal
import gzip
import io
import os
import random
import subprocess
import sys
import tempfile
import unittest

ROOT = os.environ["ROOT"]
sys.path.insert(0, os.path.join(ROOT, "python"))
# worker processes import pluck too
os.environ["PYTHONPATH"] = os.path.join(ROOT, "python") + os.pathsep + os.environ.get(
    "PYTHONPATH", "")
import pluck  # noqa: E402
import pluck.dask  # noqa: E402

PLUCK = os.environ["PLUCK"]
DATA = os.environ["DATA"]
AIR = os.path.join(DATA, "airports.csv")
SEED = int(os.environ.get("PY_SEED", "20261206"))


def cli_rows(sql, path, *opts):
    p = subprocess.run([PLUCK, "--no-progress", *opts, sql, path], capture_output=True)
    assert p.returncode == 0, p.stderr.decode()
    return list(csv.reader(io.StringIO(p.stdout.decode())))


def same(cell, text):
    """A DataFrame cell against the CLI's CSV text of the same value."""
    if cell is None:
        return text == ""
    if isinstance(cell, bool):
        return text == ("true" if cell else "false")
    if isinstance(cell, (int, decimal.Decimal)):
        return decimal.Decimal(text) == cell and (not isinstance(cell, decimal.Decimal) or
                                                  str(cell) == text)
    if isinstance(cell, float):
        return float(text) == cell
    if isinstance(cell, datetime.datetime):
        return text.startswith(cell.strftime("%Y-%m-%dT%H:%M"))
    return cell == text


class DaskSelect(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from distributed import Client, LocalCluster
        cls.cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.CRITICAL)
        cls.client = Client(cls.cluster)
        cls.tmp = tempfile.TemporaryDirectory()
        with open(AIR, "rb") as f:
            lines = f.read().split(b"\n")
        head, body = lines[0], [l for l in lines[1:] if l]
        rng = random.Random(SEED)
        cuts = sorted(rng.randint(0, len(body)) for _ in range(5))
        bounds = [0] + cuts + [len(body)]
        cls.sources = []
        for i, (a, b) in enumerate(zip(bounds, bounds[1:])):
            data = b"\n".join([head] + body[a:b]) + b"\n"
            if i % 3 == 1:
                data = gzip.compress(data, mtime=0)
            if i == 4:
                cls.sources.append(data)  # bytes travel to the worker too
                continue
            path = os.path.join(cls.tmp.name, f"part{i}.csv" + (".gz" if i % 3 == 1 else ""))
            with open(path, "wb") as f:
                f.write(data)
            cls.sources.append(path)
        cls.union = os.path.join(cls.tmp.name, "union.csv")  # one header, the same records
        with open(cls.union, "wb") as f:
            f.write(b"\n".join([head] + body) + b"\n")
        # one big file in BGZF (bgzip, Debian tabix) and in multi-frame zstd (one zstd
        # frame per 500 KB of lines, written by the zstd tool), both split across tasks
        cls.bgzf = cls.union + ".gz"
        subprocess.run(["bgzip", "-f", "-k", cls.union], check=True)
        cls.zst = cls.union + ".zst"
        with open(cls.zst, "wb") as out:
            data = open(cls.union, "rb").read()
            at = 0
            while at < len(data):
                end = data.find(b"\n", at + 500000)
                end = len(data) if end < 0 else end + 1
                out.write(subprocess.run(["zstd", "-q", "-c", "-3"], input=data[at:end],
                                         capture_output=True, check=True).stdout)
                at = end
        # and one single-member gzip (gzip -c) with its checkpoint index (pluck index)
        cls.gzi = os.path.join(cls.tmp.name, "single.csv.gz")
        with open(cls.gzi, "wb") as out:
            subprocess.run(["gzip", "-c", cls.union], stdout=out, check=True)
        subprocess.run([PLUCK, "index", "--spacing", "128K", cls.gzi], check=True)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.cluster.close()
        cls.tmp.cleanup()

    def check(self, sql, ext=False, columns=None, sources=None, union=None, **opts):
        """union: the files the CLI reads with --union for the expected answer (default:
        self.union alone, which holds the records of self.sources)."""
        kw = {"file_header_info": "USE", "extensions": ext}
        df = pluck.dask.select(sql, sources or self.sources, client=self.client, **opts, **kw)
        files = union or [self.union]
        p = subprocess.run([PLUCK, "--no-progress", "-H", "--union", *(["-X"] if ext else []),
                            sql, *files], capture_output=True)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        want = list(csv.reader(io.StringIO(p.stdout.decode())))
        self.assertEqual(len(df), len(want), sql)
        if columns:
            self.assertEqual(list(df.columns), columns)
        for i, (row, ref) in enumerate(zip(df.itertuples(index=False), want)):
            self.assertEqual(len(row), len(ref))
            for c, t in zip(row, ref):
                self.assertTrue(same(c, t), f"{sql}: row {i}: {c!r} vs CLI {t!r}")
        return df

    def test_aggregates_exact(self):
        df = self.check("SELECT COUNT(*) AS n, SUM(s.latitude_deg) AS lat, AVG(s.elevation_ft), "
                        "MIN(s.name), MAX(CAST(s.elevation_ft AS INT)) FROM S3Object s "
                        "WHERE s.elevation_ft <> ''", columns=["n", "lat", "_3", "_4", "_5"])
        self.assertIsInstance(df["lat"][0], decimal.Decimal)
        # the exact sum, by Python's decimal over the CSV text
        with open(AIR, newline="") as f:
            rows = [r for r in csv.DictReader(f) if r["elevation_ft"]]
        decimal.getcontext().prec = 60
        self.assertEqual(df["lat"][0], sum(decimal.Decimal(r["latitude_deg"]) for r in rows))
        self.assertEqual(df["n"][0], len(rows))

    def test_group_by_having_order_limit(self):
        self.check("SELECT s.iso_country, COUNT(*), SUM(s.latitude_deg) FROM S3Object s "
                   "GROUP BY s.iso_country HAVING COUNT(*) > 50 ORDER BY COUNT(*) DESC LIMIT 12",
                   ext=True)
        self.check("SELECT s.type, COUNT(*), MIN(s.ident), MAX(s.name) FROM S3Object s "
                   "GROUP BY s.type", ext=True)

    def test_filters_order_by_and_limit(self):
        self.check("SELECT s.ident, s.name FROM S3Object s WHERE s.iso_country = 'NZ'",
                   columns=["ident", "name"])
        self.check("SELECT s.ident FROM S3Object s WHERE s.type = 'heliport' LIMIT 25")
        # ORDER BY without aggregates: top-n partials per task; many ties (countries) keep
        # input order across sources and splits
        self.check("SELECT s.ident, s.iso_country FROM S3Object s ORDER BY s.iso_country DESC "
                   "LIMIT 90", ext=True, split_bytes=300000)
        self.check("SELECT s.name, s.elevation_ft FROM S3Object s WHERE s.iso_country = 'NZ' "
                   "ORDER BY s.elevation_ft NULLS LAST, s.name", ext=True,
                   sources=[self.bgzf], split_bytes=200000)
        with self.assertRaises(NotImplementedError):  # never a silently wrong answer
            pluck.dask.select("SELECT COUNT(DISTINCT s.type) FROM S3Object s",
                              self.sources, client=self.client, file_header_info="USE",
                              extensions=True)

    def test_one_big_file_split_across_tasks(self):
        """One BGZF file, one multi-frame zstd file and one single-member gzip file with its
        checkpoint index (FILE.pluckidx), each cut into splits (about 200 KB of compressed
        bytes each) that the two workers share: the answer is the CLI's over the file (the
        union's plain text)."""
        indexed = "isa-l" in pluck.FEATURES  # checkpoints are decoded with ISA-L only
        for path, least in ((self.bgzf, 8), (self.zst, 8), (self.gzi, 4 if indexed else 1)):
            parts = pluck.splits(path, 200000, file_header_info="USE")
            self.assertGreaterEqual(len(parts), least, path)
            self.assertEqual(sum(p.length for p in parts), os.path.getsize(path))
            for sql, ext in (
                    ("SELECT s.iso_country, COUNT(*), SUM(s.latitude_deg), AVG(s.elevation_ft), "
                     "MIN(s.name), MAX(s.ident) FROM S3Object s GROUP BY s.iso_country "
                     "ORDER BY s.iso_country", True),
                    ("SELECT COUNT(*), SUM(CAST(s.elevation_ft AS INT)) FROM S3Object s "
                     "WHERE s.type LIKE '%port' AND s.elevation_ft <> ''", False),
                    ("SELECT s.ident, s.name FROM S3Object s WHERE s.iso_country = 'NZ'", False),
                    ("SELECT * FROM S3Object s WHERE s.iso_country = 'IS' LIMIT 7", False)):
                self.check(sql, ext, sources=[path], split_bytes=200000)

    def test_many_files_and_their_splits(self):
        """The six sources (plain, gzip, bytes) with plain files cut into ~300 KB ranges
        too: every task's header handling and the order of the splits hold."""
        self.check("SELECT s.type, COUNT(*), SUM(s.latitude_deg), MIN(s.ident) FROM S3Object s "
                   "GROUP BY s.type", ext=True, split_bytes=300000)
        self.check("SELECT s.ident, s.municipality FROM S3Object s WHERE s.iso_country = 'AU' "
                   "LIMIT 300", split_bytes=300000)
        self.check("SELECT COUNT(*), SUM(s.longitude_deg) FROM S3Object s",
                   sources=[self.bgzf, self.union, self.zst] + self.sources, split_bytes=250000,
                   union=[self.bgzf, self.union, self.zst, self.union])

    def test_select_star_names_and_current_client(self):
        from distributed import Client
        with Client(self.cluster) as c:  # client=None: the current client
            self.assertIsNotNone(c)
            df = pluck.dask.select("SELECT * FROM S3Object s WHERE s.iso_country = 'TV'",
                                   self.sources, file_header_info="USE")
        self.assertEqual(list(df.columns)[:3], ["id", "ident", "type"])
        want = cli_rows("SELECT * FROM S3Object s WHERE s.iso_country = 'TV'", self.union, "-H")
        self.assertEqual([list(r) for r in df.itertuples(index=False)], want)  # all str

    def test_dask_scheduler_and_worker_commands(self):
        """The README's multi-machine recipe, on one machine: `python -m dask scheduler` and
        `python -m dask worker` processes, a Client connected to the scheduler's address."""
        import socket
        from distributed import Client
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        addr = f"tcp://127.0.0.1:{port}"
        log = open(os.path.join(self.tmp.name, "dask.log"), "w")
        dask = [sys.executable, "-m", "dask"]
        sched = subprocess.Popen(dask + ["scheduler", "--host", "127.0.0.1", "--port", str(port),
                                         "--no-dashboard"], stdout=log, stderr=log)
        work = subprocess.Popen(dask + ["worker", addr, "--nthreads", "1", "--nworkers", "2",
                                        "--no-dashboard"], stdout=log, stderr=log)
        try:
            with Client(addr, timeout=60) as c:
                c.wait_for_workers(2, timeout=60)
                sql = ("SELECT s.continent, COUNT(*), SUM(s.latitude_deg) FROM S3Object s "
                       "GROUP BY s.continent ORDER BY s.continent")
                df = pluck.dask.select(sql, self.sources, client=c, file_header_info="USE",
                                       extensions=True)
            want = cli_rows(sql, self.union, "-H", "-X")
            self.assertEqual([[str(x) for x in r] for r in df.itertuples(index=False)], want)
        finally:
            for p in (work, sched):
                p.terminate()
            for p in (work, sched):
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            log.close()

    def test_errors_reach_the_client(self):
        with self.assertRaises(pluck.Error):
            pluck.dask.select("SELECT FROM", self.sources, client=self.client)
        with self.assertRaises(pluck.Error) as cm:
            pluck.dask.select("SELECT s.nope FROM S3Object s", self.sources, client=self.client,
                              file_header_info="USE")
        self.assertEqual(cm.exception.code, "MissingHeaders")
        with self.assertRaises(TypeError):
            pluck.dask.select("SELECT * FROM S3Object", self.sources, client=self.client,
                              output_format="JSON")


if __name__ == "__main__":
    unittest.main()
