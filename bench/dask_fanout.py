"""dask_fanout.py -- pluck.dask.select over 16 gzip files on a LocalCluster of 1 worker
process vs 2 (threads_per_worker=1, processes=True), runs interleaved, medians and ratio.

Usage: PYTHONPATH=python /usr/bin/python3 bench/dask_fanout.py [GENCSV] [MB_PER_FILE] [RUNS]
(GENCSV: build/rel/tools/gencsv or build/test/tools/gencsv; default 40 MB per file, 5 runs.)
Prints the load average before and after: the machine is shared, so read the ratio with it.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
os.environ["PYTHONPATH"] = sys.path[0] + os.pathsep + os.environ.get("PYTHONPATH", "")
import pluck  # noqa: E402
import pluck.dask  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

GENCSV = sys.argv[1] if len(sys.argv) > 1 else "build/test/tools/gencsv"
MB = int(sys.argv[2]) if len(sys.argv) > 2 else 40
RUNS = int(sys.argv[3]) if len(sys.argv) > 3 else 5
SQL = ("SELECT COUNT(*), SUM(s.temperature), MAX(s.sensor_id) FROM S3Object s "
       "WHERE s.status = 'FAIL'")


def main():
    with tempfile.TemporaryDirectory() as d:
        files = []
        for i in range(16):
            path = os.path.join(d, f"f{i:02d}.csv.gz")
            with open(path, "wb") as out:
                g = subprocess.Popen([GENCSV, f"{MB}M"], stdout=subprocess.PIPE)
                subprocess.run(["gzip", "-1", "-c"], stdin=g.stdout, stdout=out, check=True)
                g.wait()
            files.append(path)
        size = sum(os.path.getsize(f) for f in files)
        print(f"16 files, {16 * MB} MB of CSV, {size / 1e6:.0f} MB gzip; query: {SQL}")
        print(f"load average before: {os.getloadavg()}")
        clusters = {}
        for n in (1, 2):
            cl = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                              dashboard_address=None)
            clusters[n] = (cl, Client(cl))
        times = {1: [], 2: []}
        answer = {}
        for n in (1, 2):  # warm up: imports and first task on every worker
            answer[n] = pluck.dask.select(SQL, files, client=clusters[n][1],
                                          file_header_info="USE").values.tolist()
        assert answer[1] == answer[2], answer
        for _ in range(RUNS):
            for n in (1, 2):
                t0 = time.perf_counter()
                df = pluck.dask.select(SQL, files, client=clusters[n][1], file_header_info="USE")
                times[n].append(time.perf_counter() - t0)
                assert df.values.tolist() == answer[1]
        print(f"load average after:  {os.getloadavg()}")
        for n in (1, 2):
            print(f"{n} worker(s): median {statistics.median(times[n]):.2f} s  "
                  f"runs {[round(t, 2) for t in times[n]]}")
        print(f"ratio 2 workers / 1 worker: "
              f"{statistics.median(times[2]) / statistics.median(times[1]):.2f}")
        t0 = time.perf_counter()
        for f in files:
            subprocess.run(["build/rel/pluck", "--threads", "1", "-H", SQL, f],
                           stdout=subprocess.DEVNULL, check=True)
        print(f"reference: the CLI over the 16 files one after another (--threads 1): "
              f"{time.perf_counter() - t0:.2f} s")
        print(f"answer: {answer[1]}")
        for cl, c in clusters.values():
            c.close()
            cl.close()


if __name__ == "__main__":
    main()
