"""pluck.dask: run one S3 Select query over many sources on a Dask distributed cluster.

    import distributed, pluck.dask
    client = distributed.Client("tcp://scheduler:8786")       # or LocalCluster(...)
    df = pluck.dask.select(
        "SELECT s.type, COUNT(*), SUM(s.elevation_ft) FROM S3Object s GROUP BY s.type",
        ["s3://bucket/day1.csv.gz", "s3://bucket/day2.csv.gz", ...],
        client=client, file_header_info="USE", extensions=True)

One task per source runs on the workers (sources are paths the workers can read, s3:// URLs
read through boto3 with the workers' AWS_* variables, or bytes).  A huge compressed source
is one task: splitting one object across tasks waits for libpluck's split API.  The result is one pandas
DataFrame, equal to what one run over the union of the sources (in the order given) answers:

  - a query without aggregates or ORDER BY: each task's records, concatenated in source
    order, LIMIT applied to the whole;
  - an aggregate query (COUNT, SUM, AVG, MIN, MAX, GROUP BY, HAVING, with ORDER BY): each task
    returns its partial state (pluck-partial(5)), which the client merges exactly (DECIMAL
    sums exact; FLOAT sums excepted, see pluck-partial(5)) -- so GROUP BY, HAVING, ORDER BY
    and LIMIT come out as one run's;
  - ORDER BY without aggregates raises NotImplementedError (no partial form yet).

Values are typed as in pluck.rows(): CSV text str, INT int, DECIMAL decimal.Decimal, FLOAT
float, BOOL bool, TIMESTAMP datetime, NULL/MISSING None.  Columns are named by the alias,
the name as written, or _N by position (for SELECT *: the header's names with
file_header_info="USE", else _1, _2, ...).  Each source is one file as the CLI's `--union`
would see it: with file_header_info="USE" every source has its own header line.
"""
from __future__ import annotations

import json as _json
import re as _re

from . import Error, Query, merge, open_source, typed_values, _OUTPUT_KEYWORDS

__all__ = ["select", "run_source"]


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


def select(sql: str, sources, client=None, **serialization):
    """Run `sql` over `sources` on a Dask cluster; returns a pandas DataFrame.

    client: a distributed.Client (default: the current one, distributed.get_client()).
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
    if not partial and _re.search(r"\bORDER\s+BY\b", sql, _re.I):
        # no partial form yet: concatenating per-source sorted outputs would be wrong
        raise NotImplementedError("pluck.dask: ORDER BY without aggregates is not fanned out yet")
    client = client or get_client()
    futures = client.map(run_source, [sql] * len(sources), [serialization] * len(sources),
                         sources, [partial] * len(sources), pure=False)
    results = client.gather(futures)  # in source order
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
