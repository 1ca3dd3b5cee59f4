"""pluck.dask: run one S3 Select query over many sources on a Dask distributed cluster.

    import distributed, pluck.dask
    client = distributed.Client("tcp://scheduler:8786")       # or LocalCluster(...)
    df = pluck.dask.select(
        "SELECT s.type, COUNT(*), SUM(s.elevation_ft) FROM S3Object s GROUP BY s.type",
        ["s3://bucket/day1.csv.gz", "s3://bucket/day2.csv.gz", ...],
        client=client, file_header_info="USE", extensions=True)

One task runs on the workers per source -- and per split of a path that can be split
(pluck.splits(): BGZF members, zstd frames, byte ranges of a plain file, ... grouped to
about split_bytes compressed bytes; the workers find the splits, so the path need only be
visible to them).  Sources are paths the workers can read, s3:// URLs read through boto3
with the workers' AWS_* variables (one task each), or bytes (one task each).  The result is
one pandas DataFrame, equal to what one run over the union of the sources (in the order
given) answers:

  - a query without aggregates or ORDER BY: each task's records, concatenated in source
    order, LIMIT applied to the whole;
  - an aggregate query (COUNT, SUM, AVG, MIN, MAX, GROUP BY, HAVING, with ORDER BY): each task
    returns its partial state (pluck-partial(5)), which the client merges exactly (DECIMAL
    and FLOAT sums exact) -- so GROUP BY, HAVING, ORDER BY and LIMIT come out as one run's;
  - ORDER BY without aggregates: each task returns its top-n candidates (its first LIMIT
    rows in order, with their sort keys), the client merges them; ties keep source order;
  - what has no partial form (COUNT(DISTINCT ...), SELECT DISTINCT with ORDER BY) raises
    NotImplementedError rather than answer wrong.

Values are typed as in pluck.rows(): CSV text str, INT int, DECIMAL decimal.Decimal, FLOAT
float, BOOL bool, TIMESTAMP datetime, NULL/MISSING None.  Columns are named by the alias,
the name as written, or _N by position (for SELECT *: the header's names with
file_header_info="USE", else _1, _2, ...).  Each source is one file as the CLI's `--union`
would see it: with file_header_info="USE" every source has its own header line.
"""
from __future__ import annotations

import json as _json
import re as _re

import os as _os

from . import Error, Query, merge, open_source, splits, typed_values, _OUTPUT_KEYWORDS

__all__ = ["select", "run_source", "task_sources"]

#: Default compressed bytes per task of a splittable file.
SPLIT_BYTES = 64 << 20


def task_sources(source, split_bytes: int, params: dict) -> list:
    """Run on a worker: the sources of the tasks of one source (its splits, or itself)."""
    if split_bytes > 0 and isinstance(source, (str, _os.PathLike)) and \
            not (isinstance(source, str) and source.startswith("s3://")):
        parts = splits(source, split_bytes, **params)
        if len(parts) > 1:
            return parts
    return [source]


def run_source(sql: str, params: dict, source, partial: bool) -> bytes:
    """The task run on a worker: the query's TYPED records (or its partial) over one source."""
    q = Query(sql, output_format="TYPED", **params)
    obj, kind = open_source(source)
    with q.scan(obj, kind, partial=partial) as scan:
        return b"".join(scan)


def _has_partial(q: Query) -> bool:
    try:
        q.partial(b"")
        return True
    except Error as e:
        if e.code == "UnsupportedSqlOperation":
            return False
        raise


def _star_columns(q: Query, params: dict, sources, width: int) -> list[str]:
    """Column names of SELECT *: the first source's header with FileHeaderInfo USE."""
    names = []
    if str(params.get("file_header_info", "")).upper() == "USE" and sources:
        kw = {k: v for k, v in params.items() if k not in ("output_format",)}
        kw["output_format"] = "JSON"
        first = Query("SELECT * FROM S3Object LIMIT 1", **kw)
        out = b"".join(first.select(sources[0]))
        if out:
            names = [k for k, _ in _json.loads(out.splitlines()[0], object_pairs_hook=list)]
    names = names[:width]
    return names + [f"_{i + 1}" for i in range(len(names), width)]


def select(sql: str, sources, client=None, split_bytes: int = SPLIT_BYTES, **serialization):
    """Run `sql` over `sources` on a Dask cluster; returns a pandas DataFrame.

    client: a distributed.Client (default: the current one, distributed.get_client()).
    split_bytes: compressed bytes per task of a splittable file (0: one task per source).
    serialization: the input keywords of pluck.select (file_header_info="USE", ...);
    output keywords do not apply (the result is a DataFrame).
    """
    import pandas as pd
    from distributed import get_client

    bad = sorted(set(serialization) & _OUTPUT_KEYWORDS)
    if bad:
        raise TypeError(f"pluck.dask.select returns a DataFrame; drop {', '.join(bad)}")
    if isinstance(sources, (str, bytes)):
        sources = [sources]
    sources = list(sources)
    q = Query(sql, output_format="TYPED", **serialization)  # errors in the SQL raise here
    partial = _has_partial(q)
    if not partial and (q.is_aggregate or _re.search(r"\bORDER\s+BY\b", sql, _re.I)):
        # no partial form: concatenating per-task results would be wrong
        raise NotImplementedError("pluck.dask: this query has no partial form (DISTINCT): "
                                  "run it with pluck.select over the whole input")
    client = client or get_client()
    # the workers cut the paths into splits (a path need only be visible to them)
    local = [isinstance(s, (bytes, bytearray, memoryview)) for s in sources]
    remote = [s for s, b in zip(sources, local) if not b]
    found = iter(client.gather(client.map(task_sources, remote, [split_bytes] * len(remote),
                                          [serialization] * len(remote), pure=False)))
    tasks = []
    for s, b in zip(sources, local):
        tasks.extend([s] if b else next(found))
    futures = client.map(run_source, [sql] * len(tasks), [serialization] * len(tasks),
                         tasks, [partial] * len(tasks), pure=False)
    results = client.gather(futures)  # in source order, splits in file order
    out = merge(results) if partial else b"".join(results)
    rows = list(typed_values(out))
    if not partial and q.limit >= 0:
        rows = rows[:q.limit]
    if q.columns:
        columns = list(q.columns)
    else:
        columns = _star_columns(q, serialization, sources, max((len(r) for r in rows), default=0))
    width = len(columns)
    rows = [r + (None,) * (width - len(r)) if len(r) < width else r for r in rows]
    return pd.DataFrame.from_records(rows, columns=columns)
