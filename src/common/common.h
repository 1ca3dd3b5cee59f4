/*
 * common.h — small pieces every layer of libpluck uses: the internal symbol prefix (pl_),
 * growable byte buffers, a bump arena, error filling, and the parsed serialization
 * parameters (the struct behind the public pluck_params handle).
 */
#ifndef PL_COMMON_H
#define PL_COMMON_H

#include "pluck.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define PL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define PL_LIKELY(x) __builtin_expect(!!(x), 1)
#define PL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define PL_PRINTF(f, a)
#define PL_LIKELY(x) (x)
#define PL_UNLIKELY(x) (x)
#endif

#define PL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PL_MAX_DELIM 8 /* longest field/record delimiter accepted */

/* ---- errors -------------------------------------------------------------------------- */

/* Fill err (if not NULL) with code and a printf-style message; positions are zeroed. */
void pl_error_set(pluck_error *err, pluck_code code, const char *fmt, ...) PL_PRINTF(3, 4);
/* pl_error_set() that returns code, for `return pl_error_fail(...)`. */
pluck_code pl_error_fail(pluck_error *err, pluck_code code, const char *fmt, ...) PL_PRINTF(3, 4);

/* The one error idiom of libpluck (zstd's RETURN_ERROR_IF / FORWARD_IF_ERROR):
 *   PL_RETURN_ERROR_IF(n > max, err, PLUCK_E_OVER_MAX_RECORD_SIZE, "... %zu", n);
 *   PL_RETURN_SQL_ERROR_IF(...);       the same with a position in the SQL text
 *   PL_FORWARD_IF_ERROR(step(x));      returns the code when it is an error
 *   PL_FORWARD_IF_NOT_OK(step(x));     returns it when it is an error or PLUCK_STOP */
#define PL_RETURN_ERROR_IF(cond, err, code, ...)                                               \
    do {                                                                                       \
        if (cond)                                                                              \
            return pl_error_fail((err), (code), __VA_ARGS__);                                  \
    } while (0)
/* The same for an error at byte `pos` of the SQL text sql[0, sql_len) (pl_error_sql: the
 * message gets the line and column): the parser's and the binder's errors. */
#define PL_RETURN_SQL_ERROR_IF(cond, err, code, sql, sql_len, pos, ...)                        \
    do {                                                                                       \
        if (cond)                                                                              \
            return pl_error_sql((err), (code), (sql), (sql_len), (pos), __VA_ARGS__);          \
    } while (0)
#define PL_FORWARD_IF_ERROR(expr)                                                              \
    do {                                                                                       \
        pluck_code pl_fwd_rc_ = (expr);                                                        \
        if (pluck_is_error(pl_fwd_rc_))                                                        \
            return pl_fwd_rc_;                                                                 \
    } while (0)
#define PL_FORWARD_IF_NOT_OK(expr)                                                             \
    do {                                                                                       \
        pluck_code pl_fwd_rc_ = (expr);                                                        \
        if (pl_fwd_rc_ != PLUCK_OK)                                                            \
            return pl_fwd_rc_;                                                                 \
    } while (0)
void pl_error_vset(pluck_error *err, pluck_code code, const char *fmt, va_list ap)
    PL_PRINTF(3, 0);
/* Fill err with an SQL error at byte `offset`: the formatted message with "@POS@" replaced
 * by "line L, column C", or, without "@POS@", followed by "at line L, column C." (so fmt
 * then ends with the separator).  Sets the SQL position fields.  Returns code. */
pluck_code pl_error_sql(pluck_error *err, pluck_code code, const char *sql, size_t sql_len,
                        size_t offset, const char *fmt, ...) PL_PRINTF(6, 7);
pluck_code pl_error_vsql(pluck_error *err, pluck_code code, const char *sql, size_t sql_len,
                         size_t offset, const char *fmt, va_list ap) PL_PRINTF(6, 0);
/* Set the SQL position fields from a byte offset into sql (computes 1-based line/column). */
void pl_error_sql_pos(pluck_error *err, const char *sql, size_t sql_len, size_t offset);

/* ---- growable byte buffer ---------------------------------------------------------------- */

typedef struct pl_buf {
    char *data;
    size_t len, cap;
} pl_buf;

bool pl_buf_reserve(pl_buf *b, size_t extra); /* ensure cap >= len + extra */
/* Grow the array *pp (a pointer to any element type) of *cap elements of `size` bytes to
 * hold at least `need`, doubling from 16.  False, with nothing changed, on out of memory. */
bool pl_grow(void *pp, size_t *cap, size_t need, size_t size);
bool pl_buf_append(pl_buf *b, const void *p, size_t n);
void pl_buf_free(pl_buf *b);

/* ---- bump arena: many small allocations freed at once -------------------------------- */

typedef struct pl_arena_block pl_arena_block;
typedef struct pl_arena {
    pl_arena_block *head;
    size_t used, cap; /* within head */
} pl_arena;

void *pl_arena_alloc(pl_arena *a, size_t n); /* 16-byte aligned; NULL on out of memory */
char *pl_arena_strndup(pl_arena *a, const char *s, size_t n); /* NUL-terminated copy */
void pl_arena_reset(pl_arena *a); /* keeps the first block */
void pl_arena_free(pl_arena *a);

/* ---- serialization parameters, parsed ----------------------------------------------------- */

typedef enum pl_compression {
    PL_COMP_AUTO = 0,
    PL_COMP_NONE,
    PL_COMP_GZIP,
    PL_COMP_ZSTD,
    PL_COMP_BZIP2,
    PL_COMP_XZ
} pl_compression;

typedef enum pl_header_info { PL_HDR_NONE = 0, PL_HDR_USE, PL_HDR_IGNORE } pl_header_info;
/* TYPED (pluck extension): JSON arrays of type-tagged values, read by the Python binding */
typedef enum pl_out_format { PL_OUT_CSV = 0, PL_OUT_JSON, PL_OUT_TYPED } pl_out_format;

typedef struct pl_delim {
    char s[PL_MAX_DELIM];
    uint8_t len;
} pl_delim;

/* The CSV input dialect; -1 in quote/escape/comment means "off". */
typedef struct pl_dialect {
    unsigned char field_delim;
    pl_delim record_delim;
    int quote;
    int escape;  /* == quote means doubling ("" inside a quoted field) */
    int comment;
    bool allow_quoted_record_delim;
} pl_dialect;

typedef struct pl_out_dialect {
    pl_out_format format;
    bool quote_always;
    pl_delim field_delim;
    pl_delim record_delim;
    unsigned char quote;
    unsigned char escape;
} pl_out_dialect;

struct pluck_params {
    pl_compression compression;
    pl_header_info header;
    pl_dialect in;
    pl_out_dialect out;
    size_t max_record_size;
    bool extensions;
    size_t max_groups;
    bool in_escape_set, out_escape_set; /* QuoteEscapeCharacter given: else it follows the quote */
    unsigned threads;
    size_t max_memory;              /* ORDER BY / GROUP BY / DISTINCT state, bytes */
    char temp_dir[PLUCK_PATH_MAX];  /* ORDER BY's runs; "" for $TMPDIR, else /tmp */
    bool output_header; /* CSV output: a record of column names first */
    size_t max_window;  /* largest zstd window / xz dictionary an input may need (codec.h) */
};

void pl_params_defaults(struct pluck_params *p);

#endif /* PL_COMMON_H */
