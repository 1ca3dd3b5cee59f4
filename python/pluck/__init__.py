"""pluck: Amazon S3 Select's SQL over plain or compressed CSV, in one streaming pass.

A CPython binding of libpluck (the C library behind the `pluck` command and `pluck serve`).
The scan runs in C without the GIL and memory stays flat whatever the input's size.

    import pluck

    # bytes chunks, exactly what `pluck -H SQL FILE` writes (each ends on a record boundary)
    for chunk in pluck.select("SELECT s.name FROM S3Object s WHERE s.iso_country = 'NZ'",
                              "airports.csv.gz", file_header_info="USE"):
        sys.stdout.buffer.write(chunk)

    # tuples of Python values
    for name, elev in pluck.rows("SELECT s.name, CAST(s.elevation_ft AS INT) FROM S3Object s",
                                 "airports.csv.gz", file_header_info="USE"):
        ...

    # compile once, run over many sources (paths, file objects, bytes, s3:// URLs)
    q = pluck.Query("SELECT COUNT(*) FROM S3Object s WHERE s.type = 'heliport'",
                    file_header_info="USE")
    counts = [b"".join(q.select(obj["Body"])) for obj in bodies]

Sources: a path (str or os.PathLike), a file object with read(n) -- e.g. boto3's
get_object()["Body"], the Lambda pattern --, bytes / bytearray / memoryview holding the
(possibly compressed) object, or an "s3://bucket/key" URL (read through boto3 with the
usual AWS_* variables; AWS_ENDPOINT_URL names another S3-compatible store).  Compression
is detected from the data (gzip, zstd, bzip2, xz) unless compression_type says otherwise.

Serialization keywords are S3's InputSerialization/OutputSerialization fields in snake
case, generated from libpluck's parameter table (the one the CLI's long options and the
server's XML come from); values are spelled as S3 spells them (case-insensitive), str or
bytes, bool for TRUE/FALSE, int for sizes.  They are listed below and in pluck.PARAMS.

Values in rows() (see rows() for the whole rule):
    CSV fields not converted by the query are str (S3 Select reads CSV as text);
    INT -> int, DECIMAL -> decimal.Decimal (exact), FLOAT -> float, BOOL -> bool,
    TIMESTAMP -> datetime.datetime, NULL and MISSING -> None.

Errors raise pluck.Error with .code (S3's error code name), .message and the position.
"""
from __future__ import annotations

import datetime as _dt
import json as _json
import os as _os
import re as _re
from decimal import Decimal as _Decimal
from typing import NamedTuple as _NamedTuple

from . import _pluck
from ._pluck import FEATURES, LIBPLUCK_VERSION, Error, Scan, merge

__version__ = LIBPLUCK_VERSION
__all__ = ["Query", "Scan", "Error", "select", "rows", "merge", "splits", "Split", "PARAMS",
           "Param", "open_source"]


class Param(_NamedTuple):
    """One serialization parameter of libpluck's table."""
    keyword: str        # Python keyword, e.g. "field_delimiter"
    s3_name: str | None  # S3's field name, e.g. "FieldDelimiter" (None: pluck's own)
    xml_path: str | None  # where S3's request carries it, e.g. "InputSerialization/CSV/..."
    kind: str           # enum, bool, char, chars, size, int
    values: str | None  # for enum: "NONE|USE|IGNORE"
    default: str
    help: str


#: Every serialization keyword, from libpluck's parameter table, by keyword.
PARAMS: dict[str, Param] = {row[0]: Param(*row) for row in _pluck.param_table()}

# Keywords that shape the output; rows() chooses its own output and rejects them.
_OUTPUT_KEYWORDS = frozenset(k for k, p in PARAMS.items()
                             if p.xml_path and p.xml_path.startswith("OutputSerialization"))


def _keyword_doc() -> str:
    lines = ["", "Serialization keywords (default in brackets):"]
    for p in PARAMS.values():
        d = p.default.encode("unicode_escape").decode()
        v = f" {p.values}" if p.values else ""
        lines.append(f"    {p.keyword}{v} [{d}]\n        {p.help}")
    return "\n".join(lines) + "\n"


__doc__ = (__doc__ or "") + _keyword_doc()


class Split(_NamedTuple):
    """One split of a file (pluck.splits()): a source of its own for select(), rows(),
    Query.partial().  The outputs (or the merged partials) of a file's splits in index order
    are those of the whole file."""
    path: str
    index: int          # 0 .. len(table) - 1
    offset: int         # compressed byte offset where the split begins
    length: int         # compressed bytes
    table: tuple        # every split of the file as (offset, length): libpluck needs them all


def splits(path, target_bytes: int = 0, **serialization) -> list[Split]:
    """pluck.splits(path, target_bytes=0, **serialization) -> list of Split.

    Cut a file into pieces a query can run over independently, one per task (threads,
    processes, Dask workers): BGZF members and zstd frames (and whatever else libpluck can
    split: see pluck_splits_find in pluck.h), a single-member gzip file's checkpoints when
    its index PATH.pluckidx is there (`pluck index PATH`; a stale one is ignored with a
    RuntimeWarning), byte ranges of a plain file, grouped to about
    target_bytes compressed bytes each (0: libpluck's 4 MiB).  A file without split points
    (one gzip member, ...) or a dialect that cannot be cut (allow_quoted_record_delimiter,
    a multi-byte record_delimiter) is one split.  Every record belongs to exactly one split.
    The serialization keywords must be those of the query the splits are run with.

        for part in pluck.splits("big.csv.gz", 64 << 20, file_header_info="USE"):
            out = b"".join(pluck.select(sql, part, file_header_info="USE"))

    A split's output is gathered in memory and returned as one chunk (a task's result).
    """
    q = _pluck.Query("SELECT * FROM S3Object", **serialization)
    table = q.splits(path, target_bytes)
    p = _os.fsdecode(path)
    return [Split(p, i, off, length, table) for i, (off, length) in enumerate(table)]


def open_source(source):
    """Return (object, kind) for a source: kind is 'path', 'file', 'buffer' or 'split'.

    An s3:// URL is opened with boto3 (get_object's streaming Body).
    """
    if isinstance(source, Split):
        return (source.path, source.table, source.index), "split"
    if isinstance(source, (bytes, bytearray, memoryview)):
        return source, "buffer"
    if isinstance(source, str) and source.startswith("s3://"):
        return _s3_body(source), "file"
    if isinstance(source, (str, _os.PathLike)):
        return source, "path"
    if hasattr(source, "read"):
        return source, "file"
    raise TypeError("pluck source must be a path, an s3:// URL, a file object with read(n), "
                    f"or bytes; not {type(source).__name__}")


def _s3_body(url: str):
    bucket, _, key = url[len("s3://"):].partition("/")
    if not bucket or not key:
        raise ValueError(f"an s3:// source names a bucket and a key: {url!r}")
    try:
        import boto3
    except ImportError as e:  # pragma: no cover - depends on the machine
        raise ImportError("s3:// sources need boto3 (Debian: python3-boto3)") from e
    client = boto3.client("s3", endpoint_url=_os.environ.get("AWS_ENDPOINT_URL") or None)
    return client.get_object(Bucket=bucket, Key=key)["Body"]


# ---- typed values ------------------------------------------------------------------------

_TS = _re.compile(r"(\d{4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?"
                  r"(Z|[+-]\d\d:\d\d))?)?)?T?\Z")


def _timestamp(text: str) -> _dt.datetime:
    m = _TS.match(text)
    if not m:  # libpluck writes only the forms above
        raise Error(f"InternalError: unexpected timestamp text {text!r}")
    y, mo, d, h, mi, s, frac, off = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    if off is None or off == "Z":
        tz = _dt.timezone.utc  # date-only values are UTC midnight, as libpluck orders them
    elif off == "-00:00":
        tz = None  # the unknown offset: a naive datetime
    else:
        sign = -1 if off[0] == "-" else 1
        tz = _dt.timezone(sign * _dt.timedelta(hours=int(off[1:3]), minutes=int(off[4:6])))
    return _dt.datetime(int(y), int(mo or 1), int(d or 1), int(h or 0), int(mi or 0),
                        int(s or 0), micro, tzinfo=tz)


_CONVERT = {
    "s": str,
    "i": int,
    "d": _Decimal,
    "f": float,  # also reads NaN, Infinity, -Infinity
    "b": lambda t: t == "true",
    "t": _timestamp,
}


def _typed_rows(scan):
    with scan:
        for chunk in scan:
            yield from typed_values(chunk)


def typed_values(chunk: bytes):
    """Tuples of Python values from whole records of TYPED output (see Query.rows)."""
    loads, conv = _json.loads, _CONVERT
    for line in chunk.split(b"\n")[:-1]:
        yield tuple(None if v is None else conv[v[0]](v[1:]) for v in loads(line))


# ---- the API -------------------------------------------------------------------------------

class Query(_pluck.Query):
    """Query(sql, **serialization): S3 Select SQL compiled once, run over many sources.

    Compiling parses and binds the SQL (errors raise pluck.Error with the SQL position);
    the compiled query is immutable and may be used from many threads at once.
    """

    def __init__(self, sql: str, **serialization):
        super().__init__(sql, **serialization)
        self._typed = None

    def __repr__(self):
        kw = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"pluck.Query({self.sql!r}{kw})"

    def __reduce__(self):  # picklable (for Dask): recompiled where it lands
        return (_rebuild, (type(self), self.sql, self.params))

    def select(self, source) -> Scan:
        """Run over one source; an iterator of bytes chunks ending on record boundaries.

        The bytes are exactly what the `pluck` command writes for the same query, options
        and input.  After the records produced before an error, iteration raises
        pluck.Error.  The Scan has .stats() and .close() and is a context manager.
        """
        obj, kind = open_source(source)
        return self.scan(obj, kind)

    def partial(self, source) -> bytes:
        """The query's partial state over one source (pluck-partial(5)), as bytes.

        pluck.merge([p1, p2, ...]) of the partials of consecutive pieces of a table gives
        what select() over the whole table gives, byte for byte.  Only aggregate and
        ORDER BY queries have one, and not with DISTINCT aggregates, SELECT DISTINCT with
        ORDER BY or output_header (else pluck.Error UnsupportedSqlOperation).
        """
        obj, kind = open_source(source)
        with self.scan(obj, kind, partial=True) as scan:
            return b"".join(scan)

    def rows(self, source):
        """Run over one source; an iterator of tuples of Python values, one per record.

        The output serialization is pluck's TYPED format (each value with its SQL type),
        so output keywords do not apply.  Types:
          - a CSV field the query does not convert (s.name, s._1, SELECT *): str, as S3
            Select reads CSV as text -- even when it looks like a number;
          - INT (CAST AS INT, COUNT, SUM/MIN/MAX of INTs, integer literals): int;
          - DECIMAL (CAST AS DECIMAL, decimal literals, SUM/AVG of CSV text): decimal.Decimal
            with libpluck's exact digits;
          - FLOAT (CAST AS FLOAT, float arithmetic): float (NaN and infinities too);
          - BOOL (comparisons, CAST AS BOOL): bool;
          - TIMESTAMP: datetime.datetime -- tz-aware for Z (UTC) and +hh:mm offsets and for
            date-only values (UTC midnight), naive for the unknown offset -00:00; fractions
            beyond microseconds are truncated;
          - NULL and MISSING: None.
        """
        if self._typed is None:
            kw = {k: v for k, v in self.params.items() if k not in _OUTPUT_KEYWORDS}
            self._typed = _pluck.Query(self.sql, output_format="TYPED", **kw)
        obj, kind = open_source(source)
        return _typed_rows(self._typed.scan(obj, kind))


def _rebuild(cls, sql, params):
    return cls(sql, **params)


def select(sql: str, source, **serialization) -> Scan:
    """pluck.select(sql, source, **serialization) -> iterator of bytes chunks.

    The output of `sql` over `source`, exactly as the `pluck` command writes it, in chunks
    that end on record boundaries.  See Query.select and the module's help for sources and
    keywords, e.g. file_header_info="USE", field_delimiter="|", output_format="JSON".
    """
    return Query(sql, **serialization).select(source)


def rows(sql: str, source, **serialization):
    """pluck.rows(sql, source, **serialization) -> iterator of tuples of Python values.

    See Query.rows for how SQL types map to Python types.  Output keywords are rejected.
    """
    bad = sorted(set(serialization) & _OUTPUT_KEYWORDS)
    if bad:
        raise TypeError(f"rows() chooses its own output serialization; drop {', '.join(bad)}")
    return Query(sql, **serialization).rows(source)
