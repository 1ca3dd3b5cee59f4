"""handler.py -- a Lambda-style function that runs S3 Select's SQL next to the data with pluck.

The object is streamed from S3 (or any S3-compatible store) through pluck as boto3 reads it,
and the result is streamed on as pluck produces it: nothing is downloaded first, the result
is never collected whole, and memory stays flat whatever the sizes of the object and of the
result.  The event carries what `select_object_content` would, and where the result goes:

    {"bucket": "sample-data", "key": "airports.csv.gz",
     "sql": "SELECT s.name FROM S3Object s WHERE s.iso_country = 'NZ'",
     "serialization": {"file_header_info": "USE"},
     "output_bucket": "results", "output_key": "nz.csv"}          # optional

With output_key the records are uploaded as they come (boto3's upload_fileobj: a multipart
upload of 8 MiB parts for a large result) and the answer is {"statusCode": 200, "output":
"s3://results/nz.csv", "stats": {...}}.  Without it the records come back in the answer's
"body" -- a Lambda answer is at most 6 MB, so past INLINE_LIMIT bytes of result the scan
stops with {"statusCode": 413, "error": {"code": "OverMaxInlineSize", ...}} instead of
growing.  A bad query or bad data: {"statusCode": 400, "error": {"code": "...", "message":
"..."}} with S3's error code names.  Credentials and region come from the usual AWS_*
variables; AWS_ENDPOINT_URL points boto3 at another store (e.g. `pluck serve`).

stream(event, write) is the core: it hands each chunk of records (ending on a record
boundary) to write() as soon as pluck yields it.

Run it locally (records to standard output, streamed):
    python3 examples/handler.py BUCKET KEY SQL [keyword=value ...]
"""
import io
import json
import os
import sys

import boto3

import pluck

INLINE_LIMIT = 6 * 1000 * 1000 - 64 * 1024  # Lambda's 6 MB answer, less room for the rest

_s3 = None


def _client():
    global _s3  # one client per container, as Lambda reuses it between invocations
    if _s3 is None:
        _s3 = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)
    return _s3


def stream(event, write):
    """Run event's query over its object, passing each chunk of output to write(bytes) as it
    comes.  Returns the scan's stats; raises pluck.Error."""
    query = pluck.Query(event["sql"], **event.get("serialization", {}))
    body = _client().get_object(Bucket=event["bucket"], Key=event["key"])["Body"]
    try:
        with query.select(body) as scan:  # reads Body a block at a time
            for chunk in scan:
                write(chunk)
            return scan.stats()
    finally:
        body.close()


class _ScanReader(io.RawIOBase):
    """A read-only file over a pluck scan, for boto3's upload_fileobj (which reads it in
    parts): holds one chunk of output at a time."""

    def __init__(self, event):
        self.query = pluck.Query(event["sql"], **event.get("serialization", {}))
        self.body = _client().get_object(Bucket=event["bucket"], Key=event["key"])["Body"]
        self.scan = self.query.select(self.body)
        self.rest = memoryview(b"")

    def readable(self):
        return True

    def readinto(self, b):
        while not self.rest:
            chunk = next(self.scan, None)
            if chunk is None:
                return 0
            self.rest = memoryview(chunk)
        n = min(len(b), len(self.rest))
        b[:n] = self.rest[:n]
        self.rest = self.rest[n:]
        return n

    def close(self):
        if not self.closed:
            self.scan.close()
            self.body.close()
        super().close()


class _TooBig(Exception):
    pass


def handler(event, context=None):
    try:
        if event.get("output_key"):
            out_bucket = event.get("output_bucket", event["bucket"])
            with _ScanReader(event) as reader:
                _client().upload_fileobj(reader, out_bucket, event["output_key"])
                stats = reader.scan.stats()
            return {"statusCode": 200, "output": f"s3://{out_bucket}/{event['output_key']}",
                    "stats": stats}
        parts, size = [], 0

        def keep(chunk):
            nonlocal size
            size += len(chunk)
            if size > INLINE_LIMIT:
                raise _TooBig()
            parts.append(chunk)
        stats = stream(event, keep)
    except pluck.Error as e:
        return {"statusCode": e.http_status, "error": {"code": e.code, "message": e.message}}
    except _TooBig:
        return {"statusCode": 413, "error": {
            "code": "OverMaxInlineSize",
            "message": f"The result passed {INLINE_LIMIT} bytes; give output_key to stream "
                       "it to an object."}}
    return {"statusCode": 200, "body": b"".join(parts).decode("utf-8", "replace"),
            "stats": stats}


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit("usage: handler.py BUCKET KEY SQL [keyword=value ...]")
    ser = dict(a.split("=", 1) for a in sys.argv[4:])
    try:
        st = stream({"bucket": sys.argv[1], "key": sys.argv[2], "sql": sys.argv[3],
                     "serialization": ser}, sys.stdout.buffer.write)
    except pluck.Error as e:
        sys.exit(f"handler.py: {e}")
    print(json.dumps(st), file=sys.stderr)
