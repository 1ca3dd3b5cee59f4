/*
 * pluck.h — the one public header of libpluck.
 *
 * pluck runs Amazon S3 Select's SQL dialect over plain or compressed CSV in one streaming
 * pass.  The model is zstd.h / zlib.h: every symbol carries the `pluck_` / `PLUCK_` prefix,
 * handles are opaque, each has an explicit create and a free that accepts NULL, and errors
 * are a stable code with a name getter plus a per-handle message with a position.
 *
 * Life cycle:
 *
 *   pluck_params *p = pluck_params_create();
 *   pluck_params_set(p, PLUCK_PARAM_FILE_HEADER_INFO, "USE", 3, &err);
 *   pluck_query *q = pluck_query_compile(sql, strlen(sql), p, &err);   // immutable, shareable
 *   pluck_run   *r = pluck_run_create(q, write_cb, ctx);              // one input, one thread
 *   while (have input) if (pluck_run_feed(r, buf, n) != PLUCK_OK) break; // push ...
 *   pluck_run_finish(r);                                               // ... or pluck_run_fd()
 *   pluck_run_stats(r, &stats);  pluck_run_error(r);
 *   pluck_run_free(r); pluck_query_free(q); pluck_params_free(p);
 *
 * The library keeps no global mutable state, never prints, never calls exit() or abort(),
 * and never touches signal dispositions.  A pluck_query may be used by many threads and
 * many runs at once; a pluck_run belongs to one thread at a time.
 */
#ifndef PLUCK_H
#define PLUCK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && defined(PLUCK_BUILDING_LIBRARY)
#define PLUCK_API __attribute__((visibility("default")))
#else
#define PLUCK_API
#endif

#define PLUCK_VERSION_MAJOR 0
#define PLUCK_VERSION_MINOR 1
#define PLUCK_VERSION_PATCH 0
#define PLUCK_VERSION_NUMBER                                                                   \
    (PLUCK_VERSION_MAJOR * 10000 + PLUCK_VERSION_MINOR * 100 + PLUCK_VERSION_PATCH)
#define PLUCK_VERSION_STRING "0.1.0"

/** Runtime version, e.g. "0.1.0". */
PLUCK_API const char *pluck_version_string(void);
PLUCK_API unsigned pluck_version_number(void);
/** Compile-time features: the codecs and their backends; one line of text. */
PLUCK_API const char *pluck_features(void);
/** The scan kernels built in and the one this CPU gets, e.g.
 *  "avx2 sse42 scalar (avx2 on this CPU)".  PLUCK_FORCE_IMPL=scalar|sse42|avx2|neon in the
 *  environment forces one (when the CPU has it) for scanners created afterwards. */
PLUCK_API const char *pluck_scan_kernels(void);

/* ---------------------------------------------------------------------------------------
 * Status and error codes.  PLUCK_OK and PLUCK_STOP are not errors; every other value is an
 * error whose name is S3 Select's error code (pluck_code_name()).
 * ------------------------------------------------------------------------------------- */
typedef enum pluck_code {
    PLUCK_OK = 0,
    PLUCK_STOP = 1, /* the run needs no more input (LIMIT met, or the caller cancelled) */

    /* request / serialization parameters */
    PLUCK_E_INVALID_REQUEST_PARAMETER = 100,
    PLUCK_E_INVALID_FILE_HEADER_INFO,
    PLUCK_E_INVALID_QUOTE_FIELDS,
    PLUCK_E_INVALID_COMPRESSION_FORMAT,
    PLUCK_E_INVALID_DATA_SOURCE,
    PLUCK_E_EXPRESSION_TOO_LONG,

    /* SQL: lexer and parser */
    PLUCK_E_LEXER_INVALID_CHAR = 200,
    PLUCK_E_LEXER_INVALID_LITERAL,
    PLUCK_E_LEXER_INVALID_OPERATOR,
    PLUCK_E_LEXER_INVALID_ION_LITERAL,
    PLUCK_E_PARSE_UNEXPECTED_TOKEN,
    PLUCK_E_PARSE_UNEXPECTED_KEYWORD, /* ParseUnExpectedKeyword (sic) */
    PLUCK_E_PARSE_UNEXPECTED_OPERATOR,
    PLUCK_E_PARSE_UNEXPECTED_TERM,
    PLUCK_E_PARSE_EXPECTED_EXPRESSION,
    PLUCK_E_PARSE_EXPECTED_KEYWORD,
    PLUCK_E_PARSE_EXPECTED_TOKEN_TYPE,
    PLUCK_E_PARSE_EXPECTED_2_TOKEN_TYPES,
    PLUCK_E_PARSE_EXPECTED_NUMBER,
    PLUCK_E_PARSE_EXPECTED_TYPE_NAME,
    PLUCK_E_PARSE_EXPECTED_IDENT_FOR_ALIAS,
    PLUCK_E_PARSE_EXPECTED_ARGUMENT_DELIMITER,
    PLUCK_E_PARSE_EXPECTED_LEFT_PAREN_AFTER_CAST,
    PLUCK_E_PARSE_EXPECTED_LEFT_PAREN_BUILTIN_FUNCTION_CALL,
    PLUCK_E_PARSE_EXPECTED_RIGHT_PAREN_BUILTIN_FUNCTION_CALL,
    PLUCK_E_PARSE_EXPECTED_WHEN_CLAUSE,
    PLUCK_E_PARSE_EXPECTED_DATE_PART,
    PLUCK_E_PARSE_EMPTY_SELECT,
    PLUCK_E_PARSE_SELECT_MISSING_FROM,
    PLUCK_E_PARSE_ASTERISK_IS_NOT_ALONE_IN_SELECT_LIST,
    PLUCK_E_PARSE_INVALID_PATH_COMPONENT,
    PLUCK_E_PARSE_NON_UNARY_AGREGATE_FUNCTION_CALL, /* (sic) as S3 spells it */
    PLUCK_E_PARSE_UNSUPPORTED_CALL_WITH_STAR,
    PLUCK_E_PARSE_MALFORMED_JOIN,
    PLUCK_E_PARSE_EXPECTED_IDENT_FOR_GROUP_NAME,
    PLUCK_E_PARSE_UNSUPPORTED_SYNTAX,
    PLUCK_E_PARSE_INVALID_TYPE_PARAM,
    PLUCK_E_PARSE_CAST_ARITY,
    PLUCK_E_MAX_OPERATORS_EXCEEDED,

    /* SQL: binding and evaluation */
    PLUCK_E_INVALID_TABLE_ALIAS = 300,
    PLUCK_E_INVALID_COLUMN_INDEX,
    PLUCK_E_MISSING_HEADERS,
    PLUCK_E_AMBIGUOUS_FIELD_NAME,
    PLUCK_E_UNSUPPORTED_FUNCTION,
    PLUCK_E_UNSUPPORTED_SQL_OPERATION,
    PLUCK_E_UNSUPPORTED_SQL_STRUCTURE,
    PLUCK_E_INVALID_DATA_TYPE,
    PLUCK_E_EVALUATOR_INVALID_ARGUMENTS,
    PLUCK_E_EVALUATOR_NEGATIVE_LIMIT,
    PLUCK_E_EVALUATOR_LIKE_PATTERN_INVALID_ESCAPE_SEQUENCE,
    PLUCK_E_LIKE_INVALID_INPUTS,
    PLUCK_E_INCORRECT_SQL_FUNCTION_ARGUMENT_TYPE,
    PLUCK_E_ILLEGAL_SQL_FUNCTION_ARGUMENT,
    PLUCK_E_CAST_FAILED,
    PLUCK_E_INTEGER_OVERFLOW,
    PLUCK_E_DIVISION_BY_ZERO, /* S3 leaves the code unnamed; pluck says "DivisionByZero" */
    PLUCK_E_UNSUPPORTED_TYPE_FOR_QUERYING,
    PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN,
    PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL,
    PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_SYMBOL_FOR_PARSING,
    PLUCK_E_EVALUATOR_INVALID_TIMESTAMP_FORMAT_PATTERN_TOKEN,
    PLUCK_E_EVALUATOR_UNTERMINATED_TIMESTAMP_FORMAT_PATTERN_TOKEN,
    PLUCK_E_EVALUATOR_TIMESTAMP_FORMAT_PATTERN_DUPLICATE_FIELDS,
    PLUCK_E_EVALUATOR_TIMESTAMP_FORMAT_PATTERN_HOUR_CLOCK_AM_PM_MISMATCH,
    PLUCK_E_VALUE_PARSE_FAILURE,

    /* input data */
    PLUCK_E_CSV_PARSING_ERROR = 400,
    PLUCK_E_CSV_UNESCAPED_QUOTE,
    PLUCK_E_CSV_ESCAPING_RECORD_DELIMITER,
    PLUCK_E_OVER_MAX_RECORD_SIZE,
    PLUCK_E_INVALID_TEXT_ENCODING,
    PLUCK_E_TRUNCATED_INPUT,
    PLUCK_E_READ_ERROR,   /* pluck extension: the source failed (I/O error) */
    PLUCK_E_WRITE_ERROR,  /* pluck extension: the output callback refused data */
    PLUCK_E_OVER_MAX_COLUMN,
    PLUCK_E_COLUMN_TOO_LONG,

    /* everything else */
    PLUCK_E_OUT_OF_MEMORY = 500,
    PLUCK_E_INTERNAL_ERROR,
    PLUCK_E_CANCELLED, /* the progress callback asked to stop */
    PLUCK_E_TOO_MANY_GROUPS /* pluck extension: GROUP BY exceeded max-groups */
} pluck_code;

/** Broad class of a code, used e.g. by the CLI to choose its exit status. */
typedef enum pluck_code_class {
    PLUCK_CLASS_NONE = 0,   /* PLUCK_OK, PLUCK_STOP */
    PLUCK_CLASS_REQUEST,    /* bad serialization parameter value */
    PLUCK_CLASS_QUERY,      /* SQL text: lexing, parsing, binding (found before data is read) */
    PLUCK_CLASS_EVALUATION, /* a value in the data could not be evaluated (CastFailed, ...) */
    PLUCK_CLASS_INPUT,      /* the input: I/O, compression, CSV structure, sizes */
    PLUCK_CLASS_INTERNAL    /* out of memory, write refused, cancelled, bugs */
} pluck_code_class;

PLUCK_API int pluck_is_error(pluck_code code); /* 1 when code is neither OK nor STOP */
/** S3 Select's name for the code, e.g. "ParseUnexpectedToken"; "OK" for PLUCK_OK. */
PLUCK_API const char *pluck_code_name(pluck_code code);
PLUCK_API pluck_code_class pluck_code_get_class(pluck_code code);
/** The HTTP status S3 answers with for this code (400 for most, 500 InternalError, ...). */
PLUCK_API int pluck_code_http_status(pluck_code code);

/** Details of the last error.  Caller-owned where a function takes a pluck_error *. */
typedef struct pluck_error {
    pluck_code code;
    char message[512];     /* complete sentence, S3's wording where known, with position */
    /* position in the SQL text (PLUCK_CLASS_QUERY); 0 when not applicable */
    uint32_t sql_offset;   /* 0-based byte offset */
    uint32_t sql_line;     /* 1-based */
    uint32_t sql_column;   /* 1-based */
    /* position in the input (PLUCK_CLASS_INPUT / EVALUATION); 0 when not applicable */
    uint64_t record;       /* 1-based record number, counting the header and comments */
    uint64_t byte_offset;  /* 0-based offset in the decompressed input */
} pluck_error;

/* ---------------------------------------------------------------------------------------
 * Serialization parameters.  One table (pluck_param_info) describes every S3
 * InputSerialization / OutputSerialization field plus pluck's own limits; the C API, the
 * CLI's long options and the server's XML request are all driven by it.  Values are given
 * as text, spelled as S3 spells them (enums and booleans case-insensitive, characters as raw
 * bytes).  An empty value for Comments or QuoteCharacter turns the feature off.
 * ------------------------------------------------------------------------------------- */
typedef enum pluck_param {
    PLUCK_PARAM_COMPRESSION_TYPE = 0,     /* NONE GZIP BZIP2 ZSTD XZ AUTO (default AUTO) */
    PLUCK_PARAM_FILE_HEADER_INFO,         /* NONE USE IGNORE (default NONE) */
    PLUCK_PARAM_FIELD_DELIMITER,          /* one byte, default "," */
    PLUCK_PARAM_RECORD_DELIMITER,         /* 1-8 bytes, default "\n" (a CR before it is dropped) */
    PLUCK_PARAM_QUOTE_CHARACTER,          /* one byte or empty, default '"' */
    PLUCK_PARAM_QUOTE_ESCAPE_CHARACTER,   /* one byte or empty, default '"' (doubling) */
    PLUCK_PARAM_COMMENTS,                 /* one byte or empty, default "#" */
    PLUCK_PARAM_ALLOW_QUOTED_RECORD_DELIMITER, /* TRUE FALSE (default FALSE) */
    PLUCK_PARAM_OUTPUT_FORMAT,            /* CSV JSON TYPED (default CSV; TYPED: pluck(1)) */
    PLUCK_PARAM_QUOTE_FIELDS,             /* ALWAYS ASNEEDED (default ASNEEDED) */
    PLUCK_PARAM_OUTPUT_FIELD_DELIMITER,   /* 1-8 bytes, default "," */
    PLUCK_PARAM_OUTPUT_RECORD_DELIMITER,  /* 1-8 bytes, default "\n" (CSV and JSON) */
    PLUCK_PARAM_OUTPUT_QUOTE_CHARACTER,   /* one byte, default '"' */
    PLUCK_PARAM_OUTPUT_QUOTE_ESCAPE_CHARACTER, /* one byte, default '"' */
    PLUCK_PARAM_MAX_RECORD_SIZE,          /* bytes, default 1048576 (pluck extension) */
    PLUCK_PARAM_EXTENSIONS,               /* TRUE: allow GROUP BY / HAVING / ORDER BY (pluck) */
    PLUCK_PARAM_MAX_GROUPS,               /* groups kept by GROUP BY, default 1000000 (pluck) */
    PLUCK_PARAM_THREADS,                  /* 1: one thread; N >= 2: pluck_run_fd splits a
                                           * plain regular file, or a BGZF, multi-frame zstd,
                                           * bzip2 or multi-block xz one (see Splits), across
                                           * N threads; otherwise
                                           * pluck_run_read/_fd decompress on a second thread
                                           * (the write and progress callbacks are then called
                                           * from any of them, never at once) (pluck;
                                           * default 1) */
    PLUCK_PARAM_MAX_MEMORY,               /* bytes of ORDER BY / GROUP BY / DISTINCT state
                                           * (pluck; default 256M); ORDER BY spills sorted
                                           * runs to TEMP_DIR past it, the others fail */
    PLUCK_PARAM_TEMP_DIR,                 /* directory for ORDER BY's runs (pluck; default
                                           * empty: $TMPDIR, else /tmp) */
    PLUCK_PARAM_OUTPUT_HEADER,            /* TRUE: CSV output starts with a record of column
                                           * names, the keys JSON output uses (pluck; FALSE) */
    PLUCK_PARAM_MAX_WINDOW,               /* bytes: the largest history window a compressed
                                           * input may make the decoder hold (a zstd frame's
                                           * window, an xz dictionary); an input asking for
                                           * more is InvalidCompressionFormat (pluck; default
                                           * 1G; pluck serve sets its --max-window) */
    PLUCK_PARAM_COUNT
} pluck_param;

typedef enum pluck_param_kind {
    PLUCK_KIND_ENUM,  /* one of `values` ("A|B|C"), case-insensitive */
    PLUCK_KIND_BOOL,  /* TRUE / FALSE, case-insensitive */
    PLUCK_KIND_CHAR,  /* exactly one byte (or empty where allowed) */
    PLUCK_KIND_CHARS, /* 1..8 bytes */
    PLUCK_KIND_SIZE,  /* decimal integer, optional K/M/G suffix */
    PLUCK_KIND_INT,   /* small decimal integer (1..64) */
    PLUCK_KIND_PATH   /* a file system path (0..PLUCK_PATH_MAX-1 bytes, no NUL) */
} pluck_param_kind;

#define PLUCK_PATH_MAX 1024 /* longest PLUCK_KIND_PATH value, with its NUL */

typedef struct pluck_param_info {
    pluck_param id;
    const char *s3_name;       /* "FieldDelimiter" (NULL for pluck's own parameters) */
    const char *xml_path;      /* "InputSerialization/CSV/FieldDelimiter", or NULL */
    const char *cli_name;      /* "field-delimiter" (the long option without "--") */
    pluck_param_kind kind;
    const char *values;        /* for ENUM: "NONE|USE|IGNORE"; NULL otherwise */
    const char *default_value; /* as text */
    int empty_ok;              /* 1 when an empty value is accepted (turns the feature off) */
    const char *help;          /* one line for --help and the man page */
} pluck_param_info;

/** Describe a parameter; NULL when id is out of range. */
PLUCK_API const pluck_param_info *pluck_param_get_info(pluck_param id);
/** Find a parameter by its S3 name or CLI name (case-insensitive); PLUCK_PARAM_COUNT if none. */
PLUCK_API pluck_param pluck_param_find(const char *name);

typedef struct pluck_params pluck_params;
PLUCK_API pluck_params *pluck_params_create(void); /* all defaults; NULL on out of memory */
PLUCK_API pluck_params *pluck_params_clone(const pluck_params *p);
PLUCK_API void pluck_params_free(pluck_params *p); /* accepts NULL */
/** Set one parameter from text.  Returns PLUCK_OK or the S3 code for the bad value
 *  (InvalidFileHeaderInfo, InvalidQuoteFields, InvalidCompressionFormat,
 *  InvalidRequestParameter) and fills *err when err is not NULL. */
PLUCK_API pluck_code pluck_params_set(pluck_params *p, pluck_param id, const char *value,
                                      size_t len, pluck_error *err);
/** Current value of a parameter as text (canonical spelling), into buf; returns its length. */
PLUCK_API size_t pluck_params_get(const pluck_params *p, pluck_param id, char *buf, size_t cap);

/* ---------------------------------------------------------------------------------------
 * Queries.  Compiling parses and binds the SQL against the parameters; the result is
 * immutable.  Names of columns are matched against the header at the start of each run.
 * ------------------------------------------------------------------------------------- */
typedef struct pluck_query pluck_query;

/** Compile `sql` (len bytes; it need not be NUL-terminated).  params may be NULL for the
 *  defaults; it is copied.  On failure returns NULL and fills *err (when not NULL). */
PLUCK_API pluck_query *pluck_query_compile(const char *sql, size_t len, const pluck_params *params,
                                           pluck_error *err);
PLUCK_API void pluck_query_free(pluck_query *q); /* accepts NULL */
/** 1 when the query aggregates (returns exactly one record). */
PLUCK_API int pluck_query_is_aggregate(const pluck_query *q);
/** Output columns of the SELECT list; 0 for SELECT * (its columns come from the data). */
PLUCK_API uint32_t pluck_query_column_count(const pluck_query *q);
/** Name of output column i: its alias, the name as written, or _N by position (the JSON
 *  key, except that JSON uses the header's spelling of a header name); NULL out of range. */
PLUCK_API const char *pluck_query_column_name(const pluck_query *q, uint32_t i);
/** The query's LIMIT, or -1 when it has none. */
PLUCK_API int64_t pluck_query_limit(const pluck_query *q);
/** The query's plan in words, one fact a line (pluck --explain): the columns read, the
 *  predicates evaluated in the scan and the literal prefilter, how GROUP BY, DISTINCT and
 *  ORDER BY run and their memory budget, the ordering rule for CSV text.  Writes at most
 *  cap bytes (NUL-terminated when cap > 0); returns the full length, as snprintf. */
PLUCK_API size_t pluck_query_explain(const pluck_query *q, char *buf, size_t cap);

/* ---------------------------------------------------------------------------------------
 * Runs.  A run streams one input through a compiled query.  Input is pushed with
 * pluck_run_feed() + pluck_run_finish(), or pulled with pluck_run_read() / pluck_run_fd().
 * Always end a pushed run with pluck_run_finish(), also after pluck_run_feed() returned an
 * error: it hands the write callback the complete records produced before the error.
 * Output is handed to the write callback in chunks (at most 64 KiB each, always ending on a
 * record boundary except for records longer than that).  Memory stays bounded by the
 * maximum record size plus fixed buffers, whatever the input size.
 * ------------------------------------------------------------------------------------- */
typedef struct pluck_run pluck_run;

/** Receives output.  Return 0 to continue; non-zero makes the run fail with PLUCK_E_WRITE_ERROR. */
typedef int (*pluck_write_fn)(void *opaque, const char *data, size_t len);
/** Supplies input.  Return the number of bytes put in buf (>0), 0 at end of input, <0 on error. */
typedef ptrdiff_t (*pluck_read_fn)(void *opaque, void *buf, size_t cap);

typedef struct pluck_stats {
    uint64_t bytes_scanned;    /* S3 BytesScanned: bytes taken from the source (compressed) */
    uint64_t bytes_processed;  /* S3 BytesProcessed: bytes after decompression */
    uint64_t bytes_returned;   /* S3 BytesReturned: bytes handed to the write callback */
    uint64_t records_scanned;  /* data records evaluated (header and comments excluded) */
    uint64_t records_returned; /* output records */
    uint64_t source_size;      /* as given to pluck_run_set_source_size(), else 0 */
    const char *codec;         /* e.g. "gzip (zlib)", "zstd", "none"; "" before detection */
    const char *scan_kernel;   /* e.g. "scalar" */
    uint64_t comment_records;  /* records skipped as comments (PLUCK_PARAM_COMMENTS); lines
                                * the literal prefilter skips unparsed are not looked at */
} pluck_stats;

/** Called about every few MiB of input with the current stats; return non-zero to cancel
 *  the run (it then ends with PLUCK_E_CANCELLED). */
typedef int (*pluck_progress_fn)(void *opaque, const pluck_stats *stats);

PLUCK_API pluck_run *pluck_run_create(const pluck_query *q, pluck_write_fn write, void *opaque);
PLUCK_API void pluck_run_free(pluck_run *r); /* accepts NULL */
PLUCK_API void pluck_run_set_progress(pluck_run *r, pluck_progress_fn fn, void *opaque);
/** Total size of the source in bytes, if known (for progress reporting only). */
PLUCK_API void pluck_run_set_source_size(pluck_run *r, uint64_t size);
/** Live output (default 0).  Every path hands the write callback the records completed by
 *  each read or feed before reading again; with live set, pluck_run_read()/pluck_run_fd()
 *  with THREADS >= 2 also pass what each read of a compressed stream decoded to the scanner
 *  at once instead of in 1 MiB chunks, so a slow stream (tail -f, a gzip member or zstd
 *  frame at a time) shows its records as soon as they are complete.  The cost is one
 *  hand-over per read, none per record.  Set it before the run reads input. */
PLUCK_API void pluck_run_set_live(pluck_run *r, int live);

/** Push len bytes of (possibly compressed) input.  Returns PLUCK_OK to ask for more,
 *  PLUCK_STOP when no more input is needed (then call pluck_run_finish), or an error. */
PLUCK_API pluck_code pluck_run_feed(pluck_run *r, const void *data, size_t len);
/** A bounded step of pluck_run_feed(), for servers and event loops: takes bytes from data
 *  (len may be 0) and returns once about 1 MiB has been decompressed, whatever the
 *  compression ratio, so the time, the output and the memory of one call stay bounded (a
 *  10 GiB bzip2 bomb of 10 KB takes thousands of short calls).  *used gets the bytes taken;
 *  *more is set when the call stopped at the bound: call again with the rest of data (or
 *  none).  With end != 0 no input follows data: the codec's last output also comes out in
 *  bounded calls; once *more is 0 call pluck_run_finish().  Returns as pluck_run_feed(). */
PLUCK_API pluck_code pluck_run_feed_step(pluck_run *r, const void *data, size_t len, int end,
                                         size_t *used, int *more);
/** End of input: completes the last record, emits aggregates, flushes output.  Returns
 *  PLUCK_OK or an error (e.g. TruncatedInput when the compressed stream ended early). */
PLUCK_API pluck_code pluck_run_finish(pluck_run *r);
/** Pull the whole input through `read`, then finish.  Stops reading as soon as LIMIT is met. */
PLUCK_API pluck_code pluck_run_read(pluck_run *r, pluck_read_fn read, void *opaque);
/** Pull the whole input from a file descriptor (not closed), then finish.  With THREADS >= 2
 *  a plain regular file is read with pread() in blocks split across THREADS threads, and a
 *  BGZF, multi-frame zstd, bzip2 or multi-block xz regular file in splits (see
 *  PLUCK_PARAM_THREADS and Splits), up
 *  to the size it has when the run gets there. */
PLUCK_API pluck_code pluck_run_fd(pluck_run *r, int fd);

/* Several inputs as one table (the CLI's --union, the members of an archive): end each
 * input but the last with pluck_run_end_input() (push) or read it with pluck_run_fd_input()
 * (pull), then pluck_run_finish() as usual.  Each input has its own compression, byte-order
 * mark and, with FileHeaderInfo USE or IGNORE, its own header row, which is not data: named
 * columns are bound again by each input's header.  Error positions (record, byte) count
 * from the start of the input they are in.  Aggregates, LIMIT and ORDER BY span all inputs;
 * an OUTPUT_HEADER record is written once. */
/** End the current input (complete its last record, check its compressed stream) and make
 *  the next bytes fed the start of a new input.  Returns PLUCK_OK, PLUCK_STOP (LIMIT met:
 *  call pluck_run_finish) or an error (the run has failed; call pluck_run_finish). */
PLUCK_API pluck_code pluck_run_end_input(pluck_run *r);
/** pluck_run_fd() for one input of several: reads fd to its end, then pluck_run_end_input(). */
PLUCK_API pluck_code pluck_run_fd_input(pluck_run *r, int fd);
/** pluck_run_read() for one input of several: pulls it to its end, then pluck_run_end_input(). */
PLUCK_API pluck_code pluck_run_read_input(pluck_run *r, pluck_read_fn read, void *opaque);

/* ---------------------------------------------------------------------------------------
 * Splits: one compressed file cut into pieces that decode on their own, for N threads or N
 * machines.  Split points are BGZF members (bgzip), zstd frames (pzstd, zstd -T, the
 * seekable format), bzip2 blocks (bit-aligned: a split's offset is the byte where its first
 * block's magic begins; only blocks that decode are taken) and xz blocks (listed by the xz
 * index: xz -T, --block-size); consecutive ones are grouped to about `target` compressed bytes.  A split
 * owns the records that begin after the first record delimiter at or after its first
 * decompressed byte (the first split: from the start) through the record holding the first
 * delimiter at or after its end, so the splits of a file give every record to exactly one
 * split.  Only with a one-byte record delimiter and AllowQuotedRecordDelimiter FALSE.
 * ------------------------------------------------------------------------------------- */
typedef struct pluck_split {
    uint64_t offset; /* compressed byte offset in the file where the split begins */
    uint64_t length; /* compressed bytes */
} pluck_split;

/** Find the splits of the file open on fd (read with pread; its offset is not used) for the
 *  compression and dialect of params (NULL: defaults; COMPRESSION AUTO detects it).  target:
 *  compressed bytes per split (0: 4 MiB).  *splits (free with pluck_splits_free) gets *n >= 1
 *  splits in file order covering the whole file; a file without split points (plain, a
 *  single gzip member, one-block xz) is one split.  Returns PLUCK_OK or an error (in *err). */
PLUCK_API pluck_code pluck_splits_find(int fd, const pluck_params *params, uint64_t target,
                                       pluck_split **splits, size_t *n, pluck_error *err);
PLUCK_API void pluck_splits_free(pluck_split *splits); /* accepts NULL */

/** Run the query over split i of the n splits of fd (from pluck_splits_find with the same
 *  parameters), then finish: the output is that of the split's records, and the outputs of
 *  splits 0..n-1 concatenated are the output of the whole file (for queries without
 *  aggregates, ORDER BY or LIMIT, which combine across splits).  With FILE_HEADER_INFO USE
 *  the header is read from the file's start.  Record numbers in errors count from the
 *  split's first record; byte offsets from its first decompressed byte.  A bzip2 stream's
 *  combined CRC is checked by the split holding its end only when that split also holds the
 *  stream's header (pluck_run_fd checks it across its splits). */
PLUCK_API pluck_code pluck_run_split(pluck_run *r, int fd, const pluck_split *splits, size_t n,
                                     size_t i);

/* ---------------------------------------------------------------------------------------
 * Checkpoint indexes of gzip files (pluck-index(5)).  A single-member gzip has no split
 * points of its own.  An index, built by one full decode, lists checkpoints inside its
 * deflate stream (a block boundary's bit offset, the 32 KiB of output before it, the
 * member's CRC-32 so far) about every `spacing` compressed bytes, and the member starts of
 * a multi-member file; with it the file splits at those checkpoints like a BGZF file.  An
 * index is immutable once built or loaded and may be shared by many runs and threads.  It
 * is tied to its file (size, CRC-32s of the first and last 64 KiB): pluck_index_load
 * refuses another file, and a split checks its data against the index's CRC-32s, so a
 * wrong index is an error, never a wrong answer.  Both gzip backends (ISA-L, zlib) decode
 * from a checkpoint.
 * ------------------------------------------------------------------------------------- */
typedef struct pluck_index pluck_index;

typedef struct pluck_index_info {
    uint64_t file_size;         /* compressed bytes of the file it describes */
    uint64_t uncompressed_size; /* decompressed bytes */
    uint64_t spacing;           /* compressed bytes between checkpoints asked for */
    uint64_t checkpoints;       /* split points, the file's start included */
    uint64_t members;           /* gzip members */
} pluck_index_info;

/** Build the index of the gzip file on fd (read with pread from offset 0 to its end;
 *  its offset is not used), with a checkpoint about every `spacing` compressed bytes
 *  (0: 4 MiB) and at member starts.  Returns PLUCK_OK and *out (free with
 *  pluck_index_free), or an error in *err: InvalidCompressionFormat (not gzip),
 *  TruncatedInput (corrupt or cut short: only a file that decodes and passes its checks
 *  gets an index), ReadError, OutOfMemory. */
PLUCK_API pluck_code pluck_index_build(int fd, uint64_t spacing, pluck_index **out,
                                       pluck_error *err);
/** Write ix in the pluck-index(5) format through `write` (called one or more times).
 *  Returns PLUCK_OK, or WriteError when write returned non-zero. */
PLUCK_API pluck_code pluck_index_write(const pluck_index *ix, pluck_write_fn write,
                                       void *opaque, pluck_error *err);
/** Read an index from data[0, len) and check it against the file on fd.  Returns PLUCK_OK
 *  and *out, or InvalidDataSource with the reason in *err: not an index, another version,
 *  damaged (checksum, inconsistent checkpoints), or stale (the file's size or hash is not
 *  the one it was built from); ReadError, OutOfMemory. */
PLUCK_API pluck_code pluck_index_load(const void *data, size_t len, int fd, pluck_index **out,
                                      pluck_error *err);
/** Read bgzip's index of a BGZF file (FILE.gz.gzi, written by bgzip -i: member offsets)
 *  as a pluck_index of member starts, checking the members it keeps (one every 64 KiB or
 *  more) against the file on fd, so a large file is split without walking all its members.
 *  InvalidDataSource when it is not a .gzi or does not match the file. */
PLUCK_API pluck_code pluck_index_load_gzi(const void *data, size_t len, int fd,
                                          pluck_index **out, pluck_error *err);
PLUCK_API void pluck_index_free(pluck_index *ix); /* accepts NULL */
PLUCK_API void pluck_index_get_info(const pluck_index *ix, pluck_index_info *info);

/** pluck_splits_find with the index of the file (ix NULL: the same as pluck_splits_find):
 *  a gzip file is also split at the index's checkpoints, grouped to about `target`
 *  compressed bytes (0: 4 MiB).  Run the splits with pluck_run_set_index(r, ix) set. */
PLUCK_API pluck_code pluck_splits_find_indexed(int fd, const pluck_params *params,
                                               const pluck_index *ix, uint64_t target,
                                               pluck_split **splits, size_t *n,
                                               pluck_error *err);
/** The index of the file r reads (ix must outlive the run; NULL: none): pluck_run_fd with
 *  THREADS >= 2 splits a gzip file at its checkpoints, and pluck_run_split decodes splits
 *  from pluck_splits_find_indexed.  Set it before the run reads input. */
PLUCK_API void pluck_run_set_index(pluck_run *r, const pluck_index *ix);
/** Build the index of the gzip input as a side effect of the run: the decode that feeds the
 *  query also records the checkpoints (the same index pluck_index_build makes, without a
 *  second decode).  `spacing` as pluck_index_build's.  The run then reads its input as one
 *  stream (no splits).  Set it before the run reads input; after the run, take the index
 *  with pluck_run_take_index. */
PLUCK_API void pluck_run_build_index(pluck_run *r, uint64_t spacing);
/** The index built by the run over the gzip file on fd (pluck_run_fd(r, fd)), tied to that
 *  file; free with pluck_index_free.  InvalidRequestParameter when the run did not decode a
 *  gzip input to its end: the input was not gzip, the run failed, or it stopped early (a
 *  LIMIT met, a consumer that stopped): pluck_index_build makes it then.  OutOfMemory,
 *  ReadError. */
PLUCK_API pluck_code pluck_run_take_index(pluck_run *r, int fd, pluck_index **out,
                                          pluck_error *err);

PLUCK_API void pluck_run_stats(const pluck_run *r, pluck_stats *out);
/** The run's error (code PLUCK_OK when none); valid until the run is freed. */
PLUCK_API const pluck_error *pluck_run_error(const pluck_run *r);

/* ---------------------------------------------------------------------------------------
 * Partial aggregates (pluck extension; the text format is pluck-partial(5)).  A run given
 * pluck_run_set_partial() before its input writes, instead of its result, its state: for an
 * aggregate query every group's keys and aggregate states (counts, exact sums -- FLOAT ones
 * too --, AVG as sum and count, MIN/MAX with their original text); for ORDER BY without
 * aggregates its top-n candidates with their sort keys.  A merge reads any number of partials of the same
 * query and parameters, given in input order (several may follow one another in one
 * stream), and writes what one run over all their inputs in that order writes, byte for
 * byte (ties of ORDER BY in input order).
 * ------------------------------------------------------------------------------------- */
/** Make r write its partial state.  PLUCK_E_UNSUPPORTED_SQL_OPERATION (also set as the run's
 *  error) for a query without aggregates or ORDER BY, with DISTINCT aggregates, SELECT
 *  DISTINCT and ORDER BY, or OUTPUT_HEADER. */
PLUCK_API pluck_code pluck_run_set_partial(pluck_run *r);

typedef struct pluck_merge pluck_merge;
/** The result goes to `write` when pluck_merge_finish() is called; NULL on out of memory. */
PLUCK_API pluck_merge *pluck_merge_create(pluck_write_fn write, void *opaque);
PLUCK_API void pluck_merge_free(pluck_merge *m); /* accepts NULL */
/** Push len bytes of partials.  PLUCK_OK, or an error: InvalidDataSource (not a partial, or
 *  damaged), InvalidRequestParameter (a partial of another query), TooManyGroups, ... */
PLUCK_API pluck_code pluck_merge_feed(pluck_merge *m, const void *data, size_t len);
/** End of the partials: writes the result.  TruncatedInput when a partial was cut short. */
PLUCK_API pluck_code pluck_merge_finish(pluck_merge *m);
PLUCK_API const pluck_error *pluck_merge_error(const pluck_merge *m);

#ifdef __cplusplus
}
#endif
#endif /* PLUCK_H */
