# Type stub of the pluck package (python/pluck/__init__.py over the C core _pluck.c).
# The serialization keywords below are libpluck's parameter table (pluck.PARAMS); a test
# checks that this stub lists every one of them.
import datetime
import decimal
import os
from typing import IO, Any, Iterable, Iterator, NamedTuple, TypedDict, Union

from typing_extensions import Unpack

__version__: str
LIBPLUCK_VERSION: str
FEATURES: str

Source = Union[str, os.PathLike[str], bytes, bytearray, memoryview, IO[bytes], Any]
Value = Union[str, int, decimal.Decimal, float, bool, datetime.datetime, None]
Text = Union[str, bytes]

class Serialization(TypedDict, total=False):
    compression_type: Text  # AUTO|NONE|GZIP|ZSTD|BZIP2|XZ
    file_header_info: Text  # NONE|USE|IGNORE
    field_delimiter: Text
    record_delimiter: Text
    quote_character: Text
    quote_escape_character: Text
    comments: Text
    allow_quoted_record_delimiter: Union[bool, Text]
    output_format: Text  # CSV|JSON|TYPED
    quote_fields: Text  # ASNEEDED|ALWAYS
    output_field_delimiter: Text
    output_record_delimiter: Text
    output_quote_character: Text
    output_quote_escape_character: Text
    max_record_size: Union[int, Text]
    extensions: Union[bool, Text]
    max_groups: Union[int, Text]
    threads: Union[int, Text]
    max_memory: Union[int, Text]
    temp_dir: Text
    output_header: Union[bool, Text]
    max_window: Union[int, Text]

class Param(NamedTuple):
    keyword: str
    s3_name: str | None
    xml_path: str | None
    kind: str
    values: str | None
    default: str
    help: str

PARAMS: dict[str, Param]

class Split(NamedTuple):
    path: str
    index: int
    offset: int
    length: int
    table: tuple[tuple[int, int], ...]

class Error(Exception):
    code: str
    message: str
    http_status: int
    sql_offset: int
    sql_line: int
    sql_column: int
    record: int
    byte_offset: int

class Stats(TypedDict):
    bytes_scanned: int
    bytes_processed: int
    bytes_returned: int
    records_scanned: int
    records_returned: int
    codec: str

class Scan(Iterator[bytes]):
    def __next__(self) -> bytes: ...
    def __iter__(self) -> Scan: ...
    def stats(self) -> Stats: ...
    def close(self) -> None: ...
    def __enter__(self) -> Scan: ...
    def __exit__(self, *exc: object) -> None: ...

class Query:
    sql: str
    params: dict[str, Any]
    is_aggregate: bool
    columns: tuple[str, ...]
    limit: int
    def __init__(self, sql: str, **serialization: Unpack[Serialization]) -> None: ...
    def select(self, source: Source) -> Scan: ...
    def rows(self, source: Source) -> Iterator[tuple[Value, ...]]: ...
    def partial(self, source: Source) -> bytes: ...
    def scan(self, source: Any, kind: str, partial: bool = ...) -> Scan: ...
    def splits(self, path: Union[str, os.PathLike[str], bytes],
               target: int = ...) -> tuple[tuple[int, int], ...]: ...

def select(sql: str, source: Source, **serialization: Unpack[Serialization]) -> Scan: ...
def rows(sql: str, source: Source,
         **serialization: Unpack[Serialization]) -> Iterator[tuple[Value, ...]]: ...
def splits(path: Union[str, os.PathLike[str]], target_bytes: int = ...,
           **serialization: Unpack[Serialization]) -> list[Split]: ...
def merge(partials: Iterable[bytes]) -> bytes: ...
def typed_values(chunk: bytes) -> Iterator[tuple[Value, ...]]: ...
def open_source(source: Source) -> tuple[Any, str]: ...
