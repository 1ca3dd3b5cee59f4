"""handler.py -- a Lambda-style function that runs S3 Select's SQL next to the data with pluck.

The object is streamed from S3 (or any S3-compatible store) through pluck as boto3 reads it:
nothing is downloaded first and the scan's memory stays flat whatever the object's size (the
handler then returns the result records, which a selective query keeps small).  The event
carries what `select_object_content` would:

    {"bucket": "sample-data", "key": "airports.csv.gz",
     "sql": "SELECT s.name FROM S3Object s WHERE s.iso_country = 'NZ'",
     "serialization": {"file_header_info": "USE"}}

and the answer is {"statusCode": 200, "body": "<records>", "stats": {...}}, or for a bad
query or bad data {"statusCode": 400, "error": {"code": "...", "message": "..."}} with S3's
error code names.  Credentials and region come from the usual AWS_* variables;
AWS_ENDPOINT_URL points boto3 at another store (e.g. `pluck serve`).

Run it locally:  python3 examples/handler.py BUCKET KEY SQL [file_header_info=USE ...]
"""
import json
import os
import sys

import boto3

import pluck

_s3 = None


def _client():
    global _s3  # one client per container, as Lambda reuses it between invocations
    if _s3 is None:
        _s3 = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)
    return _s3


def handler(event, context=None):
    try:
        query = pluck.Query(event["sql"], **event.get("serialization", {}))
        body = _client().get_object(Bucket=event["bucket"], Key=event["key"])["Body"]
        with query.select(body) as scan:  # reads Body a block at a time
            out = b"".join(scan)
            stats = scan.stats()
        body.close()
    except pluck.Error as e:
        return {"statusCode": e.http_status, "error": {"code": e.code, "message": e.message}}
    return {"statusCode": 200, "body": out.decode("utf-8", "replace"), "stats": stats}


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit("usage: handler.py BUCKET KEY SQL [keyword=value ...]")
    ser = dict(a.split("=", 1) for a in sys.argv[4:])
    print(json.dumps(handler({"bucket": sys.argv[1], "key": sys.argv[2], "sql": sys.argv[3],
                              "serialization": ser}), indent=1))
