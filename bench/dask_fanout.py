"""dask_fanout.py -- pluck.dask.select on a LocalCluster of 1 worker process vs 2
(threads_per_worker=1, processes=True): runs interleaved, medians, ratio 2 / 1.

  job A: 16 gzip files (one task each);
  job B: one big BGZF file (bgzip, Debian tabix) cut into splits (one task per split).

Usage (one command, from the repository, after `make && make python`; < 3 min):
    /usr/bin/python3 bench/dask_fanout.py [--mb N] [--runs N]
--mb: MB of CSV per file of job A (default 32; job B's file holds 16 times that).
Data goes to a temporary directory under /tmp, removed at the end.  Prints the load
average before and after: on a shared machine read the ratio with it.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
os.environ["PYTHONPATH"] = sys.path[0] + os.pathsep + os.environ.get("PYTHONPATH", "")
import pluck  # noqa: E402
import pluck.dask  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

warnings.filterwarnings("ignore", message="Port 8787 is already in use")

SQL = ("SELECT COUNT(*), SUM(s.temperature), MAX(s.sensor_id) FROM S3Object s "
       "WHERE s.status = 'FAIL'")


def first(*paths):
    for p in paths:
        if os.access(p, os.X_OK):
            return p
    sys.exit(f"dask_fanout: none of {paths} is built (make; make python)")


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=32)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    gencsv = first(f"{ROOT}/build/rel/tools/gencsv", f"{ROOT}/build/test/tools/gencsv")
    cli = first(f"{ROOT}/build/rel/pluck", f"{ROOT}/build/test/pluck")
    d = tempfile.mkdtemp(prefix="pluck-dask-bench-", dir="/tmp")
    clusters = {}
    try:
        csv = os.path.join(d, "one.csv")
        with open(csv, "wb") as out:
            subprocess.run([gencsv, f"{args.mb}M"], stdout=out, check=True)
        gz = csv + ".gz"
        with open(gz, "wb") as out:
            subprocess.run(["gzip", "-1", "-c", csv], stdout=out, check=True)
        files = []
        for i in range(16):  # the same content 16 times: each file is one task
            files.append(os.path.join(d, f"f{i:02d}.csv.gz"))
            shutil.copyfile(gz, files[-1])
        big = os.path.join(d, "big.csv.gz")  # one BGZF file of 16 times the CSV
        with open(big, "wb") as out:
            g = subprocess.Popen([gencsv, f"{16 * args.mb}M"], stdout=subprocess.PIPE)
            subprocess.run(["bgzip", "-@", "2", "-l", "1", "-c"], stdin=g.stdout, stdout=out,
                           check=True)
            g.stdout.close()
            g.wait()
        os.unlink(csv)
        split_bytes = max(1 << 20, os.path.getsize(big) // 16)
        nsplits = len(pluck.splits(big, split_bytes, file_header_info="USE"))
        print(f"job A: 16 gzip files, {16 * args.mb} MB of CSV, "
              f"{16 * os.path.getsize(gz) / 1e6:.0f} MB gzip -1, one task each")
        print(f"job B: one BGZF file, {16 * args.mb} MB of CSV, "
              f"{os.path.getsize(big) / 1e6:.0f} MB, {nsplits} splits of ~{split_bytes >> 20} MiB")
        print(f"query: {SQL}")
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for n in (1, 2):
            cl = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                              dashboard_address=None)
            clusters[n] = (cl, Client(cl))
        jobs = {"A": (files, 0), "B": ([big], split_bytes)}
        answer = {}
        for job, (srcs, sb) in jobs.items():  # warm up: imports, first task on every worker
            for n in (1, 2):
                df = pluck.dask.select(SQL, srcs, client=clusters[n][1], split_bytes=sb,
                                       file_header_info="USE")
                answer.setdefault(job, {})[n] = df.values.tolist()
        # the CLI's answer over job B's file, and over job A's 16 files as one table
        for job, srcs in (("A", files), ("B", [big])):
            p = subprocess.run([cli, "-H", "--union", "--threads", "1", SQL, *srcs],
                               capture_output=True, check=True, text=True)
            got = [",".join(str(v) for v in row) for row in answer[job][1]]
            assert got == p.stdout.splitlines(), (job, got, p.stdout)
            assert answer[job][1] == answer[job][2], answer
        times = {(j, n): [] for j in jobs for n in (1, 2)}
        cpu = {}
        for _ in range(args.runs):
            for job, (srcs, sb) in jobs.items():
                for n in (1, 2):
                    t, df = timed(lambda: pluck.dask.select(
                        SQL, srcs, client=clusters[n][1], split_bytes=sb,
                        file_header_info="USE"))
                    times[(job, n)].append(t)
                    assert df.values.tolist() == answer[job][1]
        for job, srcs in (("A", files), ("B", [big])):
            r0 = os.times()
            subprocess.run([cli, "-H", "--union", "--threads", "1", SQL, *srcs],
                           stdout=subprocess.DEVNULL, check=True)
            r1 = os.times()
            cpu[job] = (r1.children_user - r0.children_user) + (r1.children_system -
                                                                r0.children_system)
        print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'job':<28} {'1 worker':>9} {'2 workers':>10} {'ratio':>6}   runs (s)")
        for job, name in (("A", "A: 16 files"), ("B", f"B: 1 BGZF file, {nsplits} splits")):
            m1, m2 = statistics.median(times[(job, 1)]), statistics.median(times[(job, 2)])
            runs = " / ".join(" ".join(f"{t:.2f}" for t in times[(job, n)]) for n in (1, 2))
            print(f"{name:<28} {m1:8.2f}s {m2:9.2f}s {m2 / m1:6.2f}   {runs}")
        print(f"CPU of the CLI (--threads 1) over the same input: A {cpu['A']:.2f} s, "
              f"B {cpu['B']:.2f} s (user+sys)")
        print(f"answers: A {answer['A'][1]}, B {answer['B'][1]}")
    finally:
        for cl, c in clusters.values():
            c.close()
            cl.close()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
